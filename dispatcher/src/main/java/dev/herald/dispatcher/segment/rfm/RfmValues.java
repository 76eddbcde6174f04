package dev.herald.dispatcher.segment.rfm;

import java.util.Arrays;

/**
 * One partition's buyers' R, F and M values, sorted, for a cluster's cut point search
 * ({@link RfmCutSearch}): answers how many of them are at most a value, so that no buyer's value
 * leaves the partition (a partition of millions of buyers would not fit one cluster message).
 *
 * <pre>{@code
 * RfmValues v = RfmValues.of(aggregates);
 * v.atMost(RfmValues.MONETARY, 1999);   // buyers whose purchases sum to at most 19.99
 * }</pre>
 *
 * <p>Immutable once made; thread-safe.
 */
public final class RfmValues {

    /** The scores, in the order of {@link RfmCutSearch}'s arrays. */
    public static final int RECENCY = 0;
    public static final int FREQUENCY = 1;
    public static final int MONETARY = 2;
    /** How many scores. */
    public static final int SCORES = 3;

    private final long[][] sorted;

    private RfmValues(long[][] sorted) {
        this.sorted = sorted;
    }

    /** @return the values of {@code a}'s buyers, sorted */
    public static RfmValues of(RfmAggregates a) {
        long[][] v = RfmModel.values(a);
        for (long[] one : v) {
            Arrays.sort(one);
        }
        return new RfmValues(v);
    }

    /** @return buyers (each has a value of every score) */
    public int buyers() {
        return sorted[0].length;
    }

    /** @return the least value of score {@code s}; undefined without buyers */
    public long min(int s) {
        return sorted[s][0];
    }

    /** @return the greatest value of score {@code s}; undefined without buyers */
    public long max(int s) {
        long[] v = sorted[s];
        return v[v.length - 1];
    }

    /** @return how many buyers' value of score {@code s} is at most {@code x} */
    public long atMost(int s, long x) {
        long[] v = sorted[s];
        int lo = 0;
        int hi = v.length; // the first index whose value is above x is in [lo, hi]
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (v[mid] <= x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * @param probes per cut point searched ({@link RfmCutSearch#probes}: cut point {@code t} is of
     *               score {@code t / 4}), values to count at
     * @return per cut point, per probe, {@link #atMost}
     */
    public long[][] atMost(long[][] probes) {
        long[][] counts = new long[probes.length][];
        for (int t = 0; t < probes.length; t++) {
            counts[t] = new long[probes[t].length];
            for (int i = 0; i < probes[t].length; i++) {
                counts[t][i] = atMost(t / RfmCutSearch.CUTS, probes[t][i]);
            }
        }
        return counts;
    }
}
