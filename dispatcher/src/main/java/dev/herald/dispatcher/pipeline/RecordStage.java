package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.throttle.ThrottleShards;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The last stage: the send stage's answers settled. {@code sent} confirms the cap reservation,
 * any other answer releases it; answers the send stage did not {@link Delivery#recorded() record}
 * itself (decided before a claim: unknown recipient, render failure, returned before the claim)
 * are written to the ledger here ({@link #settle}). Adds the final answers to {@code decided}.
 *
 * <pre>{@code
 * deliveries.via(RecordStage.flow(new RecordStage.Settings(shards, askTimeout, window, Duration.ofMillis(20)), rec))
 * }</pre>
 *
 * <p>The flow is an immutable blueprint.
 */
public final class RecordStage {

    /**
     * @param shards  the throttle shards holding the reservations
     * @param timeout ask timeout per shard
     * @param batch   most answers settled together
     * @param within  longest wait for a batch to fill
     */
    public record Settings(ThrottleShards shards, Duration timeout, int batch, Duration within) {
        /** @throws IllegalArgumentException if {@code batch < 1} */
        public Settings {
            Objects.requireNonNull(shards, "shards");
            if (batch < 1) {
                throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            }
        }
    }

    private RecordStage() {
    }

    /**
     * @param s   shards and batching
     * @param rec the campaign's ledger, progress counter and end
     * @return each settled group
     */
    public static Flow<Delivery, List<Delivery>, NotUsed> flow(Settings s, Recording rec) {
        return Flow.<Delivery>create()
                .groupedWithin(s.batch(), s.within())
                .mapAsync(1, group -> {
                    Map<Outcome, MutableRoaringBitmap> byOutcome = new HashMap<>();
                    MutableRoaringBitmap returned = new MutableRoaringBitmap();
                    Map<Long, MutableRoaringBitmap> confirm = new HashMap<>();
                    Map<Long, MutableRoaringBitmap> release = new HashMap<>();
                    MutableRoaringBitmap unclaimed = new MutableRoaringBitmap();
                    long notFinal = 0;
                    for (Delivery d : group) {
                        if (d.returned()) {
                            notFinal++;
                        }
                        if (!d.recorded()) {
                            if (d.returned()) {
                                returned.add(d.recipientId());
                            } else {
                                byOutcome.computeIfAbsent(d.outcome().asRecorded(), k -> new MutableRoaringBitmap())
                                        .add(d.recipientId());
                            }
                            if (!d.claimed()) {
                                unclaimed.add(d.recipientId());
                            }
                        }
                        (d.sent() ? confirm : release).computeIfAbsent(d.stamp(), k -> new MutableRoaringBitmap()).add(d.recipientId());
                    }
                    long decidedNow = group.size() - notFinal;
                    CompletableFuture<Void> written = byOutcome.isEmpty() && returned.isEmpty()
                            ? CompletableFuture.completedFuture(null)
                            : CompletableFuture.runAsync(() -> settle(rec.ledger(), byOutcome, returned, unclaimed, rec.expiresAt()),
                                    rec.io());
                    return written.thenCompose(w -> {
                        rec.decided().add(decidedNow);
                        List<CompletableFuture<Integer>> acks = new ArrayList<>();
                        confirm.forEach((stamp, ids) -> acks.add(s.shards().confirm(ids, stamp, s.timeout()).toCompletableFuture()));
                        release.forEach((stamp, ids) -> acks.add(s.shards().release(ids, stamp, s.timeout()).toCompletableFuture()));
                        return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).thenApply(v -> group);
                    });
                })
                .named("campaign-record");
    }

    /**
     * Writes send-stage answers to the ledger, by outcome: {@code suppressed:*} (the last check)
     * and deferred (quiet hours closed before the hand-over) ids are un-claimed first, then
     * recorded (a deferral past {@code expiresAt} as {@code expired}); {@code returned} ids are
     * only un-claimed (pending again). Ids decided before their group's claim ({@code unclaimed})
     * are claimed first where their outcome needs a claim ({@code failed:*}).
     *
     * @param byOutcome answers by outcome, grouped by {@link Outcome#asRecorded()} (one ledger record per entry)
     * @param returned  ids given back unsent
     * @param unclaimed which of all those ids are not claimed
     * @param expiresAt the campaign's end, or null
     * @throws java.io.UncheckedIOException if the ledger cannot be written
     */
    static void settle(OutcomeLedger ledger, Map<Outcome, MutableRoaringBitmap> byOutcome, ImmutableRoaringBitmap returned,
                       ImmutableRoaringBitmap unclaimed, Instant expiresAt) {
        if (!returned.isEmpty()) {
            Recording.io(() -> ledger.release(claimedOf(returned, unclaimed)));
        }
        byOutcome.forEach((outcome, ids) -> Recording.io(() -> {
            MutableRoaringBitmap claimedIds = claimedOf(ids, unclaimed);
            if (outcome instanceof Outcome.Suppressed || outcome instanceof Outcome.Deferred) {
                ledger.release(claimedIds); // stopped before the connector: un-claim, then decide
            } else if (outcome.needsClaim() && claimedIds.getLongCardinality() != ids.getLongCardinality()) {
                // failed before its group's claim (unknown recipient, render): never handed over
                ledger.claim(ImmutableRoaringBitmap.andNot(ids, claimedIds));
            }
            ledger.record(outcome instanceof Outcome.Deferred d ? DecisionCore.deferOrExpire(d.until(), expiresAt) : outcome, ids);
        }));
    }

    private static MutableRoaringBitmap claimedOf(ImmutableRoaringBitmap ids, ImmutableRoaringBitmap unclaimed) {
        return unclaimed.isEmpty() ? ids.toMutableRoaringBitmap() : ImmutableRoaringBitmap.andNot(ids, unclaimed);
    }
}
