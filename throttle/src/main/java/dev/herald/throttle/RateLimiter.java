package dev.herald.throttle;

import java.util.function.LongSupplier;

/**
 * The token bucket of one connector, shared by every campaign that sends through it, with
 * transactional sends served before marketing and AIMD recovery after the peer throttles.
 *
 * <pre>{@code
 * RateLimiter limiter = new RateLimiter(RateLimit.of(500, 100), System::nanoTime);
 * long wait = limiter.tryAcquire(Priority.MARKETING, 1, System.nanoTime()); // 0 = go, else retry in wait ns
 * limiter.onThrottled(System.nanoTime(), retryAfterNanos);                   // SMPP ESME_RTHROTTLED, HTTP 429
 * }</pre>
 *
 * <p><b>Bucket.</b> Tokens accrue at the effective rate up to {@code burst}. A grant takes
 * {@code permits} tokens; a refusal returns the nanoseconds after which the same call would
 * succeed if nobody else took tokens (never 0).
 *
 * <p><b>Priority policy.</b> Marketing may take tokens only (a) while no refused transactional
 * call is still waiting for its tokens, and (b) if it leaves {@link RateLimit#reserveTokens()}
 * in the bucket. A refused transactional call records when its tokens will be there; until then
 * marketing is refused, so marketing never takes tokens a waiting transactional send needs, and
 * the reserve lets a transactional send arriving during a marketing blast go at once.
 * Marketing alone still gets the full sustained rate; only its burst is smaller.
 *
 * <p><b>Throttling.</b> {@link #onThrottled} pauses the connector (all priorities) for the
 * peer's Retry-After, or else a backoff doubling from {@code initialBackoff} to
 * {@code maxBackoff} on consecutive throttles; empties the bucket; and multiplies the effective
 * rate by {@code decreaseFactor} (never below {@code minRateShare}). After the pause the rate
 * grows back additively, {@code recoveryPerSecond × rate} per second, to the configured rate,
 * which resets the backoff. {@link #effectiveRate} reports it (0 while paused).
 *
 * <p>Times are {@link System#nanoTime()}-style nanoseconds from the caller (tests inject a
 * clock); every {@code nowNanos} must come from the same time base as the constructor's clock,
 * and a time earlier than one already seen is treated as that time.
 *
 * <p>Thread-safe: every method is {@code synchronized} (about 20 ns uncontended).
 */
public final class RateLimiter {

    private static final double NANOS = 1e9;

    private final RateLimit limit;
    private final LongSupplier clock;
    private final double burst;
    private final int reserve;
    private final double rate;
    private final double minRate;
    private final double recoveryPerNano;
    private double tokens;
    private double effectiveRate;
    private long last;
    private long pausedUntil = Long.MIN_VALUE;
    private long transactionalWaitUntil = Long.MIN_VALUE;
    private int consecutiveThrottles;

    /**
     * Creates a full bucket at the configured rate.
     *
     * @param limit the connector's limit
     * @param clock nanosecond clock for the convenience overloads, e.g. {@code System::nanoTime}
     */
    public RateLimiter(RateLimit limit, LongSupplier clock) {
        this.limit = limit;
        this.clock = clock;
        this.burst = limit.burst();
        this.reserve = limit.reserveTokens();
        this.rate = limit.ratePerSecond();
        this.minRate = rate * limit.minRateShare();
        this.recoveryPerNano = rate * limit.recoveryPerSecond() / NANOS;
        this.tokens = burst;
        this.effectiveRate = rate;
        this.last = clock.getAsLong();
    }

    /**
     * @param priority who asks
     * @param permits  messages, ≥ 1 and at most the burst (for marketing: burst − reserve)
     * @param nowNanos the current time
     * @return 0 if granted, else the nanoseconds to wait before retrying (≥ 1)
     * @throws IllegalArgumentException if {@code permits} is out of range or {@code priority} null
     */
    public synchronized long tryAcquire(Priority priority, int permits, long nowNanos) {
        boolean marketing = priority == Priority.MARKETING;
        if (priority == null || permits < 1 || permits > burst - (marketing ? reserve : 0)) {
            throw new IllegalArgumentException("permits must be in [1, " + (int) (burst - (marketing ? reserve : 0))
                    + "] for " + priority + ", got " + permits);
        }
        long now = advance(nowNanos);
        if (now < pausedUntil) {
            return pausedUntil - now;
        }
        if (marketing && now < transactionalWaitUntil) {
            return transactionalWaitUntil - now;
        }
        double need = marketing ? permits + reserve : permits;
        if (tokens >= need) {
            tokens -= permits;
            return 0;
        }
        long wait = Math.max(1, (long) Math.ceil((need - tokens) / effectiveRate * NANOS));
        if (!marketing) {
            transactionalWaitUntil = Math.max(transactionalWaitUntil, now + wait);
        }
        return wait;
    }

    /** {@link #tryAcquire(Priority, int, long)} at the clock's time. */
    public long tryAcquire(Priority priority, int permits) {
        return tryAcquire(priority, permits, clock.getAsLong());
    }

    /**
     * The connector reported throttling: pause, empty the bucket, lower the rate.
     *
     * @param nowNanos         the current time
     * @param retryAfterNanos  the peer's Retry-After in nanoseconds, or a negative value if it gave none
     */
    public synchronized void onThrottled(long nowNanos, long retryAfterNanos) {
        long now = advance(nowNanos);
        consecutiveThrottles = Math.min(consecutiveThrottles + 1, 62);
        long backoff;
        if (retryAfterNanos >= 0) {
            backoff = retryAfterNanos;
        } else {
            long initial = limit.initialBackoff().toNanos();
            long max = limit.maxBackoff().toNanos();
            int doublings = consecutiveThrottles - 1;
            backoff = doublings >= Long.numberOfLeadingZeros(initial) - 1 ? max : Math.min(max, initial << doublings);
        }
        pausedUntil = Math.max(pausedUntil, now + backoff);
        tokens = 0;
        effectiveRate = Math.max(minRate, effectiveRate * limit.decreaseFactor());
    }

    /**
     * @param nowNanos the current time
     * @return the rate now granted, messages/s: 0 while paused, else between the floor and the configured rate
     */
    public synchronized double effectiveRate(long nowNanos) {
        long now = advance(nowNanos);
        return now < pausedUntil ? 0 : effectiveRate;
    }

    /**
     * @param nowNanos the current time
     * @return the nanoseconds the connector stays paused, 0 if it is not
     */
    public synchronized long pausedFor(long nowNanos) {
        long now = advance(nowNanos);
        return Math.max(0, pausedUntil - now);
    }

    /** @return the configured limit */
    public RateLimit limit() {
        return limit;
    }

    /** Accrues tokens (nothing while paused) and ramps the rate back up; returns the effective now. */
    private long advance(long nowNanos) {
        long now = Math.max(nowNanos, last);
        long from = Math.max(last, pausedUntil);
        if (now > from) {
            double elapsed = now - from;
            tokens = Math.min(burst, tokens + elapsed * effectiveRate / NANOS);
            if (effectiveRate < rate) {
                effectiveRate = Math.min(rate, effectiveRate + elapsed * recoveryPerNano);
                if (effectiveRate == rate) {
                    consecutiveThrottles = 0;
                }
            }
        }
        last = now;
        return now;
    }
}
