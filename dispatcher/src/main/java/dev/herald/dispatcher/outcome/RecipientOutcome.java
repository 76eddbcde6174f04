package dev.herald.dispatcher.outcome;

import java.time.Instant;
import java.util.Objects;

/**
 * The recorded outcome of one recipient, as answered by {@link OutcomeLedger#outcomeOf(int)}:
 * e.g. {@code suppressed:global}, or {@code deferred} with the instant it waits for.
 *
 * @param outcome the outcome string (see {@link Outcomes})
 * @param deferredUntil the instant a deferred recipient is released (UTC, millisecond
 *     precision); null for every other outcome
 */
public record RecipientOutcome(String outcome, Instant deferredUntil) {

    /** @throws IllegalArgumentException if {@code deferredUntil} is set exactly when the outcome is not deferred */
    public RecipientOutcome {
        Objects.requireNonNull(outcome, "outcome");
        if (Outcomes.DEFERRED.equals(outcome) != (deferredUntil != null)) {
            throw new IllegalArgumentException("deferredUntil must be set exactly for deferred, got " + outcome + " / " + deferredUntil);
        }
    }

    /** Whether this outcome is final (everything but deferred). */
    public boolean isFinal() {
        return deferredUntil == null;
    }

    /** {@code sent}, or {@code deferred until 2026-11-23T07:00:00Z}. */
    @Override
    public String toString() {
        return deferredUntil == null ? outcome : outcome + " until " + deferredUntil;
    }
}
