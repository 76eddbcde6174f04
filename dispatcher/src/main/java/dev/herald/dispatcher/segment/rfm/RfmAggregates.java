package dev.herald.dispatcher.segment.rfm;

import java.util.Arrays;

/**
 * Per recipient, what RFM and lifecycle are computed from: within the window, the last purchase,
 * the purchase count and their value (in minor units); over all time, the first purchase or sign-up
 * and the last activity (a purchase or any event). Kept in primitive arrays indexed by the dense
 * recipient id (16 + 16 bytes a recipient), grown as ids come.
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

    private final long windowStart;
    private long[] last = new long[0];
    private int[] count = new int[0];
    private long[] value = new long[0];
    private long[] first = new long[0];
    private long[] active = new long[0];
    private int size;

    /** @param windowStart purchases before this instant (epoch ms) count for lifecycle only, not for RFM */
    public RfmAggregates(long windowStart) {
        this.windowStart = windowStart;
    }

    /** Records a purchase of {@code minorUnits} (value may be 0) at {@code atMillis}. */
    public void purchase(int recipient, long atMillis, long minorUnits) {
        grow(recipient);
        if (atMillis >= windowStart) {
            last[recipient] = Math.max(last[recipient], atMillis);
            count[recipient]++;
            value[recipient] += minorUnits;
        }
        first[recipient] = first[recipient] == NONE ? atMillis : Math.min(first[recipient], atMillis);
        active[recipient] = Math.max(active[recipient], atMillis);
    }

    /** Records activity that is not a purchase (an event; a sign-up counts as the first one). */
    public void activity(int recipient, long atMillis) {
        grow(recipient);
        first[recipient] = first[recipient] == NONE ? atMillis : Math.min(first[recipient], atMillis);
        active[recipient] = Math.max(active[recipient], atMillis);
    }

    private void grow(int recipient) {
        if (recipient < 0) {
            throw new IllegalArgumentException("recipient ids are not negative, got " + recipient);
        }
        if (recipient >= last.length) {
            int n = Math.max(recipient + 1, Math.max(16, last.length + (last.length >> 1)));
            int from = last.length;
            last = Arrays.copyOf(last, n);
            count = Arrays.copyOf(count, n);
            value = Arrays.copyOf(value, n);
            first = Arrays.copyOf(first, n);
            active = Arrays.copyOf(active, n);
            Arrays.fill(last, from, n, NONE);
            Arrays.fill(first, from, n, NONE);
            Arrays.fill(active, from, n, NONE);
        }
        size = Math.max(size, recipient + 1);
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
        return r < size ? last[r] : NONE;
    }

    int count(int r) {
        return r < size ? count[r] : 0;
    }

    long value(int r) {
        return r < size ? value[r] : 0;
    }

    long first(int r) {
        return r < size ? first[r] : NONE;
    }

    long active(int r) {
        return r < size ? active[r] : NONE;
    }
}
