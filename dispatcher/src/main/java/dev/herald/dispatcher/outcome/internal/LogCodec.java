package dev.herald.dispatcher.outcome.internal;

import dev.herald.suppression.store.FrameFormat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * Binary form of one outcome-log record: a batch transition of a set of ids.
 *
 * <pre>
 * frame:   u32 payloadLength | u32 crc32c(payload) | payload   (a BINARY frame of {@link FrameFormat})
 * payload: u8 version | u64 seq | u8 op | op fields | ids (RoaringBitmap portable format)
 * fields:  CLAIM, RELEASE, RESEND, HOLD, UNHOLD: none;  RECORD: u16 byteLength + UTF-8 outcome;  DEFER: i64 untilMillis
 * </pre>
 * Stateless and thread-safe.
 */
public final class LogCodec {
    public static final byte CLAIM = 1;
    public static final byte RELEASE = 2;
    public static final byte RECORD = 3;
    public static final byte DEFER = 4;
    /** {@code unknown} ids made pending again, to be sent once more (an operator's or an idempotent connector's resend). */
    public static final byte RESEND = 5;
    /** Ids held back until an A/B test's decision. */
    public static final byte HOLD = 6;
    /** Held ids made pending again (the decision sends them something). */
    public static final byte UNHOLD = 7;
    static final byte VERSION = 1;
    /** Frame header bytes: length and checksum. */
    public static final int FRAME_HEADER = FrameFormat.BINARY_HEADER;
    /** Smallest payload: version, seq, op and an empty bitmap's 8 bytes. */
    static final int MIN_PAYLOAD = 1 + 8 + 1 + 8;
    /** Largest payload accepted on read (256 MiB); anything larger is torn or corrupt. */
    static final int MAX_PAYLOAD = 1 << 28;

    /** One decoded record; {@code ids} may be backed by the file mapping. */
    public record Entry(long seq, byte op, String outcome, long untilMillis, ImmutableRoaringBitmap ids) {
    }

    private LogCodec() {
    }

    /** Upper bound of the frame of a record with these ids and outcome, in bytes. */
    public static int frameSize(String outcome, ImmutableRoaringBitmap ids) {
        int fields = outcome == null ? 8 : 2 + outcome.length() * 3;
        return FRAME_HEADER + 1 + 8 + 1 + fields + ids.serializedSizeInBytes();
    }

    /** Appends one frame to {@code out}, which must have {@link #frameSize} bytes left. */
    public static void encode(long seq, byte op, String outcome, long untilMillis, ImmutableRoaringBitmap ids, ByteBuffer out) {
        int start = FrameFormat.beginBinary(out);
        out.put(VERSION).putLong(seq).put(op);
        if (op == RECORD) {
            byte[] b = outcome.getBytes(StandardCharsets.UTF_8);
            out.putShort((short) b.length).put(b);
        } else if (op == DEFER) {
            out.putLong(untilMillis);
        }
        ByteBuffer bitmap = out.slice().order(ByteOrder.LITTLE_ENDIAN);
        ids.serialize(bitmap);
        out.position(out.position() + ids.serializedSizeInBytes());
        FrameFormat.endBinary(out, start);
    }

    /** The sequence number of the frame at the buffer's position (header checked by the caller). */
    static long seq(ByteBuffer in) {
        return in.getLong(in.position() + FRAME_HEADER + 1);
    }

    /**
     * Decodes the checked frame at the buffer's position; does not move the buffer.
     *
     * @throws IllegalArgumentException if a field is out of range (the caller reports corruption)
     */
    public static Entry decode(ByteBuffer in, int payloadLength) {
        if (in.get(in.position() + FRAME_HEADER) != VERSION) {
            throw new IllegalArgumentException("unknown record version " + in.get(in.position() + FRAME_HEADER));
        }
        ByteBuffer p = in.duplicate().position(in.position() + FRAME_HEADER + 1).limit(in.position() + FRAME_HEADER + payloadLength);
        long seq = p.getLong();
        byte op = p.get();
        String outcome = null;
        long until = 0;
        if (op == RECORD) {
            byte[] b = new byte[p.getShort() & 0xFFFF];
            p.get(b);
            outcome = new String(b, StandardCharsets.UTF_8);
        } else if (op == DEFER) {
            until = p.getLong();
        } else if (op != CLAIM && op != RELEASE && op != RESEND && op != HOLD && op != UNHOLD) {
            throw new IllegalArgumentException("unknown operation " + op);
        }
        // Copied to the heap: the state must not keep views of a mapped file that is later truncated or deleted.
        ByteBuffer heap = ByteBuffer.allocate(p.remaining()).put(p.duplicate()).flip().order(ByteOrder.LITTLE_ENDIAN);
        ImmutableRoaringBitmap ids = new ImmutableRoaringBitmap(heap);
        if (ids.serializedSizeInBytes() != p.remaining()) {
            throw new IllegalArgumentException("bitmap occupies " + ids.serializedSizeInBytes() + " of " + p.remaining() + " bytes");
        }
        return new Entry(seq, op, outcome, until, ids);
    }
}
