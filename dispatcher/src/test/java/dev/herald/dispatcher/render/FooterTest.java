package dev.herald.dispatcher.render;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FooterTest {

    private final Footer stop = Footer.of("Reply STOP to opt out");

    @Test
    void shouldAppendTheFooterWhenMissing() {
        assertEquals("Sale today!\nReply STOP to opt out", stop.applyTo("Sale today!"));
        assertEquals("促销 回T退订", Footer.of("回T退订", " ").applyTo("促销"));
    }

    @Test
    void shouldKeepATextThatAlreadyHasTheFooterIgnoringCaseAndWhitespace() {
        assertEquals("Sale! reply  stop\nTO opt out.", stop.applyTo("Sale! reply  stop\nTO opt out."));
        assertEquals("促销，回 t 退订", Footer.of("回T退订").applyTo("促销，回 t 退订"));
    }

    @Test
    void shouldFindTheFooterAfterAFalseStartAndWithoutAnySpaces() {
        assertTrue(stop.contains("Reply Reply STOP to opt out"));
        assertTrue(stop.contains("replystoptooptout!"));
        assertTrue(stop.contains("R e p l y\tS T O P to opt\u00A0out"));
        assertFalse(stop.contains("Reply STOP to opt ou"));
        assertFalse(stop.contains(""));
    }

    @Test
    void shouldAppendWhenTheTextHasOnlyPartOfTheFooter() {
        assertEquals("Reply STOP\nReply STOP to opt out", stop.applyTo("Reply STOP"));
    }

    @Test
    void shouldRejectABlankFooter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Footer.of("  "));
        assertEquals("compliance footer is empty", e.getMessage());
    }

    @Test
    void shouldAnswerAsTheCodePointByCodePointScanOnRandomTexts() {
        long seed = 0xF007E4L;
        System.out.println("FooterTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        // Letters of the footers in both cases, spaces of several kinds, non-ASCII look-alikes
        // (Kelvin sign, dotted I, fullwidth letters), CJK and an emoji as a surrogate pair.
        String[] pieces = {"r", "R", "e", "E", "p", "l", "y", "s", "S", "t", "T", "o", "O", "u", " ", "\t", "\n", "\u00A0",
            "\u2003", "\u212A", "\u0130", "\uFF32", "回", "退", "订", "😀", "x", "STOP", "reply", "opt out"};
        List<Footer> footers = List.of(Footer.of("Reply STOP to opt out"), Footer.of("回T退订"), Footer.of("K\u00A0k"),
                Footer.of("\u00A0"), Footer.of("😀 end"));
        for (int n = 0; n < 200_000; n++) {
            StringBuilder text = new StringBuilder();
            for (int len = rnd.nextInt(30); len > 0; len--) {
                text.append(pieces[rnd.nextInt(pieces.length)]);
            }
            for (Footer f : footers) {
                assertEquals(referenceContains(f, text), f.contains(text), () -> f + " in '" + text + "'");
            }
        }
    }

    /** The first implementation of {@link Footer#contains}: code point by code point, no tables. */
    private static boolean referenceContains(Footer footer, CharSequence message) {
        int[] key = footer.text().codePoints().filter(cp -> !space(cp)).map(Character::toLowerCase).toArray();
        int n = message.length();
        next:
        for (int start = 0; start < n; start++) {
            int i = start;
            for (int k = 0; k < key.length; ) {
                if (i >= n) {
                    return false;
                }
                int cp = Character.codePointAt(message, i);
                if (space(cp) && k > 0) {
                    i += Character.charCount(cp);
                } else if (Character.toLowerCase(cp) == key[k]) {
                    i += Character.charCount(cp);
                    k++;
                } else {
                    continue next;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean space(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }
}
