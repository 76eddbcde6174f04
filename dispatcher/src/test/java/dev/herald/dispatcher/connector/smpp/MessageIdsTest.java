package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.smpp.MessageIds.Format;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link MessageIds}: one key for one id however each side writes it; a clear error for what is not an id. */
class MessageIdsTest {

    @Test
    void shouldGiveAHexAndADecimalIdOfOneNumberTheSameKey() {
        assertEquals("41459", MessageIds.key("0000A1F3", Format.HEX));
        assertEquals("41459", MessageIds.key("41459", Format.DECIMAL));
        assertEquals(MessageIds.key("a1f3", Format.HEX), MessageIds.key("0041459", Format.DECIMAL));
        assertEquals("0", MessageIds.key("0000", Format.HEX));
        assertEquals("0", MessageIds.key("0", Format.DECIMAL));
    }

    @Test
    void shouldIgnoreCaseAndLeadingZerosInText() {
        assertEquals("ab-7", MessageIds.key("00Ab-7", Format.TEXT));
        assertEquals(MessageIds.key("0000A1F3", Format.TEXT), MessageIds.key("a1f3", Format.TEXT));
        assertEquals("0", MessageIds.key("000", Format.TEXT), "an id of zeros keeps one");
        assertEquals("0", MessageIds.key("0", Format.TEXT));
        assertEquals("a0b0", MessageIds.key("a0b0", Format.TEXT), "only leading zeros go");
        assertEquals("i", MessageIds.key("I", Format.TEXT), "lower case without the default locale's rules");
        assertNotEquals(MessageIds.key("a1f3", Format.TEXT), MessageIds.key("41459", Format.TEXT),
                "TEXT does not convert numbers");
    }

    @Test
    void shouldNotDependOnTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr"));
            assertEquals("id-i", MessageIds.key("ID-I", Format.TEXT));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void shouldStripSurroundingWhitespace() {
        assertEquals("41459", MessageIds.key(" 0000A1F3 ", Format.HEX));
        assertEquals("abc", MessageIds.key("\tABC\n", Format.TEXT));
    }

    @Test
    void shouldReadIdsBeyondTheLongRange() {
        String hex = "FFFFFFFFFFFFFFFFFFFF";   // 20 hex digits, 80 bits
        assertEquals(new BigInteger(hex, 16).toString(), MessageIds.key(hex, Format.HEX));
        assertEquals("1208925819614629174706175", MessageIds.key(hex, Format.HEX));
        String dec = "123456789012345678901234567890";
        assertEquals(dec, MessageIds.key(dec, Format.DECIMAL));
        assertEquals(dec, MessageIds.key("000" + dec, Format.DECIMAL));
        assertEquals(MessageIds.key("00000000000000000000000000000000000000000000000000000000000000A1", Format.HEX),
                MessageIds.key("161", Format.DECIMAL), "64 characters, leading zeros through the BigInteger path");
        assertEquals("9223372036854775807", MessageIds.key("7FFFFFFFFFFFFFFF", Format.HEX), "16 digits: Long.MAX_VALUE");
        assertEquals("9223372036854775808", MessageIds.key("8000000000000000", Format.HEX), "just beyond a long");
        assertEquals("9223372036854775808", MessageIds.key("9223372036854775808", Format.DECIMAL));
        assertEquals("999999999999999999", MessageIds.key("999999999999999999", Format.DECIMAL));
    }

    @Property(seed = "20261211", tries = 500)
    void shouldGiveOneKeyToANumberWrittenInHexAndInDecimal(@ForAll @IntRange(min = 1, max = 26) int bytes,
                                                           @ForAll long seed,
                                                           @ForAll @IntRange(min = 0, max = 8) int zeros,
                                                           @ForAll boolean upper) {
        // up to 208 bits: at most 63 decimal digits, so every form fits the 64 characters of an id
        BigInteger n = new BigInteger(bytes * 8, new java.util.Random(seed));
        String hex = "0".repeat(Math.min(zeros, 64 - n.toString(16).length())) + n.toString(16);
        hex = upper ? hex.toUpperCase(Locale.ROOT) : hex;
        String dec = "0".repeat(Math.min(zeros, 64 - n.toString().length())) + n.toString();
        assertEquals(n.toString(), MessageIds.key(hex, Format.HEX), hex);
        assertEquals(n.toString(), MessageIds.key(dec, Format.DECIMAL), dec);
        assertEquals(MessageIds.key(n.toString(16), Format.TEXT), MessageIds.key(hex, Format.TEXT), hex);
    }

