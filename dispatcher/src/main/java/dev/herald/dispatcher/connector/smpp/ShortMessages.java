package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.Segments;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A text as SMPP carries it: the bytes of each part and the {@code data_coding}, and the way back
 * for the texts an SMSC delivers.
 *
 * <pre>{@code
 * ShortMessages.Encoded e = ShortMessages.encode(text, Encoding.detect(text), LongMessages.UDH, ref);
 * e.parts().size() == Segments.count(text);     // always
 * String mo = ShortMessages.decode(deliverSm.getShortMessage(), deliverSm.getDataCoding(), udhi);
 * }</pre>
 *
 * <p><b>Encoding.</b> GSM-7 goes as the SMSC default alphabet ({@code data_coding} 0), one septet
 * per octet, unpacked (extension characters as ESC and their code); anything else as UCS-2
 * ({@code data_coding} 8, UTF-16 big-endian). A text longer than one part is cut as
 * {@link Segments} counts it (153 septets or 67 UTF-16 units a part, never splitting an
 * extension character or a surrogate pair), each part led by a 6-octet user data header
 * ({@code 05 00 03 ref total seq}, esm_class UDHI); or, for SMSCs that want it, the whole text
 * in one {@code message_payload}.
 *
 * <p>Stateless and thread-safe.
 */
public final class ShortMessages {

    /** {@code data_coding} of the SMSC default alphabet (GSM 03.38 here). */
    public static final byte GSM_DEFAULT = 0x00;
    /** {@code data_coding} of IA5 / ASCII. */
    public static final byte IA5 = 0x01;
    /** {@code data_coding} of Latin-1. */
    public static final byte LATIN_1 = 0x03;
    /** {@code data_coding} of UCS-2. */
    public static final byte UCS2 = 0x08;
    /** esm_class bit: the short message starts with a user data header. */
    public static final int UDHI = 0x40;

    /**
     * An encoded text.
     *
     * @param dataCoding {@code data_coding}
     * @param udh        whether each part starts with a user data header (esm_class UDHI)
     * @param parts      one {@code short_message} per {@code submit_sm}; one empty part when
     *                   {@code payload} carries the text
     * @param payload    the whole text for {@code message_payload}, or null
     * @param segments   the SMS parts the text takes ({@link Segments#count}), also with a payload
     */
    public record Encoded(byte dataCoding, boolean udh, List<byte[]> parts, byte[] payload, int segments) {
    }

    private ShortMessages() {
    }

    /**
     * @param text      the final text
     * @param encoding  the encoding the render step chose
     * @param mode      concatenated parts or one payload
     * @param reference the concatenation reference (its low 8 bits are used); the same for every
     *                  part of one message, different between messages to one recipient
     * @return the parts
     * @throws IllegalArgumentException if the text has a character {@code encoding} cannot carry,
     *                                  or needs more than 255 parts
     */
    public static Encoded encode(String text, Encoding encoding, SmppSettings.LongMessages mode, int reference) {
        int segments = Segments.count(text, encoding);
        if (segments > 255) {
            throw new IllegalArgumentException("text needs " + segments + " parts; at most 255 can be concatenated");
        }
        byte coding = encoding == Encoding.GSM_7 ? GSM_DEFAULT : UCS2;
        if (segments == 1 || mode == SmppSettings.LongMessages.PAYLOAD) {
            byte[] all = bytes(text, 0, text.length(), encoding);
            if (segments == 1) {
                return new Encoded(coding, false, List.of(all), null, 1);
            }
            return new Encoded(coding, false, List.of(new byte[0]), all, segments);
        }
        List<byte[]> parts = new ArrayList<>(segments);
        int limit = encoding.partLimit();
        int start = 0;
        int used = 0;
        int n = text.length();
        for (int i = 0; i < n; ) {
            int width;
            int advance;
            if (encoding == Encoding.GSM_7) {
                width = Encoding.gsmSeptets(text.charAt(i));
                advance = 1;
            } else {
                boolean pair = Character.isHighSurrogate(text.charAt(i)) && i + 1 < n
                        && Character.isLowSurrogate(text.charAt(i + 1));
                width = pair ? 2 : 1;
                advance = width;
            }
            if (used + width > limit) {
                parts.add(withUdh(bytes(text, start, i, encoding), reference, segments, parts.size() + 1));
                start = i;
                used = 0;
            }
            used += width;
            i += advance;
        }
        parts.add(withUdh(bytes(text, start, n, encoding), reference, segments, parts.size() + 1));
        if (parts.size() != segments) {
            throw new IllegalStateException("cut into " + parts.size() + " parts, counted " + segments);
        }
        return new Encoded(coding, true, List.copyOf(parts), null, segments);
    }

