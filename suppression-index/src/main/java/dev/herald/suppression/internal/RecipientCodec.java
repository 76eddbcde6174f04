package dev.herald.suppression.internal;

import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientFields;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The compact binary form of a recipient's attributes, the value of the id-to-record map.
 *
 * <p>{@code byte[] b = RecipientCodec.encode(key, "GB", "Europe/London", "en-GB", fields); Recipient r = RecipientCodec.decode(7, b);}
 *
 * <p>Layout, version {@value #VERSION}: the version byte; the E.164 key as an unsigned LEB128
 * varint; the region as a string; zone and locale as nullable strings; a varint field count, then
 * for each field its name and value as strings. A string is a varint byte length and its UTF-8
 * bytes; a nullable string stores length + 1, with 0 meaning null. The id is the map key and is
 * not repeated. A future layout gets a new version byte; decoders reject versions they do not know
 * rather than misread them.
 *
 * <p>Stateless and thread-safe.
 */
public final class RecipientCodec {

    /** Layout version written as the first byte. */
    public static final byte VERSION = 1;
    /**
     * The record of an erased recipient: one zero byte (any value starting with 0 reads as erased,
     * as do the zeros an erasure writes over the old value first). No number, no fields.
     */
    public static final byte[] ERASED = {0};
    /** Largest encoded record accepted, in bytes; Chronicle stores it in one entry. */
    public static final int MAX_ENCODED_BYTES = 64 * 1024;

    private RecipientCodec() {
    }

    /**
     * A record that would exceed {@link #MAX_ENCODED_BYTES}: an {@link IllegalArgumentException}
     * whose size a caller can report in its own terms (which field made it too large).
     */
    public static final class TooLarge extends IllegalArgumentException {
        private final int bytes;

        TooLarge(int bytes) {
            super("recipient record too large (" + bytes + " bytes > " + MAX_ENCODED_BYTES + ")");
            this.bytes = bytes;
        }

        /** @return the size the record would have had, bytes */
        public int bytes() {
            return bytes;
        }
    }

    /**
     * @param key    E.164 key of the number
     * @param region region code
     * @param zone   zone id or null
     * @param locale language tag or null
     * @param fields personal fields, in order
     * @return the encoded record
     * @throws TooLarge if the encoding exceeds {@value #MAX_ENCODED_BYTES} bytes
     */
    public static byte[] encode(long key, String region, String zone, String locale, Map<String, String> fields) {
        Out out = new Out();
        out.buf[out.len++] = VERSION;
        out.varLong(key);
        out.string(region);
        out.nullable(zone);
        out.nullable(locale);
        out.varLong(fields.size());
        for (Map.Entry<String, String> field : fields.entrySet()) {
            out.string(field.getKey());
            out.string(field.getValue());
        }
        if (out.len > MAX_ENCODED_BYTES) {
            throw new TooLarge(out.len);
        }
        return Arrays.copyOf(out.buf, out.len);
    }

    /** @return whether {@code bytes[from, to)} is an erased record ({@link #ERASED}) */
    public static boolean isErased(byte[] bytes, int from, int to) {
        return to > from && bytes[from] == 0;
    }

    /**
     * @param recipient a recipient
     * @return its encoded record
     * @throws TooLarge if the encoding exceeds {@value #MAX_ENCODED_BYTES} bytes
     */
    public static byte[] encode(Recipient recipient) {
        return encode(recipient.key(), recipient.region(), recipient.zone(), recipient.locale(), recipient.fields());
    }

    /**
     * @param id    the id the record is stored under
     * @param bytes an encoded record
     * @return the recipient
     * @throws IllegalStateException if the record is truncated, malformed or of an unknown version
     */
    public static Recipient decode(int id, byte[] bytes) {
        return decode(id, bytes, 0, bytes.length);
    }

    /**
     * As {@link #decode(int, byte[])}, for the record in {@code bytes[from, to)} (a page of
     * {@link RecordPages} holds many records in one array).
     *
     * @throws IllegalStateException if the record is truncated, malformed or of an unknown version
     */
    public static Recipient decode(int id, byte[] bytes, int from, int to) {
        In in = new In(id, bytes, from, to);
        long key = in.varLong();
        String region = in.string();
        String zone = in.nullable();
        String locale = in.nullable();
        long count = in.varLong();
        Map<String, String> fields = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            fields.put(in.string(), in.string());
        }
        if (in.pos != in.end) {
            throw in.corrupt("trailing bytes");
        }
        String e164;
        try {
            e164 = PhoneNumbers.fromKey(key);
        } catch (IllegalArgumentException e) {
            throw in.corrupt(e.getMessage());
        }
        return new Recipient(id, e164, region, zone, locale, fields);
    }

    /**
     * Decodes the number and the fields named in {@code names}, skipping the region, zone, locale
     * and every other field without making strings of them. Checks the record as {@link #decode}
     * does (version, bounds, no trailing bytes, a valid key).
     *
     * @param id    the id the record is stored under
     * @param bytes an encoded record
     * @param names the field names wanted; the result uses these very strings as its keys
     * @return the number and those of {@code names} the record has
     * @throws IllegalStateException if the record is truncated, malformed or of an unknown version
     */
    public static RecipientFields decodeFields(int id, byte[] bytes, String[] names) {
        return decodeFields(id, bytes, 0, bytes.length, names);
    }

    /**
     * As {@link #decodeFields(int, byte[], String[])}, for the record in {@code bytes[from, to)}.
     *
     * @throws IllegalStateException if the record is truncated, malformed or of an unknown version
     */
    public static RecipientFields decodeFields(int id, byte[] bytes, int from, int to, String[] names) {
        In in = new In(id, bytes, from, to);
        long key = in.varLong();
        in.skip(in.varLong());      // region
        in.skipNullable();          // zone
        in.skipNullable();          // locale
        long count = in.varLong();
        String onlyName = null;
        String onlyValue = null;
        Map<String, String> more = null;
        for (long i = 0; i < count; i++) {
            String name = in.matchName(names);
            long valueLength = in.varLong();
            if (name == null) {
                in.skip(valueLength);
                continue;
            }
            String value = in.utf8(valueLength);
            if (onlyName == null) {
                onlyName = name;
                onlyValue = value;
            } else {
                if (more == null) {
                    more = new LinkedHashMap<>();
                    more.put(onlyName, onlyValue);
                }
                more.put(name, value);
            }
        }
        if (in.pos != in.end) {
            throw in.corrupt("trailing bytes");
        }
        String e164;
        try {
            e164 = PhoneNumbers.fromKey(key);
        } catch (IllegalArgumentException e) {
            throw in.corrupt(e.getMessage());
        }
        Map<String, String> fields = more != null ? Collections.unmodifiableMap(more)
                : onlyName != null ? Map.of(onlyName, onlyValue) : Map.of();
        return new RecipientFields(id, e164, fields);
    }

    /**
     * @param id    the id the record is stored under, for error messages
     * @param bytes an encoded record
     * @return the E.164 key it holds, without decoding the rest
     * @throws IllegalStateException if the record is malformed or of an unknown version
     */
    public static long keyOf(int id, byte[] bytes) {
        return new In(id, bytes, 0, bytes.length).varLong();
    }

    /** A growable output buffer. */
    private static final class Out {
        byte[] buf = new byte[128];
        int len;

        void varLong(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            varLong(utf8.length);
            put(utf8);
        }

        void nullable(String s) {
            if (s == null) {
                varLong(0);
                return;
            }
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            varLong(utf8.length + 1L);
            put(utf8);
        }

        private void put(byte[] bytes) {
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, len, bytes.length);
            len += bytes.length;
        }

        private void ensure(int more) {
            if (len + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
            }
        }
    }

    /** A bounds-checked reader that names the record when it is corrupt. */
    private static final class In {
        final int id;
        final byte[] buf;
        /** End of the record in {@link #buf} (exclusive). */
        final int end;
        int pos;

        In(int id, byte[] buf, int from, int to) {
            this.id = id;
            this.buf = buf;
            this.end = to;
            if (from < 0 || to > buf.length || from > to) {
                throw new IndexOutOfBoundsException("record [" + from + ", " + to + ") of " + buf.length + " bytes");
            }
            if (to == from) {
                throw corrupt("empty record");
            }
            if (buf[from] != VERSION) {
                throw corrupt("unsupported record version " + buf[from] + " (this build reads " + VERSION + ")");
            }
            pos = from + 1;
        }

        long varLong() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw corrupt("truncated");
                }
                byte b = buf[pos++];
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw corrupt("varint too long");
        }

        String string() {
            return utf8(varLong());
        }

        String nullable() {
            long n = varLong();
            return n == 0 ? null : utf8(n - 1);
        }

        void skipNullable() {
            long n = varLong();
            if (n != 0) {
                skip(n - 1);
            }
        }

        void skip(long n) {
            if (n < 0 || n > end - pos) {
                throw corrupt("string length " + n + " past the end");
            }
            pos += (int) n;
        }

        /**
         * Reads a field name and returns the element of {@code names} equal to it, or null,
         * without making a string of it when every name asked for is ASCII (the usual case).
         */
        String matchName(String[] names) {
            long n = varLong();
            if (n < 0 || n > end - pos) {
                throw corrupt("string length " + n + " past the end");
            }
            int start = pos;
            int len = (int) n;
            pos += len;
            String decoded = null;
            for (String name : names) {
                if (isAscii(name)) {
                    if (name.length() == len && asciiEquals(name, start)) {
                        return name;
                    }
                } else {
                    if (decoded == null) {
                        decoded = new String(buf, start, len, StandardCharsets.UTF_8);
                    }
                    if (decoded.equals(name)) {
                        return name;
                    }
                }
            }
            return null;
        }

        private boolean asciiEquals(String name, int start) {
            for (int i = 0; i < name.length(); i++) {
                if (buf[start + i] != name.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private static boolean isAscii(String s) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) >= 0x80) {
                    return false;
                }
            }
            return true;
        }

        String utf8(long n) {
            if (n < 0 || n > end - pos) {
                throw corrupt("string length " + n + " past the end");
            }
            String s = new String(buf, pos, (int) n, StandardCharsets.UTF_8);
            pos += (int) n;
            return s;
        }

        IllegalStateException corrupt(String what) {
            return new IllegalStateException("corrupt recipient record for id " + id + ": " + what);
        }
    }
}
