package dev.herald.dispatcher.harness;

import java.util.Arrays;

/**
 * Percentiles of a sample of durations, by the nearest-rank method (the reported value is one of
 * the samples: p99 of 1,000 samples is the 990th smallest).
 *
 * <p>{@code LatencyStats s = LatencyStats.of(nanos); s.p99Ms();}
 *
 * <p>Immutable.
 *
 * @param count  samples
 * @param p50Ns  median, ns (0 if no samples)
 * @param p99Ns  99th percentile, ns (0 if no samples)
 * @param maxNs  largest, ns (0 if no samples)
 */
public record LatencyStats(int count, long p50Ns, long p99Ns, long maxNs) {

    /**
     * @param nanos the samples, ns; not modified
     * @return their percentiles
     */
    public static LatencyStats of(long[] nanos) {
        if (nanos.length == 0) {
            return new LatencyStats(0, 0, 0, 0);
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return new LatencyStats(sorted.length, rank(sorted, 0.50), rank(sorted, 0.99), sorted[sorted.length - 1]);
    }

    private static long rank(long[] sorted, double p) {
        int r = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, r - 1)];
    }

    /** @return the median, ms */
    public double p50Ms() {
        return p50Ns / 1e6;
    }

    /** @return the 99th percentile, ms */
    public double p99Ms() {
        return p99Ns / 1e6;
    }

    /** @return the largest, ms */
    public double maxMs() {
        return maxNs / 1e6;
    }
}
