package dev.herald.dispatcher.store;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.LogFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a JSON-lines log from an offset to where it was durable, each frame checked again: how a
 * follower (the RFM feed) reads the conversions and the events the stores appended since it last looked.
 *
 * <pre>{@code
 * long next = JsonLineScan.scan(file, from, end, FORMAT, "event", (offset, data, payload, length) -> ...);
 * }</pre>
 *
 * <p>Stateless and thread-safe; the caller keeps readers off the bytes past {@code upTo}.
 */
public final class JsonLineScan {

    /** One whole, checked record. */
    @FunctionalInterface
    public interface Record {
        /**
         * @param offset  the record's offset in the file (a later scan from it starts with this record)
         * @param data    the mapped bytes from the scan's start
         * @param payload where the record's payload starts in {@code data}
         * @param length  the payload's length
         * @throws IOException what the reader throws
         */
        void accept(long offset, ByteBuffer data, int payload, int length) throws IOException;
    }

    private JsonLineScan() {
    }

    /**
     * @param file       the log
     * @param fromOffset 0, an offset a record was given, or what an earlier scan returned
     * @param upTo       where the log was durable (the scan stops there)
     * @param format     the log's format (its payload bounds)
     * @param what       what one record is, for the errors ({@code "event"})
     * @param record     receives each record
     * @return {@code upTo}: the {@code fromOffset} of the next scan
     * @throws IllegalArgumentException if {@code fromOffset} is outside the log or not the start of a record
     * @throws DamagedStoreException    if a record is damaged
     * @throws IOException              if the log cannot be read, or what {@code record} throws
     */
    public static long scan(Path file, long fromOffset, long upTo, LogFormat format, String what, Record record)
            throws IOException {
        if (fromOffset < 0 || fromOffset > upTo) {
            throw new IllegalArgumentException("offset " + fromOffset + " is outside the " + what + " log (0-" + upTo + ")");
        }
        if (fromOffset == upTo) {
            return upTo;
        }
        ByteBuffer data;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            data = ch.map(FileChannel.MapMode.READ_ONLY, fromOffset, upTo - fromOffset);
        }
        int limit = data.limit();
        int pos = 0;
        while (pos < limit) {
            int n = FrameFormat.JSON_LINE.check(data, pos, limit, format.minPayload(), format.maxPayload());
            if (n <= 0) {
                if (pos == 0) {
                    throw new IllegalArgumentException("offset " + fromOffset + " is not the start of " + what + " record");
                }
                throw new DamagedStoreException(file, fromOffset + pos, FrameFormat.describe(n));
            }
            record.accept(fromOffset + pos, data, FrameFormat.JSON_LINE.payloadOffset(pos), FrameFormat.JSON_LINE.payloadLength(n));
            pos += n;
        }
        return upTo;
    }
}
