package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.Segments;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ShortMessages}: parts as {@link Segments} counts them, each within one SMS on the air
 * interface, with a well-formed concatenation header, never cutting an extension character or a
 * surrogate pair, and read back to the exact text; the GSM 03.38 vectors; decoding's errors.
 * Properties run with fixed seeds (jqwik prints them on failure).
 */
class ShortMessagesTest {

    private static final String BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private static final String EXTENSION = "€{}[]~|^\\\f";
    private static final int UDH_LENGTH = 6;
    private static final int ESC = 0x1B;

    // ---- properties over random texts ----

    @Property(seed = "20261207", tries = 400)
    void gsmTextsShouldBeCutAsSegmentsCountsAndReadBackExactly(@ForAll("gsmTexts") String text,
                                                               @ForAll @IntRange(min = 0, max = 1000) int reference) {
        checkUdhEncoding(text, Encoding.GSM_7, reference, true);
    }

    @Property(seed = "20261208", tries = 400)
    void ucs2TextsShouldBeCutAsSegmentsCountsAndReadBackExactly(@ForAll("ucs2Texts") String text,
                                                                @ForAll @IntRange(min = 0, max = 1000) int reference) {
        checkUdhEncoding(text, Encoding.UCS_2, reference, true);
    }

    @Property(seed = "20261209", tries = 200)
    void gsmTextsSentAsUcs2ShouldReadBackExactly(@ForAll("gsmTexts") String text) {
        checkUdhEncoding(text, Encoding.UCS_2, 7, false);
    }

    @Property(seed = "20261210", tries = 300)
    void payloadModeShouldCarryALongTextWholeBehindOneEmptyPart(@ForAll("anyTexts") String text) {
        Encoding encoding = Encoding.detect(text);
        ShortMessages.Encoded e = ShortMessages.encode(text, encoding, SmppSettings.LongMessages.PAYLOAD, 3);
        int segments = Segments.count(text, encoding);
        assertEquals(segments, e.segments(), "segments are counted also when a payload carries the text");
        assertFalse(e.udh(), "no UDH with a payload or in a single part");
        assertEquals(1, e.parts().size());
        assertEquals(encoding == Encoding.GSM_7 ? ShortMessages.GSM_DEFAULT : ShortMessages.UCS2, e.dataCoding());
        if (segments == 1) {
            assertNull(e.payload(), "a text of one part goes in short_message");
            assertEquals(text, ShortMessages.decode(e.parts().get(0), e.dataCoding(), false));
        } else {
            assertEquals(0, e.parts().get(0).length, "short_message is empty when message_payload carries the text");
            assertEquals(text, ShortMessages.decode(e.payload(), e.dataCoding(), false));
        }
    }

    @Provide
    Arbitrary<String> gsmTexts() {
        Arbitrary<String> basic = Arbitraries.of(chars(BASIC));
        Arbitrary<String> extension = Arbitraries.of(chars(EXTENSION));
        return Arbitraries.frequencyOf(Tuple.of(6, basic), Tuple.of(1, extension))
                .list().ofMinSize(0).ofMaxSize(1200).withSizeDistribution(RandomDistribution.uniform())
                .map(ShortMessagesTest::join);
    }

    @Provide
    Arbitrary<String> ucs2Texts() {
        Arbitrary<String> gsm = Arbitraries.of(chars(BASIC + EXTENSION));
        Arbitrary<String> bmp = Arbitraries.chars().range('\u00A0', '\uD7FF').map(String::valueOf);
        Arbitrary<String> cjk = Arbitraries.of("回", "退", "订", "ç", "á", "’", "ß", "\u0000", "\t");
        Arbitrary<String> astral = Arbitraries.integers().between(0x1_0000, 0x10_FFFF).map(Character::toString);
        Arbitrary<String> emoji = Arbitraries.of("😀", "👍", "🎉", "🇬🇧", "👨‍👩‍👧");
        return Arbitraries.frequencyOf(Tuple.of(4, gsm), Tuple.of(2, bmp), Tuple.of(1, cjk), Tuple.of(2, astral),
                        Tuple.of(2, emoji))
                .list().ofMinSize(0).ofMaxSize(700).withSizeDistribution(RandomDistribution.uniform())
                .map(ShortMessagesTest::join)
                .filter(s -> s.length() <= 1200);
    }

