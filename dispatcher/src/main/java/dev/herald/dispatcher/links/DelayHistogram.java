package dev.herald.dispatcher.links;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Delays in seconds, counted in log-linear buckets: every second up to 63 s, then 16 buckets per
 * doubling (each within 6.25 % of its values) up to 2<sup>32</sup> s (136 years; longer counts
 * in the last bucket); percentiles are read from the buckets (within 6.25 %), and {@link #buckets()} groups
 * them for a chart. Constant size (480 + 9 counters), so a campaign of 10,000,000 recipients costs
 * the same as one of ten.
 *
 * <pre>{@code
 * DelayHistogram h = new DelayHistogram();
 * h.add(42);                 // seconds
 * h.percentile(0.5);         // 42
 * }</pre>
 *
 * <p>Not thread-safe: its owner synchronizes.
 */
public final class DelayHistogram {

    private static final int LINEAR = 64;
    private static final int SUB = 16;
    private static final int BUCKETS = LINEAR + SUB * (32 - 6);

    /** The chart's bucket edges in seconds, and their labels. */
    private static final long[] EDGES = {10, 60, 300, 1_800, 3_600, 6 * 3_600, 24 * 3_600, 3 * 24 * 3_600, Long.MAX_VALUE};
    private static final String[] LABELS = {"<10s", "10s-1m", "1m-5m", "5m-30m", "30m-1h", "1h-6h", "6h-24h", "1d-3d", ">=3d"};

    private final long[] counts = new long[BUCKETS];
    /**
     * Per chart bucket, counted from the exact delay: an edge (300 s, 1,800 s, …) can fall inside a
     * log-linear bucket, whose low end would put the delays just past it on the wrong side.
     */
    private final long[] chart = new long[LABELS.length];
    private long total;

    /** @param seconds a delay; negative counts as 0, beyond ~136 years in the last bucket */
    public void add(long seconds) {
        long v = Math.max(0, seconds);
        counts[index(v)]++;
        chart[chartIndex(v)]++;
        total++;
    }

    private static int chartIndex(long v) {
        int e = 0;
        while (e < EDGES.length - 1 && v >= EDGES[e]) {
            e++;
        }
        return e;
    }

    /** @return how many delays were added */
    public long count() {
        return total;
    }

    /**
     * @param q a quantile in [0, 1]
     * @return the delay at it, seconds (the low end of its bucket); 0 if empty
     */
    public long percentile(double q) {
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(Math.min(1, Math.max(0, q)) * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= Math.max(1, rank)) {
                return low(i);
            }
        }
        return low(BUCKETS - 1);
    }

    /** @return the delays per chart bucket ({@code <10s}, {@code 10s-1m}, … {@code >=3d}), in order */
    public Map<String, Long> buckets() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int e = 0; e < LABELS.length; e++) {
            out.put(LABELS[e], chart[e]);
        }
        return out;
    }

    /**
     * The buckets that hold delays, for a histogram summed elsewhere (a cluster adds its
     * partitions'): each bucket's low end in seconds and its count, in order.
     *
     * @return {@code {"lowSeconds": [...], "counts": [...]}}
     */
    public Map<String, Object> fine() {
        java.util.List<Long> lows = new java.util.ArrayList<>();
        java.util.List<Long> n = new java.util.ArrayList<>();
        for (int i = 0; i < BUCKETS; i++) {
            if (counts[i] > 0) {
                lows.add(low(i));
                n.add(counts[i]);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("lowSeconds", lows);
        out.put("counts", n);
        return out;
    }

    /**
     * {@link #percentile} over buckets given as {@link #fine()} gives them (summed over several
     * histograms: their low ends are the same buckets').
     *
     * @param countsByLow each bucket's count by its low end in seconds
     * @param q           a quantile in [0, 1]
     * @return the delay at it, seconds (the low end of its bucket); 0 if empty
     */
    public static long percentile(java.util.SortedMap<Long, Long> countsByLow, double q) {
        long total = countsByLow.values().stream().mapToLong(Long::longValue).sum();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(Math.min(1, Math.max(0, q)) * total);
        long seen = 0;
        long last = 0;
        for (Map.Entry<Long, Long> e : countsByLow.entrySet()) {
            seen += e.getValue();
            last = e.getKey();
            if (seen >= Math.max(1, rank)) {
                return e.getKey();
            }
        }
        return last;
    }

    /** Adds {@code other}'s counts to this one's (a report over several campaigns). */
    public void addAll(DelayHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        for (int e = 0; e < LABELS.length; e++) {
            chart[e] += other.chart[e];
        }
        total += other.total;
    }

    static int index(long v) {
        if (v < LINEAR) {
            return (int) v;
        }
        int msb = 63 - Long.numberOfLeadingZeros(v); // >= 6
        if (msb >= 32) {
            return BUCKETS - 1;
        }
        int sub = (int) ((v >>> (msb - 4)) & (SUB - 1));
        return LINEAR + SUB * (msb - 6) + sub;
    }

    static long low(int i) {
        if (i < LINEAR) {
            return i;
        }
        int msb = (i - LINEAR) / SUB + 6;
        int sub = (i - LINEAR) % SUB;
        return (1L << msb) | ((long) sub << (msb - 4));
    }
}
