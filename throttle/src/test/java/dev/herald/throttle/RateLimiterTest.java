package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
