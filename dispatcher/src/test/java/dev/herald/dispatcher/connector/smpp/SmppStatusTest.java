package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.smpp.SmppStatus.Kind;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link SmppStatus}: how a refused {@code submit_sm} is handled, its reason, and the source address's TON/NPI. */
class SmppStatusTest {

    @Test
    void shouldThrottleOnThrottledAndQueueFull() {
        assertEquals(Kind.THROTTLED, SmppStatus.kind(0x58), "ESME_RTHROTTLED");
        assertEquals(Kind.THROTTLED, SmppStatus.kind(0x14), "ESME_RMSGQFUL");
    }

    @Test
    void shouldFailForGoodOnStatusesAboutTheMessageItself() {
        for (int status : new int[]{0x01, 0x0A, 0x0B, 0x0C, 0x33, 0x40, 0x42, 0x43, 0x45, 0x48, 0x49, 0x50, 0x51, 0x53,
                0x61, 0x62, 0x63, 0xC0, 0xC1, 0xC2, 0xC4}) {
            assertEquals(Kind.PERMANENT, SmppStatus.kind(status), String.format("0x%02x", status));
        }
    }

    @Test
    void shouldRetryEveryOtherStatus() {
        for (int status : new int[]{0x08, 0x04, 0x05, 0x0D, 0x0E, 0x0F, 0x11, 0x13, 0x02, 0x03, 0x64, 0xFE, 0xFF, 0x400,
                0x1234, -1, Integer.MAX_VALUE}) {
            assertEquals(Kind.TRANSIENT, SmppStatus.kind(status), String.format("0x%x", status));
        }
    }

    @Test
    void shouldNameStatusesForOutcomes() {
        assertEquals("invalid-destination", SmppStatus.reason(0x0B));
        assertEquals("invalid-source-address", SmppStatus.reason(0x0A));
        assertEquals("invalid-message-length", SmppStatus.reason(0x01));
        assertEquals("submit-failed", SmppStatus.reason(0x45));
        assertEquals("invalid-parameter-value", SmppStatus.reason(0xC4));
        assertEquals("throttled", SmppStatus.reason(0x58));
        assertEquals("message-queue-full", SmppStatus.reason(0x14));
        assertEquals("system-error", SmppStatus.reason(0x08));
        assertEquals("invalid-password", SmppStatus.reason(0x0E));
        assertEquals("smpp-status-0x000000ff", SmppStatus.reason(0xFF));
        assertEquals("smpp-status-0x00000400", SmppStatus.reason(0x400));
        assertEquals("smpp-status-0xffffffff", SmppStatus.reason(-1), "command_status is unsigned on the wire");
    }

    @Test
    void shouldChooseTheSourceTonFromTheAddress() {
        assertEquals(5, SmppStatus.sourceTon("ACME"), "alphanumeric");
        assertEquals(5, SmppStatus.sourceTon("Acme 24"), "alphanumeric with digits");
        assertEquals(5, SmppStatus.sourceTon("+44A"), "a letter after the plus");
        assertEquals(1, SmppStatus.sourceTon("+447400123456"), "international");
        assertEquals(1, SmppStatus.sourceTon("447400123456"), "international without the plus");
        assertEquals(1, SmppStatus.sourceTon("1234567"), "7 digits");
        assertEquals(1, SmppStatus.sourceTon("+1234567"), "7 digits after the plus");
        assertEquals(3, SmppStatus.sourceTon("12345"), "short code");
        assertEquals(3, SmppStatus.sourceTon("123456"), "6 digits");
        assertEquals(3, SmppStatus.sourceTon("+123456"), "the plus is not a digit");
    }

    @Test
    void shouldUseE164OnlyForInternationalNumbers() {
        assertEquals(1, SmppStatus.sourceNpi(1));
        assertEquals(0, SmppStatus.sourceNpi(5));
        assertEquals(0, SmppStatus.sourceNpi(3));
        assertEquals(0, SmppStatus.sourceNpi(0));
    }
}
