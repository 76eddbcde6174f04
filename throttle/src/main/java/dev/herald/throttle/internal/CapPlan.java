package dev.herald.throttle.internal;

import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import org.roaringbitmap.PeekableIntIterator;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * The cap rules compiled for one send context at one instant: window starts, slot masks and
 * segment membership precomputed, so deciding a recipient is a scan of its K slots.
 *
 * <p>{@code CapPlan plan = new CapPlan(rules, codes, ctx, nowSecond, segments, true); int d = plan.decide(id, record, k);}
 *
 * <p>Not thread-safe: one plan per call (it keeps scratch state); cheap to build (one
 * calendar computation per rule).
 */
public final class CapPlan {

    /** {@link #decide} result: dropped because all K slots hold sends that still count. */
    public static final int LEDGER_FULL = -1_000;
    /** {@link #decide} result: deferred until {@link #deferUntil()}. */
    public static final int DEFERRED = -2_000;

    private final int n;
    private final long[] mask;
    private final long[] want;
    private final long[] start;
    private final int[] limit;
    private final long[] rolling;
    private final long[] nextPeriod;
    private final boolean[] applies;
    private final boolean[] drop;
    private final ImmutableRoaringBitmap[] segment;
    private final long[][] segmentWords;
    private final int[] count;
    /** want, or for a segment rule whose segment the decided recipient is not in, a value no slot matches. */
    private final long[] memberWant;
    private final long[] scratch = new long[64];
    private final boolean anySegment;
    private final boolean anyApplies;
    private final boolean batch;
    private int segmentHigh = -1;
    private long deferUntil;

    /**
     * @param rules     the rules, in reporting order
     * @param codes     the ledger's name codes
     * @param ctx       the send
     * @param nowSecond the current epoch second
     * @param segments  resolves a segment name to its bitmap
     * @param batch     true for ascending ids of a chunk: segment membership is then read from a
     *                  bit set per 65,536-id block; false for one id: {@code contains} per rule
     * @throws IllegalArgumentException if a rule's segment does not resolve
     */
    public CapPlan(List<CapRule> rules, SendLedgerCodes codes, CapContext ctx, long nowSecond,
                   Function<String, ImmutableRoaringBitmap> segments, boolean batch) {
        this.batch = batch;
        n = rules.size();
        mask = new long[n];
        want = new long[n];
        start = new long[n];
        limit = new int[n];
        rolling = new long[n];
        nextPeriod = new long[n];
        applies = new boolean[n];
        drop = new boolean[n];
        segment = new ImmutableRoaringBitmap[n];
        segmentWords = new long[n][];
        count = new int[n];
        memberWant = new long[n];
        boolean seg = false;
        boolean any = false;
        for (int r = 0; r < n; r++) {
            CapRule rule = rules.get(r);
            CapScope scope = rule.scope();
            switch (scope.kind()) {
                case CHANNEL -> {
                    mask[r] = SendLedgerSlots.CHANNEL_MASK;
                    want[r] = (long) codes.channel(scope.name()) << 16;
                }
                case CATEGORY -> {
                    mask[r] = SendLedgerSlots.CATEGORY_MASK;
                    want[r] = (long) codes.category(scope.name()) << 8;
                }
                case MARKETING -> {
                    mask[r] = SendLedgerSlots.MARKETING;
                    want[r] = SendLedgerSlots.MARKETING;
                }
            }
            CapWindow w = rule.window();
            start[r] = w.startSecond(nowSecond, ctx.zone());
            nextPeriod[r] = w.nextPeriodSecond(nowSecond, ctx.zone());
            rolling[r] = w.rollingSeconds();
            limit[r] = rule.limit();
            drop[r] = rule.action() == CapAction.DROP;
            applies[r] = scope.matches(ctx);
            any |= applies[r];
            if (applies[r] && rule.segment().isPresent()) {
                ImmutableRoaringBitmap b = segments.apply(rule.segment().get());
                if (b == null) {
                    throw new IllegalArgumentException("cap rule '" + rule.name() + "': segment '" + rule.segment().get() + "' is unknown");
                }
                if (b.isEmpty()) {
                    // nobody is in the segment: the rule neither caps nor keeps a slot live
                    applies[r] = false;
                    mask[r] = 0;
                    want[r] = 1;
                    continue;
                }
                segment[r] = b;
                segmentWords[r] = batch ? new long[1024] : null;
                seg = true;
            }
        }
        anySegment = seg;
        anyApplies = any;
    }

