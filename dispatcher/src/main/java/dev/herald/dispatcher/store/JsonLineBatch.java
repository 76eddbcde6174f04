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
}
