package dev.herald.suppression.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What one kind of log file looks like: its header (a magic prefix, possibly followed by fields
 * the store checks itself), its frame format and the payload lengths its writer produces.
 *
 * <pre>{@code
 * LogFormat wal = LogFormat.binary("HRLDWAL1", 8, 23, 16 * 1024);
 * LogFormat lines = LogFormat.lines(64 * 1024);   // no header
 * }</pre>
 * Immutable and thread-safe.
 *
 * @param frames      the frame format
 * @param magic       the bytes every file of this kind starts with (empty: none)
 * @param headerBytes the header's length, at least {@code magic.length}; frames start after it
 * @param minPayload  the shortest payload a writer produces (a shorter BINARY length is damage)
 * @param maxPayload  the longest payload a writer produces (a longer one is damage)
 */
public record LogFormat(FrameFormat frames, byte[] magic, int headerBytes, int minPayload, int maxPayload) {

    /** @throws IllegalArgumentException if the header is shorter than the magic or the bounds are inverted */
    public LogFormat {
        magic = magic.clone();
        if (headerBytes < magic.length || minPayload < 0 || maxPayload < Math.max(1, minPayload)) {
            throw new IllegalArgumentException("bad log format: header " + headerBytes + ", magic " + magic.length
                    + ", payload " + minPayload + ".." + maxPayload);
        }
    }

    /** BINARY frames after a header starting with the ASCII {@code magic}. */
    public static LogFormat binary(String magic, int headerBytes, int minPayload, int maxPayload) {
        return new LogFormat(FrameFormat.BINARY, magic.getBytes(StandardCharsets.US_ASCII), headerBytes, minPayload, maxPayload);
    }

    /** LINE frames, no header (text logs readable with ordinary tools). */
    public static LogFormat lines(int maxPayload) {
        return new LogFormat(FrameFormat.LINE, new byte[0], 0, 0, maxPayload);
    }

    /** JSON_LINE frames, no header: one JSON object a line with a {@code crc32} member last. */
    public static LogFormat jsonLines(int maxPayload) {
        return new LogFormat(FrameFormat.JSON_LINE, new byte[0], 0, 0, maxPayload);
    }

    @Override
    public byte[] magic() {
        return magic.clone();
    }

    boolean magicMatches(java.nio.ByteBuffer data) {
        if (data.limit() < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (data.get(i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogFormat f && f.frames == frames && Arrays.equals(f.magic, magic) && f.headerBytes == headerBytes
                && f.minPayload == minPayload && f.maxPayload == maxPayload;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(magic) * 31 + frames.hashCode() + headerBytes * 7 + maxPayload;
    }

    @Override
    public String toString() {
        return "LogFormat[" + frames + ", magic " + new String(magic, StandardCharsets.US_ASCII) + ", header " + headerBytes
                + ", payload " + minPayload + ".." + maxPayload + "]";
    }
}