    /**
     * Decides one recipient against its record.
     *
     * @param id     recipient id
     * @param record its K slots
     * @param k      K
     * @return the free slot index to reserve (≥ 0), the index {@code -1 - r} of the drop rule
     *     hit first, {@link #DEFERRED} or {@link #LEDGER_FULL}
     */
    public int decide(int id, long[] record, int k) {
        final int rules = n;
        final int[] cnt = count;
        Arrays.fill(cnt, 0, rules, 0);
        long[] wanted = want;
        if (anySegment) {
            // A segment rule keeps a slot live only for its members: a recipient outside the
            // segment must not lose slots to a long window (a monthly rule for a few) that never applies to it.
            wanted = memberWant;
            for (int r = 0; r < rules; r++) {
                wanted[r] = segment[r] != null && !inSegment(r, id) ? ~mask[r] : want[r];
            }
        }
        int free = -1;
        for (int i = 0; i < k; i++) {
            long v = record[i];
            if (v == 0) {
                free = free < 0 ? i : free;
                continue;
            }
            long sec = v >>> 24;
            boolean live = false;
            for (int r = 0; r < rules; r++) {
                if ((v & mask[r]) == wanted[r] && sec >= start[r]) {
                    cnt[r]++;
                    live = true;
                }
            }
            if (!live && free < 0) {
                free = i; // counts in no window any more: reusable
            }
        }
        boolean deferred = false;
        long until = Long.MIN_VALUE;
        for (int r = 0; r < rules; r++) {
            if (cnt[r] >= limit[r] && applies[r] && (segment[r] == null || inSegment(r, id))) {
                if (drop[r]) {
                    return -1 - r;
                }
                deferred = true;
                until = Math.max(until, rolling[r] > 0 ? oldestToExpire(r, record, k) + rolling[r] : nextPeriod[r]);
            }
        }
        if (deferred) {
            deferUntil = until;
            return DEFERRED;
        }
        return free < 0 ? LEDGER_FULL : free;
    }

    /** The send whose expiry brings rule r's count below its limit: the (count - limit + 1)-th oldest. */
    private long oldestToExpire(int r, long[] record, int k) {
        int m = 0;
        for (int i = 0; i < k; i++) {
            long v = record[i];
            if (v != 0 && (v & mask[r]) == want[r] && (v >>> 24) >= start[r]) {
                scratch[m++] = v >>> 24;
            }
        }
        Arrays.sort(scratch, 0, m);
        return scratch[m - limit[r]];
    }

    private boolean inSegment(int r, int id) {
        if (!batch) {
            return segment[r].contains(id);
        }
        int high = id >>> 16;
        if (high != segmentHigh) {
            loadSegmentBlock(high);
        }
        return (segmentWords[r][(id & 0xFFFF) >>> 6] & (1L << id)) != 0;
    }

    /** Copies each segment's ids in {@code [high << 16, (high + 1) << 16)} into a 65,536-bit set. */
    private void loadSegmentBlock(int high) {
        int lo = high << 16;
        for (int r = 0; r < n; r++) {
            if (segment[r] == null) {
                continue;
            }
            long[] words = segmentWords[r];
            Arrays.fill(words, 0L);
            PeekableIntIterator it = segment[r].getIntIterator();
            it.advanceIfNeeded(lo);
            while (it.hasNext() && (it.peekNext() >>> 16) == high) {
                int v = it.next();
                words[(v & 0xFFFF) >>> 6] |= 1L << v;
            }
        }
        segmentHigh = high;
    }

    /** @return the epoch second the last {@link #DEFERRED} recipient may be retried */
    public long deferUntil() {
        return deferUntil;
    }

    /**
     * @return whether any rule counts this send; if none does, no rule can cap it either, and
     *     the ledger need not record it
     */
    public boolean anyApplies() {
        return anyApplies;
    }

    /** @return whether any applicable rule is limited to a segment */
    public boolean hasSegments() {
        return anySegment;
    }
}
