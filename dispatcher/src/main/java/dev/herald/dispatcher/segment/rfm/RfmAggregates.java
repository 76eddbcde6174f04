package dev.herald.dispatcher.segment.rfm;

import java.util.Arrays;

/**
 * Per recipient, what RFM and lifecycle are computed from: within the window, the last purchase,
 * the purchase count and their value (in minor units); over all time, the first purchase or sign-up
 * and the last activity (a purchase or any event). Kept in one primitive array indexed by the dense
 * recipient id, a recipient's five longs side by side (40 bytes, touched together: a purchase costs
 * one or two cache lines, not five), grown as ids come.
 *
 * <pre>{@code
 * RfmAggregates a = new RfmAggregates(windowStart);
 * a.purchase(recipient, atMillis, 1999);     // from conversions and order events
 * a.activity(recipient, atMillis);           // any event, a sign-up
 * }</pre>
 *
 * <p>Not thread-safe: one writer (the recompute, or the incremental updater between recomputes).
 */
public final class RfmAggregates {

    /** No time recorded. */
    static final long NONE = Long.MIN_VALUE;

    /** Longs a recipient: last purchase, count, value, first activity, last activity — one cache line's worth together. */
    private static final int STRIDE = 5;
    private static final int LAST = 0;
    private static final int COUNT = 1;
    private static final int VALUE = 2;
    private static final int FIRST = 3;
    private static final int ACTIVE = 4;

    private final long windowStart;
    private long[] data = new long[0];
    private int size;
    /** The batch fold's scattered copy of a batch, kept for the next batch. */
    private int[] scratchIds = new int[0];
    private long[] scratchAt = new long[0];
    private long[] scratchValue = new long[0];

    /** @param windowStart purchases before this instant (epoch ms) count for lifecycle only, not for RFM */
    public RfmAggregates(long windowStart) {
        this.windowStart = windowStart;
    }

    /** Records a purchase of {@code minorUnits} (value may be 0) at {@code atMillis}. */
    public void purchase(int recipient, long atMillis, long minorUnits) {
        int at = slot(recipient);
        long[] d = data;
        if (atMillis >= windowStart) {
            d[at + LAST] = Math.max(d[at + LAST], atMillis);
            d[at + COUNT]++;
            d[at + VALUE] += minorUnits;
        }
        d[at + FIRST] = Math.min(d[at + FIRST], atMillis);
        d[at + ACTIVE] = Math.max(d[at + ACTIVE], atMillis);
    }

    /** Recipients a range of the batch fold covers: 2^16 recipients × 40 bytes = 2.5 MiB, within the cache. */
    private static final int RANGE_BITS = 16;

