package dev.herald.suppression.internal;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MappeableArrayContainer;
import org.roaringbitmap.buffer.MappeableContainer;
import org.roaringbitmap.buffer.MappeableContainerPointer;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Copy-on-write updates of published bitmaps at container granularity: the result shares
 * every container the change does not touch, and copies only the (at most 8 KiB) containers it
 * does. A group commit of a few opt-outs then costs a few container copies, not a copy of the
 * whole delta.
 *
 * <p>Safe because published bitmaps are never mutated in place: every container reachable from
 * a published bitmap is read-only. Stateless and thread-safe.
 */
public final class CowBitmaps {
    private CowBitmaps() {
    }

    /**
     * {@code (old ∪ plus) \ minus} as a new bitmap sharing {@code old}'s untouched containers.
     *
     * @param plus ids to add, ascending, {@code plusCount} of them
     * @param minus ids to remove, ascending, {@code minusCount} of them; disjoint from {@code plus}
     */
    public static MutableRoaringBitmap apply(ImmutableRoaringBitmap old, int[] plus, int plusCount, int[] minus,
                                             int minusCount) {
        if (plusCount == 0 && minusCount == 0) {
            return shallowCopy(old);
        }
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        MappeableContainerPointer p = old.getContainerPointer();
        int pi = 0;
        int mi = 0;
        while (p.hasContainer() || pi < plusCount || mi < minusCount) {
            int nextChange = Math.min(pi < plusCount ? plus[pi] >>> 16 : Integer.MAX_VALUE,
                    mi < minusCount ? minus[mi] >>> 16 : Integer.MAX_VALUE);
            if (p.hasContainer() && p.key() < nextChange) {
                out.append(p.key(), p.getContainer());
                p.advance();
                continue;
            }
            char key = (char) nextChange;
            MappeableContainer c;
            if (p.hasContainer() && p.key() == key) {
                c = p.getContainer().clone();
                p.advance();
            } else {
                c = new MappeableArrayContainer();
            }
            while (pi < plusCount && plus[pi] >>> 16 == key) {
                c = c.add((char) plus[pi++]);
            }
            while (mi < minusCount && minus[mi] >>> 16 == key) {
                c = c.remove((char) minus[mi++]);
            }
            if (!c.isEmpty()) {
                out.append(key, c);
            }
        }
        return out;
    }

    private static MutableRoaringBitmap shallowCopy(ImmutableRoaringBitmap old) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        MappeableContainerPointer p = old.getContainerPointer();
        while (p.hasContainer()) {
            out.append(p.key(), p.getContainer());
            p.advance();
        }
        return out;
    }
}
