package dev.herald.dispatcher.connector;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The peer's answer to one {@link OutboundMessage}: accepted, failed for good, throttled, failed
 * for now, or unconfirmed (no answer: the peer may have it).
 *
 * <pre>{@code
 * if (result instanceof SendResult.Accepted a) ledger.sent(id, a.messageId());
 * else if (result.retryable()) retryLater(message);   // Throttled or TransientFailure
 * else ledger.failed(id, ((SendResult.Failed) result).reason());
 * }</pre>
 *
 * <p>Only {@link Accepted} means the peer took the message. {@link Throttled} and
 * {@link TransientFailure} mean it did not: the caller must send the same message again — never
 * drop it, never let later messages of the same recipient overtake it. {@link Unconfirmed} means
 * the answer never came (a timeout, a connection lost after the request was written): the peer
 * may have taken it, so it is never sent again — the recipient's outcome is {@code unknown}, as
 * after a crash.
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
    record Accepted(String messageId, long acceptedAtMillis, List<String> partIds) implements SendResult {
        /**
         * @param messageId        the peer's id (of the first part)
         * @param acceptedAtMillis when, epoch milliseconds
         * @param partIds          every part's id in order (SMPP answers each part of a
         *                         concatenated message with its own id), the first being {@code messageId}
         * @throws NullPointerException     if an id is null
         * @throws IllegalArgumentException if {@code partIds} is empty or does not start with {@code messageId}
         */
        public Accepted {
            Objects.requireNonNull(messageId, "messageId");
            partIds = List.copyOf(partIds);
            if (partIds.isEmpty() || !partIds.get(0).equals(messageId)) {
                throw new IllegalArgumentException("partIds must start with the message id " + messageId + ": " + partIds);
            }
        }

        /** Accepted as one part. */
        public Accepted(String messageId, long acceptedAtMillis) {
            this(messageId, acceptedAtMillis, List.of(Objects.requireNonNull(messageId, "messageId")));
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

    /**
     * No answer came, though the request went out (SMPP: no {@code submit_sm_resp} within the
     * response timeout, or the session broke while waiting; a later part of a concatenated
     * message refused after earlier parts were taken): the peer may have taken it. Never sent
     * again; the recipient's outcome is {@code unknown}.
     *
     * @param reason short machine-readable reason, e.g. {@code timeout}, {@code connection-lost}
     */
    record Unconfirmed(String reason) implements SendResult {
        /** @throws NullPointerException if {@code reason} is null */
        public Unconfirmed {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
