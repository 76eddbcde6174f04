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

    @Test
    void shouldMaskEveryNumberInFreeTextAndLeaveShortNumbersAlone() {
        assertEquals("no recipient +*********456 (id 42, line 1234567)",
                PhoneMask.maskText("no recipient +447400123456 (id 42, line 1234567)"));
        assertEquals("a: *******890, b: +** **** ***789", PhoneMask.maskText("a: 0712345890, b: +44 7400 123789"));
        assertEquals("nothing here", PhoneMask.maskText("nothing here"));
        assertEquals(null, PhoneMask.maskText(null));
        Throwable t = ApiDirectives.masked(new IllegalStateException("bad +447400123456",
                new java.io.IOException("cause 447400123457")));
        assertEquals("java.lang.IllegalStateException: bad +*********456", t.getMessage());
        assertEquals("java.io.IOException: cause *********457", t.getCause().getMessage());
    }
}
