package dev.herald.suppression.internal;

import dev.herald.suppression.ConsentAction;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Scope;
import dev.herald.suppression.store.FrameFormat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Binary form of one write-ahead-log record.
 *
 * <pre>
 * frame:   u32 payloadLength | u32 crc32c(payload) | payload     (a BINARY frame of {@link FrameFormat})
 * payload: u8 version | u64 seq | u64 epochMillis | u8 action (1 opt-out, 2 opt-in, 3 erased) | u32 recipientId | u8 scopeKind
 *          | str scopeName | u8 source | str channel | str phone | str rawText | str campaignId
 *          | u64 sentAtMillis (version 2 on; -1 = none)
 * str:     u16 byteLength (0xFFFF = null) | UTF-8 bytes
 * </pre>
 * The recipient id sits at a fixed offset so that history scans can skip records cheaply.
 * Stateless and thread-safe.
 */
public final class WalCodec {
    static final byte VERSION = 2;
    /** The first version, without {@code sentAtMillis}; still read. */
    static final byte VERSION_1 = 1;
    /** @return whether {@code version} is a record version this build reads (1 or 2) */
    static boolean isKnownVersion(byte version) {
        return version == VERSION || version == VERSION_1;
    }

    /** Frame header bytes: length and checksum. */
    public static final int FRAME_HEADER = FrameFormat.BINARY_HEADER;
    /** Largest payload accepted on read; anything larger is a torn or corrupt frame. */
    public static final int MAX_PAYLOAD = 16 * 1024;
    /** Offset of the recipient id inside the payload. */
    static final int RECIPIENT_OFFSET = 1 + 8 + 8 + 1;
    /** Smallest payload: everything up to and including the recipient id, plus a byte. */
    static final int MIN_PAYLOAD = RECIPIENT_OFFSET + 5;
    private static final int NULL_STR = 0xFFFF;

    private WalCodec() {
    }

    /** Appends the frame of {@code r} to {@code out}, which must have room for {@link #maxFrameSize()}. */
    public static void encode(ConsentRecord r, ByteBuffer out) {
        int start = FrameFormat.beginBinary(out);
        out.put(VERSION);
        out.putLong(r.seq());
        out.putLong(r.time().toEpochMilli());
        out.put(actionCode(r.action()));
        out.putInt(r.recipientId());
        out.put((byte) r.scope().kind().ordinal());
        putString(out, r.scope().name());
        ConsentEvidence e = r.evidence();
        out.put((byte) e.source().ordinal());
        putString(out, e.channel());
        putString(out, r.phone());
        putString(out, e.rawText());
        putString(out, e.campaignId());
        out.putLong(e.sentAt() == null ? -1 : e.sentAt().toEpochMilli());
        FrameFormat.endBinary(out, start);
    }

    /** Upper bound of one encoded frame, in bytes. */
    public static int maxFrameSize() {
        // text is at most MAX_TEXT chars (<= 3 bytes each in UTF-8), ids MAX_ID chars; a scope name 129
        // ASCII chars (sender-channel: two names of 64 and a slash)
        return FRAME_HEADER + 1 + 8 + 8 + 1 + 4 + 1 + (2 + 129) + 1 + (2 + ConsentEvidence.MAX_ID * 3)
                + (2 + 16 * 3) + (2 + ConsentEvidence.MAX_TEXT * 3) + (2 + ConsentEvidence.MAX_ID * 3) + 8;
    }

    /**
     * Checks the frame at the buffer's position. Returns the payload length if the frame is
     * whole and its checksum matches, or -1 if it is torn or damaged. Does not move the buffer.
     */
    public static int check(ByteBuffer in) {
        int n = FrameFormat.BINARY.check(in, in.position(), in.limit(), MIN_PAYLOAD, MAX_PAYLOAD);
        return n > 0 ? n - FRAME_HEADER : -1;
    }

    /** The recipient id of the (checked) frame at the buffer's position. */
    static int recipientId(ByteBuffer in) {
        return in.getInt(in.position() + FRAME_HEADER + RECIPIENT_OFFSET);
    }

    /** The sequence number of the (checked) frame at the buffer's position. */
    static long seq(ByteBuffer in) {
        return in.getLong(in.position() + FRAME_HEADER + 1);
    }

    /**
     * Decodes the checked frame at the buffer's position and advances past it.
     *
     * @throws IllegalArgumentException if the payload's fields are out of range (a bug or a
     *     collision that passed the checksum); the caller treats it as corruption
     */
    static ConsentRecord decode(ByteBuffer in, int payloadLength) {
        int end = in.position() + FRAME_HEADER + payloadLength;
        ByteBuffer p = in.duplicate();
        p.position(in.position() + FRAME_HEADER).limit(end);
        byte version = p.get();
        if (!isKnownVersion(version)) {
            throw new IllegalArgumentException("unknown record version " + version);
        }
        long seq = p.getLong();
        long millis = p.getLong();
        byte action = p.get();
        int id = p.getInt();
        int kind = p.get();
        String scopeName = getString(p);
        int source = p.get();
        String channel = getString(p);
        String phone = getString(p);
        String text = getString(p);
        String campaign = getString(p);
        long sentAt = version == VERSION_1 ? -1 : p.getLong();
        ConsentAction act = action(action);
        if (kind < 0 || kind >= Scope.Kind.values().length || source < 0 || source >= ConsentSource.values().length) {
            throw new IllegalArgumentException("unknown scope kind " + kind + " or source " + source);
        }
        Scope scope = new Scope(Scope.Kind.values()[kind], scopeName);
        ConsentEvidence evidence = new ConsentEvidence(ConsentSource.values()[source], channel, text, campaign,
                Instant.ofEpochMilli(millis), sentAt == -1 ? null : Instant.ofEpochMilli(sentAt));
        in.position(end);
        return new ConsentRecord(seq, Instant.ofEpochMilli(millis), act, id, phone, scope, evidence);
    }

    /** The stored byte of {@code a}: the wire form of an action lives here only. */
    static byte actionCode(ConsentAction a) {
        switch (a) {
            case OPT_OUT:
                return 1;
            case OPT_IN:
                return 2;
            case ERASED:
                return 3;
            default:
                throw new IllegalArgumentException("no stored form for action " + a);
        }
    }

    /** @throws IllegalArgumentException if {@code code} is not a stored action */
    static ConsentAction action(byte code) {
        switch (code) {
            case 1:
                return ConsentAction.OPT_OUT;
            case 2:
                return ConsentAction.OPT_IN;
            case 3:
                return ConsentAction.ERASED;
            default:
                throw new IllegalArgumentException("unknown action " + code);
        }
    }

    private static void putString(ByteBuffer out, String s) {
        if (s == null) {
            out.putShort((short) NULL_STR);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.putShort((short) b.length);
        out.put(b);
    }

    private static String getString(ByteBuffer in) {
        int len = in.getShort() & 0xFFFF;
        if (len == NULL_STR) {
            return null;
        }
        byte[] b = new byte[len];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
