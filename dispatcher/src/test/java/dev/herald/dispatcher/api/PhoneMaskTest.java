package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class PhoneMaskTest {

    @Test
    void shouldShowOnlyTheLastThreeDigits() {
        assertEquals("+*********456", PhoneMask.mask("+447400123456"));
        assertEquals("***** ***456", PhoneMask.mask("07400 123456"));
        assertEquals("+** **** ***456", PhoneMask.mask("+44 7400 123456"));
    }

    @Test
    void shouldKeepShortAndDigitlessInputAndCutLongInput() {
        assertEquals("12", PhoneMask.mask("12"));
        assertEquals("hello", PhoneMask.mask("hello"));
        assertNull(PhoneMask.mask(null));
        String longInput = "1".repeat(100);
        String masked = PhoneMask.mask(longInput);
        assertEquals("*".repeat(37) + "111...", masked);
    }
}
