package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Predicate;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;

/**
 * How the HTTP side and the metrics ask the {@link CampaignManager}: one manager, one timeout, one
 * scheduler, shared by every route group that reads or steers campaigns.
 *
 * <pre>{@code
 * CampaignAsks campaigns = new CampaignAsks(manager, system, Duration.ofSeconds(5));
 * campaigns.get("c-42").thenAccept(r -> ...);             // fails with the manager's CampaignRejection
 * campaigns.<CampaignRecord>ask(r -> new CampaignManager.Pause("c-42", r));
 * }</pre>
 *
 * <p>Thread-safety: immutable; asks may be made from any thread.
 *
 * @param manager the campaign manager
 * @param system  the actor system whose scheduler times the asks out
 * @param timeout how long an ask waits for its answer (then it fails with a timeout, answered 503 by the API)
 */
public record CampaignAsks(ActorRef<CampaignManager.Command> manager, ActorSystem<?> system, Duration timeout) {

    /** @throws IllegalArgumentException if the timeout is not positive; NullPointerException for a null part */
    public CampaignAsks {
        Objects.requireNonNull(manager, "manager");
        Objects.requireNonNull(system, "system");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("campaign asks: the timeout must be positive, got " + timeout);
        }
    }

    /** @return the manager's answer to {@code message}, or its refusal as a failed stage */
    public <T> CompletionStage<T> ask(Function<ActorRef<StatusReply<T>>, CampaignManager.Command> message) {
        return AskPattern.askWithStatus(manager, message::apply, timeout, system.scheduler());
    }

    /** @return the campaign's live record (its actor's counts when it runs) */
    public CompletionStage<CampaignRecord> get(String id) {
        return ask(r -> new CampaignManager.Get(id, r));
    }

    /** @return every stored campaign record, as stored (counts of each one's last status change) */
    public CompletionStage<List<CampaignRecord>> list() {
        return ask(CampaignManager.ListAll::new);
    }

    /**
     * The stored records with, for those whose status {@code mayMove}, the record {@code current}
     * answers (live counts). A campaign that cannot answer (gone, busy) keeps its stored record.
     * The order of {@code stored} is kept.
     *
     * @param stored  as {@link #list()} answered
     * @param mayMove which statuses are worth a live answer
     * @param current a campaign's live record by id
     * @return the records
     */
    public static CompletionStage<List<CampaignRecord>> live(List<CampaignRecord> stored, Predicate<CampaignStatus> mayMove,
                                                             Function<String, CompletionStage<CampaignRecord>> current) {
        List<CompletableFuture<CampaignRecord>> out = new ArrayList<>(stored.size());
        for (CampaignRecord r : stored) {
            out.add(mayMove.test(r.status()) ? current.apply(r.id()).toCompletableFuture().exceptionally(e -> r)
                    : CompletableFuture.completedFuture(r));
        }
        return CompletableFuture.allOf(out.toArray(CompletableFuture[]::new))
                .thenApply(v -> out.stream().map(CompletableFuture::join).toList());
    }
}
