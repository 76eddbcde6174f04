package dev.herald.suppression;

import dev.herald.suppression.internal.ScopeState;

import java.util.ArrayList;
import java.util.List;

import org.roaringbitmap.IntConsumer;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The suppression sets of one message's scopes in one snapshot, prepared for fast checks: the
 * scopes' base bitmaps are united once per base generation, so a recipient costs one lookup and
 * a chunk one {@code ANDNOT}, whatever the number of scopes; changes since the base are then
 * applied scope by scope.
 *
 * <pre>{@code
 * ScopeFilter f = index.snapshot().prepare(Scope.forMessage("acme", "sms", "marketing"));
 * if (!f.isSuppressed(id)) { ... }
 * }</pre>
 *
 * <p>Immutable and thread-safe; it sees the snapshot it was prepared from, never later changes.
 */
public final class ScopeFilter {
    private final ImmutableRoaringBitmap baseUnion;
    private final ScopeState[] states;
    private final ScopeState[] withAdds;
    private final ScopeState[] withRemoves;

    ScopeFilter(ImmutableRoaringBitmap baseUnion, List<ScopeState> states) {
        this.baseUnion = baseUnion;
        this.states = states.toArray(ScopeState[]::new);
        List<ScopeState> a = new ArrayList<>();
        List<ScopeState> r = new ArrayList<>();
        for (ScopeState s : states) {
            if (!s.adds().isEmpty()) {
                a.add(s);
            }
            if (!s.removes().isEmpty()) {
                r.add(s);
            }
        }
        this.withAdds = a.toArray(ScopeState[]::new);
        this.withRemoves = r.toArray(ScopeState[]::new);
    }

    /** Whether any of the scopes contains {@code id}. */
    public boolean isSuppressed(int id) {
        if (baseUnion.contains(id)) {
            return withRemoves.length == 0 || inAnyScope(id);
        }
        for (ScopeState s : withAdds) {
            if (s.adds().contains(id)) {
                return true;
            }
        }
        return false;
    }

    private boolean inAnyScope(int id) {
        for (ScopeState s : states) {
            if (s.contains(id)) {
                return true;
            }
        }
        return false;
    }

    /** A new bitmap: the ids of {@code chunk} that are in none of the scopes. */
    public MutableRoaringBitmap filter(ImmutableRoaringBitmap chunk) {
        MutableRoaringBitmap kept = ImmutableRoaringBitmap.andNot(chunk, baseUnion);
        for (ScopeState s : withRemoves) {
            // opted back in since the base: kept unless another scope still holds them
            MutableRoaringBitmap back = ImmutableRoaringBitmap.and(chunk, s.removes());
            back.forEach((IntConsumer) id -> {
                if (!inAnyScope(id)) {
                    kept.add(id);
                }
            });
        }
        for (ScopeState s : withAdds) {
            kept.andNot(s.adds());
        }
        return kept;
    }
}
