package dev.herald.dispatcher.links;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** {@link DelayHistogram}: percentiles within 6.25 % of the exact ones, exact chart buckets, merging, extremes. */
class DelayHistogramTest {

    static final List<String> LABELS = List.of("<10s", "10s-1m", "1m-5m", "5m-30m", "30m-1h", "1h-6h", "6h-24h", "1d-3d", ">=3d");
    static final long[] EDGES = {10, 60, 300, 1_800, 3_600, 21_600, 86_400, 259_200};

    @Provide
    Arbitrary<Long> delays() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 100), Arbitraries.longs().between(0, 5_000),
                Arbitraries.longs().between(0, 400_000), Arbitraries.longs().between(0, (1L << 32) - 1));
    }

    /** The nearest-rank percentile of sorted values, as the histogram defines it. */
    static long exact(long[] sorted, double q) {
        long rank = Math.max(1, (long) Math.ceil(q * sorted.length));
        return sorted[(int) rank - 1];
    }

    static Map<String, Long> chart(List<Long> values) {
        Map<String, Long> out = new LinkedHashMap<>();
        LABELS.forEach(l -> out.put(l, 0L));
        for (long v : values) {
            int e = 0;
            while (e < EDGES.length && Math.max(0, v) >= EDGES[e]) {
                e++;
            }
            out.merge(LABELS.get(e), 1L, Long::sum);
        }
        return out;
    }

    @Property(seed = "6250", tries = 300)
    void percentilesAreWithinSixAndAQuarterPercentOfTheExactOnes(
            @ForAll @Size(min = 1, max = 2_000) List<@From("delays") Long> values, @ForAll @DoubleRange(min = 0, max = 1) double q) {
        DelayHistogram h = new DelayHistogram();
        values.forEach(h::add);
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        for (double p : new double[]{q, 0, 0.5, 0.9, 0.99, 1}) {
            long exact = exact(sorted, p);
            long got = h.percentile(p);
            assertTrue(got <= exact, "p" + p + ": " + got + " > exact " + exact);
            assertTrue(exact - got <= exact * 0.0625, "p" + p + ": " + got + " not within 6.25 % of " + exact);
            if (exact < 64) {
                assertEquals(exact, got, "p" + p + " below 64 s is exact");
            }
        }
        assertEquals(values.size(), h.count());
        Map<String, Long> buckets = h.buckets();
        assertEquals(LABELS, new ArrayList<>(buckets.keySet()));
        assertEquals(values.size(), buckets.values().stream().mapToLong(Long::longValue).sum(), "bucket totals = count");
        assertEquals(chart(values), buckets);
    }

    @Test
    void chartBucketsPutEachDelayOnTheRightSideOfEveryEdge() {
        for (long edge : EDGES) {
            DelayHistogram h = new DelayHistogram();
            h.add(edge - 1);
            h.add(edge);
            h.add(edge + 1);
            assertEquals(chart(List.of(edge - 1, edge, edge + 1)), h.buckets(), "around " + edge + " s");
        }
        DelayHistogram h = new DelayHistogram();
        h.add(300); // 5 minutes is not "1m-5m"
        assertEquals(1L, h.buckets().get("5m-30m"));
        assertEquals(0L, h.buckets().get("1m-5m"));
    }

    @Test
    void anEmptyHistogramHasZeroPercentilesAndEveryBucketAtZero() {
        DelayHistogram h = new DelayHistogram();
        assertEquals(0, h.count());
        assertEquals(0, h.percentile(0.5));
        assertEquals(0, h.percentile(1));
        assertEquals(LABELS, new ArrayList<>(h.buckets().keySet()));
        assertTrue(h.buckets().values().stream().allMatch(v -> v == 0));
    }

    @Test
    void smallDelaysAreExactAndQuantilesOutOfRangeAreClamped() {
        DelayHistogram h = new DelayHistogram();
        h.add(42);
        assertEquals(42, h.percentile(0.5));
        for (long s = 0; s < 64; s++) {
            h.add(s);
        }
        assertEquals(0, h.percentile(0));
        assertEquals(0, h.percentile(-3));
        assertEquals(63, h.percentile(1));
        assertEquals(63, h.percentile(7));
        assertEquals(32, h.percentile(0.5)); // 65 values: rank 33 of 0,1,…,42,42,…,63
    }

    @Test
    void addAllIsTheSameAsAddingEveryDelay() {
        Random r = new Random(15);
        System.out.println("DelayHistogramTest.addAll seed 15");
        DelayHistogram a = new DelayHistogram();
        DelayHistogram b = new DelayHistogram();
        DelayHistogram all = new DelayHistogram();
        for (int i = 0; i < 10_000; i++) {
            long v = (long) Math.exp(r.nextDouble() * 15);
            (i % 3 == 0 ? a : b).add(v);
            all.add(v);
        }
        DelayHistogram merged = new DelayHistogram();
        merged.addAll(a);
        merged.addAll(b);
        assertEquals(all.count(), merged.count());
        assertEquals(all.buckets(), merged.buckets());
        for (double q = 0; q <= 1; q += 0.01) {
            assertEquals(all.percentile(q), merged.percentile(q), "q " + q);
        }
        long before = a.count();
        merged.addAll(new DelayHistogram());
        assertEquals(all.count(), merged.count());
        assertEquals(before, a.count(), "addAll leaves its argument as it was");
    }

    @Test
    void hugeAndNegativeDelaysAreCountedWithoutFailing() {
        DelayHistogram h = new DelayHistogram();
        h.add(Long.MAX_VALUE);
        h.add(1L << 40);
        h.add((1L << 32) - 1);
        h.add(-5);
        h.add(Long.MIN_VALUE);
        assertEquals(5, h.count());
        assertEquals(0, h.percentile(0.4));
        long top = h.percentile(1);
        assertTrue(top <= (1L << 32) - 1 && top >= ((1L << 32) - 1) * 15 / 16, "the last bucket: " + top);
        assertEquals(2L, h.buckets().get("<10s"));
        assertEquals(3L, h.buckets().get(">=3d"));
        assertEquals(5L, h.buckets().values().stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void everyBucketsLowEndFallsInItselfAndTheBucketsAscend() {
        int last = DelayHistogram.index(Long.MAX_VALUE);
        long previous = -1;
        for (int i = 0; i <= last; i++) {
            long low = DelayHistogram.low(i);
            assertTrue(low > previous, "bucket " + i);
            assertEquals(i, DelayHistogram.index(low), "bucket " + i + " low " + low);
            if (i > 0) {
                assertEquals(i - 1, DelayHistogram.index(low - 1), "just below bucket " + i);
            }
            if (low >= 64) {
                long next = i < last ? DelayHistogram.low(i + 1) : 1L << 32;
                assertTrue((next - low) * 16 <= low, "bucket " + i + " is within 6.25 %: " + low + ".." + next);
            }
            previous = low;
        }
        assertEquals(Arrays.asList(0, 63, 64), Arrays.asList(DelayHistogram.index(0), DelayHistogram.index(63),
                DelayHistogram.index(64)));
    }
}