    @Provide
    Arbitrary<String> anyTexts() {
        return Arbitraries.oneOf(gsmTexts(), ucs2Texts());
    }

    private static void checkUdhEncoding(String text, Encoding encoding, int reference, boolean twoUnitChars) {
        ShortMessages.Encoded e = ShortMessages.encode(text, encoding, SmppSettings.LongMessages.UDH, reference);
        int segments = Segments.count(text, encoding);
        // the generators must reach long texts, not only one-part ones
        Statistics.label("parts").collect(segments == 1 ? "1" : segments <= 4 ? "2-4" : "5+");
        Statistics.label("parts").coverage(c -> {
            c.check("1").percentage(p -> p >= 5);
            c.check("5+").percentage(p -> p >= 40);
        });
        List<byte[]> parts = e.parts();
        assertEquals(segments, parts.size(), "parts == Segments.count for a text of " + text.length() + " chars");
        assertEquals(segments, e.segments());
        assertNull(e.payload());
        byte coding = encoding == Encoding.GSM_7 ? ShortMessages.GSM_DEFAULT : ShortMessages.UCS2;
        assertEquals(coding, e.dataCoding());

        if (segments == 1) {
            assertFalse(e.udh(), "a single part has no UDH");
            byte[] only = parts.get(0);
            assertTrue(airOctets(only, coding, false) <= 140, "one SMS: " + airOctets(only, coding, false) + " octets");
            assertArrayEquals(plain(text, encoding), only, "a single part is the text's bytes, nothing before them");
            assertEquals(text, ShortMessages.decode(only, coding, false));
            return;
        }

        assertTrue(e.udh());
        boolean pushed = false;
        StringBuilder joined = new StringBuilder(text.length());
        for (int i = 0; i < parts.size(); i++) {
            byte[] part = parts.get(i);
            String where = "part " + (i + 1) + "/" + parts.size();
            assertTrue(part.length > UDH_LENGTH, where + " has a body");
            assertArrayEquals(new byte[]{0x05, 0x00, 0x03, (byte) reference, (byte) segments, (byte) (i + 1)},
                    Arrays.copyOf(part, UDH_LENGTH), where + ": UDH 05 00 03 ref total seq");
            assertTrue(airOctets(part, coding, true) <= 140,
                    where + " takes " + airOctets(part, coding, true) + " octets on the air, more than one SMS");
            byte[] body = Arrays.copyOfRange(part, UDH_LENGTH, part.length);
            String piece = ShortMessages.decode(part, coding, true);
            assertEquals(ShortMessages.decode(body, coding, false), piece, where + ": decoding skips exactly the UDH");
            if (encoding == Encoding.GSM_7) {
                assertNotEquals(ESC, body[body.length - 1] & 0xFF, where + " ends with ESC: an extension char was split");
                assertTrue(body.length <= Encoding.GSM_7.partLimit(), where + ": " + body.length + " septets");
            } else {
                assertEquals(0, body.length % 2);
                assertTrue(body.length / 2 <= Encoding.UCS_2.partLimit(), where + ": " + body.length / 2 + " units");
                assertFalse(Character.isHighSurrogate(piece.charAt(piece.length() - 1)), where + " ends in half a pair");
                assertFalse(Character.isLowSurrogate(piece.charAt(0)), where + " starts with half a pair");
            }
            if (i + 1 < parts.size()) {
                // greedy, as Segments counts: the next part's first character did not fit in this one
                String next = ShortMessages.decode(parts.get(i + 1), coding, true);
                int nextWidth = encoding == Encoding.GSM_7
                        ? Encoding.gsmSeptets(next.charAt(0))
                        : Character.charCount(next.codePointAt(0));
                assertTrue(Segments.units(piece, encoding) + nextWidth > encoding.partLimit(),
                        where + " was cut early: " + Segments.units(piece, encoding) + " units + " + nextWidth);
                pushed |= Segments.units(piece, encoding) == encoding.partLimit() - 1;
            }
            joined.append(piece);
        }
        // and must reach the case the rule is for: a 2-unit character that did not fit at a part's end
        if (twoUnitChars) {
            Statistics.label("2-unit character moved to the next part").collect(pushed);
            Statistics.label("2-unit character moved to the next part").coverage(c -> c.check(true).count(n -> n >= 20));
        }
        assertEquals(text, joined.toString(), "the parts read back, concatenated, are the text");
    }

