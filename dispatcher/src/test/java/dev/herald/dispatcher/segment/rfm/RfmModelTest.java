package dev.herald.dispatcher.segment.rfm;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFM scores by quintile, tiers that partition the buyers, lifecycle stages that partition the active. */
class RfmModelTest {

    static final long DAY = Duration.ofDays(1).toMillis();
    static final long NOW = 1_800_000_000_000L;

    @Test
    void tenBuyersWithOneToTenPurchasesScoreTwoAPerQuintile() {
        long[] counts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        long[] cuts = RfmModel.cuts(counts);
        // the values at ranks ceil(k·10/5) = 2, 4, 6, 8 (1-based)
        assertArrayEquals(new long[] {2, 4, 6, 8}, cuts);
        int[] perScore = new int[6];
        for (long c : counts) {
            perScore[RfmModel.score(c, cuts)]++;
        }
        assertArrayEquals(new int[] {0, 2, 2, 2, 2, 2}, perScore);
    }

    @Test
    void aValueSharedByMostBuyersScoresLowNotHighBecauseOfTies() {
        long[] counts = new long[100];
        for (int i = 0; i < 100; i++) {
            counts[i] = i < 60 ? 1 : i < 90 ? 2 : 5;
        }
        long[] cuts = RfmModel.cuts(counts);
        assertEquals(1, RfmModel.score(1, cuts), "60 % bought once: the lowest score");
        assertEquals(5, RfmModel.score(5, cuts));
    }

    @Test
    void purchasesBeforeTheWindowCountForLifecycleNotForRfm() {
        RfmAggregates a = new RfmAggregates(NOW - 365 * DAY);
        a.purchase(0, NOW - 400 * DAY, 5000); // before the window: no RFM, but the customer's first purchase
        a.purchase(1, NOW - 10 * DAY, 1000);
        RfmModel.Result r = RfmModel.compute(a, RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, NOW);
        assertEquals(1, r.buyers());
        assertTrue(r.stages().get("lost").contains(0), "400 days quiet: lost");
        MutableRoaringBitmap inTiers = new MutableRoaringBitmap();
        r.tiers().values().forEach(inTiers::or);
        assertEquals(MutableRoaringBitmap.bitmapOf(1), inTiers);
    }

    @Test
    void lifecycleStagesFollowFirstAndLastActivity() {
        RfmAggregates a = new RfmAggregates(NOW - 365 * DAY);
        a.activity(0, NOW - 10 * DAY);                     // signed up 10 days ago: new
        a.purchase(1, NOW - 100 * DAY, 100);               // quiet 100 days: dormant
        a.purchase(2, NOW - 300 * DAY, 100);
        a.activity(2, NOW - 200 * DAY);                    // quiet 200 days: lost
        a.purchase(3, NOW - 60 * DAY, 100);
        a.activity(3, NOW - DAY);                          // a customer for 60 days, active yesterday: active
        a.activity(4, NOW - 95 * DAY);
        a.activity(4, NOW - 5 * DAY);                      // an old sign-up, active: active
        RfmModel.Result r = RfmModel.compute(a, RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, NOW);
        assertEquals(Map.of("lost", MutableRoaringBitmap.bitmapOf(2), "dormant", MutableRoaringBitmap.bitmapOf(1),
                "new", MutableRoaringBitmap.bitmapOf(0), "active", MutableRoaringBitmap.bitmapOf(3, 4)), r.stages());
    }

    @Property(tries = 50)
    void tiersPartitionTheBuyersAndStagesTheActive(@ForAll @IntRange(min = 1, max = 5000) int recipients,
                                                    @ForAll long seed) {
        Random rnd = new Random(seed);
        RfmAggregates a = new RfmAggregates(NOW - 365 * DAY);
        MutableRoaringBitmap buyers = new MutableRoaringBitmap();
        MutableRoaringBitmap known = new MutableRoaringBitmap();
        for (int r = 0; r < recipients; r++) {
            int kind = rnd.nextInt(4);
            if (kind == 0) {
                continue; // never seen
            }
            known.add(r);
            a.activity(r, NOW - rnd.nextInt(500) * DAY);
            for (int p = rnd.nextInt(kind == 3 ? 12 : 2); p > 0; p--) {
                long at = NOW - rnd.nextInt(500) * DAY;
                a.purchase(r, at, rnd.nextInt(20_000));
                if (at >= NOW - 365 * DAY) {
                    buyers.add(r);
                }
            }
        }
        RfmModel.Result res = RfmModel.compute(a, RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, NOW);
        assertEquals(buyers.getLongCardinality(), res.buyers());
        MutableRoaringBitmap tiered = new MutableRoaringBitmap();
        long sum = 0;
        for (MutableRoaringBitmap t : res.tiers().values()) {
            tiered.or(t);
            sum += t.getLongCardinality();
        }
        assertEquals(buyers, tiered, "every buyer has a tier");
        assertEquals(buyers.getLongCardinality(), sum, "exactly one");
        MutableRoaringBitmap staged = new MutableRoaringBitmap();
        long stagedSum = 0;
        for (MutableRoaringBitmap s : res.stages().values()) {
            staged.or(s);
            stagedSum += s.getLongCardinality();
        }
        assertEquals(known, staged, "everyone seen has a stage");
        assertEquals(known.getLongCardinality(), stagedSum, "exactly one");
    }

    @Test
    void aBadTierIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RfmModel.Tier("vip", 4, 6, 1, 5, 1, 5));
        assertTrue(e.getMessage().contains("tier vip") && e.getMessage().contains("'r'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RfmModel.Tier("Bad Name", 1, 5, 1, 5, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> RfmModel.compute(new RfmAggregates(0), List.of(),
                RfmModel.Lifecycle.DEFAULTS, NOW));
        assertThrows(IllegalArgumentException.class, () -> new RfmAggregates(0).purchase(-1, NOW, 1));
    }

    @Property(tries = 30)
    void aBatchFoldedRangeByRangeGivesWhatOneByOneGives(@ForAll @IntRange(min = 1, max = 300_000) int recipients,
                                                         @ForAll @IntRange(min = 0, max = 20_000) int purchases,
                                                         @ForAll long seed) {
        Random rnd = new Random(seed);
        int[] rs = new int[purchases];
        long[] at = new long[purchases];
        long[] v = new long[purchases];
        RfmAggregates one = new RfmAggregates(NOW - 365 * DAY);
        for (int i = 0; i < purchases; i++) {
            rs[i] = rnd.nextInt(recipients);
            at[i] = NOW - rnd.nextInt(500) * DAY;
            v[i] = rnd.nextInt(10_000);
            one.purchase(rs[i], at[i], v[i]);
        }
        RfmAggregates batch = new RfmAggregates(NOW - 365 * DAY);
        batch.purchases(rs, at, v, purchases);
        assertEquals(one.size(), batch.size());
        for (int r = 0; r < one.size(); r++) {
            assertEquals(one.last(r), batch.last(r), "last of " + r);
            assertEquals(one.count(r), batch.count(r), "count of " + r);
            assertEquals(one.value(r), batch.value(r), "value of " + r);
            assertEquals(one.first(r), batch.first(r), "first of " + r);
            assertEquals(one.active(r), batch.active(r), "active of " + r);
        }
    }
}
