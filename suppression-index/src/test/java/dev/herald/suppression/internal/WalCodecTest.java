package dev.herald.suppression.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.herald.suppression.ConsentAction;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Scope;

public class WalCodecTest {

    private static final Instant T = Instant.parse("2026-11-23T10:15:30.123Z");

    @Test
    void sentAtRoundTrips() {
        ConsentRecord r = new ConsentRecord(7, T, ConsentAction.OPT_OUT, 42, "+447700900123", Scope.sender("acme"),
                ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms").rawText("Stop.").campaign("spring")
                        .at(T).sentAt(Instant.parse("2026-11-23T08:00:00Z")));
        ConsentRecord back = roundTrip(r);
        assertEquals(r, back);
        assertEquals(Instant.parse("2026-11-23T08:00:00Z"), back.evidence().sentAt());

        ConsentRecord none = new ConsentRecord(8, T, ConsentAction.OPT_IN, 42, null, Scope.GLOBAL,
                ConsentEvidence.of(ConsentSource.API).at(T));
        assertNull(roundTrip(none).evidence().sentAt());
        assertEquals(none, roundTrip(none));
    }

    @Test
    void erasureRoundTripsWithItsHashAndRedactionKeepsEverythingButNumberAndText() {
        ConsentRecord erased = new ConsentRecord(9, T, ConsentAction.ERASED, 42, ConsentRecord.hashedPhone(0x0123456789abcdefL),
                Scope.GLOBAL, ConsentEvidence.of(ConsentSource.OPERATOR).channel("api").at(T));
        assertEquals(erased, roundTrip(erased));
        assertEquals("hash:0123456789abcdef", roundTrip(erased).phone());

        ConsentRecord r = new ConsentRecord(7, T, ConsentAction.OPT_OUT, 42, "+447700900123", Scope.sender("acme"),
                ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms").rawText("Stop, Jane").campaign("spring")
                        .at(T).sentAt(T));
        ConsentRecord red = roundTrip(r.redacted(erased.phone()));
        assertEquals(new ConsentRecord(7, T, ConsentAction.OPT_OUT, 42, "hash:0123456789abcdef", Scope.sender("acme"),
                ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms").campaign("spring").at(T).sentAt(T)), red);
        assertEquals(true, r.holdsPersonalData());
        assertEquals(false, red.holdsPersonalData());
    }

    /** A record written by the first version (no sentAt field) is still read. */
    @Test
    void versionOneRecordsAreStillRead() {
        ConsentRecord r = new ConsentRecord(3, T, ConsentAction.OPT_OUT, 9, "+447700900123", Scope.GLOBAL,
                ConsentEvidence.of(ConsentSource.LINK).campaign("c1").at(T).sentAt(T));
        ByteBuffer buf = ByteBuffer.allocate(WalCodec.maxFrameSize());
        WalCodec.encode(r, buf);
        int frameLen = buf.position();
        // turn it into a version-1 frame: drop the last 8 payload bytes, set the version, re-checksum
        int len = frameLen - WalCodec.FRAME_HEADER - 8;
        ByteBuffer v1 = ByteBuffer.allocate(WalCodec.FRAME_HEADER + len);
        v1.putInt(len).putInt(0).put(buf.array(), WalCodec.FRAME_HEADER, len);
        v1.put(WalCodec.FRAME_HEADER, WalCodec.VERSION_1);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(v1.array(), WalCodec.FRAME_HEADER, len);
        v1.putInt(4, (int) crc.getValue());
        v1.flip();
        assertEquals(len, WalCodec.check(v1));
        ConsentRecord back = WalCodec.decode(v1, len);
        assertNull(back.evidence().sentAt());
        assertEquals("c1", back.evidence().campaignId());
        assertEquals(9, back.recipientId());
    }

    /**
     * A log segment (magic, then frames) rewritten as version-1 frames: each frame loses its
     * trailing sentAt, gets version 1 and a new checksum.
     */
    public static byte[] toVersionOne(byte[] segment) {
        ByteBuffer in = ByteBuffer.wrap(segment);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(segment, 0, WalSegments.HEADER);
        int pos = WalSegments.HEADER;
        while (pos + WalCodec.FRAME_HEADER <= segment.length) {
            int len = in.getInt(pos);
            int v1 = len - 8;
            ByteBuffer f = ByteBuffer.allocate(WalCodec.FRAME_HEADER + v1);
            f.putInt(v1).putInt(0).put(segment, pos + WalCodec.FRAME_HEADER, v1);
            f.put(WalCodec.FRAME_HEADER, WalCodec.VERSION_1);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(f.array(), WalCodec.FRAME_HEADER, v1);
            f.putInt(4, (int) crc.getValue());
            out.write(f.array(), 0, f.capacity());
            pos += WalCodec.FRAME_HEADER + len;
        }
        return out.toByteArray();
    }

    private static ConsentRecord roundTrip(ConsentRecord r) {
        ByteBuffer buf = ByteBuffer.allocate(WalCodec.maxFrameSize());
        WalCodec.encode(r, buf);
        buf.flip();
        int len = WalCodec.check(buf);
        return WalCodec.decode(buf, len);
    }
}
