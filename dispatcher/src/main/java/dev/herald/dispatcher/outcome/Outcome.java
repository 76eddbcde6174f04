package dev.herald.dispatcher.outcome;

import java.time.Instant;
import java.util.Objects;

/**
 * What happened to one recipient of a campaign, typed: the values the pipeline decides, the
 * outcome ledger records, the API and the events stream show, the metrics count and the preview
 * predicts. Each has one wire form ({@link #wire()}, e.g. {@code suppressed:global}), read back
 * by {@link #parse}; each belongs to one {@link Family}.
 *
 * <pre>{@code
 * Outcome o = new Outcome.Suppressed("global");
 * ledger.record(o, ids);                      // stored as "suppressed:global"
 * Outcome.parse("capped:daily").family();     // Family.CAPPED
 * if (o instanceof Outcome.Suppressed s) explain(s.scope());
 * }</pre>
 *
 * <p>Reasons (scope, rule, failure reason) are 1..{@value Outcomes#MAX_REASON} chars without
 * whitespace or control characters. Every outcome but {@link Deferred} is final. New outcomes of
 * later stages (delivered, clicked, converted, …) are added as records here, each with its family.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface Outcome {

    /** @return the wire form: what the ledger stores and the API shows */
    String wire();

    /** @return the family the API and the preview count it in */
    Family family();

    /** @return whether the outcome is final (everything but {@link Deferred}) */
    default boolean isFinal() {
        return true;
    }

    /**
     * @return the outcome as the ledger records it, without per-recipient detail (a {@link Sent}
     *     without its message id): group recipients by this, so that one ledger record carries them all
     */
    default Outcome asRecorded() {
        return this;
    }

    /** @return whether it may only be recorded for claimed recipients ({@link Sent}, {@link Failed}) */
    default boolean needsClaim() {
        return false;
    }

    /**
     * The outcome families, in the order the API lists them. Defined here once; the API adds the
     * states {@code pending} and {@code inFlight}, the preview {@code sendNow}.
     */
    enum Family {
        SENT("sent"), SUPPRESSED("suppressed"), DEFERRED("deferred"), CAPPED("capped"), FAILED("failed"),
        UNKNOWN("unknown"), EXPIRED("expired"), HELD("held");

        private final String wire;

        Family(String wire) {
            this.wire = wire;
        }

        /** @return the family's name in the API, e.g. {@code suppressed} */
        public String wire() {
            return wire;
        }

        /**
         * The family of a stored outcome string; a string that is not an outcome counts as
         * {@code failed} (a stored value Herald does not understand is never shown as a success).
         */
        public static Family of(String outcome) {
            try {
                return parse(outcome).family();
            } catch (IllegalArgumentException e) {
                return FAILED;
            }
        }
    }

    /**
     * Handed to the connector, which accepted it.
     *
     * @param messageId the peer's id for the message (for delivery receipts), or null where only
     *                  the fact is known (a ledger read back: the wire form carries no id)
     */
    record Sent(String messageId) implements Outcome {
        /** Sent, message id not known. */
        public static final Sent ANY = new Sent(null);

        @Override
        public String wire() {
            return Outcomes.SENT;
        }

        @Override
        public Outcome asRecorded() {
            return ANY;
        }

        @Override
        public Family family() {
            return Family.SENT;
        }

        @Override
        public boolean needsClaim() {
            return true;
        }
    }

    /** Not sent: suppressed in {@code scope} (an opt-out, a block). */
    record Suppressed(String scope) implements Outcome {
        /** @throws IllegalArgumentException if the scope is not a valid reason */
        public Suppressed {
            Outcomes.checkReason(scope);
        }

        @Override
        public String wire() {
            return Outcomes.SUPPRESSED_PREFIX + scope;
        }

        @Override
        public Family family() {
            return Family.SUPPRESSED;
        }
    }

    /** Not yet: held back by an A/B test until its decision, then sent the chosen variant (or not at all). */
    enum Held implements Outcome {
        INSTANCE;

        @Override
        public String wire() {
            return Outcomes.HELD;
        }

        @Override
        public Family family() {
            return Family.HELD;
        }

        @Override
        public boolean isFinal() {
            return false;
        }
    }

    /**
     * Not yet: waits until {@code until} (quiet hours, a deferring cap), then is decided again.
     * The wire form is {@code deferred}; the instant is kept beside it (the ledger's defer record).
     */
    record Deferred(Instant until) implements Outcome {
        /** @throws NullPointerException if {@code until} is null */
        public Deferred {
            Objects.requireNonNull(until, "until");
        }

        @Override
        public String wire() {
            return Outcomes.DEFERRED;
        }

        @Override
        public Family family() {
            return Family.DEFERRED;
        }

        @Override
        public boolean isFinal() {
            return false;
        }
    }

    /** Not sent: over the frequency cap {@code rule}. */
    record Capped(String rule) implements Outcome {
        /** @throws IllegalArgumentException if the rule is not a valid reason */
        public Capped {
            Outcomes.checkReason(rule);
        }

        @Override
        public String wire() {
            return Outcomes.CAPPED_PREFIX + rule;
        }

        @Override
        public Family family() {
            return Family.CAPPED;
        }
    }

    /** Not sent: the peer refused it for good, or it could not be prepared (e.g. {@code unknown-recipient}). */
    record Failed(String reason) implements Outcome {
        /** @throws IllegalArgumentException if the reason is not valid */
        public Failed {
            Outcomes.checkReason(reason);
        }

        @Override
        public String wire() {
            return Outcomes.FAILED_PREFIX + reason;
        }

        @Override
        public Family family() {
            return Family.FAILED;
        }

        @Override
        public boolean needsClaim() {
            return true;
        }
    }

    /** Claimed, then a crash before the answer was recorded: the peer may have it; never resent by itself. */
    record Unknown() implements Outcome {
        /** The one value. */
        public static final Unknown INSTANCE = new Unknown();

        @Override
        public String wire() {
            return Outcomes.UNKNOWN;
        }

        @Override
        public Family family() {
            return Family.UNKNOWN;
        }
    }

    /**
     * Not sent: the campaign ended first ({@code reason} null), or waiting cannot help
     * ({@code reason} {@code never-open}: quiet hours never open in all the recipient's zones).
     */
    record Expired(String reason) implements Outcome {
        /** Expired at the campaign's end. */
        public static final Expired AT_END = new Expired(null);
        /** Never sendable under the quiet-hours policy. */
        public static final Expired NEVER_OPEN = new Expired("never-open");

        /** @throws IllegalArgumentException if a reason is given and not valid */
        public Expired {
            if (reason != null) {
                Outcomes.checkReason(reason);
            }
        }

        @Override
        public String wire() {
            return reason == null ? Outcomes.EXPIRED : Outcomes.EXPIRED_PREFIX + reason;
        }

        @Override
        public Family family() {
            return Family.EXPIRED;
        }
    }

    /**
     * Reads a wire form back. {@code deferred} reads as {@link Deferred} at {@link Instant#EPOCH}
     * (the instant is not part of the wire form); {@code sent} as {@link Sent#ANY}.
     *
     * @throws IllegalArgumentException naming the value if it is not an outcome
     */
    static Outcome parse(String wire) {
        Outcomes.check(wire);
        return switch (wire) {
            case Outcomes.SENT -> Sent.ANY;
            case Outcomes.DEFERRED -> new Deferred(Instant.EPOCH);
            case Outcomes.HELD -> Held.INSTANCE;
            case Outcomes.EXPIRED -> Expired.AT_END;
            case Outcomes.UNKNOWN -> Unknown.INSTANCE;
            default -> {
                int colon = wire.indexOf(':');
                String reason = wire.substring(colon + 1);
                yield switch (wire.substring(0, colon + 1)) {
                    case Outcomes.SUPPRESSED_PREFIX -> new Suppressed(reason);
                    case Outcomes.CAPPED_PREFIX -> new Capped(reason);
                    case Outcomes.FAILED_PREFIX -> new Failed(reason);
                    case Outcomes.EXPIRED_PREFIX -> new Expired(reason);
                    default -> throw new IllegalArgumentException("unknown outcome '" + wire + "'");
                };
            }
        };
    }
}
