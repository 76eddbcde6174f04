package dev.herald.dispatcher.store;

import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * Appends a batch of JSON objects to a JSON-lines {@link FramedLog} file with one write and one
 * fsync (the group commit of a request's batch: conversions, events), each framed and checksummed
 * by the store rule; if the write or the fsync fails, the file is cut back to where it was.
 *
 * <pre>{@code
 * long[] offsets = JsonLineBatch.appendDurably(channel, end, objects, FORMAT.maxPayload());
 * }</pre>
 *
 * <p>Stateless; the caller holds the file's single writer.
 */
public final class JsonLineBatch {

    private JsonLineBatch() {
    }

    /**
     * @param channel    the log, positioned by the caller's knowledge of its end
     * @param end        the log's length now
     * @param objects    whole JSON objects (each ending in {@code '}'}), in order
     * @param maxPayload the log format's longest record
     * @return each object's frame offset in the file
     * @throws IllegalArgumentException if an object is longer than {@code maxPayload}, or the batch than 2 GiB
     * @throws IOException if it could not be made durable (then the file is as it was)
     */
    public static long[] appendDurably(FileChannel channel, long end, List<byte[]> objects, int maxPayload)
            throws IOException {
        long bytes = 0;
        for (byte[] o : objects) {
            if (o.length - 1 > maxPayload) {
                throw new IllegalArgumentException("a record of " + o.length + " bytes is longer than " + maxPayload);
            }
            bytes += FrameFormat.JSON_LINE.frameLength(o.length - 1);
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a batch of " + bytes + " bytes is too large; send fewer lines");
        }
        ByteBuffer frames = ByteBuffer.allocate((int) bytes);
        long[] offsets = new long[objects.size()];
        for (int i = 0; i < objects.size(); i++) {
            offsets[i] = end + frames.position();
            FrameFormat.putJsonLine(frames, objects.get(i), objects.get(i).length);
        }
        frames.flip();
        FramedLog.appendDurably(channel, frames); // one write, one fsync; cut back if either fails
        return offsets;
    }

    /** @return the bytes {@code objects} take in the log once framed */
    public static long framedLength(List<byte[]> objects) {
        long bytes = 0;
        for (byte[] o : objects) {
            bytes += FrameFormat.JSON_LINE.frameLength(o.length - 1);
        }
        return bytes;
    }

    /** Looks an item up by its id among those stored. */
    @FunctionalInterface
    public interface Stored<T> {
        /** @return the stored item with {@code id}, if any */
        java.util.Optional<T> find(String id) throws IOException;
    }

    /**
     * Which items of a batch are new, by id: an id stored already, or earlier in the same batch,
     * is a duplicate answered with the item stored (or kept) first.
     *
     * @param batch     the items, in the caller's order
     * @param id        an item's id
     * @param stored    the items stored
     * @param outcome   (item answered, whether a duplicate) → the caller's outcome
     * @param fresh     receives the new items, in order
     * @return an outcome per item, in order
     * @throws IOException if a stored item cannot be read back
     */
    public static <T, O> List<O> dedupe(List<T> batch, java.util.function.Function<T, String> id, Stored<T> stored,
                                        java.util.function.BiFunction<T, Boolean, O> outcome, List<T> fresh)
            throws IOException {
        List<O> out = new java.util.ArrayList<>(batch.size());
        java.util.Map<String, T> inBatch = new java.util.HashMap<>();
        for (T item : batch) {
            String key = id.apply(item);
            T earlier = inBatch.get(key);
            if (earlier == null) {
                earlier = stored.find(key).orElse(null);
            }
            if (earlier != null) {
                out.add(outcome.apply(earlier, true));
                continue;
            }
            inBatch.put(key, item);
            fresh.add(item);
            out.add(outcome.apply(item, false));
        }
        return out;
    }
}
