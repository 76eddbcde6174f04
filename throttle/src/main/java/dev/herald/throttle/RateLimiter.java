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
 * <p><b>Within a shared bucket.</b> A bucket made {@linkplain #RateLimiter(RateLimit, RateLimiter)
 * within} another (a campaign's own rate within its connector's bucket) grants only what both
 * grant: a call takes its permits from this bucket and from the shared one, or from neither. It
 * asks the shared one only once its own tokens are there, so a refusal by either takes nothing
 * from either, and a transactional call records its wait in the shared bucket only when it
 * really waits for the shared tokens. The wait returned is the longer of the two. Throttling
 * answers go to the shared bucket, which every bucket within it then feels.
 *
 * <pre>{@code
 * RateLimiter campaign = new RateLimiter(RateLimit.of(100, 5), connectorLimiter); // ≤ 100/s and ≤ the connector's rate
 * }</pre>
 *
 * <p>Times are {@link System#nanoTime()}-style nanoseconds from the caller (tests inject a
 * clock); every {@code nowNanos} must come from the same time base as the constructor's clock
 * (a bucket within another uses the other's clock), and a time earlier than one already seen is
 * treated as that time.
 *
 * <p>Thread-safe: each bucket's state is guarded by its monitor (about 20 ns uncontended). A
 * bucket within another holds its own lock while it takes the shared one's, never the other way
 * round, so nesting cannot deadlock; a grant from both is atomic.
 */
public final class RateLimiter {

    private static final double NANOS = 1e9;

    private final RateLimit limit;
    private final LongSupplier clock;
    /** The bucket this one is within, or null; immutable, so the lock order (this, then shared) has no cycle. */
    private final RateLimiter shared;
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
        this(limit, clock, null);
    }

    /**
     * Creates a full bucket within {@code shared}: every grant also takes its permits from
     * {@code shared}, and waits for them as it does. Uses {@code shared}'s clock.
     *
     * @param limit  this bucket's own limit, e.g. a campaign's rate
     * @param shared the bucket every grant must also come from, e.g. the connector's
     * @throws IllegalArgumentException if {@code shared} is null
     */
    public RateLimiter(RateLimit limit, RateLimiter shared) {
        this(limit, requireShared(shared).clock, shared);
    }

    private RateLimiter(RateLimit limit, LongSupplier clock, RateLimiter shared) {
        this.limit = limit;
        this.clock = clock;
        this.shared = shared;
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
     * Takes {@code permits} tokens if this bucket (and the shared one it is within, if any) has
     * them now; otherwise takes nothing.
     *
     * @param priority who asks
     * @param permits  messages, ≥ 1 and at most {@link #maxPermits(Priority)}
     * @param nowNanos the current time
     * @return 0 if granted, else the nanoseconds to wait before retrying (≥ 1)
     * @throws IllegalArgumentException if {@code permits} is out of range or {@code priority} null
     */
    public long tryAcquire(Priority priority, int permits, long nowNanos) {
        int max = priority == null ? 0 : maxPermits(priority);
        if (priority == null || permits < 1 || permits > max) {
            throw new IllegalArgumentException("permits must be in [1, " + max + "] for " + priority + ", got " + permits);
        }
        return acquire(priority, permits, nowNanos);
    }

    /**
     * @param priority who asks
     * @return the most permits one {@link #tryAcquire} may ask for: the burst, less the
     *     transactional reserve for marketing; within a shared bucket, the smaller of the two
     * @throws NullPointerException if {@code priority} is null
     */
    public int maxPermits(Priority priority) {
        int own = (int) (burst - (priority.equals(Priority.MARKETING) ? reserve : 0));
        return shared == null ? own : Math.min(own, shared.maxPermits(priority));
    }

    /** Own tokens first, then the shared bucket's; the own ones are taken only once both granted. */
    private synchronized long acquire(Priority priority, int permits, long nowNanos) {
        long own = refusal(priority, permits, nowNanos, true);
        if (own > 0) {
            return shared == null ? own : Math.max(own, shared.peek(priority, permits, nowNanos));
        }
        if (shared != null) {
            long wait = shared.acquire(priority, permits, nowNanos);
            if (wait > 0) {
                return wait;
            }
        }
        tokens -= permits;
        return 0;
    }

    /** What {@link #acquire} would answer now, taking and recording nothing. */
    private synchronized long peek(Priority priority, int permits, long nowNanos) {
        long own = refusal(priority, permits, nowNanos, false);
        return shared == null ? own : Math.max(own, shared.peek(priority, permits, nowNanos));
    }

    /**
     * This bucket alone: 0 if it could grant now (nothing taken), else the wait. A refused
     * transactional call's wait holds marketing back only if {@code record}. The caller holds
     * this bucket's lock.
     */
    private long refusal(Priority priority, int permits, long nowNanos, boolean record) {
        boolean marketing = priority == Priority.MARKETING;
        long now = advance(nowNanos);
        if (now < pausedUntil) {
            return pausedUntil - now;
        }
        if (marketing && now < transactionalWaitUntil) {
            return transactionalWaitUntil - now;
        }
        double need = marketing ? permits + reserve : permits;
        if (tokens >= need) {
            return 0;
        }
        long wait = Math.max(1, (long) Math.ceil((need - tokens) / effectiveRate * NANOS));
        if (!marketing && record) {
            transactionalWaitUntil = Math.max(transactionalWaitUntil, now + wait);
        }
        return wait;
    }

    /** {@link #tryAcquire(Priority, int, long)} at the clock's time. */
    public long tryAcquire(Priority priority, int permits) {
        return tryAcquire(priority, permits, clock.getAsLong());
    }

    /**
     * The connector reported throttling: pause, empty the bucket, lower the rate. Within a shared
     * bucket, that is done to the shared one (the peer's answer is about the connector); this
     * bucket keeps its own tokens and rate.
     *
     * @param nowNanos         the current time
     * @param retryAfterNanos  the peer's Retry-After in nanoseconds, or a negative value if it gave none
     */
    public void onThrottled(long nowNanos, long retryAfterNanos) {
        if (shared != null) {
            shared.onThrottled(nowNanos, retryAfterNanos);
            return;
        }
        throttled(nowNanos, retryAfterNanos);
    }

    private synchronized void throttled(long nowNanos, long retryAfterNanos) {
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
     * @return the rate now granted, messages/s: 0 while paused, else between the floor and the
     *     configured rate; within a shared bucket, the smaller of the two
     */
    public synchronized double effectiveRate(long nowNanos) {
        long now = advance(nowNanos);
        double own = now < pausedUntil ? 0 : effectiveRate;
        return shared == null ? own : Math.min(own, shared.effectiveRate(nowNanos));
    }

    /**
     * @param nowNanos the current time
     * @return the nanoseconds the connector stays paused, 0 if it is not; within a shared
     *     bucket, the longer of the two
     */
    public synchronized long pausedFor(long nowNanos) {
        long now = advance(nowNanos);
        long own = now < pausedUntil ? pausedUntil - now : 0; // never paused: MIN_VALUE - now would wrap
        return shared == null ? own : Math.max(own, shared.pausedFor(nowNanos));
    }

    /** @return this bucket's configured limit (not the shared one's) */
    public RateLimit limit() {
        return limit;
    }

    /** @return the bucket this one is within, or null */
    public RateLimiter shared() {
        return shared;
    }

    private static RateLimiter requireShared(RateLimiter shared) {
        if (shared == null) {
            throw new IllegalArgumentException("a bucket within a shared one needs that shared bucket, got null");
        }
        return shared;
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
