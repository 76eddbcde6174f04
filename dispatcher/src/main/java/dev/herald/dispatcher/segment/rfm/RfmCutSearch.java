package dev.herald.dispatcher.segment.rfm;

import java.util.Arrays;

/**
 * The quintile cut points of R, F and M among buyers spread over many holders (a cluster's
 * partitions), found by counting: exactly those {@link RfmModel} finds with every buyer in one
 * place, while no holder ships its values, only how many of them are at most a few probe values.
 *
 * <pre>{@code
 * RfmCutSearch s = new RfmCutSearch(buyers, min, max);   // summed, least and greatest over the holders
 * while (!s.done()) {
 *     long[][] probes = s.probes();
 *     s.narrow(sumOverHolders(h -> h.atMost(probes)));   // RfmValues#atMost on each holder, added up
 * }
 * RfmModel.Boundaries cuts = s.boundaries();
 * }</pre>
 *
 * <p>The rule is {@link RfmModel}'s: among {@code n} buyers the k-th cut point (k = 1..4) is the
 * value of rank {@code ceil(k n / 5) - 1} (from 0) of the values sorted, i.e. the least value
 * {@code v} with at least {@code ceil(k n / 5)} values at most {@code v}. Each cut point is searched
 * in an interval {@code [lo, hi]} of values with fewer than that many at most {@code lo - 1} and
 * enough at most {@code hi}, cut into {@value #PROBES} + 1 parts a round: at most 12 rounds for
 * any 64-bit values (epoch milliseconds take 7), each round one small message a holder.
 *
 * <p>Not thread-safe: one search, driven by one caller.
 */
public final class RfmCutSearch {

    /** Cut points a score. */
    public static final int CUTS = 4;
    /** Probe values a cut point a round, at most. */
    public static final int PROBES = 63;

    private final long n;
    private final long[] need = new long[RfmValues.SCORES * CUTS];
    private final long[] lo = new long[RfmValues.SCORES * CUTS];
    private final long[] hi = new long[RfmValues.SCORES * CUTS];
    private long[][] asked;
    private int rounds;

    /**
     * @param buyers the buyers, all holders together
     * @param min    per score, the least value of any holder's buyers (ignored without buyers)
     * @param max    per score, the greatest
     * @throws IllegalArgumentException if {@code buyers < 0} or a least value is above its greatest
     */
    public RfmCutSearch(long buyers, long[] min, long[] max) {
        if (buyers < 0) {
            throw new IllegalArgumentException("buyers cannot be negative, got " + buyers);
        }
        this.n = buyers;
        for (int t = 0; t < need.length; t++) {
            int s = t / CUTS;
            int k = t % CUTS + 1;
            if (buyers > 0 && min[s] > max[s]) {
                throw new IllegalArgumentException("score " + s + ": the least value " + min[s] + " is above the greatest "
                        + max[s]);
            }
            // RfmModel's rank, computed as it does (in doubles), plus one: how many must be at most the cut
            need[t] = (long) Math.max(0, Math.ceil(k * (double) buyers / 5) - 1) + 1;
            lo[t] = buyers > 0 ? min[s] : 0;
            hi[t] = buyers > 0 ? max[s] : 0;
        }
    }

    /** @return whether every cut point is found (at once if there are no buyers) */
    public boolean done() {
        if (n == 0) {
            return true;
        }
        for (int t = 0; t < need.length; t++) {
            if (lo[t] != hi[t]) {
                return false;
            }
        }
        return true;
    }

    /**
     * @return per cut point ({@code t}: score {@code t / 4}, the {@code t % 4 + 1}-th), the values to
     *     count at this round, ascending (none for one already found)
     */
    public long[][] probes() {
        long[][] p = new long[need.length][];
        for (int t = 0; t < need.length; t++) {
            if (n == 0 || lo[t] == hi[t]) {
                p[t] = new long[0];
                continue;
            }
            long span = hi[t] - lo[t]; // unsigned: the values are in [lo, hi], hi - lo may exceed Long.MAX_VALUE
            if (Long.compareUnsigned(span, PROBES) <= 0) {
                p[t] = new long[(int) span]; // lo .. hi - 1
                for (int i = 0; i < p[t].length; i++) {
                    p[t][i] = lo[t] + i;
                }
            } else {
                long step = Long.divideUnsigned(span, PROBES + 1); // >= 1; step * PROBES < span
                p[t] = new long[PROBES];
                for (int i = 0; i < PROBES; i++) {
                    p[t][i] = lo[t] + step * (i + 1);
                }
            }
        }
        asked = p;
        return p;
    }

    /**
     * Narrows each cut point's interval by the counts at the last {@link #probes}.
     *
     * @param atMost per cut point, per probe: how many buyers (all holders together) have a value at most the probe
     * @throws IllegalStateException    if no probes were asked for
     * @throws IllegalArgumentException if the counts do not match the probes, or go down as the probes go up
     */
    public void narrow(long[][] atMost) {
        if (asked == null) {
            throw new IllegalStateException("narrow() before probes()");
        }
        if (atMost.length != asked.length) {
            throw new IllegalArgumentException("counts for " + atMost.length + " cut points, probes for " + asked.length);
        }
        for (int t = 0; t < asked.length; t++) {
            long[] p = asked[t];
            long[] c = atMost[t];
            if (c.length != p.length) {
                throw new IllegalArgumentException("cut point " + t + ": " + c.length + " counts for " + p.length + " probes");
            }
            for (int i = 1; i < c.length; i++) {
                if (c[i] < c[i - 1]) {
                    throw new IllegalArgumentException("cut point " + t + ": the counts go down as the values go up: "
                            + Arrays.toString(c));
                }
            }
            int first = 0; // the first probe with enough at most it
            while (first < p.length && c[first] < need[t]) {
                first++;
            }
            if (first < p.length) {
                hi[t] = p[first];
            }
            if (first > 0) {
                lo[t] = p[first - 1] + 1;
            }
        }
        asked = null;
        rounds++;
    }

    /** @return rounds of counts taken so far */
    public int rounds() {
        return rounds;
    }

    /**
     * @return the cut points (none for a score without buyers)
     * @throws IllegalStateException unless {@link #done()}
     */
    public RfmModel.Boundaries boundaries() {
        if (!done()) {
            throw new IllegalStateException("the cut points are not all found yet (" + rounds + " rounds)");
        }
        if (n == 0) {
            return new RfmModel.Boundaries(new long[0], new long[0], new long[0]);
        }
        return new RfmModel.Boundaries(Arrays.copyOfRange(lo, 0, CUTS), Arrays.copyOfRange(lo, CUTS, 2 * CUTS),
                Arrays.copyOfRange(lo, 2 * CUTS, 3 * CUTS));
    }
}
