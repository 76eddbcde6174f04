package dev.herald.suppression.store;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * How one frame of a {@link FramedLog} is laid out, and whether the bytes at an offset are a whole
 * frame, an incomplete one (torn) or a damaged one. What to do about each is decided in one place,
 * {@link FramedLog#scan}; a format only classifies.
 *
 * <pre>
 * BINARY: u32 payloadLength | u32 crc32c(payload) | payload          (big-endian)
 * LINE:   payload (UTF-8, no line break) | '\t' | crc32(payload), 8 lowercase hex digits | '\n'
 * JSON_LINE: payload | ',"lineCrc32":"' | crc32(payload), 8 lowercase hex digits | '"}' | '\n'
 * </pre>
 * A JSON_LINE payload is a JSON object without its closing brace, so every line stays one JSON
 * object (with a {@code lineCrc32} member last) that ordinary tools read; the object is payload + '}'.
 * A BINARY frame is incomplete when fewer than 8 bytes are left or fewer than its length; a
 * LINE frame when no line feed follows. A BINARY length outside the store's bounds (zero-filled
 * bytes have length 0) or a checksum that does not match is damage, as is a LINE that does not end
 * in a tab and 8 hex digits matching its text.
 *
 * <p>Stateless and thread-safe.
 */
public enum FrameFormat {
    BINARY,
    LINE,
    JSON_LINE;

    /** {@link #check} result: the bytes from the offset to the end are an incomplete frame. */
    public static final int TORN = -1;
    /** {@link #check} result: a complete frame header with a length outside the store's bounds. */
    public static final int BAD_LENGTH = -2;
    /** {@link #check} result: a complete frame whose checksum does not match (or a malformed line). */
    public static final int BAD_CHECKSUM = -3;

