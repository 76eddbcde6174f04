package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Campaigns' live records, each shared by every request for it within {@link #FRESHNESS} (a
 * campaign's detail and the list alike): many pollers of one campaign cost one ask of its actor per
 * period, not one each. Requests that arrive while an ask is under way wait for that ask. A refusal
 * (404, a timeout) is not kept.
 *
 * <pre>{@code
 * CampaignStatusCache statuses = new CampaignStatusCache(campaigns::get);
 * statuses.status("c-42");            // asks, or shares an answer at most 100 ms old
 * statuses.forget("c-42");            // after a pause, resume, cancel: the next read asks again
 * statuses.live(stored);              // the list: live records of those that may be under way
 * }</pre>
 *
 * <p>Thread-safety: thread-safe (a concurrent map of answers; at most one ask per campaign and period).
 */
public final class CampaignStatusCache {

    /** How old a campaign status answer may be when it is served again. */
    public static final Duration FRESHNESS = Duration.ofMillis(100);

    /** Above this many kept answers, the stale ones are dropped. */
    static final int MAX_CACHED = 1_000;

    private record Cached(long askedAt, CompletableFuture<CampaignRecord> answer) {
    }

    private final Function<String, CompletionStage<CampaignRecord>> ask;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    /** @param ask a campaign's live record by id (e.g. {@link CampaignAsks#get}) */
    public CampaignStatusCache(Function<String, CompletionStage<CampaignRecord>> ask) {
        this(ask, System::nanoTime);
    }

    /** As {@link #CampaignStatusCache(Function)}, with the monotonic clock in ns (tests move it by hand). */
    CampaignStatusCache(Function<String, CompletionStage<CampaignRecord>> ask, LongSupplier nanoTime) {
        this.ask = Objects.requireNonNull(ask, "ask");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** @return the campaign's live record: an answer at most {@link #FRESHNESS} old, or a new ask's */
    public CompletionStage<CampaignRecord> status(String id) {
        long now = nanoTime.getAsLong();
        Cached c = cache.get(id);
        if (c != null && now - c.askedAt() < FRESHNESS.toNanos()) {
            return c.answer();
        }
        CompletableFuture<CampaignRecord> answer = new CompletableFuture<>();
        Cached mine = new Cached(now, answer);
        Cached winner = c == null ? cache.putIfAbsent(id, mine) : cache.replace(id, c, mine) ? null : cache.get(id);
        if (winner != null && winner != mine) {
            return winner.answer();
        }
        ask.apply(id).whenComplete((record, error) -> {
            if (error != null) {
                cache.remove(id, mine);
                answer.completeExceptionally(error);
            } else {
                answer.complete(record);
            }
        });
        if (cache.size() > MAX_CACHED) {
            cache.entrySet().removeIf(e -> now - e.getValue().askedAt() > FRESHNESS.toNanos());
        }
        return answer;
    }

    /** Drops the kept answer of {@code id}: the campaign was steered, the next read asks again. */
    public void forget(String id) {
        cache.remove(id);
    }

    /**
     * The stored records with the live records (through this cache) of those that may be under
     * way: scheduled, running, paused. A stored record's counts are those of its last status
     * change; a campaign that cannot answer (gone, busy) is listed as stored.
     *
     * @param stored every stored record
     * @return the records, in the same order
     */
    public CompletionStage<List<CampaignRecord>> live(List<CampaignRecord> stored) {
        return CampaignAsks.live(stored, s -> s == CampaignStatus.SCHEDULED || s == CampaignStatus.RUNNING
                || s == CampaignStatus.PAUSED, this::status);
    }

    /** @return how many answers are kept (for tests) */
    int size() {
        return cache.size();
    }
}