    /** The octets a part takes on the air: GSM septets packed (UDH padded to a septet boundary), UCS-2 as is. */
    private static int airOctets(byte[] shortMessage, byte coding, boolean udh) {
        if (coding == ShortMessages.UCS2) {
            return shortMessage.length;
        }
        int header = udh ? (shortMessage[0] & 0xFF) + 1 : 0;
        int headerSeptets = (header * 8 + 6) / 7;
        int septets = headerSeptets + shortMessage.length - header;
        return (septets * 7 + 7) / 8;
    }

    private static byte[] plain(String text, Encoding encoding) {
        if (encoding == Encoding.UCS_2) {
            return text.getBytes(StandardCharsets.UTF_16BE);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (char c : text.toCharArray()) {
            int code = Encoding.gsmCode(c);
            if (code > 0xFF) {
                out.write(ESC);
            }
            out.write(code & 0xFF);
        }
        return out.toByteArray();
    }

    private static List<String> chars(String s) {
        return s.chars().mapToObj(c -> String.valueOf((char) c)).toList();
    }

    private static String join(List<String> pieces) {
        return String.join("", pieces);
    }

    // ---- encoding: vectors and edges ----

    @Test
    void shouldWriteGsm0338CodesUnpacked() {
        assertGsm("@", 0x00);
        assertGsm("$", 0x02);
        assertGsm("_", 0x11);
        assertGsm("¤", 0x24);
        assertGsm("Ä", 0x5B);
        assertGsm("ü", 0x7E);
        assertGsm("à", 0x7F);
        assertGsm("¡", 0x40);
        assertGsm("€", ESC, 0x65);
        assertGsm("{", ESC, 0x28);
        assertGsm("\f", ESC, 0x0A);
        assertGsm("Hi €5", 0x48, 0x69, 0x20, ESC, 0x65, 0x35);
    }

    private static void assertGsm(String text, int... octets) {
        ShortMessages.Encoded e = ShortMessages.encode(text, Encoding.GSM_7, SmppSettings.LongMessages.UDH, 0);
        byte[] expected = new byte[octets.length];
        for (int i = 0; i < octets.length; i++) {
            expected[i] = (byte) octets[i];
        }
        assertEquals(ShortMessages.GSM_DEFAULT, e.dataCoding());
        assertFalse(e.udh());
        assertArrayEquals(expected, e.parts().get(0), "'" + text + "'");
        assertEquals(text, ShortMessages.decode(e.parts().get(0), ShortMessages.GSM_DEFAULT, false));
    }

    @Test
    void shouldWriteUcs2AsUtf16BigEndian() {
        ShortMessages.Encoded e = ShortMessages.encode("回😀", Encoding.UCS_2, SmppSettings.LongMessages.UDH, 0);
        assertEquals(ShortMessages.UCS2, e.dataCoding());
        assertArrayEquals(new byte[]{0x56, (byte) 0xDE, (byte) 0xD8, 0x3D, (byte) 0xDE, 0x00}, e.parts().get(0));
    }

    @Test
    void shouldSendAnEmptyTextAsOneEmptyPart() {
        for (Encoding encoding : Encoding.values()) {
            ShortMessages.Encoded e = ShortMessages.encode("", encoding, SmppSettings.LongMessages.UDH, 0);
            assertEquals(1, e.segments());
            assertEquals(1, e.parts().size());
            assertEquals(0, e.parts().get(0).length);
            assertFalse(e.udh());
        }
    }

    @Test
    void shouldKeepATextAtTheSingleLimitInOnePartAndCutOneBeyondIt() {
        String gsm160 = "a".repeat(160);
        assertEquals(1, ShortMessages.encode(gsm160, Encoding.GSM_7, SmppSettings.LongMessages.UDH, 0).parts().size());
        ShortMessages.Encoded two = ShortMessages.encode(gsm160 + "b", Encoding.GSM_7, SmppSettings.LongMessages.UDH, 0);
        assertEquals(2, two.parts().size());
        assertEquals(6 + 153, two.parts().get(0).length);
        assertEquals(6 + 8, two.parts().get(1).length);

        String ucs70 = "回".repeat(70);
        assertEquals(1, ShortMessages.encode(ucs70, Encoding.UCS_2, SmppSettings.LongMessages.UDH, 0).parts().size());
        ShortMessages.Encoded ucsTwo = ShortMessages.encode(ucs70 + "x", Encoding.UCS_2, SmppSettings.LongMessages.UDH, 0);
        assertEquals(2, ucsTwo.parts().size());
        assertEquals(6 + 67 * 2, ucsTwo.parts().get(0).length);
    }

    @Test
    void shouldStartTheNextPartWithAnExtensionCharacterThatDoesNotFit() {
        String text = "a".repeat(152) + "€" + "b".repeat(20);
        ShortMessages.Encoded e = ShortMessages.encode(text, Encoding.GSM_7, SmppSettings.LongMessages.UDH, 9);
        assertEquals(2, e.parts().size());
        assertEquals(6 + 152, e.parts().get(0).length, "152 septets; the euro's 2 would make 154");
        assertEquals(ESC, e.parts().get(1)[6] & 0xFF);
        assertEquals(0x65, e.parts().get(1)[7] & 0xFF);
    }

    @Test
    void shouldStartTheNextPartWithASurrogatePairThatDoesNotFit() {
        String text = "回".repeat(66) + "😀" + "回".repeat(10);
        ShortMessages.Encoded e = ShortMessages.encode(text, Encoding.UCS_2, SmppSettings.LongMessages.UDH, 9);
        assertEquals(2, e.parts().size());
        assertEquals(6 + 66 * 2, e.parts().get(0).length, "66 units; the pair would make 68");
        assertEquals("😀", ShortMessages.decode(e.parts().get(1), ShortMessages.UCS2, true).substring(0, 2));
    }

    @Test
    void shouldUseTheLowEightBitsOfTheReference() {
        ShortMessages.Encoded e = ShortMessages.encode("a".repeat(200), Encoding.GSM_7, SmppSettings.LongMessages.UDH, 0x1_2345);
        for (byte[] part : e.parts()) {
            assertEquals(0x45, part[3] & 0xFF);
        }
    }

    @Test
    void shouldConcatenateUpTo255PartsAndRefuseMore() {
        String max = "a".repeat(153 * 255);
        ShortMessages.Encoded e = ShortMessages.encode(max, Encoding.GSM_7, SmppSettings.LongMessages.UDH, 1);
        assertEquals(255, e.parts().size());
        assertEquals(0xFF, e.parts().get(254)[4] & 0xFF, "total");
        assertEquals(0xFF, e.parts().get(254)[5] & 0xFF, "seq");

        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.encode(max + "a", Encoding.GSM_7, SmppSettings.LongMessages.UDH, 1));
        assertTrue(ex.getMessage().contains("256 parts") && ex.getMessage().contains("255"), ex.getMessage());
        IllegalArgumentException payload = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.encode("回".repeat(67 * 255 + 1), Encoding.UCS_2, SmppSettings.LongMessages.PAYLOAD, 1));
        assertTrue(payload.getMessage().contains("at most 255"), payload.getMessage());
    }

    @Test
    void shouldRefuseACharacterOutsideGsm7NamingItsIndex() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.encode("Hi ça va", Encoding.GSM_7, SmppSettings.LongMessages.UDH, 0));
        assertTrue(ex.getMessage().contains("U+00E7") && ex.getMessage().contains("index 3"), ex.getMessage());
        IllegalArgumentException longer = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.encode("a".repeat(300) + "😀", Encoding.GSM_7, SmppSettings.LongMessages.UDH, 0));
        assertTrue(longer.getMessage().contains("index 300"), longer.getMessage());
        IllegalArgumentException esc = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.encode("a\u001Bb", Encoding.GSM_7, SmppSettings.LongMessages.PAYLOAD, 0));
        assertTrue(esc.getMessage().contains("U+001B") && esc.getMessage().contains("index 1"), esc.getMessage());
    }

    // ---- decoding ----

    @Test
    void shouldDecodeGsmWithExtensionCharacters() {
        byte[] octets = {0x48, 0x69, 0x20, ESC, 0x65, 0x35, 0x00, ESC, 0x3C, ESC, 0x3E, 0x11};
        assertEquals("Hi €5@[]_", ShortMessages.decode(octets, (byte) 0x00, false));
    }

    @Test
    void shouldShowAnEscapeToAnUndefinedExtensionCodeAsASpace() {
        assertEquals("a b", ShortMessages.decode(new byte[]{0x61, ESC, 0x41, 0x62}, (byte) 0x00, false));
    }

    @Test
    void shouldDecodeIa5Latin1AndUcs2() {
        assertEquals("Hello", ShortMessages.decode("Hello".getBytes(StandardCharsets.US_ASCII), ShortMessages.IA5, false));
        assertEquals("café ±", ShortMessages.decode("café ±".getBytes(StandardCharsets.ISO_8859_1), ShortMessages.LATIN_1, false));
        assertEquals("回T退订 😀", ShortMessages.decode("回T退订 😀".getBytes(StandardCharsets.UTF_16BE), ShortMessages.UCS2, false));
    }

    @Test
    void shouldReadTheDataCodingGroupF0AsGsmAndRefuseItsEightBitData() {
        byte[] hi = {0x48, 0x69, ESC, 0x65};
        assertEquals("Hi€", ShortMessages.decode(hi, (byte) 0xF0, false));
        assertEquals("Hi€", ShortMessages.decode(hi, (byte) 0xF1, false), "message class 1, GSM");
        assertEquals("Hi€", ShortMessages.decode(hi, (byte) 0xF3, false), "message class 3, GSM");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.decode(hi, (byte) 0xF4, false));
        assertTrue(ex.getMessage().contains("0xf4"), ex.getMessage());
    }

    @Test
    void shouldSkipTheUserDataHeader() {
        byte[] part = {0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, 0x48, 0x69};
        assertEquals("Hi", ShortMessages.decode(part, (byte) 0x00, true));
        assertEquals("\u0005\u0000\u0003*\u0002\u0001Hi", ShortMessages.decode(part, ShortMessages.LATIN_1, false));
        byte[] ucs = {0x05, 0x00, 0x03, 0x2A, 0x02, 0x02, 0x56, (byte) 0xDE};
        assertEquals("回", ShortMessages.decode(ucs, ShortMessages.UCS2, true));
        assertEquals("", ShortMessages.decode(new byte[]{0x00}, (byte) 0x00, true), "an empty header and no text");
    }

    @Test
    void shouldRefuseAHeaderLongerThanTheMessage() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.decode(new byte[]{0x05, 0x00, 0x03}, (byte) 0x00, true));
        assertTrue(ex.getMessage().contains("user data header longer than the message")
                && ex.getMessage().contains("6 > 3"), ex.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.decode(new byte[0], ShortMessages.UCS2, true));
        assertTrue(empty.getMessage().contains("user data header"), empty.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.decode(new byte[]{(byte) 0xFF, 0x00}, (byte) 0x00, true));
        assertTrue(big.getMessage().contains("256 > 2"), "header length read unsigned: " + big.getMessage());
    }

    @Test
    void shouldRefuseAnOddUcs2Length() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.decode(new byte[]{0x00, 0x41, 0x00}, ShortMessages.UCS2, false));
        assertTrue(ex.getMessage().contains("UCS-2") && ex.getMessage().contains("odd") && ex.getMessage().contains("3 octets"),
                ex.getMessage());
        IllegalArgumentException afterHeader = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.decode(new byte[]{0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0x00, 0x41, 0x00},
                        ShortMessages.UCS2, true));
        assertTrue(afterHeader.getMessage().contains("3 octets"), "the length after the header: " + afterHeader.getMessage());
    }

    @Test
    void shouldRefuseAnOctetBeyondTheGsmAlphabet() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ShortMessages.decode(new byte[]{0x41, (byte) 0x80}, (byte) 0x00, false));
        assertTrue(ex.getMessage().contains("0x80") && ex.getMessage().contains("at 1")
                && ex.getMessage().contains("GSM"), ex.getMessage());
    }

    @Test
    void shouldRefuseADataCodingItCannotRead() {
        for (int coding : new int[]{0x02, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0E, 0xF4}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> ShortMessages.decode(new byte[]{0x41}, (byte) coding, false), "data_coding " + coding);
            assertTrue(ex.getMessage().contains("data_coding 0x" + Integer.toHexString(coding))
                    && ex.getMessage().contains("0x08 UCS-2"), ex.getMessage());
        }
    }
}
