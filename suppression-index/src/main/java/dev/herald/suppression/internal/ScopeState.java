package dev.herald.suppression.internal;

import dev.herald.suppression.ConsentAction;
import dev.herald.suppression.ConsentRecord;

import java.util.List;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * One scope's suppression set in a snapshot: the base bitmap (usually memory-mapped) and the
 * changes since, kept as {@code adds} (not in base) and {@code removes} (in base), disjoint, so
 * the set is {@code (base \ removes) ∪ adds}.
 *
 * <p>Immutable once published: {@link #apply} copies the delta it changes (copy-on-write), so
 * readers never see a half-applied batch. Thread-safe for readers.
 */
public final class ScopeState {
    private static final MutableRoaringBitmap EMPTY = new MutableRoaringBitmap();

    final ImmutableRoaringBitmap base;
    final ImmutableRoaringBitmap adds;
    final ImmutableRoaringBitmap removes;
    private final long cardinality;

    private ScopeState(ImmutableRoaringBitmap base, ImmutableRoaringBitmap adds, ImmutableRoaringBitmap removes) {
        this.base = base;
        this.adds = adds;
        this.removes = removes;
        this.cardinality = base.getLongCardinality() - removes.getLongCardinality() + adds.getLongCardinality();
    }

    public static ScopeState of(ImmutableRoaringBitmap base) {
        return new ScopeState(base, EMPTY, EMPTY);
    }

    /** A new state with {@code records} (all of this scope, in log order) applied. */
    public ScopeState apply(List<ConsentRecord> records) {
        MutableRoaringBitmap a = adds.toMutableRoaringBitmap();
        MutableRoaringBitmap r = removes.toMutableRoaringBitmap();
        for (ConsentRecord rec : records) {
            int id = rec.recipientId();
            if (rec.action() == ConsentAction.OPT_OUT) {
                if (!r.checkedRemove(id) && !base.contains(id)) {
                    a.add(id);
                }
            } else {
                if (!a.checkedRemove(id) && base.contains(id)) {
                    r.add(id);
                }
            }
        }
        return new ScopeState(base, a, r);
    }

    /** Rebases onto a new base that already includes the current delta; {@code later} are applied on top. */
    public static ScopeState rebase(ImmutableRoaringBitmap newBase, List<ConsentRecord> later) {
        ScopeState s = of(newBase);
        return later.isEmpty() ? s : s.apply(later);
    }

    public boolean contains(int id) {
        if (adds == EMPTY && removes == EMPTY) {
            return base.contains(id);
        }
        return adds.contains(id) || (base.contains(id) && !removes.contains(id));
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

    /** A new bitmap: {@code chunk} without this scope's members. */
    public MutableRoaringBitmap without(ImmutableRoaringBitmap chunk) {
        if (hasDelta()) {
            MutableRoaringBitmap kept = chunk.toMutableRoaringBitmap();
            kept.andNot(hits(chunk));
            return kept;
        }
        return ImmutableRoaringBitmap.andNot(chunk, base);
    }

    /** Removes this scope's members from {@code kept} (which is a subset of the chunk). */
    public void removeFrom(MutableRoaringBitmap kept) {
        if (hasDelta()) {
            kept.andNot(hits(kept));
        } else {
            kept.andNot(base);
        }
    }

    public boolean hasDelta() {
        return !adds.isEmpty() || !removes.isEmpty();
    }

    /** Number of ids that differ from the base. */
    public long deltaSize() {
        return adds.getLongCardinality() + removes.getLongCardinality();
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
