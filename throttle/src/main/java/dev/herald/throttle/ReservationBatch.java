package dev.herald.throttle;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The answer of {@link SendLedger#reserve(org.roaringbitmap.buffer.ImmutableRoaringBitmap,
 * CapContext, Instant)} for a chunk: every id of the chunk is in exactly one of
 * {@link #reserved()}, one bitmap of {@link #capped()}, or {@link #deferred()}.
 *
 * <pre>{@code
 * ReservationBatch b = ledger.reserve(chunk, ctx, now);
 * send(b.reserved()); ledger.confirm(accepted, b.stamp()); ledger.release(failed, b.stamp());
 * }</pre>
 *
 * <p>Not thread-safe while the ledger fills it; safe to share once returned if not mutated.
 */
public final class ReservationBatch {

    private final long stamp;
    private final List<String> ruleNames;
    private final MutableRoaringBitmap reserved = new MutableRoaringBitmap();
    /** Capped ids per rule index; the last index is {@link SendLedger#LEDGER_FULL}. */
    private final MutableRoaringBitmap[] cappedByRule;
    private Map<String, MutableRoaringBitmap> capped;
    private final int[] pending = new int[1024];
    private int pendingCount;
    private final MutableRoaringBitmap deferred = new MutableRoaringBitmap();
    private int[] deferredIds = new int[16];
    private long[] deferredUntil = new long[16];
    private int deferredCount;

    ReservationBatch(long stamp, List<String> ruleNames) {
        this.stamp = stamp;
        this.ruleNames = ruleNames;
        this.cappedByRule = new MutableRoaringBitmap[ruleNames.size() + 1];
    }

    /** Ids arrive in ascending order; they are added to the bitmap a thousand at a time. */
    void addReserved(int id) {
        if (pendingCount == pending.length) {
            flush();
        }
        pending[pendingCount++] = id;
    }

    /** Called by the ledger once the batch is complete. */
    void flush() {
        reserved.addN(pending, 0, pendingCount);
        pendingCount = 0;
    }

    void addAllReserved(org.roaringbitmap.buffer.ImmutableRoaringBitmap ids) {
        reserved.or(ids);
    }

    /** @param rule rule index, or the number of rules for {@link SendLedger#LEDGER_FULL} */
    void addCapped(int rule, int id) {
        MutableRoaringBitmap b = cappedByRule[rule];
        if (b == null) {
            b = cappedByRule[rule] = new MutableRoaringBitmap();
        }
        b.add(id);
    }

    void addDeferred(int id, long untilSecond) {
        if (deferredCount == deferredIds.length) {
            deferredIds = Arrays.copyOf(deferredIds, deferredCount * 2);
            deferredUntil = Arrays.copyOf(deferredUntil, deferredCount * 2);
        }
        deferredIds[deferredCount] = id;
        deferredUntil[deferredCount++] = untilSecond;
        deferred.add(id);
    }

    /** @return the stamp every reservation of this batch carries, for confirm and release */
    public long stamp() {
        return stamp;
    }

    /** @return the ids reserved: counted in the ledger now, to be confirmed or released */
    public MutableRoaringBitmap reserved() {
        return reserved;
    }

    /** @return the dropped ids per outcome reason {@code capped:<rule>}, in rule order; only non-empty */
    public Map<String, MutableRoaringBitmap> capped() {
        if (capped == null) {
            Map<String, MutableRoaringBitmap> m = new LinkedHashMap<>();
            for (int r = 0; r < cappedByRule.length; r++) {
                if (cappedByRule[r] != null) {
                    m.put("capped:" + (r < ruleNames.size() ? ruleNames.get(r) : SendLedger.LEDGER_FULL), cappedByRule[r]);
                }
            }
            capped = Collections.unmodifiableMap(m);
        }
        return capped;
    }

    /** @return the ids deferred by defer rules */
    public MutableRoaringBitmap deferred() {
        return deferred;
    }

    /** @return the number of deferred ids */
    public int deferredCount() {
        return deferredCount;
    }

    /**
     * @param i index in {@code [0, deferredCount())}, ids ascending
     * @return the i-th deferred id
     * @throws IndexOutOfBoundsException if {@code i} is out of range
     */
    public int deferredIdAt(int i) {
        return deferredIds[java.util.Objects.checkIndex(i, deferredCount)];
    }

    /**
     * @param i index in {@code [0, deferredCount())}
     * @return when the i-th deferred id may be retried (whole second)
     * @throws IndexOutOfBoundsException if {@code i} is out of range
     */
    public Instant deferredUntilAt(int i) {
        return Instant.ofEpochSecond(deferredUntil[java.util.Objects.checkIndex(i, deferredCount)]);
    }

    /**
     * @param id a recipient id
     * @return when it may be retried, or null if it was not deferred
     */
    public Instant deferredUntil(int id) {
        int i = Arrays.binarySearch(deferredIds, 0, deferredCount, id);
        return i < 0 ? null : Instant.ofEpochSecond(deferredUntil[i]);
    }

    /** @return the number of ids decided */
    public long size() {
        return reserved.getLongCardinality() + deferredCount
                + capped().values().stream().mapToLong(MutableRoaringBitmap::getLongCardinality).sum();
    }
}