    @Test
    void shouldRefuseAnEmptyOrMissingId() {
        for (Format f : Format.values()) {
            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> MessageIds.key("", f));
            assertTrue(empty.getMessage().contains("1-64 characters"), empty.getMessage());
            IllegalArgumentException blank = assertThrows(IllegalArgumentException.class, () -> MessageIds.key("   ", f));
            assertTrue(blank.getMessage().contains("1-64 characters"), blank.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> MessageIds.key(null, f));
            assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
        }
    }

    @Test
    void shouldRefuseAnIdLongerThan64Characters() {
        assertEquals("a".repeat(64), MessageIds.key("A".repeat(64), Format.TEXT));
        for (Format f : Format.values()) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> MessageIds.key("1".repeat(65), f));
            assertTrue(ex.getMessage().contains("1-64 characters") && ex.getMessage().contains("1111"), ex.getMessage());
        }
    }

    @Test
    void shouldRefuseControlCharactersAndInnerSpacesNamingTheIdPrintably() {
        for (String id : new String[]{"12\u000034", "ab\u0007", "12 34", "a\u007Fb", "a\tb"}) {
            for (Format f : Format.values()) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> MessageIds.key(id, f),
                        id.replaceAll("\\p{Cntrl}", "?"));
                assertTrue(ex.getMessage().contains("space or control character"), ex.getMessage());
                assertTrue(ex.getMessage().chars().noneMatch(c -> c < 0x20 || c == 0x7F), "printable: " + ex.getMessage());
            }
        }
    }

    @Test
    void shouldRefuseWhatIsNotANumberInANumericFormat() {
        assertNotANumber("A1F3", Format.DECIMAL, "decimal");
        assertNotANumber("12.5", Format.DECIMAL, "decimal");
        assertNotANumber("0x1F", Format.HEX, "hex");
        assertNotANumber("G1", Format.HEX, "hex");
        assertNotANumber("msg-1", Format.HEX, "hex");
        assertNotANumber("1_000", Format.DECIMAL, "decimal");
        assertNotANumber("1".repeat(40) + "x", Format.DECIMAL, "decimal");   // the BigInteger path
        assertNotANumber("F".repeat(40) + "G", Format.HEX, "hex");
    }

    @Test
    void shouldRefuseASignedNumber() {
        for (String id : new String[]{"-5", "+5", "-0", "+0000A1F3", "-" + "9".repeat(30), "+" + "9".repeat(30), "-", "+"}) {
            assertNotANumber(id, Format.DECIMAL, "decimal");
        }
        for (String id : new String[]{"+A", "-A", "-1", "+" + "F".repeat(30), "-" + "F".repeat(30)}) {
            assertNotANumber(id, Format.HEX, "hex");
        }
        assertEquals("-5", MessageIds.key("-5", Format.TEXT), "text ids may have any printable character");
    }

    @Test
    void shouldRefuseDigitsOtherThanAscii() {
        assertNotANumber("٤١٤٥٩", Format.DECIMAL, "decimal");    // Arabic-Indic digits
        assertNotANumber("４１４５９", Format.DECIMAL, "decimal");   // full-width digits
        assertNotANumber("Ａ１", Format.HEX, "hex");
    }

    private static void assertNotANumber(String id, Format format, String name) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> MessageIds.key(id, format), id);
        assertTrue(ex.getMessage().contains("is not a " + name + " number") && ex.getMessage().contains(id.substring(0, 1)),
                ex.getMessage());
    }

    @Test
    void shouldParseFormatsNamingTheKeyOtherwise() {
        assertEquals(Format.TEXT, Format.parse("text", "k"));
        assertEquals(Format.HEX, Format.parse(" hex ", "k"));
        assertEquals(Format.DECIMAL, Format.parse("decimal", "k"));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Format.parse("HEX", "herald.connectors.a.submit-id-format"));
        assertTrue(ex.getMessage().startsWith("herald.connectors.a.submit-id-format ") && ex.getMessage().contains("'HEX'"),
                ex.getMessage());
    }
}
