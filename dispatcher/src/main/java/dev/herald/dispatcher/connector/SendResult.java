package dev.herald.dispatcher.connector;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The peer's answer to one {@link OutboundMessage}: accepted, failed for good, throttled, or
 * failed for now.
 *
 * <pre>{@code
 * if (result instanceof SendResult.Accepted a) ledger.sent(id, a.messageId());
 * else if (result.retryable()) retryLater(message);   // Throttled or TransientFailure
 * else ledger.failed(id, ((SendResult.Failed) result).reason());
 * }</pre>
 *
 * <p>Only {@link Accepted} means the peer took the message. {@link Throttled} and
 * {@link TransientFailure} mean it did not: the caller must send the same message again — never
 * drop it, never let later messages of the same recipient overtake it.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface SendResult {

    /** @return true for {@link Throttled} and {@link TransientFailure}: send the message again later */
    default boolean retryable() {
        return this instanceof Throttled || this instanceof TransientFailure;
    }

    /**
     * The peer accepted the message (SMPP submit_sm_resp OK, HTTP 2xx).
     *
     * @param messageId        the peer's id for the message, used to match delivery receipts
     * @param acceptedAtMillis when the acceptance was recorded, epoch milliseconds
     */
    record Accepted(String messageId, long acceptedAtMillis) implements SendResult {
        /** @throws NullPointerException if {@code messageId} is null */
        public Accepted {
            Objects.requireNonNull(messageId, "messageId");
        }
    }

    /**
     * The peer refused the message for good (invalid number, barred, content rejected): do not retry.
     *
     * @param reason short machine-readable reason, e.g. {@code invalid-destination}
     */
    record Failed(String reason) implements SendResult {
        /** @throws NullPointerException if {@code reason} is null */
        public Failed {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * The peer is over its rate (SMPP ESME_RTHROTTLED, HTTP 429). The message was not accepted.
     *
     * @param retryAfterNanos the peer's Retry-After in nanoseconds, or -1 if it gave none (the
     *                        value {@link dev.herald.throttle.RateLimiter#onThrottled} expects)
     */
    record Throttled(long retryAfterNanos) implements SendResult {
        /** @throws IllegalArgumentException if {@code retryAfterNanos} is below -1 */
        public Throttled {
            if (retryAfterNanos < -1) {
                throw new IllegalArgumentException("retryAfterNanos must be >= 0, or -1 for none: " + retryAfterNanos);
            }
        }

        /** @return the peer's Retry-After, if it gave one */
        public Optional<Duration> retryAfter() {
            return retryAfterNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(retryAfterNanos));
        }
    }

    /**
     * A failure that may pass (timeout, connection lost, peer busy). The message was not accepted
     * as far as the caller can tell.
     *
     * @param reason short machine-readable reason, e.g. {@code timeout}
     */
    record TransientFailure(String reason) implements SendResult {
        /** @throws NullPointerException if {@code reason} is null */
        public TransientFailure {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
