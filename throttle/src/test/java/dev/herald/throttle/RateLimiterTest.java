package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** Token bucket, priority, throttling pause and AIMD recovery, on an injected clock. */
class RateLimiterTest {
    private static final long SECOND = 1_000_000_000L;
    private long now = 1_000 * SECOND;

    private RateLimiter limiter(RateLimit limit) {
        return new RateLimiter(limit, () -> now);
    }

    @Test
    void shouldGrantTheBurstAtOnceThenOneTokenPerRateInterval() {
        RateLimiter l = limiter(RateLimit.of(100, 50));
        for (int i = 0; i < 50; i++) {
            assertEquals(0, l.tryAcquire(Priority.TRANSACTIONAL, 1, now), "burst permit " + i);
        }
        long wait = l.tryAcquire(Priority.TRANSACTIONAL, 1, now);
        assertEquals(SECOND / 100, wait, "one token takes 10 ms at 100/s");
        assertTrue(l.tryAcquire(Priority.TRANSACTIONAL, 1, now + wait - 1) > 0);
        assertEquals(0, l.tryAcquire(Priority.TRANSACTIONAL, 1, now + wait));
    }

    @Test
    void shouldHoldTheConfiguredRateOverTime() {
        RateLimiter l = limiter(RateLimit.of(250, 10));
        long granted = 0;
        long end = now + 10 * SECOND;
        while (now < end) {
            long w = l.tryAcquire(Priority.MARKETING, 1, now);
            if (w == 0) {
                granted++;
            } else {
                now += w;
            }
        }
        // 10 s at 250/s, plus the marketing share of the initial burst (10 minus a reserve of 2)
        assertTrue(Math.abs(granted - 2_508) <= 2, "granted " + granted);
    }

    @Test
    void shouldKeepTheReserveForTransactionalAndServeAWaitingTransactionalFirst() {
        RateLimiter l = limiter(RateLimit.of(10, 10)); // reserve = 2
        for (int i = 0; i < 8; i++) {
            assertEquals(0, l.tryAcquire(Priority.MARKETING, 1, now));
        }
        assertEquals(SECOND / 10, l.tryAcquire(Priority.MARKETING, 1, now), "marketing must leave the reserve");
        assertEquals(0, l.tryAcquire(Priority.TRANSACTIONAL, 2, now), "transactional takes the reserve at once");

        long txWait = l.tryAcquire(Priority.TRANSACTIONAL, 3, now);
        assertEquals(3 * SECOND / 10, txWait);
        now += 2 * SECOND / 10;
        assertEquals(SECOND / 10, l.tryAcquire(Priority.MARKETING, 1, now), "marketing waits behind the transactional send");
        now += SECOND / 10;
        assertEquals(0, l.tryAcquire(Priority.TRANSACTIONAL, 3, now), "its tokens were kept for it");
        assertThrows(IllegalArgumentException.class, () -> l.tryAcquire(Priority.MARKETING, 9, now));
        assertThrows(IllegalArgumentException.class, () -> l.tryAcquire(Priority.TRANSACTIONAL, 0, now));
    }

    @Test
    void shouldPauseOnThrottlingWithDoublingBackoffThenRampBackToTheConfiguredRate() {
        RateLimiter l = limiter(RateLimit.of(100, 100));
        l.onThrottled(now, -1);
        assertEquals(SECOND, l.pausedFor(now), "initial backoff");
        assertEquals(0.0, l.effectiveRate(now));
        assertEquals(SECOND, l.tryAcquire(Priority.TRANSACTIONAL, 1, now), "paused for everyone");
        now += SECOND;
        assertEquals(50.0, l.effectiveRate(now), 1e-9, "halved");
        l.onThrottled(now, -1);
        assertEquals(2 * SECOND, l.pausedFor(now), "backoff doubles on a consecutive throttle");
        now += 2 * SECOND;
        assertEquals(25.0, l.effectiveRate(now), 1e-9);
        assertEquals(SECOND / 25, l.tryAcquire(Priority.TRANSACTIONAL, 1, now), "the bucket was emptied");
        now += 3 * SECOND;
        assertEquals(55.0, l.effectiveRate(now), 1e-6, "additive recovery: 10/s per second");
        now += 5 * SECOND;
        assertEquals(100.0, l.effectiveRate(now), 1e-9, "back to the configured rate, never above");
        l.onThrottled(now, -1);
        assertEquals(SECOND, l.pausedFor(now), "full recovery resets the backoff");
    }

