package dev.herald.dispatcher.render;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncodingTest {

    private static final String BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    @Test
    void shouldHoldExactly127BasicAnd10ExtensionCharacters() {
        assertEquals(127, BASIC.length(), "GSM 03.38 basic set minus ESC");
        int basic = 0;
        int extension = 0;
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            switch (Encoding.gsmSeptets(c)) {
                case 1 -> basic++;
                case 2 -> extension++;
                default -> { }
            }
        }
        assertEquals(127, basic);
        assertEquals(10, extension);
    }

    @Test
    void shouldDetectGsm7ForEveryBasicAndExtensionCharacter() {
        assertEquals(Encoding.GSM_7, Encoding.detect(BASIC));
        assertEquals(Encoding.GSM_7, Encoding.detect("€[]{}~^\\|\f"));
        for (char c : "€[]{}~^\\|\f".toCharArray()) {
            assertEquals(2, Encoding.gsmSeptets(c), "extension char U+" + Integer.toHexString(c));
        }
        assertEquals(Encoding.GSM_7, Encoding.detect(""));
    }

    @Test
    void shouldDetectUcs2ForCharactersOutsideTheGsmAlphabet() {
        assertEquals(Encoding.UCS_2, Encoding.detect("Hi 😀"));
        assertEquals(Encoding.UCS_2, Encoding.detect("回T退订"));
        assertEquals(Encoding.UCS_2, Encoding.detect("ça va"), "lower-case c cedilla is not in the table");
        assertEquals(Encoding.UCS_2, Encoding.detect("it’s"), "curly apostrophe");
        assertEquals(Encoding.UCS_2, Encoding.detect("`"), "backtick");
        assertEquals(Encoding.UCS_2, Encoding.detect("á"));
        assertEquals(Encoding.UCS_2, Encoding.detect("\u001B"), "ESC is not a character");
        assertEquals(Encoding.UCS_2, Encoding.detect("\t"));
    }

    /**
     * GSM 03.38's basic table by code, row by row as the standard prints it (0x1B, ESC, is not a
     * character): the oracle for {@link Encoding#gsmCode} and {@link Encoding#gsmChar}, written
     * independently of the class's own string.
     */
    private static final String[] TABLE_ROWS = {
            "@£$¥èéùìòÇ\nØø\rÅå",          // 0x00
            "Δ_ΦΓΛΩΠΨΣΘΞ\u001BÆæßÉ",        // 0x10
            " !\"#¤%&'()*+,-./",           // 0x20
            "0123456789:;<=>?",             // 0x30
            "¡ABCDEFGHIJKLMNO",             // 0x40
            "PQRSTUVWXYZÄÖÑÜ§",             // 0x50
            "¿abcdefghijklmno",             // 0x60
            "pqrstuvwxyzäöñüà",             // 0x70
    };

    /** GSM 03.38's extension table: code after ESC to character. */
    private static final Map<Integer, Character> EXTENSION_TABLE = Map.of(
            0x0A, '\f', 0x14, '^', 0x28, '{', 0x29, '}', 0x2F, '\\',
            0x3C, '[', 0x3D, '~', 0x3E, ']', 0x40, '|', 0x65, '€');

    @Test
    void shouldMapEveryBasicCharacterToItsGsm0338CodeAndBack() {
        int checked = 0;
        for (int code = 0; code < 0x80; code++) {
            char c = TABLE_ROWS[code >> 4].charAt(code & 0xF);
            assertEquals(16, TABLE_ROWS[code >> 4].length(), "row " + (code >> 4));
            if (code == 0x1B) {
                assertEquals(-1, Encoding.gsmChar(code, false), "ESC is no character: read the next septet escaped");
                assertEquals(-1, Encoding.gsmCode(c), "the ESC char itself is not encodable");
                continue;
            }
            assertEquals(code, Encoding.gsmCode(c), "gsmCode of U+" + Integer.toHexString(c));
            assertEquals(c, Encoding.gsmChar(code, false), "gsmChar of 0x" + Integer.toHexString(code));
            assertEquals(1, Encoding.gsmSeptets(c));
            checked++;
        }
        assertEquals(127, checked);
    }

    @Test
    void shouldMapEveryExtensionCharacterToEscAndItsCodeAndBack() {
        for (Map.Entry<Integer, Character> e : EXTENSION_TABLE.entrySet()) {
            int code = e.getKey();
            char c = e.getValue();
            assertEquals(0x1B00 | code, Encoding.gsmCode(c), "gsmCode of U+" + Integer.toHexString(c));
            assertEquals(c, Encoding.gsmChar(code, true), "gsmChar of ESC 0x" + Integer.toHexString(code));
            assertEquals(2, Encoding.gsmSeptets(c));
        }
        assertEquals(10, EXTENSION_TABLE.size());
        assertEquals(0x1B65, Encoding.gsmCode('€'));
        assertEquals(0x1B28, Encoding.gsmCode('{'));
    }

    @Test
    void shouldAgreeWithGsmSeptetsForEveryChar() {
        for (int i = 0; i <= Character.MAX_VALUE; i++) {
            char c = (char) i;
            int code = Encoding.gsmCode(c);
            switch (Encoding.gsmSeptets(c)) {
                case 0 -> assertEquals(-1, code, "U+" + Integer.toHexString(i) + " is not GSM-7");
                case 1 -> assertTrue(code >= 0 && code <= 0x7F && code != 0x1B, "U+" + Integer.toHexString(i) + ": " + code);
                case 2 -> assertTrue(code >> 8 == 0x1B && (code & 0xFF) <= 0x7F, "U+" + Integer.toHexString(i) + ": " + code);
                default -> throw new AssertionError("septets of U+" + Integer.toHexString(i));
            }
        }
    }

    @Test
    void shouldInvertGsmCodeForEveryCodeThatHasACharacter() {
        int basic = 0;
        int extension = 0;
        for (int code = 0; code < 0x80; code++) {
            int c = Encoding.gsmChar(code, false);
            if (c >= 0) {
                assertEquals(code, Encoding.gsmCode((char) c));
                basic++;
            }
            int x = Encoding.gsmChar(code, true);
            if (x >= 0) {
                assertEquals(0x1B00 | code, Encoding.gsmCode((char) x));
                extension++;
            } else {
                assertTrue(!EXTENSION_TABLE.containsKey(code));
            }
        }
        assertEquals(127, basic);
        assertEquals(10, extension);
    }

    @Test
    void shouldHaveNoCharacterForCodesOutsideTheTables() {
        assertEquals(-1, Encoding.gsmChar(0x41, true), "ESC A is not in the extension table");
        assertEquals(-1, Encoding.gsmChar(0x1B, true), "ESC ESC");
        assertEquals(-1, Encoding.gsmChar(0x80, false));
        assertEquals(-1, Encoding.gsmChar(0xFF, true));
        assertEquals(-1, Encoding.gsmChar(-1, false));
        assertEquals(-1, Encoding.gsmCode('ç'));
        assertEquals(-1, Encoding.gsmCode('`'));
        assertEquals(-1, Encoding.gsmCode('\t'));
        assertEquals(-1, Encoding.gsmCode('\uD83D'), "half an emoji");
    }
}
