package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.outcome.OutcomeLedger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a campaign's stages record what they decide: its outcome ledger, the {@code decided}
 * progress counter, and the campaign's end (deferrals past it become {@code expired}).
 *
 * <pre>{@code
 * Recording rec = new Recording(ledger, decided, spec.expiresAt(), BlockingIo.executor(system));
 * chunks.mapAsync(1, chunk -> {
 *     DecisionCore.Split s = DecisionCore.suppression(snapshot, chunk, scopes);   // decided on the stream
 *     return rec.writeAsync(s).thenApply(v -> s.kept());                          // written on io, then counted
 * })
 * }</pre>
 *
 * <p>Every stage that removes ids from the stream records their outcome here before it emits
 * the rest, so every id leaves the stream with an outcome or is still carried by it. The ledger
 * is the campaign's own; its writes are serialised by the ledger, and run on {@link #io()} (the
 * blocking-I/O dispatcher in a campaign), never on the stream's own dispatcher.
 *
 * @param ledger    the campaign's outcome ledger
 * @param decided   incremented by the ids recorded with a final outcome or a deferral
 * @param expiresAt the campaign's end, or null for none
 * @param io        where the ledger writes run
 */
public record Recording(OutcomeLedger ledger, LongAdder decided, Instant expiresAt, Executor io) {

    /** @throws NullPointerException if the ledger, counter or executor is null */
    public Recording {
        Objects.requireNonNull(ledger, "ledger");
        Objects.requireNonNull(decided, "decided");
        Objects.requireNonNull(io, "io");
    }

    /** A recording whose writes run on the calling thread (for tests and single-threaded tools). */
    public Recording(OutcomeLedger ledger, LongAdder decided, Instant expiresAt) {
        this(ledger, decided, expiresAt, Runnable::run);
    }

    /** Records a stage's decisions, then adds them to {@code decided}. @throws UncheckedIOException if the ledger fails */
    public void write(DecisionCore.Split split) {
        split.decided().forEach((outcome, ids) -> io(() -> ledger.record(outcome, ids)));
        decided.add(split.decidedCount());
    }

    /**
     * {@link #write} on {@link #io()}.
     *
     * @return completed once written and counted; failed with an {@link UncheckedIOException} if the ledger fails
     */
    public CompletionStage<Void> writeAsync(DecisionCore.Split split) {
        return writeAsync(java.util.List.of(split));
    }

    /**
     * {@link #write} of each split, in order, in one task on {@link #io()}; none when there is
     * nothing to write.
     *
     * @return completed once written and counted; failed with an {@link UncheckedIOException} if the ledger fails
     */
    public CompletionStage<Void> writeAsync(java.util.List<DecisionCore.Split> splits) {
        if (splits.stream().allMatch(s -> s.decided().isEmpty())) {
            splits.forEach(s -> decided.add(s.decidedCount()));
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> splits.forEach(this::write), io);
    }

    /** A ledger write; an I/O failure fails the stream (the ledger then refuses further writes). */
    public interface IoAction {
        void run() throws IOException;
    }

    static void io(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException("outcome ledger write failed", e);
        }
    }
}