    @Test
    void shouldHonourRetryAfterAndNeverDropBelowTheFloor() {
        RateLimiter l = limiter(RateLimit.of(100, 100));
        l.onThrottled(now, 30 * SECOND);
        assertEquals(30 * SECOND, l.pausedFor(now));
        for (int i = 0; i < 20; i++) {
            l.onThrottled(now, 0);
        }
        now += 30 * SECOND;
        assertEquals(5.0, l.effectiveRate(now), 1e-9, "floor: 5% of the rate");
        assertEquals(0, l.pausedFor(now));
    }

    @Test
    void shouldReadPerConnectorOverridesAndNameTheBadKey() {
        Config c = ConfigFactory.parseString("herald.rate-limits.connectors { smpp-main { rate = 500, burst = 200 } }")
                .withFallback(ConfigFactory.defaultReference());
        RateLimit smpp = RateLimit.fromConfig(c, "smpp-main");
        assertEquals(500, smpp.ratePerSecond());
        assertEquals(200, smpp.burst());
        assertEquals(Duration.ofSeconds(60), smpp.maxBackoff());
        assertEquals(100, RateLimit.fromConfig(c, "http-other").ratePerSecond());

        Config bad = ConfigFactory.parseString("herald.rate-limits.connectors { smpp-main { transactional-reserve = 1.5 } }")
                .withFallback(ConfigFactory.defaultReference());
        ConfigException e = assertThrows(ConfigException.class, () -> RateLimit.fromConfig(bad, "smpp-main"));
        assertTrue(e.getMessage().contains("herald.rate-limits.connectors.\"smpp-main\".transactional-reserve"), e.getMessage());
    }
    /** A campaign's own limit: as {@link RateLimit#of}, without a transactional reserve. */
    private static RateLimit own(double rate, int burst) {
        return new RateLimit(rate, burst, 0.0, Duration.ofSeconds(1), Duration.ofSeconds(60), 0.5, 0.1, 0.05);
    }

    @Test
    void shouldGrantWithinASharedBucketOnlyWhatBothGrant() {
        RateLimiter shared = limiter(RateLimit.of(50, 10)); // marketing: 8 at once, then 50/s
        RateLimiter fast = new RateLimiter(own(1_000, 50), shared);
        assertEquals(8, fast.maxPermits(Priority.MARKETING), "a group must fit both buckets");
        assertEquals(10, fast.maxPermits(Priority.TRANSACTIONAL));
        int granted = 0;
        long end = now + 10 * SECOND;
        while (now <= end) {
            long w = fast.tryAcquire(Priority.MARKETING, 1);
            if (w == 0) {
                granted++;
            } else {
                now += w;
            }
        }
        assertTrue(Math.abs(granted - (8 + 500)) <= 1, "the connector's 50/s, not the campaign's 1,000/s: " + granted);

        RateLimiter shared2 = limiter(RateLimit.of(50, 10));
        RateLimiter slow = new RateLimiter(own(20, 2), shared2);
        granted = 0;
        end = now + 10 * SECOND;
        while (now <= end) {
            long w = slow.tryAcquire(Priority.MARKETING, 1);
            if (w == 0) {
                granted++;
            } else {
                now += w;
            }
        }
        assertTrue(Math.abs(granted - (2 + 200)) <= 1, "the campaign's own 20/s: " + granted);
    }

    @Test
    void shouldTakeNothingFromTheSharedBucketWhenTheOwnOneRefuses() {
        RateLimiter shared = limiter(RateLimit.of(100, 10)); // marketing may take 8
        RateLimiter campaign = new RateLimiter(own(10, 2), shared);
        assertEquals(0, campaign.tryAcquire(Priority.MARKETING, 2, now));
        assertEquals(SECOND / 10, campaign.tryAcquire(Priority.MARKETING, 1, now), "its own bucket is empty: 10/s");
        assertEquals(SECOND / 10, campaign.tryAcquire(Priority.TRANSACTIONAL, 1, now));
        assertEquals(0, shared.tryAcquire(Priority.MARKETING, 6, now), "the others still get all that is left: 8 - 2");
        assertEquals(SECOND / 100, shared.tryAcquire(Priority.MARKETING, 1, now));
        assertEquals(0, shared.tryAcquire(Priority.TRANSACTIONAL, 2, now), "and the reserve");
    }

