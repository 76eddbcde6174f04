package dev.herald.throttle;

/**
 * Who a {@link RateLimiter} serves first: transactional sends (OTPs, receipts, opt-out
 * confirmations) before marketing.
 *
 * <p>{@code limiter.tryAcquire(Priority.TRANSACTIONAL, 1, System.nanoTime());}
 *
 * <p>Immutable and thread-safe.
 */
public enum Priority {
    /** Served first: may use every token, including the reserve marketing must leave. */
    TRANSACTIONAL,
    /** Served only from tokens above the transactional reserve, and never while a transactional send waits. */
    MARKETING
}
