package dev.herald.dispatcher.segment.rfm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The cut points a cluster finds by counting over its partitions ({@link RfmCutSearch} over each
 * partition's {@link RfmValues}) are those {@link RfmModel} finds with every buyer on one node, and
 * the tiers each partition assigns with them add up to that node's, buyer for buyer.
 */
class RfmCutSearchTest {

    static final long DAY = Duration.ofDays(1).toMillis();
    static final long NOW = 1_800_000_000_000L;

    /** What a cluster of {@code parts} finds: the search driven by the parts' summed counts. */
    static RfmCutSearch search(List<RfmAggregates> parts) {
        List<RfmValues> values = parts.stream().map(RfmValues::of).toList();
        long buyers = 0;
        long[] min = new long[3];
        long[] max = new long[3];
        Arrays.fill(min, Long.MAX_VALUE);
        Arrays.fill(max, Long.MIN_VALUE);
        for (RfmValues v : values) {
            buyers += v.buyers();
            for (int s = 0; s < 3 && v.buyers() > 0; s++) {
                min[s] = Math.min(min[s], v.min(s));
                max[s] = Math.max(max[s], v.max(s));
            }
        }
        RfmCutSearch search = new RfmCutSearch(buyers, min, max);
        while (!search.done()) {
            long[][] probes = search.probes();
            long[][] sum = new long[probes.length][];
            for (int t = 0; t < probes.length; t++) {
                sum[t] = new long[probes[t].length];
            }
            for (RfmValues v : values) {
                long[][] c = v.atMost(probes);
                for (int t = 0; t < probes.length; t++) {
                    for (int i = 0; i < c[t].length; i++) {
                        sum[t][i] += c[t][i];
                    }
                }
            }
            search.narrow(sum);
            assertTrue(search.rounds() <= 12, "at most 12 rounds for 64-bit values, took " + search.rounds());
        }
        return search;
    }

    /**
     * One node's aggregates and the same recipients split over {@code partitions} (each keeps its
     * recipients' ids), then: same cut points, and every partition's tiers and stages with them are
     * exactly the node's restricted to its recipients.
     */
    static void assertSameAsOneNode(long seed, int recipients, int partitions, int spread) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long windowStart = NOW - 365 * DAY;
        RfmAggregates whole = new RfmAggregates(windowStart);
        List<RfmAggregates> parts = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            parts.add(new RfmAggregates(windowStart));
        }
        int[] partOf = new int[recipients];
        for (int r = 0; r < recipients; r++) {
            // skewed: partition 0 often takes most (a partition may have no buyer at all)
            partOf[r] = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(partitions);
            int purchases = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(rnd.nextBoolean() ? 2 : 12);
            for (int k = 0; k < purchases; k++) {
                long at = NOW - (spread == 0 ? 5 * DAY : (long) rnd.nextInt(400) * DAY + rnd.nextInt(spread));
                long value = spread == 0 ? 1000 : rnd.nextInt(5) == 0 ? 0 : rnd.nextLong(-500, 1_000_000);
                whole.purchase(r, at, value);
                parts.get(partOf[r]).purchase(r, at, value);
            }
            if (rnd.nextInt(3) == 0) {
                long at = NOW - rnd.nextInt(300) * DAY;
                whole.activity(r, at);
                parts.get(partOf[r]).activity(r, at);
            }
        }
        RfmModel.Result one = RfmModel.compute(whole, RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, NOW);
        RfmModel.Boundaries cuts = search(parts).boundaries();
        String why = "seed " + seed + ", " + recipients + " recipients over " + partitions + " partitions";
        assertArrayEquals(one.boundaries().recency(), cuts.recency(), why);
        assertArrayEquals(one.boundaries().frequency(), cuts.frequency(), why);
        assertArrayEquals(one.boundaries().monetary(), cuts.monetary(), why);
        long buyers = 0;
        for (int p = 0; p < partitions; p++) {
            RfmModel.Result mine = RfmModel.assign(parts.get(p), cuts, RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, NOW);
            buyers += mine.buyers();
            MutableRoaringBitmap ids = new MutableRoaringBitmap();
            for (int r = 0; r < recipients; r++) {
                if (partOf[r] == p) {
                    ids.add(r);
                }
            }
            for (String tier : one.tiers().keySet()) {
                assertEquals(MutableRoaringBitmap.and(one.tiers().get(tier), ids), mine.tiers().get(tier), why + ", tier " + tier
                        + " of partition " + p);
            }
            for (String stage : one.stages().keySet()) {
                assertEquals(MutableRoaringBitmap.and(one.stages().get(stage), ids), mine.stages().get(stage), why);
            }
        }
        assertEquals(one.buyers(), buyers, why);
    }

    @Property(tries = 200)
    void theClusterFindsTheCutPointsOneNodeFinds(@ForAll long seed, @ForAll @IntRange(min = 0, max = 600) int recipients,
                                                 @ForAll @IntRange(min = 1, max = 9) int partitions,
                                                 @ForAll @IntRange(min = 0, max = 3) int spreadKind) {
        int spread = new int[] {0, 1, 1000, 86_400_000}[spreadKind];
        assertSameAsOneNode(seed, recipients, partitions, spread);
    }

    @Test
    void manyBuyersOverManyPartitions() {
        long seed = 20261208L;
        System.out.println("RfmCutSearchTest seed " + seed);
        assertSameAsOneNode(seed, 50_000, 16, 86_400_000);
    }

    @Test
    void valuesAcrossTheWholeRangeOfLongs() {
        long[] min = {Long.MIN_VALUE, 0, Long.MIN_VALUE};
        long[] max = {Long.MAX_VALUE, 1, Long.MAX_VALUE};
        // three holders' values, by hand: each score's extremes and values near them
        long[][] holders = {
                {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0, 1, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1},
                {42, -42, Long.MAX_VALUE, 7},
                {Long.MIN_VALUE, 3}};
        List<Long> all = new ArrayList<>();
        for (long[] h : holders) {
            Arrays.stream(h).forEach(all::add);
        }
        long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
        long[] expected = RfmModel.cuts(sorted);
        RfmCutSearch s = new RfmCutSearch(sorted.length, new long[] {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE},
                new long[] {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE});
        while (!s.done()) {
            long[][] probes = s.probes();
            long[][] counts = new long[probes.length][];
            for (int t = 0; t < probes.length; t++) {
                counts[t] = new long[probes[t].length];
                for (int i = 0; i < probes[t].length; i++) {
                    long x = probes[t][i];
                    counts[t][i] = Arrays.stream(sorted).filter(v -> v <= x).count();
                }
            }
            s.narrow(counts);
        }
        assertArrayEquals(expected, s.boundaries().recency());
        assertArrayEquals(expected, s.boundaries().monetary());
        assertTrue(s.rounds() <= 12, "rounds " + s.rounds());
        assertEquals(0, min[1]);
        assertEquals(1, max[1]);
    }

    @Test
    void noBuyersAnywhereHasNoCutPoints() {
        RfmCutSearch s = search(List.of(new RfmAggregates(0), new RfmAggregates(0)));
        assertTrue(s.done());
        assertEquals(0, s.boundaries().frequency().length);
        RfmAggregates quiet = new RfmAggregates(NOW - DAY);
        quiet.activity(3, NOW - 2 * DAY);
        RfmModel.Result r = RfmModel.assign(quiet, s.boundaries(), RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, NOW);
        assertEquals(0, r.buyers());
        assertTrue(r.stages().get("new").contains(3));
    }

    @Test
    void refusesCountsThatDoNotFitTheProbes() {
        RfmCutSearch s = new RfmCutSearch(10, new long[] {0, 0, 0}, new long[] {1000, 1000, 1000});
        assertThrows(IllegalStateException.class, () -> s.narrow(new long[12][]));
        long[][] probes = s.probes();
        long[][] wrong = new long[12][];
        for (int t = 0; t < 12; t++) {
            wrong[t] = new long[probes[t].length];
        }
        wrong[5] = new long[1];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.narrow(wrong));
        assertTrue(e.getMessage().contains("cut point 5"), e.getMessage());
        RfmAggregates oneBuyer = new RfmAggregates(0);
        oneBuyer.purchase(1, 5, 5);
        IllegalArgumentException cuts = assertThrows(IllegalArgumentException.class, () -> RfmModel.assign(oneBuyer,
                new RfmModel.Boundaries(new long[0], new long[0], new long[0]), RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, 10));
        assertTrue(cuts.getMessage().contains("four a score"), cuts.getMessage());
    }
}
