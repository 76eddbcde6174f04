package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.throttle.Priority;
import dev.herald.throttle.RateLimiter;

import java.util.List;

/**
 * The rate-limit step of the send stage: the connector's token bucket, shared by every campaign,
 * transactional before marketing (or a campaign's own bucket within it, when the campaign has its
 * own tps: then a group takes its permits from both). A group of waiting messages takes its
 * permits (its messages' segments) in one {@link RateLimiter#tryAcquire} call: as many messages
 * as {@link RateLimiter#maxPermits} allows for the priority (marketing leaves the transactional
 * reserve alone); the rest follow in further groups. Times are the limiter's clock.
 *
 * <pre>{@code
 * int n = RateLimitStep.groupSize(limiter, Priority.MARKETING, waiting);
 * long waitNanos = RateLimitStep.tryAcquire(limiter, Priority.MARKETING, waiting.subList(0, n));
 * if (waitNanos > 0) retryAfter(waitNanos); else handOver(waiting.subList(0, n));
 * }</pre>
 *
 * <p>Plain Java; stateless (the limiter is thread-safe).
 */
public final class RateLimitStep {

    private RateLimitStep() {
    }

    /**
     * @param limiter  the connector's bucket, or a campaign's within it
     * @param priority the messages' priority
     * @param waiting  messages waiting, not empty
     * @return how many of the first waiting messages one acquisition may cover, ≥ 1 (a message
     *     longer than the burst still goes alone)
     */
    public static int groupSize(RateLimiter limiter, Priority priority, List<OutboundMessage> waiting) {
        int maxPermits = limiter.maxPermits(priority);
        int permits = waiting.get(0).segments();
        int end = 1;
        while (end < waiting.size() && permits + waiting.get(end).segments() <= maxPermits) {
            permits += waiting.get(end).segments();
            end++;
        }
        return end;
    }

    /**
     * Takes the group's permits if the bucket has them now. A group of one message of more parts
     * than the bucket can ever hold ({@link RateLimiter#maxPermits}) takes a full bucket: it
     * could never have more, and must not wait for ever (its extra parts go over the rate once).
     *
     * @return 0 if taken, else the nanoseconds to wait before asking again (nothing taken)
     */
    public static long tryAcquire(RateLimiter limiter, Priority priority, List<OutboundMessage> group) {
        int permits = 0;
        for (OutboundMessage m : group) {
            permits += m.segments();
        }
        return limiter.tryAcquire(priority, Math.min(permits, limiter.maxPermits(priority)));
    }
}
