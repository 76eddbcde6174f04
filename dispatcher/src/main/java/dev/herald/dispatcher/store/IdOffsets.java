package dev.herald.dispatcher.store;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Where each record of a JSON-lines store is, by its string id: a {@link HashedOffsets} of the id's
 * 64-bit hash (about 27 bytes a record), confirmed by reading the record back, with the rare ids
 * whose hash another id holds kept aside by their whole id. Conversions (order ids) and events
 * (event ids) find their records this way.
 *
 * <pre>{@code
 * IdOffsets ids = new IdOffsets(1 << 16, HashedOffsets::hash);
 * ids.put(e.id(), offset);
 * Optional<Event> e = ids.find("ev-1", this::readAt, Event::id);
 * }</pre>
 *
 * <p>Not thread-safe: the store's lock guards it.
 */
public final class IdOffsets {

    /** Reads the record at an offset. */
    @FunctionalInterface
    public interface Reader<T> {
        T readAt(long offset) throws IOException;
    }

    private final HashedOffsets byHash;
    private final ToLongFunction<String> hash;
    /** Ids whose hash another id holds in {@link #byHash}: id → offset. */
    private final Map<String, Long> collided = new HashMap<>();

    /**
     * @param expected records expected at first
     * @param hash     an id's 64-bit hash ({@link HashedOffsets#hash}; tests make ids collide)
     */
    public IdOffsets(int expected, ToLongFunction<String> hash) {
        this.byHash = new HashedOffsets(expected);
        this.hash = hash;
    }

    /** Records that the record of {@code id} is at {@code offset} (the first one of an id stays). */
    public void put(String id, long offset) {
        if (!byHash.putIfAbsent(hash.applyAsLong(id), offset)) {
            collided.putIfAbsent(id, offset);
        }
    }

    /**
     * @param read reads a record back
     * @param idOf a record's id
     * @return the record of {@code id}, if stored
     * @throws IOException if a record cannot be read back
     */
    public <T> Optional<T> find(String id, Reader<T> read, Function<T, String> idOf) throws IOException {
        long offset = byHash.get(hash.applyAsLong(id));
        if (offset < 0) {
            return Optional.empty();
        }
        T t = read.readAt(offset);
        if (idOf.apply(t).equals(id)) {
            return Optional.of(t);
        }
        Long other = collided.get(id);
        return other == null ? Optional.empty() : Optional.of(read.readAt(other));
    }
}
