package dev.herald.dispatcher.render;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SegmentsTest {

    private static String repeat(String s, int n) {
        return s.repeat(n);
    }

    @Test
    void shouldCountGsm7BoundariesAt160And153() {
        assertEquals(1, Segments.count(""));
        assertEquals(1, Segments.count(repeat("a", 160)));
        assertEquals(2, Segments.count(repeat("a", 161)));
        assertEquals(2, Segments.count(repeat("a", 306)));
        assertEquals(3, Segments.count(repeat("a", 307)));
        assertEquals(3, Segments.count(repeat("a", 459)));
        assertEquals(4, Segments.count(repeat("a", 460)));
    }

    @Test
    void shouldCountExtensionCharactersAsTwoSeptets() {
        assertEquals(2, Segments.units("€", Encoding.GSM_7));
        assertEquals(1, Segments.count(repeat("a", 158) + "€"));
        assertEquals(2, Segments.count(repeat("a", 159) + "€"));
        assertEquals(1, Segments.count(repeat("€", 80)));
        assertEquals(2, Segments.count(repeat("€", 81)));
    }

    @Test
    void shouldNotSplitAnEscapeSequenceOverTwoParts() {
        // 306 septets would be 2 parts, but the € does not fit in part one's last septet: it starts
        // part two (2 + 151), and the last "a" needs a third part.
        String text = repeat("a", 152) + "€" + repeat("a", 152);
        assertEquals(306, Segments.units(text, Encoding.GSM_7));
        assertEquals(3, Segments.count(text));
        assertEquals(2, Segments.count(repeat("a", 151) + "€" + repeat("a", 152)));
    }

    @Test
    void shouldCountUcs2BoundariesAt70And67() {
        assertEquals(1, Segments.count(repeat("退", 70)));
        assertEquals(2, Segments.count(repeat("退", 71)));
        assertEquals(2, Segments.count(repeat("退", 134)));
        assertEquals(3, Segments.count(repeat("退", 135)));
    }

    @Test
    void shouldSwitchToUcs2AndCountAnEmojiAsTwoCodeUnits() {
        String text = repeat("a", 68) + "😀";
        assertEquals(Encoding.UCS_2, Encoding.detect(text));
        assertEquals(70, Segments.units(text, Encoding.UCS_2));
        assertEquals(1, Segments.count(text));
        assertEquals(2, Segments.count(repeat("a", 69) + "😀"));
        assertEquals(3, Segments.count(repeat("a", 160) + "😀"), "one emoji turns 160 GSM chars into 162 UCS-2 units");
    }

    @Test
    void shouldNotSplitASurrogatePairOverTwoParts() {
        String text = repeat("a", 66) + "😀" + repeat("a", 66);
        assertEquals(134, text.length());
        assertEquals(3, Segments.count(text));
        assertEquals(2, Segments.count(repeat("a", 65) + "😀" + repeat("a", 67)));
    }

    @Test
    void shouldRejectGsm7ForATextItCannotEncode() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Segments.count("ok 😀", Encoding.GSM_7));
        assertEquals("character U+D83D at index 3 is not in the GSM-7 alphabet", e.getMessage());
    }

    @Test
    void shouldCountGsmTextAsUcs2WhenForced() {
        assertEquals(3, Segments.count(repeat("a", 160), Encoding.UCS_2));
    }

    @Test
    void shouldSplitWhereItCounts() {
        String gsm = repeat("a", 150) + "€€" + repeat("b", 200);
        java.util.List<String> parts = Segments.split(gsm, Encoding.GSM_7);
        assertEquals(Segments.count(gsm, Encoding.GSM_7), parts.size());
        assertEquals(gsm, String.join("", parts));
        assertEquals(repeat("a", 150) + "€", parts.get(0), "the second euro (2 septets) would make 154");
        parts.forEach(p -> assertEquals(true, Segments.units(p, Encoding.GSM_7) <= 153, p));
        assertEquals(java.util.List.of("short"), Segments.split("short", Encoding.GSM_7));
        assertEquals(java.util.List.of(repeat("a", 160)), Segments.split(repeat("a", 160), Encoding.GSM_7));

        String ucs = repeat("ж", 66) + "😀" + repeat("я", 10);
        java.util.List<String> u = Segments.split(ucs, Encoding.UCS_2);
        assertEquals(java.util.List.of(repeat("ж", 66), "😀" + repeat("я", 10)), u, "a surrogate pair is never cut");
        assertThrows(IllegalArgumentException.class, () -> Segments.split(repeat("a", 170) + "ж", Encoding.GSM_7));
    }
}