    /** Bytes of a BINARY frame before its payload: length and checksum. */
    public static final int BINARY_HEADER = 8;
    /** Bytes of a LINE frame after its payload: tab, 8 hex digits, line feed. */
    public static final int LINE_TRAILER = 10;
    private static final byte[] JSON_CRC = ",\"lineCrc32\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** Bytes of a JSON_LINE frame after its payload: {@code ,"lineCrc32":"}, 8 hex digits, {@code "}}, line feed. */
    public static final int JSON_TRAILER = JSON_CRC.length + 8 + 2 + 1;

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * Classifies the bytes of {@code data} at {@code pos} (absolute; the buffer's position is not used or moved).
     *
     * @param limit      the end of the data
     * @param minPayload the shortest payload the store writes (BINARY; at least 1)
     * @param maxPayload the longest payload the store writes
     * @return the whole frame's length in bytes (&gt; 0), or {@link #TORN}, {@link #BAD_LENGTH}, {@link #BAD_CHECKSUM}
     */
    public int check(ByteBuffer data, int pos, int limit, int minPayload, int maxPayload) {
        return this == BINARY ? checkBinary(data, pos, limit, minPayload, maxPayload) : checkLine(data, pos, limit, maxPayload);
    }

    private int trailer() {
        return switch (this) {
            case BINARY -> BINARY_HEADER;
            case LINE -> LINE_TRAILER;
            case JSON_LINE -> JSON_TRAILER;
        };
    }

    /** Where the payload of the whole frame at {@code pos} starts. */
    public int payloadOffset(int pos) {
        return this == BINARY ? pos + BINARY_HEADER : pos;
    }

    /** The payload length of the whole frame of {@code frameLength} bytes. */
    public int payloadLength(int frameLength) {
        return frameLength - trailer();
    }

    /** The frame bytes a payload of {@code payloadLength} bytes takes. */
    public int frameLength(int payloadLength) {
        return payloadLength + trailer();
    }

    /** Human-readable reason for a negative {@link #check} result. */
    public static String describe(int code) {
        return switch (code) {
            case TORN -> "incomplete frame";
            case BAD_LENGTH -> "frame length is impossible (zero-filled or damaged header)";
            case BAD_CHECKSUM -> "frame checksum does not match";
            default -> "frame is damaged (" + code + ")";
        };
    }

    private static int checkBinary(ByteBuffer data, int pos, int limit, int minPayload, int maxPayload) {
        if (limit - pos < BINARY_HEADER) {
            return TORN;
        }
        int len = data.getInt(pos);
        if (len < Math.max(1, minPayload) || len > maxPayload) {
            return BAD_LENGTH;
        }
        if (limit - pos - BINARY_HEADER < len) {
            return TORN;
        }
        return crc32c(data, pos + BINARY_HEADER, len) == data.getInt(pos + 4) ? BINARY_HEADER + len : BAD_CHECKSUM;
    }

    private int checkLine(ByteBuffer data, int pos, int limit, int maxPayload) {
        int nl = -1;
        int end = (int) Math.min(limit, (long) pos + maxPayload + trailer());
        for (int i = pos; i < end; i++) {
            if (data.get(i) == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            return end < limit ? BAD_LENGTH : TORN;
        }
        int payload = nl + 1 - pos - trailer();
        if (payload < 0) {
            return BAD_CHECKSUM;
        }
        int hex = pos + payload + 1;
        if (this == LINE) {
            if (data.get(pos + payload) != '\t') {
                return BAD_CHECKSUM;
            }
        } else {
            for (int k = 0; k < JSON_CRC.length; k++) {
                if (data.get(pos + payload + k) != JSON_CRC[k]) {
                    return BAD_CHECKSUM;
                }
            }
            hex = pos + payload + JSON_CRC.length;
            if (data.get(hex + 8) != '"' || data.get(hex + 9) != '}') {
                return BAD_CHECKSUM;
            }
        }
        int crc = crc32(data, pos, payload);
        for (int k = 0; k < 8; k++) {
            if (data.get(hex + k) != HEX[(crc >>> (28 - 4 * k)) & 0xF]) {
                return BAD_CHECKSUM;
            }
        }
        return nl + 1 - pos;
    }

    /**
     * Starts a BINARY frame at {@code out}'s position: skips its header, leaving the position at
     * the payload. @return the frame's start, for {@link #endBinary}
     */
    public static int beginBinary(ByteBuffer out) {
        int start = out.position();
        out.position(start + BINARY_HEADER);
        return start;
    }

    /** Completes the BINARY frame begun at {@code start}: the payload is everything up to {@code out}'s position. */
    public static void endBinary(ByteBuffer out, int start) {
        int len = out.position() - start - BINARY_HEADER;
        out.putInt(start, len);
        out.putInt(start + 4, crc32c(out, start + BINARY_HEADER, len));
    }

    /** Appends a LINE frame of {@code payload} (which must hold no line feed) to {@code out}. */
    public static void putLine(ByteBuffer out, byte[] payload) {
        out.put(payload);
        int crc = crc32(ByteBuffer.wrap(payload), 0, payload.length);
        out.put((byte) '\t');
        for (int k = 0; k < 8; k++) {
            out.put(HEX[(crc >>> (28 - 4 * k)) & 0xF]);
        }
        out.put((byte) '\n');
    }

    /**
     * Appends a JSON_LINE frame to {@code out}: {@code object} is a whole JSON object on one line
     * (ending in '}'); the frame is it with a {@code "lineCrc32"} member added last.
     *
     * @throws IllegalArgumentException if {@code object} does not end in '}'
     */
    public static void putJsonLine(ByteBuffer out, byte[] object, int length) {
        if (length < 2 || object[length - 1] != '}') {
            throw new IllegalArgumentException("not a JSON object");
        }
        int payload = length - 1;
        out.put(object, 0, payload);
        int crc = crc32(ByteBuffer.wrap(object), 0, payload);
        out.put(JSON_CRC);
        for (int k = 0; k < 8; k++) {
            out.put(HEX[(crc >>> (28 - 4 * k)) & 0xF]);
        }
        out.put((byte) '"').put((byte) '}').put((byte) '\n');
    }

    static int crc32c(ByteBuffer data, int from, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate().limit(from + length).position(from));
        return (int) crc.getValue();
    }

    private static int crc32(ByteBuffer data, int from, int length) {
        CRC32 crc = new CRC32();
        crc.update(data.duplicate().limit(from + length).position(from));
        return (int) crc.getValue();
    }
}
