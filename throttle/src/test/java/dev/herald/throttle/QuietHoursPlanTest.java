package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import dev.herald.suppression.AudienceChunks;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

class QuietHoursPlanTest {
    private static final long SEED = 0x5EED_2026L;
    private static final QuietHoursPolicy POLICY = QuietHoursPolicies
            .fromConfig(ConfigFactory.parseResources("herald-quiet-hours.conf").resolve()).get("default");
    private static final List<ZoneSet> ZONES = List.of(ZoneSet.of("Europe/Paris"), ZoneSet.of("Europe/London"),
            ZoneSet.of("Asia/Kathmandu"), ZoneSet.of("America/St_Johns"), ZoneSet.of("Pacific/Chatham"),
            ZoneSet.of("America/New_York", "America/Los_Angeles"), ZoneSet.EMPTY);
    private static final List<String> REGIONS = List.of("FR", "GB", "NP", "CA", "NZ", "US");

    /** Ids 0..size-1 spread at random (fixed seed) over zones and regions; every 10th id left out. */
    private static Map<Integer, ZoneBuckets.Bucket> fill(ZoneIndex index, int size, Random random) {
        Map<Integer, ZoneBuckets.Bucket> truth = new HashMap<>();
        for (int id = 0; id < size; id++) {
            if (id % 10 == 9) {
                continue;
            }
            ZoneSet z = ZONES.get(random.nextInt(ZONES.size()));
            String region = random.nextInt(8) == 0 ? null : REGIONS.get(random.nextInt(REGIONS.size()));
            index.put(id, z, region);
            truth.put(id, new ZoneBuckets.Bucket(-1, z, region));
        }
        return truth;
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-06-14T06:30:00Z", "2026-06-10T12:00:00Z", "2026-12-25T20:00:00Z", "2026-03-08T07:15:00Z"})
    void shouldMatchAPerRecipientComputation(String nowText) {
        System.out.println("seed " + SEED);
        Random random = new Random(SEED);
        ZoneIndex index = new ZoneIndex();
        int size = 300_000;
        Map<Integer, ZoneBuckets.Bucket> truth = fill(index, size, random);
        Instant now = Instant.parse(nowText);
        QuietHoursPlan plan = QuietHoursPlan.of(POLICY, index.snapshot(), "marketing", now);

        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        audience.add(0L, 70_000L);                          // one full chunk, one partial
        for (int i = 0; i < 50_000; i++) {
            audience.add(70_000 + random.nextInt(size - 70_000 + 1000)); // sparse, with ids beyond the index
        }
        MutableRoaringBitmap sendNow = new MutableRoaringBitmap();
        TreeMap<Instant, MutableRoaringBitmap> deferred = new TreeMap<>();
        AudienceChunks.forEach(audience, chunk -> {
            QuietHoursDecision d = plan.decide(chunk);
            sendNow.or(d.sendNow());
            d.deferred().forEach((at, ids) -> deferred.computeIfAbsent(at, k -> new MutableRoaringBitmap()).or(ids));
        });

        MutableRoaringBitmap expectedNow = new MutableRoaringBitmap();
        TreeMap<Instant, MutableRoaringBitmap> expectedDeferred = new TreeMap<>();
        audience.forEach((int id) -> {
            ZoneBuckets.Bucket b = truth.getOrDefault(id, new ZoneBuckets.Bucket(-1, ZoneSet.EMPTY, null));
            Instant at = POLICY.nextOpen("marketing", b.region(), b.zones(), now);
            if (at.equals(now)) {
                expectedNow.add(id);
            } else {
                expectedDeferred.computeIfAbsent(at, k -> new MutableRoaringBitmap()).add(id);
            }
        });
        assertEquals(expectedNow, sendNow);
        assertEquals(expectedDeferred, deferred);
        assertTrue(!expectedDeferred.isEmpty() || !expectedNow.isEmpty());
    }

    @Test
    void shouldSendEveryoneNowForAnExemptCategory() {
        ZoneIndex index = new ZoneIndex();
        fill(index, 5_000, new Random(SEED));
        QuietHoursPlan plan = QuietHoursPlan.of(POLICY, index.snapshot(), "transactional", Instant.parse("2026-06-14T03:00:00Z"));
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, 6_000L);
        QuietHoursDecision d = plan.decide(all);
        assertEquals(all, d.sendNow());
        assertEquals(0, d.deferredCount());
    }

    @Test
    void shouldReachEachBucketAtItsLocalTimeOrTheNextOpenInstantAfterIt() {
        ZoneIndex index = new ZoneIndex();
        index.put(1, ZoneSet.of("Asia/Kathmandu"), "NP");
        index.put(2, ZoneSet.of("Europe/Paris"), "FR");
        index.put(3, ZoneSet.of("America/St_Johns"), "CA");
        Instant now = Instant.parse("2026-06-13T12:00:00Z"); // a Saturday
        QuietHoursPlan plan = QuietHoursPlan.of(POLICY, index.snapshot(), "marketing", now, LocalSendTime.parse("10:30"));
        QuietHoursDecision d = plan.decide(MutableRoaringBitmap.bitmapOf(1, 2, 3));
        assertTrue(d.sendNow().isEmpty());
        assertEquals(at("2026-06-14T10:30", "Asia/Kathmandu"), d.deferral(1).orElseThrow());
        assertEquals(at("2026-06-15T08:00", "Europe/Paris"), d.deferral(2).orElseThrow(), "Sunday 10:30 is closed in France");
        assertEquals(at("2026-06-13T10:30", "America/St_Johns"), d.deferral(3).orElseThrow());
        assertEquals(3, d.deferredCount());
    }

