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

    @Test
    void shouldLeaveDigitRunsInFilePathsExactWhileMaskingNumbersBesideThem() {
        String wal = "/data/suppression/wal/00000000000000000001.log at offset 4096: checksum mismatch";
        assertEquals(wal, PhoneMask.maskText(wal));
        String campaign = "/tmp/h/campaigns/demo-20261206-163358-545/campaign.json: damaged";
        assertEquals(campaign, PhoneMask.maskText(campaign));
        assertEquals("C:\\data\\wal\\00000000000000000001.log", PhoneMask.maskText("C:\\data\\wal\\00000000000000000001.log"));
        assertEquals("/data/ledger/20261206_0001.seg for +*********456",
                PhoneMask.maskText("/data/ledger/20261206_0001.seg for +447400123456"));
        // a number as a path segment of its own, or after a '+', is still a number
        assertEquals("GET /v1/recipients/*********456", PhoneMask.maskText("GET /v1/recipients/447400123456"));
        assertEquals("/v1/directory/+*********456.json", PhoneMask.maskText("/v1/directory/+447400123456.json"));
        Throwable t = ApiDirectives.masked(new java.io.IOException(campaign + " for +447400123456"));
        assertEquals("java.io.IOException: " + campaign + " for +*********456", t.getMessage());
    }
}
