package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.outcome.OutcomeLedger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The send stage's claims, made just in time: a group of recipients is claimed durably in the
 * campaign's {@link OutcomeLedger} only once it holds its connector window slots and passed its
 * checks, right before its hand-over. A crash therefore leaves {@code unknown} at most what the
 * connector had in flight plus the groups between their claim and their hand-over, instead of
 * every unit claimed ahead of the connector.
 *
 * <pre>{@code
 * JustInTimeClaims claims = new JustInTimeClaims(ledger, blockingIo);
 * claims.claim(groupIds).thenCompose(ticket -> claims.take(ticket) ? handOver(group) : giveBack(group));
 * // when the run fails: what was claimed and never handed over is pending again
 * ledger.release(claims.abandonAll());
 * }</pre>
 *
 * <p><b>Claimed, not handed over.</b> Between its claim and the start of its hand-over a group is
 * registered here under a ticket. Exactly one of {@link #take} (the hand-over begins) and
 * {@link #abandonAll} (the run ended without it) removes it, so a group is either handed over or
 * released, never both. Claims of concurrent groups share fsyncs (the ledger's group commit).
 *
 * <p>Thread-safety: thread-safe; claims run on the given executor (they block on the disk).
 */
public final class JustInTimeClaims {

    private final OutcomeLedger ledger;
    private final Executor io;
    private final java.time.Instant expiresAt;
    private final AtomicLong tickets = new AtomicLong();
    private final Map<Long, MutableRoaringBitmap> claimedNotHandedOver = new ConcurrentHashMap<>();

    /**
     * @param ledger the campaign's open ledger
     * @param io     where the fsynced claims run (a blocking-I/O dispatcher)
     * @throws NullPointerException if an argument is null
     */
    public JustInTimeClaims(OutcomeLedger ledger, Executor io) {
        this(ledger, io, null);
    }

    /**
     * @param ledger    the campaign's open ledger
     * @param io        where the ledger writes run (a blocking-I/O dispatcher)
     * @param expiresAt the campaign's end (ids deferred past it at hand-over expire), or null
     * @throws NullPointerException if {@code ledger} or {@code io} is null
     */
    public JustInTimeClaims(OutcomeLedger ledger, Executor io, java.time.Instant expiresAt) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.io = Objects.requireNonNull(io, "io");
        this.expiresAt = expiresAt;
    }

    /**
     * Claims {@code ids} durably (fsynced) and registers them as claimed but not handed over.
     *
     * @param ids the group, not empty, not claimed or final
     * @return completed with the group's ticket once the claim is durable; failed if the ledger
     *     refused or could not write it
     */
    public CompletionStage<Long> claim(MutableRoaringBitmap ids) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                ledger.claim(ids);
            } catch (IOException e) {
                throw new UncheckedIOException("outcome ledger write failed", e);
            }
            long ticket = tickets.incrementAndGet();
            claimedNotHandedOver.put(ticket, ids);
            return ticket;
        }, io);
    }

    /**
     * Un-claims ids the connector answered as not accepted for certain (throttled) while they wait
     * for their retry, which claims them again: a crash meanwhile leaves them pending, not unknown.
     *
     * @param ids claimed ids, not final
     * @return completed once the release is logged; failed if the ledger refused or could not write it
     */
    public CompletionStage<Void> unclaim(MutableRoaringBitmap ids) {
        return CompletableFuture.runAsync(() -> {
            try {
                ledger.release(ids);
            } catch (IOException e) {
                throw new UncheckedIOException("outcome ledger write failed", e);
            }
        }, io);
    }

    /**
     * Writes the answers of claimed ids to the ledger (as the record stage would: see
     * {@link RecordStage#settle}) and un-claims {@code unclaim}, before the send stage frees
     * their window slots: so what a crash can leave claimed without an answer is never more than
     * the window holds.
     *
     * @param byOutcome claimed ids by answer ({@code sent}, {@code failed:*}, {@code suppressed:*}, deferred)
     * @param returned  claimed ids given back unsent (pending again), may be empty
     * @param unclaim   claimed ids to make pending again (answered throttled: retried later), may be empty
     * @return completed once written (not fsynced: a killed process loses none); failed if the
     *     ledger refused or could not write
     */
    public CompletionStage<Void> settle(Map<Outcome, MutableRoaringBitmap> byOutcome, MutableRoaringBitmap returned,
                                        MutableRoaringBitmap unclaim) {
        return settle(byOutcome, returned, unclaim, null);
    }

    /**
     * As {@link #settle(Map, MutableRoaringBitmap, MutableRoaringBitmap)}, running {@code first} before
     * the answers are written, in the same task (the accepted messages' log records: written before
     * the ledger says {@code sent}; forced at the ledger's checkpoints, syncs and close).
     *
     * @param first what to write first, or null
     */
    public CompletionStage<Void> settle(Map<Outcome, MutableRoaringBitmap> byOutcome, MutableRoaringBitmap returned,
                                        MutableRoaringBitmap unclaim, Recording.IoAction first) {
        return CompletableFuture.runAsync(() -> {
            if (first != null) {
                Recording.io(first);
            }
            if (!unclaim.isEmpty()) {
                Recording.io(() -> ledger.release(unclaim));
            }
            RecordStage.settle(ledger, byOutcome, returned, new MutableRoaringBitmap(), expiresAt);
        }, io);
    }

    /**
     * @param ticket a group's ticket from {@link #claim}
     * @return true if the caller may hand the group over now (it is no longer registered); false
     *     if the run gave it back meanwhile ({@link #abandonAll}): it must not be handed over
     */
    public boolean take(long ticket) {
        return claimedNotHandedOver.remove(ticket) != null;
    }

    /**
     * Takes every group claimed and not handed over, so that none of them will be: the caller
     * releases them in the ledger (pending again, sent normally by the next run).
     *
     * @return their ids (empty if none)
     */
    public MutableRoaringBitmap abandonAll() {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        for (Long ticket : claimedNotHandedOver.keySet()) {
            MutableRoaringBitmap ids = claimedNotHandedOver.remove(ticket);
            if (ids != null) {
                out.or(ids);
            }
        }
        return out;
    }
}
