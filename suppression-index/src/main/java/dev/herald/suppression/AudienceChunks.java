package dev.herald.suppression;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MappeableContainerPointer;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Splits an audience bitmap into chunks of one Roaring container each: the ids that share their
 * upper 16 bits, at most 65,536 ids. Work moves through Herald chunk by chunk.
 *
 * <pre>{@code
 * AudienceChunks.forEach(audience, chunk -> kept.or(snapshot.filter(chunk, scopes)));
 * }</pre>
 *
 * <p>Chunks share their container with the audience (no copy): treat them as read-only, as
 * the {@link ImmutableRoaringBitmap} type says. Stateless and thread-safe.
 */
public final class AudienceChunks {
    /** The most ids one chunk can hold. */
    public static final int MAX_CHUNK = 1 << 16;

    private AudienceChunks() {
    }

    /** Calls {@code action} with each non-empty chunk of {@code audience}, in id order. */
    public static void forEach(ImmutableRoaringBitmap audience, Consumer<ImmutableRoaringBitmap> action) {
        MappeableContainerPointer p = audience.getContainerPointer();
        while (p.hasContainer()) {
            MutableRoaringBitmap chunk = new MutableRoaringBitmap();
            chunk.append(p.key(), p.getContainer());
            action.accept(chunk);
            p.advance();
        }
    }

    /** The chunks of {@code audience}, in id order. */
    public static List<ImmutableRoaringBitmap> split(ImmutableRoaringBitmap audience) {
        List<ImmutableRoaringBitmap> out = new ArrayList<>(audience.getContainerCount());
        forEach(audience, out::add);
        return out;
    }
}
