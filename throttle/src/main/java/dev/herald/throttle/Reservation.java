package dev.herald.throttle;

import java.time.Instant;

/**
 * The answer of {@link SendLedger#reserve(int, CapContext, Instant)} for one recipient.
 *
 * <pre>{@code
 * Reservation r = ledger.reserve(id, ctx, now);
 * if (r.isReserved()) { send(); ledger.confirm(id, r.stamp()); }
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param outcome what happened
 * @param rule    the rule hit ({@value SendLedger#LEDGER_FULL} when all slots are live), or null
 * @param until   for {@link Outcome#DEFERRED}, the first instant the windows hit have room; else null
 * @param stamp   for {@link Outcome#RESERVED}, the reservation stamp for confirm/release; else 0
 */
public record Reservation(Outcome outcome, String rule, Instant until, long stamp) {

    /** What a check-and-reserve did. */
    public enum Outcome {
        /** Counted in the ledger now; confirm or release it. */
        RESERVED,
        /** A drop rule was hit (or the ledger record was full); nothing counted. */
        CAPPED,
        /** Only defer rules were hit; retry at {@link #until()}; nothing counted. */
        DEFERRED
    }

    /** @return whether the send may go out */
    public boolean isReserved() {
        return outcome == Outcome.RESERVED;
    }

    /** @return {@code capped:<rule>} for a capped recipient, else null */
    public String reason() {
        return outcome == Outcome.CAPPED ? "capped:" + rule : null;
    }
}
