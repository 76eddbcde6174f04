package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/**
 * Runs {@link QuietHoursBenchmark} once at a small size and checks its tally against a
 * per-recipient brute force: each id's next open instant from the policy, one by one. The
 * fixture seed is {@link QuietHoursBenchmark#SEED} (printed by the setup).
 */
class QuietHoursBenchmarkTest {

    @Test
    void shouldDecideLikeAPerRecipientComputation() {
        QuietHoursBenchmark b = new QuietHoursBenchmark();
        b.audienceSize = 200_000;
        b.zones = 300;
        b.now = "2026-06-14T12:00:00Z";
        b.setUp();

        QuietHoursBenchmark.Tally tally = b.decideWholeAudience();

        long sendNow = 0;
        Map<Instant, Long> deferred = new TreeMap<>();
        for (int id = 0; id < b.audienceSize; id++) {
            int z = b.zoneOf[id];
            Instant at = b.policy.nextOpen("marketing", b.regions.get(z), b.zoneSets.get(z), b.decisionTime);
            if (at.equals(b.decisionTime)) {
                sendNow++;
            } else {
                deferred.merge(at, 1L, Long::sum);
            }
        }
        assertEquals(sendNow, tally.sendNow);
        assertEquals(deferred, tally.deferred);
        assertTrue(sendNow > 0 && deferred.size() > 10, "the fixture should mix open and closed zones");
        assertEquals(b.audienceSize, sendNow + deferred.values().stream().mapToLong(Long::longValue).sum());
    }
}