    @Test
    void shouldRejectAnUnknownCategory() {
        ZoneIndex index = new ZoneIndex();
        index.put(1, ZoneSet.of("Asia/Tokyo"), "JP");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuietHoursPlan.of(POLICY, index.snapshot(), "promo", Instant.EPOCH));
        assertTrue(e.getMessage().contains("no rule for category 'promo'"), e.getMessage());
    }

    /** Windows 10:00-18:00: Guam, Honolulu and New York (as a US toll-free number spans) never share an open hour. */
    private static final QuietHoursPolicy TEN_TO_SIX = QuietHoursPolicies.fromConfig(ConfigFactory.parseString(
            "herald.quiet-hours.policies.default { unknown-zones = [UTC], categories {"
                    + " marketing { windows = [\"10:00-18:00\"] }, transactional { exempt = true } } }")).get("default");
    private static final ZoneSet NEVER_TOGETHER = ZoneSet.of("Pacific/Guam", "Pacific/Honolulu", "America/New_York");

    @Test
    void shouldDecideOnlyTheRecipientsOfAZoneSetThatIsNeverOpenAsNeverOpenAndEveryoneElseAsUsual() {
        ZoneIndex index = new ZoneIndex();
        index.put(1, ZoneSet.of("Europe/Paris"), "FR");
        index.put(2, ZoneSet.of("Asia/Tokyo"), "JP");
        index.put(3, NEVER_TOGETHER, "US");
        Instant now = Instant.parse("2026-06-10T12:00:00Z");
        QuietHoursPlan plan = QuietHoursPlan.of(TEN_TO_SIX, index.snapshot(), "marketing", now);
        assertEquals(List.of(NEVER_TOGETHER), List.copyOf(plan.neverOpenZones().keySet()));

        QuietHoursDecision without = plan.decide(MutableRoaringBitmap.bitmapOf(1, 2));
        assertTrue(without.neverOpen().isEmpty());
        assertEquals(MutableRoaringBitmap.bitmapOf(1), without.sendNow(), "14:00 in Paris");
        assertEquals(TEN_TO_SIX.nextOpen("marketing", "JP", ZoneSet.of("Asia/Tokyo"), now), without.deferral(2).orElseThrow());

        QuietHoursDecision with = plan.decide(MutableRoaringBitmap.bitmapOf(1, 2, 3, 4));
        assertEquals(MutableRoaringBitmap.bitmapOf(3), with.neverOpen());
        assertEquals(MutableRoaringBitmap.bitmapOf(1, 4), with.sendNow(), "4 is unindexed: UTC, 12:00");
        assertEquals(1, with.deferredCount());
        assertEquals(null, plan.sendAt(index.snapshot().bucketOf(3)));

        List<String> warnings = TEN_TO_SIX.neverOpen(index.snapshot(), now);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("'marketing'") && warnings.get(0).contains("Pacific/Guam")
                && warnings.get(0).contains("1 recipient"), warnings.get(0));
        assertTrue(POLICY.neverOpen(index.snapshot(), now).isEmpty(), "08:00-21:00 reaches them all");
    }

    @Test
    void shouldKeepDecidingNeverOpenInThePlansMadeAfterwardsAndNothingElse() {
        ZoneIndex index = new ZoneIndex();
        index.put(1, ZoneSet.of("Europe/Paris"), "FR");
        index.put(3, NEVER_TOGETHER, "US");
        Instant first = Instant.parse("2026-06-10T12:00:00Z");
        // a campaign makes a plan a second: later plans reuse the search that found nothing open
        for (long later : new long[] {0, 1, 1_800, 3_599, 3_600, 7_200, -60}) {
            QuietHoursPlan plan = QuietHoursPlan.of(TEN_TO_SIX, index.snapshot(), "marketing", first.plusSeconds(later));
            QuietHoursDecision d = plan.decide(MutableRoaringBitmap.bitmapOf(1, 3));
            assertEquals(MutableRoaringBitmap.bitmapOf(3), d.neverOpen(), "+" + later + " s");
            assertEquals(MutableRoaringBitmap.bitmapOf(1), d.sendNow(), "+" + later + " s");
        }
    }

    @Test
    void shouldDecideEveryUnindexedIdNeverOpenWhenTheUnknownZonesAreNeverOpen() {
        QuietHoursPolicy policy = QuietHoursPolicies.fromConfig(ConfigFactory.parseString(
                "herald.quiet-hours.policies.default { unknown-zones = [Pacific/Guam, Pacific/Honolulu, America/New_York], categories {"
                        + " marketing { windows = [\"10:00-18:00\"] } } }")).get("default");
        ZoneIndex index = new ZoneIndex();
        index.put(1, ZoneSet.of("Europe/Paris"), "FR");
        QuietHoursPlan plan = QuietHoursPlan.of(policy, index.snapshot(), "marketing", Instant.parse("2026-06-10T12:00:00Z"));
        QuietHoursDecision d = plan.decide(MutableRoaringBitmap.bitmapOf(1, 7, 70_000));
        assertEquals(MutableRoaringBitmap.bitmapOf(1), d.sendNow());
        assertEquals(MutableRoaringBitmap.bitmapOf(7, 70_000), d.neverOpen());
    }

    private static Instant at(String local, String zone) {
        return LocalDateTime.parse(local).atZone(ZoneId.of(zone)).toInstant();
    }

}
