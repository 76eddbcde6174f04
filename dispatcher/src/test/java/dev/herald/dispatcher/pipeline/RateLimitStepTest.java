package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.render.Encoding;
import dev.herald.throttle.Priority;
import dev.herald.throttle.RateLimit;
import dev.herald.throttle.RateLimiter;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** A group takes as many messages' segments as the burst allows, marketing leaving the transactional reserve. */
class RateLimitStepTest {

    private static OutboundMessage message(int id, int segments, Priority priority) {
        return new OutboundMessage("c", id, "+4474001" + String.format("%05d", id), "demo", "hi", Encoding.GSM_7, segments,
                priority, "sms");
    }

    private static List<OutboundMessage> messages(int n, int segments, Priority priority) {
        List<OutboundMessage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(message(i, segments, priority));
        }
        return out;
    }

    @Test
    void shouldCutAGroupAtTheBurstLessTheTransactionalReserveForMarketing() {
        // burst 10, 20 % reserve: marketing may take 8 permits at once, transactional 10
        RateLimiter limiter = new RateLimiter(RateLimit.of(100, 10), System::nanoTime);
        assertEquals(2, limiter.limit().reserveTokens());
        assertEquals(4, RateLimitStep.groupSize(limiter, Priority.MARKETING, messages(9, 2, Priority.MARKETING)));
        assertEquals(5, RateLimitStep.groupSize(limiter, Priority.TRANSACTIONAL, messages(9, 2, Priority.TRANSACTIONAL)));
        assertEquals(1, RateLimitStep.groupSize(limiter, Priority.MARKETING, messages(3, 12, Priority.MARKETING)),
                "a message longer than the burst still goes, alone");
        assertEquals(3, RateLimitStep.groupSize(limiter, Priority.MARKETING, messages(3, 1, Priority.MARKETING)));
    }

    @Test
    void shouldTakeTheGroupsSegmentsOrSayHowLongToWait() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RateLimiter limiter = new RateLimiter(RateLimit.of(10, 10), now::get);
        List<OutboundMessage> group = messages(4, 2, Priority.TRANSACTIONAL);
        assertEquals(0, RateLimitStep.tryAcquire(limiter, Priority.TRANSACTIONAL, group), "8 of 10 permits");
        long wait = RateLimitStep.tryAcquire(limiter, Priority.TRANSACTIONAL, group);
        assertTrue(wait > 0, "only 2 left: wait for 6 more at 10/s, got " + wait);
    }
    @Test
    void shouldCutAndTakeAGroupThatFitsBothACampaignsBucketAndItsConnectors() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RateLimiter connector = new RateLimiter(RateLimit.of(10, 10), now::get); // marketing: 8 at once
        RateLimiter campaign = new RateLimiter(new RateLimit(1_000, 50, 0, java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(60), 0.5, 0.1, 0.05), connector);
        List<OutboundMessage> waiting = messages(20, 1, Priority.MARKETING);
        assertEquals(8, RateLimitStep.groupSize(campaign, Priority.MARKETING, waiting), "the connector's 8, not the campaign's 50");
        assertEquals(0, RateLimitStep.tryAcquire(campaign, Priority.MARKETING, waiting.subList(0, 8)));
        assertEquals(100_000_000L, RateLimitStep.tryAcquire(campaign, Priority.MARKETING, waiting.subList(0, 1)),
                "the connector's bucket is down to its reserve: 100 ms at 10/s, on the limiter's clock");
        now.addAndGet(100_000_000L);
        assertEquals(0, RateLimitStep.tryAcquire(campaign, Priority.MARKETING, waiting.subList(0, 1)));
    }

    @Test
    void aMessageOfMorePartsThanTheBucketHoldsTakesAFullBucketInsteadOfFailing() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RateLimiter limiter = new RateLimiter(RateLimit.of(10, 10), now::get); // marketing: 8 at once
        List<OutboundMessage> longOne = messages(1, 12, Priority.MARKETING);
        assertEquals(1, RateLimitStep.groupSize(limiter, Priority.MARKETING, longOne));
        assertEquals(0, RateLimitStep.tryAcquire(limiter, Priority.MARKETING, longOne), "goes with the 8 it can have");
        assertTrue(RateLimitStep.tryAcquire(limiter, Priority.MARKETING, longOne) > 0, "the bucket is down to its reserve");
        now.addAndGet(800_000_000L);
        assertEquals(0, RateLimitStep.tryAcquire(limiter, Priority.MARKETING, longOne), "full again after 0.8 s at 10/s");
    }
}