    @Test
    void shouldTakeNothingFromTheOwnBucketWhenTheSharedOneRefuses() {
        RateLimiter shared = limiter(RateLimit.of(10, 10)); // reserve 2
        RateLimiter campaign = new RateLimiter(own(4, 5), shared);
        assertEquals(0, shared.tryAcquire(Priority.MARKETING, 8, now), "another campaign drains the shared bucket");
        for (int i = 0; i < 5; i++) {
            assertEquals(SECOND / 10, campaign.tryAcquire(Priority.MARKETING, 1, now), "refused by the shared bucket");
        }
        now += SECOND / 2; // the shared bucket has 2 + 5 tokens: 5 for marketing; its own would refill only 2
        assertEquals(0, campaign.tryAcquire(Priority.MARKETING, 5, now), "its own 5 tokens were all still there");
        assertEquals(SECOND / 4, campaign.tryAcquire(Priority.MARKETING, 1, now),
                "both are empty: the longer wait, its own 250 ms over the shared bucket's 100 ms");
    }

    @Test
    void shouldAnswerTheLongerOfTheTwoWaits() {
        RateLimiter shared = limiter(RateLimit.of(10, 10));
        RateLimiter campaign = new RateLimiter(own(20, 2), shared);
        assertEquals(0, campaign.tryAcquire(Priority.MARKETING, 2, now));
        assertEquals(SECOND / 20, campaign.tryAcquire(Priority.MARKETING, 1, now), "own bucket: 50 ms; shared has 6");
        assertEquals(0, shared.tryAcquire(Priority.MARKETING, 6, now));
        assertEquals(SECOND / 10, campaign.tryAcquire(Priority.MARKETING, 1, now), "both empty: the shared 100 ms");
        assertEquals(0, shared.tryAcquire(Priority.TRANSACTIONAL, 2, now));
        assertEquals(3 * SECOND / 10, campaign.tryAcquire(Priority.MARKETING, 1, now), "shared: 1 + a reserve of 2 at 10/s");
    }

    @Test
    void shouldHoldMarketingBackOnTheSharedBucketOnlyForATransactionalCallWaitingForItsTokens() {
        RateLimiter shared = limiter(RateLimit.of(10, 10)); // reserve 2
        RateLimiter campaign = new RateLimiter(own(10, 5), shared);
        assertEquals(0, campaign.tryAcquire(Priority.TRANSACTIONAL, 5, now));
        assertEquals(SECOND / 10, campaign.tryAcquire(Priority.TRANSACTIONAL, 1, now), "refused by its own bucket");
        assertEquals(0, shared.tryAcquire(Priority.MARKETING, 3, now),
                "marketing on the shared bucket goes on: the campaign waits for its own tokens, not the shared ones");
        now += 3 * SECOND / 10; // own: 3 tokens, shared: 5
        assertEquals(0, shared.tryAcquire(Priority.TRANSACTIONAL, 4, now));
        assertEquals(2 * SECOND / 10, campaign.tryAcquire(Priority.TRANSACTIONAL, 3, now), "refused by the shared bucket");
        assertEquals(2 * SECOND / 10, shared.tryAcquire(Priority.MARKETING, 1, now),
                "marketing waits behind the campaign's transactional send");
        now += 2 * SECOND / 10;
        assertEquals(0, campaign.tryAcquire(Priority.TRANSACTIONAL, 3, now), "its tokens were kept for it");
    }

    @Test
    void shouldLetTheConnectorsThrottlingSlowACampaignWithinIt() {
        RateLimiter shared = limiter(RateLimit.of(100, 100));
        RateLimiter campaign = new RateLimiter(own(1_000, 50), shared);
        assertEquals(0, campaign.pausedFor(now), "never paused");
        shared.onThrottled(now, -1);
        assertEquals(SECOND, campaign.tryAcquire(Priority.MARKETING, 1, now), "paused with the connector");
        assertEquals(SECOND, campaign.pausedFor(now));
        assertEquals(0.0, campaign.effectiveRate(now));
        now += SECOND;
        assertEquals(50.0, campaign.effectiveRate(now), 1e-9, "the connector's halved rate, below the campaign's");
        campaign.onThrottled(now, 2 * SECOND);
        assertEquals(2 * SECOND, shared.pausedFor(now), "a throttling answer reported to the campaign's bucket goes to the connector's");
        now += 2 * SECOND;
        assertEquals(SECOND / 25, campaign.tryAcquire(Priority.TRANSACTIONAL, 1, now), "the shared bucket was emptied, at 25/s");
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter(own(10, 2), (RateLimiter) null));
        assertThrows(IllegalArgumentException.class, () -> campaign.tryAcquire(Priority.MARKETING, 51, now));
        assertEquals(50, campaign.maxPermits(Priority.MARKETING), "min(50, 100 - 20)");
        assertSame(shared, campaign.shared());
    }
}
