package dev.herald.dispatcher.message;

import dev.herald.suppression.store.LogFormat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The one place the message log's bytes are written and read.
 *
 * <pre>
 * file:    "HRLDMSG1" then frames           frame: u32 payloadLength | u32 crc32c(payload) | payload
 * RUN:     'R' | i64 startedAtMillis | str connector | u8 variants | per variant: u16 n | n × str fieldName
 * SENT:    'S' | i32 recipient | u8 variant | i64 handedAtMillis | i32 crc32(text as UTF-8) | u16 n | n × value
 * SEALED:  'E' | seal(m × (u32 n | n bytes of a SENT payload))      (a master key is set)
 * str:     u16 byteLength | UTF-8 bytes
 * value:   u16 byteLength + 1, 0 when the recipient had no value (the placeholder's fallback was used) | UTF-8 bytes
 * </pre>
 * Big-endian. A SENT frame's values are its variant's field names of the last RUN frame before it,
 * in that order. A value longer than 65,534 bytes is cut there (its message then does not rebuild
 * to its checksum: it is answered as not rebuilt, never as a different text).
 *
 * <p>A SEALED frame holds the SENT payloads of one append (one group of messages) sealed once with
 * the recipient directory's {@link dev.herald.suppression.DataCipher} for {@link MessageLog#PURPOSE}
 * (AES-256-GCM: 12-byte nonce, ciphertext, 16-byte tag; one seal per group, not per message, so
 * the send path pays one cipher set-up per group). Its messages refer to the last RUN frame before
 * it, as SENT frames do; RUN frames (connector, field names) are never sealed. A file may hold both
 * kinds (a data directory encrypted after it had sent): readers take each frame as it is.

 * <p>Stateless and thread-safe.
 */
public final class MessageCodec {

    /** The frame format: BINARY frames after the 8-byte magic. */
    public static final LogFormat FORMAT = LogFormat.binary("HRLDMSG1", 8, 1, 4 * 1024 * 1024);
    static final byte RUN = 'R';
    static final byte SENT = 'S';
    static final byte SEALED = 'E';
    /** The most plain bytes one SEALED frame holds: a larger group is written as several frames (far below {@link #FORMAT}'s 4 MiB). */
    static final int MAX_SEALED_PLAIN = 1024 * 1024;
    private static final int MAX_STR = 0xFFFE;

    private MessageCodec() {
    }

    /** A decoded RUN frame. */
    record Run(long startedAtMillis, String connector, List<List<String>> fieldNames) {
    }

    /** A decoded SENT frame; {@code values} in the run's field order, null where the recipient had none. */
    record SentFrame(int recipient, int variant, long handedAtMillis, int textCrc32, String[] values) {
    }

    /** @return the CRC-32 of {@code text}'s UTF-8 bytes, as an int */
    public static int crc32(String text) {
        CRC32 c = new CRC32();
        c.update(text.getBytes(StandardCharsets.UTF_8));
        return (int) c.getValue();
    }

    static int runFrameBound(String connector, List<List<String>> names) {
        int n = 8 + 1 + 8 + 2 + connector.length() * 3 + 1;
        for (List<String> v : names) {
            n += 2;
            for (String s : v) {
                n += 2 + s.length() * 3;
            }
        }
        return n;
    }

    static void putRun(ByteBuffer b, String connector, List<List<String>> names, long nowMillis) {
        if (names.isEmpty() || names.size() > 255) {
            throw new IllegalArgumentException("a run has 1 to 255 variants, got " + names.size());
        }
        b.put(RUN).putLong(nowMillis);
        putStr(b, connector);
        b.put((byte) names.size());
        for (List<String> v : names) {
            b.putShort((short) v.size());
            for (String s : v) {
                putStr(b, s);
            }
        }
    }

    /** The encoded values of {@code names} from {@code fields} (null entry: no value). */
    static byte[][] values(List<String> names, Map<String, String> fields) {
        byte[][] out = new byte[names.size()][];
        for (int i = 0; i < out.length; i++) {
            String v = fields.get(names.get(i));
            out[i] = v == null ? null : cut(v.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    static int sentLength(byte[][] values) {
        int n = 1 + 4 + 1 + 8 + 4 + 2;
        for (byte[] v : values) {
            n += 2 + (v == null ? 0 : v.length);
        }
        return n;
    }

    static void putSent(ByteBuffer b, int recipient, int variant, long handedAtMillis, int crc, byte[][] values) {
        b.put(SENT).putInt(recipient).put((byte) variant).putLong(handedAtMillis).putInt(crc).putShort((short) values.length);
        for (byte[] v : values) {
            if (v == null) {
                b.putShort((short) 0);
            } else {
                b.putShort((short) (v.length + 1)).put(v);
            }
        }
    }

    /** Reads the SENT payloads a SEALED frame's opened bytes hold, in order. */
    @FunctionalInterface
    interface SentVisitor {
        void sent(ByteBuffer plain, int p, int n) throws java.io.IOException;
    }

    /**
     * Calls {@code v} with each SENT payload of {@code plain} (a SEALED frame's opened bytes).
     *
     * @throws IllegalArgumentException if they are not whole length-prefixed SENT payloads
     * @throws java.io.IOException what {@code v} throws
     */
    static void forEachSealedSent(byte[] plain, SentVisitor v) throws java.io.IOException {
        ByteBuffer b = ByteBuffer.wrap(plain);
        int p = 0;
        while (p < plain.length) {
            if (plain.length - p < 4) {
                throw new IllegalArgumentException("a sealed group ends inside a length at byte " + p);
            }
            int n = b.getInt(p);
            if (n < 1 + 4 + 1 + 8 + 4 + 2 || n > plain.length - p - 4 || plain[p + 4] != SENT) {
                throw new IllegalArgumentException("a sealed group holds no message record at byte " + p + " (length " + n + ")");
            }
            v.sent(b, p + 4, n);
            p += 4 + n;
        }
    }

    /** The recipient of the SENT frame whose payload starts at {@code p}, or -1 for another kind. */
    static int recipientOf(ByteBuffer data, int p) {
        return data.get(p) == SENT ? data.getInt(p + 1) : -1;
    }

    static byte kind(ByteBuffer data, int p) {
        return data.get(p);
    }

    static Run readRun(ByteBuffer data, int p, int n) {
        ByteBuffer b = data.duplicate().limit(p + n).position(p + 1);
        long at = b.getLong();
        String connector = getStr(b);
        int variants = b.get() & 0xFF;
        List<List<String>> names = new ArrayList<>(variants);
        for (int v = 0; v < variants; v++) {
            int k = b.getShort() & 0xFFFF;
            List<String> one = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                one.add(getStr(b));
            }
            names.add(List.copyOf(one));
        }
        return new Run(at, connector, List.copyOf(names));
    }

    static SentFrame readSent(ByteBuffer data, int p, int n) {
        ByteBuffer b = data.duplicate().limit(p + n).position(p + 1);
        int recipient = b.getInt();
        int variant = b.get() & 0xFF;
        long at = b.getLong();
        int crc = b.getInt();
        String[] values = new String[b.getShort() & 0xFFFF];
        for (int i = 0; i < values.length; i++) {
            int len = b.getShort() & 0xFFFF;
            if (len > 0) {
                byte[] v = new byte[len - 1];
                b.get(v);
                values[i] = new String(v, StandardCharsets.UTF_8);
            }
        }
        return new SentFrame(recipient, variant, at, crc, values);
    }

    private static byte[] cut(byte[] v) {
        return v.length <= MAX_STR ? v : java.util.Arrays.copyOf(v, MAX_STR);
    }

    private static void putStr(ByteBuffer b, String s) {
        byte[] v = cut(s.getBytes(StandardCharsets.UTF_8));
        b.putShort((short) v.length).put(v);
    }

    private static String getStr(ByteBuffer b) {
        byte[] v = new byte[b.getShort() & 0xFFFF];
        b.get(v);
        return new String(v, StandardCharsets.UTF_8);
    }
}
