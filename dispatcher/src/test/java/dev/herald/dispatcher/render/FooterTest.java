package dev.herald.dispatcher.render;

import org.junit.jupiter.api.Test;

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
}
