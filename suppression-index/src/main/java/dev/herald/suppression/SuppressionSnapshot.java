package dev.herald.suppression;

import dev.herald.suppression.internal.BaseUnions;
import dev.herald.suppression.internal.ScopeState;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A consistent, immutable view of the suppression index as of one log position.
 *
 * <pre>{@code
 * SuppressionSnapshot s = index.snapshot();
 * MutableRoaringBitmap kept = s.filter(chunk, Scope.forMessage("acme", "sms", "marketing"));
 * }</pre>
 *
 * <p>Every call on one snapshot sees the same data; take a new snapshot to see later changes.
 * Thread-safe; cheap to take (a volatile read). Results are new bitmaps owned by the caller.
 */
public final class SuppressionSnapshot {
    private final long seq;
    private final Map<Scope, ScopeState> scopes;
    private final BaseUnions unions;
    /** The last prepared filter, so repeated calls with the same scopes skip preparing. */
    private volatile Prepared last;

    private record Prepared(List<Scope> scopes, ScopeFilter filter) {
    }

    SuppressionSnapshot(long seq, Map<Scope, ScopeState> scopes, BaseUnions unions) {
        this.seq = seq;
        this.scopes = scopes;
        this.unions = unions;
    }

    BaseUnions unions() {
        return unions;
    }

    /**
     * A filter for messages with {@code messageScopes}, prepared against this snapshot: use it
     * for many recipients or chunks. Scopes the index does not know suppress nobody.
     */
    public ScopeFilter prepare(Collection<Scope> messageScopes) {
        Set<Scope> key = new HashSet<>(messageScopes);
        List<ScopeState> states = new ArrayList<>(key.size());
        for (Scope scope : key) {
            ScopeState state = scopes.get(scope);
            if (state != null) {
                states.add(state);
            }
        }
        return new ScopeFilter(unions.unionOf(key, states), states);
    }

    private ScopeFilter prepared(Collection<Scope> messageScopes) {
        Prepared p = last;
        // List.copyOf returns an immutable list itself, so the common case is an identity match
        if (p != null && p.scopes.equals(messageScopes)) {
            return p.filter;
        }
        List<Scope> copy = List.copyOf(messageScopes);
        ScopeFilter f = prepare(copy);
        last = new Prepared(copy, f);
        return f;
    }

    /** The sequence number of the last change included (0 for none). */
    public long seq() {
        return seq;
    }

    Map<Scope, ScopeState> states() {
        return scopes;
    }

    /**
     * The ids of {@code chunk} that are in none of {@code messageScopes}: the recipients a
     * message with those scopes may go to. Scopes the index does not know suppress nobody.
     */
    public MutableRoaringBitmap filter(ImmutableRoaringBitmap chunk, Collection<Scope> messageScopes) {
        return filter(chunk, messageScopes, null);
    }

    /**
     * Like {@link #filter(ImmutableRoaringBitmap, Collection)}, and reports each scope's
     * suppressed ids to {@code onSuppressed}: every suppressed id is reported once, under the
     * first of {@code messageScopes} (in iteration order) that contains it.
     */
    public MutableRoaringBitmap filter(ImmutableRoaringBitmap chunk, Collection<Scope> messageScopes,
                                       BiConsumer<Scope, ImmutableRoaringBitmap> onSuppressed) {
        if (onSuppressed == null) {
            return prepared(messageScopes).filter(chunk);
        }
        MutableRoaringBitmap kept = chunk.toMutableRoaringBitmap();
        for (Scope scope : messageScopes) {
            ScopeState state = scopes.get(scope);
            if (state == null) {
                continue;
            }
            MutableRoaringBitmap hit = state.hits(kept);
            if (!hit.isEmpty()) {
                kept.andNot(hit);
                onSuppressed.accept(scope, hit);
            }
            if (kept.isEmpty()) {
                break;
            }
        }
        return kept;
    }

    /** Whether any of {@code messageScopes} contains {@code id}. */
    public boolean isSuppressed(int id, Collection<Scope> messageScopes) {
        return prepared(messageScopes).isSuppressed(id);
    }

    /** Whether {@code scope} contains {@code id}. */
    public boolean isSuppressed(int id, Scope scope) {
        ScopeState state = scopes.get(scope);
        return state != null && state.contains(id);
    }

    /** Every scope that contains {@code id}, in scope order. */
    public List<Scope> scopesOf(int id) {
        List<Scope> out = new ArrayList<>();
        for (Scope scope : new TreeSet<>(scopes.keySet())) {
            if (scopes.get(scope).contains(id)) {
                out.add(scope);
            }
        }
        return out;
    }

    /** The number of ids suppressed in {@code scope}. */
    public long count(Scope scope) {
        ScopeState state = scopes.get(scope);
        return state == null ? 0 : state.cardinality();
    }

    /** The count of every scope that has members, in scope order. */
    public Map<Scope, Long> counts() {
        Map<Scope, Long> out = new TreeMap<>();
        scopes.forEach((scope, state) -> {
            if (state.cardinality() > 0) {
                out.put(scope, state.cardinality());
            }
        });
        return out;
    }

    /** All ids suppressed in {@code scope}, as a new bitmap. */
    public MutableRoaringBitmap export(Scope scope) {
        ScopeState state = scopes.get(scope);
        return state == null ? new MutableRoaringBitmap() : state.materialize();
    }

    /** Ids that differ from the base image, over all scopes: the work a compaction would fold in. */
    public long deltaSize() {
        long n = 0;
        for (ScopeState s : scopes.values()) {
            n += s.deltaSize();
        }
        return n;
    }
}
