package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.outcome.OutcomeLedger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a campaign's stages record what they decide: its outcome ledger, the {@code decided}
 * progress counter, and the campaign's end (deferrals past it become {@code expired}).
 *
 * <pre>{@code
 * Recording rec = new Recording(ledger, decided, spec.expiresAt());
 * rec.write(DecisionCore.suppression(snapshot, chunk, scopes));   // records, then counts
 * }</pre>
 *
 * <p>Every stage that removes ids from the stream records their outcome here before it emits
 * the rest, so every id leaves the stream with an outcome or is still carried by it. The ledger
 * is the campaign's own; its writes are serialised by the ledger.
 *
 * @param ledger    the campaign's outcome ledger
 * @param decided   incremented by the ids recorded with a final outcome or a deferral
 * @param expiresAt the campaign's end, or null for none
 */
public record Recording(OutcomeLedger ledger, LongAdder decided, Instant expiresAt) {

    /** @throws NullPointerException if the ledger or counter is null */
    public Recording {
        Objects.requireNonNull(ledger, "ledger");
        Objects.requireNonNull(decided, "decided");
    }

    /** Records a stage's decisions, then adds them to {@code decided}. @throws UncheckedIOException if the ledger fails */
    public void write(DecisionCore.Split split) {
        split.decided().forEach((outcome, ids) -> io(() -> ledger.record(outcome, ids)));
        decided.add(split.decidedCount());
    }

    /** A ledger write; an I/O failure fails the stream (the ledger then refuses further writes). */
    interface IoAction {
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
