package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.outcome.Outcome;

/**
 * One recipient's answer from the send stage: a final {@link Outcome} (or {@link Outcome.Deferred}
 * when quiet hours closed before its hand-over), or {@link #returned() returned}: stopped before
 * the hand-over, so un-claimed (pending again) and its cap reservation released.
 *
 * @param recipientId the recipient
 * @param stamp       its cap reservation stamp
 * @param outcome     the answer, or null when returned
 * @param claimed     whether the id is claimed in the ledger (with just-in-time claims, an id
 *                    decided before its group's claim is not)
 * @param recorded    whether the send stage wrote the answer to the ledger already (with
 *                    just-in-time claims it does so for claimed ids before it frees their window
 *                    slots); the record stage then only settles the cap reservation
 */
public record Delivery(int recipientId, long stamp, Outcome outcome, boolean claimed, boolean recorded) {

    /** An answer not recorded yet. */
    public static Delivery of(int recipientId, long stamp, Outcome outcome, boolean claimed) {
        return new Delivery(recipientId, stamp, java.util.Objects.requireNonNull(outcome, "outcome"), claimed, false);
    }

    /** A recipient given back unsent because the run stops, not recorded yet. */
    public static Delivery returned(int recipientId, long stamp, boolean claimed) {
        return new Delivery(recipientId, stamp, null, claimed, false);
    }

    /** @return whether the recipient was given back unsent (pending again), not decided */
    public boolean returned() {
        return outcome == null;
    }

    /** @return whether the answer is {@code sent} (the cap reservation is confirmed; any other releases it) */
    public boolean sent() {
        return outcome instanceof Outcome.Sent;
    }
}
