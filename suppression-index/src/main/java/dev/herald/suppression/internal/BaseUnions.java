package dev.herald.suppression.internal;

import dev.herald.suppression.Scope;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Unions of base bitmaps per set of scopes, for one base generation. A message is checked
 * against the union of its scopes' bases with one lookup instead of one per scope; the union
 * changes only when compaction installs a new base, so it is computed once per generation and
 * scope set (and kept on the heap: a derived cache, never stored).
 *
 * <p>Bounded: past {@link #MAX_ENTRIES} scope sets the cache starts over. Thread-safe.
 */
public final class BaseUnions {
    static final int MAX_ENTRIES = 64;

    private final ConcurrentHashMap<Set<Scope>, ImmutableRoaringBitmap> unions = new ConcurrentHashMap<>();

    /** The union of the bases of {@code states}, whose scopes are {@code key}. */
    public ImmutableRoaringBitmap unionOf(Set<Scope> key, List<ScopeState> states) {
        if (states.isEmpty()) {
            return new MutableRoaringBitmap();
        }
        if (states.size() == 1) {
            return states.get(0).base;
        }
        ImmutableRoaringBitmap u = unions.get(key);
        if (u != null) {
            return u;
        }
        if (unions.size() >= MAX_ENTRIES) {
            unions.clear();
        }
        return unions.computeIfAbsent(key, k -> {
            List<ImmutableRoaringBitmap> bases = new ArrayList<>(states.size());
            for (ScopeState s : states) {
                bases.add(s.base);
            }
            MutableRoaringBitmap union = ImmutableRoaringBitmap.or(bases.iterator());
            union.runOptimize();
            return union;
        });
    }
}
