package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.suppression.Recipient;
import dev.herald.throttle.ZoneBuckets;
import dev.herald.throttle.ZoneSet;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** The pure decisions: cap zone grouping, and deferral or expiry against the campaign's end. */
class DecisionCoreTest {

    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 2_000);
    }

    @AfterAll
    static void shutdown() {
        fx.close();
    }

    @Test
    void shouldGroupEachRecipientForCapsByTheFirstZoneOfItsZoneSetOrUtc() {
        ZoneBuckets buckets = fx.zones.snapshot();
        Map<ZoneId, MutableRoaringBitmap> groups = DecisionCore.byCapZone(buckets, StageFixture.first(2_000));
        assertTrue(groups.size() > 1, "the fixture spans several zones: " + groups.keySet());
        long total = 0;
        for (Map.Entry<ZoneId, MutableRoaringBitmap> e : groups.entrySet()) {
            total += e.getValue().getLongCardinality();
            e.getValue().forEach((org.roaringbitmap.IntConsumer) id -> {
                Recipient r = fx.directory.get(id).orElseThrow();
                ZoneSet zs = ZoneSet.forRecipient(r);
                ZoneId expected = zs.isEmpty() ? ZoneOffset.UTC : zs.zones().get(0);
                assertEquals(expected, e.getKey(), "recipient " + id);
            });
        }
        assertEquals(2_000, total, "each recipient in exactly one group");
    }

    @Test
    void shouldDeferUntilTheInstantUnlessThatIsAfterTheEnd() {
        Instant until = Instant.parse("2026-12-07T08:00:00Z");
        assertEquals(new Outcome.Deferred(until), DecisionCore.deferOrExpire(until, null));
        assertEquals(new Outcome.Deferred(until), DecisionCore.deferOrExpire(until, until));
        assertEquals(Outcome.Expired.AT_END, DecisionCore.deferOrExpire(until, until.minusMillis(1)));
    }
}
