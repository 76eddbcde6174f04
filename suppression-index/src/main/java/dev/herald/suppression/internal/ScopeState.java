package dev.herald.suppression.internal;

import dev.herald.suppression.ConsentAction;
import dev.herald.suppression.ConsentRecord;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * One scope's suppression set in a snapshot: the base bitmap (usually memory-mapped) and the
 * changes since, kept as {@code adds} (not in base) and {@code removes} (in base), disjoint, so
 * the set is {@code (base \ removes) ∪ adds}.
 *
 * <p>Immutable once published: {@link #apply} builds new delta bitmaps that share the
 * containers it does not touch ({@link CowBitmaps}), so readers never see a half-applied batch
 * and a commit costs in proportion to the batch, not to the delta. Thread-safe for readers.
 */
public final class ScopeState {
    private static final MutableRoaringBitmap EMPTY = new MutableRoaringBitmap();

    final ImmutableRoaringBitmap base;
    final ImmutableRoaringBitmap adds;
    final ImmutableRoaringBitmap removes;
    private final long cardinality;
    private final long deltaSize;

    private ScopeState(ImmutableRoaringBitmap base, ImmutableRoaringBitmap adds, ImmutableRoaringBitmap removes) {
        this.base = base;
        this.adds = adds;
        this.removes = removes;
        long a = adds.getLongCardinality();
        long r = removes.getLongCardinality();
        this.cardinality = base.getLongCardinality() - r + a;
        this.deltaSize = a + r;
    }

    public static ScopeState of(ImmutableRoaringBitmap base) {
        return new ScopeState(base, EMPTY, EMPTY);
    }

    /** A new state with {@code records} (all of this scope, in log order) applied. */
    public ScopeState apply(List<ConsentRecord> records) {
        // The last record of an id wins; then each id moves into or out of adds/removes once.
        Map<Integer, Boolean> wanted = new LinkedHashMap<>();
        for (ConsentRecord rec : records) {
            wanted.put(rec.recipientId(), rec.action() == ConsentAction.OPT_OUT);
        }
        int n = wanted.size();
        int[] addPlus = new int[n];
        int[] addMinus = new int[n];
        int[] remPlus = new int[n];
        int[] remMinus = new int[n];
        int ap = 0;
        int am = 0;
        int rp = 0;
        int rm = 0;
        for (Map.Entry<Integer, Boolean> e : wanted.entrySet()) {
            int id = e.getKey();
            boolean suppressed = e.getValue();
            if (base.contains(id)) {
                boolean removed = removes.contains(id);
                if (suppressed && removed) {
                    remMinus[rm++] = id;
                } else if (!suppressed && !removed) {
                    remPlus[rp++] = id;
                }
            } else {
                boolean added = adds.contains(id);
                if (suppressed && !added) {
                    addPlus[ap++] = id;
                } else if (!suppressed && added) {
                    addMinus[am++] = id;
                }
            }
        }
        Arrays.sort(addPlus, 0, ap);
        Arrays.sort(addMinus, 0, am);
        Arrays.sort(remPlus, 0, rp);
        Arrays.sort(remMinus, 0, rm);
        ImmutableRoaringBitmap a = ap + am == 0 ? adds : CowBitmaps.apply(adds, addPlus, ap, addMinus, am);
        ImmutableRoaringBitmap r = rp + rm == 0 ? removes : CowBitmaps.apply(removes, remPlus, rp, remMinus, rm);
        return new ScopeState(base, a, r);
    }

    public boolean contains(int id) {
        if (deltaSize == 0) {
            return base.contains(id);
        }
        return adds.contains(id) || (base.contains(id) && !removes.contains(id));
    }

    /** Whether {@code id} was added since the base (and so is not in it). */
    boolean addedSinceBase(int id) {
        return adds.contains(id);
    }

    /** The members of this scope within {@code chunk}. */
    public MutableRoaringBitmap hits(ImmutableRoaringBitmap chunk) {
        MutableRoaringBitmap hit = ImmutableRoaringBitmap.and(chunk, base);
        if (!removes.isEmpty()) {
            hit.andNot(removes);
        }
        if (!adds.isEmpty()) {
            hit.or(ImmutableRoaringBitmap.and(chunk, adds));
        }
        return hit;
    }

    public ImmutableRoaringBitmap base() {
        return base;
    }

    public ImmutableRoaringBitmap adds() {
        return adds;
    }

    public ImmutableRoaringBitmap removes() {
        return removes;
    }

    public boolean hasDelta() {
        return deltaSize != 0;
    }

    /** Number of ids that differ from the base. */
    public long deltaSize() {
        return deltaSize;
    }

    public long cardinality() {
        return cardinality;
    }

    /** The whole set as a new bitmap. */
    public MutableRoaringBitmap materialize() {
        MutableRoaringBitmap m = base.toMutableRoaringBitmap();
        if (!removes.isEmpty()) {
            m.andNot(removes);
        }
        if (!adds.isEmpty()) {
            m.or(adds);
        }
        m.runOptimize();
        return m;
    }
}
