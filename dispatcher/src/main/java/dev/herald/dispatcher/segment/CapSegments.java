package dev.herald.dispatcher.segment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How segment-scoped frequency-cap rules find their segments: an uploaded segment or a computed
 * one ({@code rfm:<tier>}, {@code lifecycle:<stage>}) by name, from the {@link SegmentStore}, kept
 * while the store's {@link SegmentStore#generation()} stays (the cap ledger asks once per batch of
 * recipients, so a bitmap is read from disk once per change, not per batch).
 *
 * <pre>{@code
 * SendLedger ledger = SendLedger.open(dir, caps, options, preferences.segments(new CapSegments(segments)));
 * }</pre>
 *
 * <p>Answers: the ids; {@code null} for an uploaded segment that does not exist (the ledger then
 * refuses the reservation naming the rule and the segment: a cap is never silently skipped); an
 * empty bitmap for a computed segment not computed yet (nobody is in a tier before the first
 * recompute; warned once). Thread-safe.
 */
public final class CapSegments implements java.util.function.Function<String, ImmutableRoaringBitmap> {

    private static final Logger LOG = LoggerFactory.getLogger(CapSegments.class);
    private static final ImmutableRoaringBitmap EMPTY = new MutableRoaringBitmap();

    private record Cached(long generation, ImmutableRoaringBitmap ids) {
    }

    private final SegmentStore segments;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /** @param segments the uploaded and computed segments */
    public CapSegments(SegmentStore segments) {
        this.segments = segments;
    }

    /**
     * @throws UncheckedIOException naming the segment if it cannot be read (e.g. damaged)
     * @throws IllegalArgumentException if the name is not a segment name
     */
    @Override
    public ImmutableRoaringBitmap apply(String name) {
        long generation = segments.generation();
        Cached c = cache.get(name);
        if (c != null && c.generation() == generation) {
            return c.ids();
        }
        ImmutableRoaringBitmap ids;
        try {
            ids = segments.get(name).map(SegmentStore.Segment::ids).orElse(null);
        } catch (SegmentExpression.UnknownSegmentsException e) {
            if (!SegmentStore.isComputedName(name)) {
                throw e;
            }
            if (warned.add(name)) {
                LOG.warn("a cap rule's segment holds nobody for now: {}", e.getMessage());
            }
            ids = EMPTY;
        } catch (IOException e) {
            throw new UncheckedIOException("the cap rule segment '" + name + "' cannot be read: " + e.getMessage(), e);
        }
        if (ids != null) {
            cache.put(name, new Cached(generation, ids));
        }
        return ids;
    }
}