    /**
     * Records {@code n} purchases at once, as {@link #purchase} each would, but range by range of
     * recipients (a counting sort of the batch by recipient id's high bits first), so each range's
     * figures are folded while they are in the cache: a batch read from storage in time order touches
     * the whole array at random otherwise.
     *
     * @param recipients the purchases' recipients
     * @param atMillis   their times
     * @param minorUnits their values
     * @param n          how many of the arrays' first entries to take
     */
    public void purchases(int[] recipients, long[] atMillis, long[] minorUnits, int n) {
        if (n == 0) {
            return;
        }
        int max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, recipients[i]);
            if (recipients[i] < 0) {
                throw new IllegalArgumentException("recipient ids are not negative, got " + recipients[i]);
            }
        }
        slot(max); // grown once
        int ranges = (max >>> RANGE_BITS) + 1;
        int[] start = new int[ranges + 1];
        for (int i = 0; i < n; i++) {
            start[(recipients[i] >>> RANGE_BITS) + 1]++;
        }
        for (int k = 0; k < ranges; k++) {
            start[k + 1] += start[k];
        }
        if (scratchIds.length < n) {
            scratchIds = new int[n];
            scratchAt = new long[n];
            scratchValue = new long[n];
        }
        // the records themselves scattered range by range (sequential reads, one write stream a
        // range), then folded in that order: no random reads of the batch, few of the figures
        int[] ids = scratchIds;
        long[] ats = scratchAt;
        long[] values = scratchValue;
        int[] next = java.util.Arrays.copyOf(start, ranges);
        for (int i = 0; i < n; i++) {
            int r = recipients[i];
            int k = next[r >>> RANGE_BITS]++;
            ids[k] = r;
            ats[k] = atMillis[i];
            values[k] = minorUnits[i];
        }
        long[] d = data;
        long from = windowStart;
        for (int j = 0; j < n; j++) {
            int at = ids[j] * STRIDE; // within the array: grown to max above
            long t = ats[j];
            if (t >= from) {
                d[at + LAST] = Math.max(d[at + LAST], t);
                d[at + COUNT]++;
                d[at + VALUE] += values[j];
            }
            d[at + FIRST] = Math.min(d[at + FIRST], t);
            d[at + ACTIVE] = Math.max(d[at + ACTIVE], t);
        }
    }

    /** Records activity that is not a purchase (an event; a sign-up counts as the first one). */
    public void activity(int recipient, long atMillis) {
        int at = slot(recipient);
        data[at + FIRST] = Math.min(data[at + FIRST], atMillis);
        data[at + ACTIVE] = Math.max(data[at + ACTIVE], atMillis);
    }

    /**
     * Records activity that does not make a recipient known (a human click on a tracked link): it
     * counts as their last activity only if they have a purchase or an event too, so a click alone
     * never puts anyone into a lifecycle stage (nor makes them new).
     */
    public void clicked(int recipient, long atMillis) {
        int at = slot(recipient);
        data[at + ACTIVE] = Math.max(data[at + ACTIVE], atMillis);
    }

    private int slot(int recipient) {
        if (recipient < 0) {
            throw new IllegalArgumentException("recipient ids are not negative, got " + recipient);
        }
        if ((long) recipient * STRIDE >= data.length) {
            grow(Math.max((long) recipient + 1, Math.max(16, size + (size >> 1))), recipient);
        }
        size = Math.max(size, recipient + 1);
        return recipient * STRIDE;
    }

    /**
     * Makes room for ids {@code 0 .. recipients - 1} at once (e.g. the directory's size), so that
     * a fold does not grow the array step by step (each step a copy). Records nothing.
     *
     * @throws IllegalArgumentException if that is more than the aggregates hold
     */
    public void reserve(int recipients) {
        if ((long) recipients * STRIDE > data.length) {
            grow(recipients, recipients - 1);
        }
    }

    private void grow(long want, int recipient) {
        if (want * STRIDE > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("recipient id " + recipient + " is beyond what RFM aggregates hold");
        }
        int from = data.length;
        data = Arrays.copyOf(data, (int) (want * STRIDE));
        for (int i = from; i < data.length; i += STRIDE) {
            data[i + LAST] = NONE;
            data[i + FIRST] = Long.MAX_VALUE; // none yet: any time is earlier
            data[i + ACTIVE] = NONE;
        }
    }

    /** @return one past the highest recipient id recorded */
    public int size() {
        return size;
    }

    /** @return the window's start, epoch ms */
    public long windowStart() {
        return windowStart;
    }

    long last(int r) {
        return r < size ? data[r * STRIDE + LAST] : NONE;
    }

    int count(int r) {
        return r < size ? (int) data[r * STRIDE + COUNT] : 0;
    }

    long value(int r) {
        return r < size ? data[r * STRIDE + VALUE] : 0;
    }

    long first(int r) {
        long f = r < size ? data[r * STRIDE + FIRST] : Long.MAX_VALUE;
        return f == Long.MAX_VALUE ? NONE : f;
    }

    long active(int r) {
        return r < size ? data[r * STRIDE + ACTIVE] : NONE;
    }
}
