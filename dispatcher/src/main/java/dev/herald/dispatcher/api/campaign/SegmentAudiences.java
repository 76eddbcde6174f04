package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.SegmentRoutes;
import dev.herald.dispatcher.segment.DamagedSegmentException;
import dev.herald.dispatcher.segment.SegmentExpression;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * The service's {@link Audiences}: a stored segment by name, or an expression over segments. The
 * zone index learns the recipients uploads added first, so that quiet hours and caps know their
 * zones.
 *
 * <pre>{@code
 * Audiences audiences = new SegmentAudiences(segments, directory, zones);
 * }</pre>
 *
 * <p>Thread-safety: as the segment store and the zone index (both thread-safe).
 */
public final class SegmentAudiences implements Audiences {

    private final SegmentStore segments;
    private final RecipientDirectory directory;
    private final ZoneIndex zones;

    /**
     * @param segments  the stored segments
     * @param directory the recipient directory (expressions name numbers' ids through it)
     * @param zones     the zone index to bring up to date before each resolution
     */
    public SegmentAudiences(SegmentStore segments, RecipientDirectory directory, ZoneIndex zones) {
        this.segments = segments;
        this.directory = directory;
        this.zones = zones;
    }

    /**
     * @throws ApiError 400 {@code invalid_value} for a malformed segment name, 400 {@code unknown_segment},
     *     the expression's 400s, or the damaged segment's error (that segment only)
     * @throws UncheckedIOException if the segments cannot be read
     */
    @Override
    public ImmutableRoaringBitmap resolve(String segment, String expression) {
        try {
            zones.update(directory);
            if (segment != null) {
                if (!SegmentStore.isValidName(segment)) {
                    throw ApiError.badRequest("invalid_value", "invalid segment name '" + segment + "'", "segment");
                }
                return segments.get(segment).map(SegmentStore.Segment::ids).orElseThrow(() -> ApiError.badRequest(
                        "unknown_segment", "no segment named '" + segment + "'", "segment"));
            }
            return SegmentRoutes.audience(expression, segments, directory);
        } catch (DamagedSegmentException e) {
            throw SegmentRoutes.damaged(e); // that segment only: campaigns on the others are created as usual
        } catch (IOException e) {
            throw new UncheckedIOException("segments could not be read", e);
        }
    }

    /** @return the union of the segments' recorded fields; empty when one segment has none recorded */
    @Override
    public Optional<Set<String>> fields(String segment, String expression) {
        try {
            Collection<String> names = segment != null ? List.of(segment) : SegmentExpression.parse(expression).names();
            Set<String> fields = new TreeSet<>();
            for (String name : names) {
                Optional<SegmentStore.Meta> meta = segments.meta(name);
                if (meta.isEmpty() || meta.get().fields() == null) {
                    return Optional.empty(); // not recorded: the template is not checked
                }
                fields.addAll(meta.get().fields());
            }
            return Optional.of(fields);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
