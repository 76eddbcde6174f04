package dev.herald.dispatcher.connector;

/**
 * The simulated peer's own rate: a token bucket refilled at {@code ratePerSecond} up to
 * {@code burst}. Not the client-side {@link dev.herald.throttle.RateLimiter}: this is what
 * answers "throttled" when the client sends too fast.
 *
 * <p>Not thread-safe: {@link SimulatedConnector} calls it under its lock.
 */
final class PeerBucket {

    private final double nanosPerToken;
    private final int burst;
    private double tokens;
    private long last;

    /** @param ratePerSecond messages/s, {@link Double#POSITIVE_INFINITY} for no limit */
    PeerBucket(double ratePerSecond, int burst, long nowNanos) {
        this.nanosPerToken = Double.isInfinite(ratePerSecond) ? 0 : 1e9 / ratePerSecond;
        this.burst = burst;
        this.tokens = burst;
        this.last = nowNanos;
    }

    /** @return 0 after taking a token, else the nanoseconds until one is there (≥ 1) */
    long take(long nowNanos) {
        if (nanosPerToken == 0) {
            return 0;
        }
        tokens = Math.min(burst, tokens + Math.max(0, nowNanos - last) / nanosPerToken);
        last = Math.max(last, nowNanos);
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) * nanosPerToken));
    }
}