    /**
     * The text of a delivered {@code short_message} (or {@code message_payload}).
     *
     * @param bytes      the octets
     * @param dataCoding {@code data_coding}: 0 (GSM 03.38, unpacked), 1 (IA5), 3 (Latin-1), 8
     *                   (UCS-2); for others the low 4 bits of a general data coding group
     * @param udhi       whether it starts with a user data header (skipped)
     * @return the text
     * @throws IllegalArgumentException naming what cannot be read: a header longer than the
     *                                  message, an odd UCS-2 length, a data coding it cannot decode
     */
    public static String decode(byte[] bytes, byte dataCoding, boolean udhi) {
        int from = 0;
        if (udhi) {
            if (bytes.length == 0 || (bytes[0] & 0xFF) + 1 > bytes.length) {
                throw new IllegalArgumentException("user data header longer than the message ("
                        + (bytes.length == 0 ? 0 : (bytes[0] & 0xFF) + 1) + " > " + bytes.length + " octets)");
            }
            from = (bytes[0] & 0xFF) + 1;
        }
        int coding = dataCoding & 0xFF;
        if ((coding & 0xF0) == 0xF0) {
            coding = (coding & 0x04) == 0 ? 0 : -1;     // data coding / message class group: GSM-7 or 8-bit data
        }
        return switch (coding) {
            case 0x00 -> gsm(bytes, from);
            case 0x01 -> new String(bytes, from, bytes.length - from, StandardCharsets.US_ASCII);
            case 0x03 -> new String(bytes, from, bytes.length - from, StandardCharsets.ISO_8859_1);
            case 0x08 -> {
                if ((bytes.length - from) % 2 != 0) {
                    throw new IllegalArgumentException("UCS-2 message of an odd length (" + (bytes.length - from) + " octets)");
                }
                yield new String(bytes, from, bytes.length - from, StandardCharsets.UTF_16BE);
            }
            default -> throw new IllegalArgumentException("data_coding 0x" + Integer.toHexString(dataCoding & 0xFF)
                    + " is not text Herald reads (0x00 GSM, 0x01 IA5, 0x03 Latin-1, 0x08 UCS-2)");
        };
    }

    private static String gsm(byte[] bytes, int from) {
        StringBuilder b = new StringBuilder(bytes.length - from);
        boolean escaped = false;
        for (int i = from; i < bytes.length; i++) {
            int code = bytes[i] & 0xFF;
            if (code > 0x7F) {
                throw new IllegalArgumentException("octet 0x" + Integer.toHexString(code) + " at " + i
                        + " is not a GSM 03.38 septet (data_coding 0)");
            }
            int c = Encoding.gsmChar(code, escaped);
            if (!escaped && c < 0) {
                escaped = true;
                continue;
            }
            b.append(c < 0 ? ' ' : (char) c);
            escaped = false;
        }
        return b.toString();
    }

    private static byte[] bytes(String text, int from, int to, Encoding encoding) {
        if (encoding == Encoding.UCS_2) {
            return text.substring(from, to).getBytes(StandardCharsets.UTF_16BE);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from + 8);
        for (int i = from; i < to; i++) {
            int code = Encoding.gsmCode(text.charAt(i));
            if (code < 0) {
                throw new IllegalArgumentException("character U+" + String.format("%04X", (int) text.charAt(i))
                        + " at index " + i + " is not in the GSM-7 alphabet");
            }
            if (code > 0xFF) {
                out.write(code >>> 8);
            }
            out.write(code & 0x7F);
        }
        return out.toByteArray();
    }

    private static byte[] withUdh(byte[] body, int reference, int total, int seq) {
        byte[] part = new byte[6 + body.length];
        part[0] = 0x05;
        part[1] = 0x00;
        part[2] = 0x03;
        part[3] = (byte) reference;
        part[4] = (byte) total;
        part[5] = (byte) seq;
        System.arraycopy(body, 0, part, 6, body.length);
        return part;
    }
}
