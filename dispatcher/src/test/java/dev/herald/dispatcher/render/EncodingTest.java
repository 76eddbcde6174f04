package dev.herald.dispatcher.render;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
