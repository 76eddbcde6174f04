package dev.herald.dispatcher.connector;

import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.throttle.Priority;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OutboundMessageTest {

    @Test
    void shouldTakeEncodingAndSegmentsFromTheRenderedMessage() {
        OutboundMessage m = OutboundMessage.of("42", 7, "+447400123456", "ACME", RenderedMessage.of("回T退订"),
                Priority.TRANSACTIONAL, "sms");
        assertEquals(Encoding.UCS_2, m.encoding());
        assertEquals(1, m.segments());
    }

    @Test
    void shouldRejectCampaignIdsThatWouldBreakTheLogAndNumbersNotInE164() {
        IllegalArgumentException tab = assertThrows(IllegalArgumentException.class,
                () -> new OutboundMessage("4\t2", 1, "+447400123456", "A", "t", Encoding.GSM_7, 1, Priority.MARKETING, "sms"));
        assertEquals("campaign id must be 1-128 characters without tab or line break, got '4\t2'", tab.getMessage());
        IllegalArgumentException to = assertThrows(IllegalArgumentException.class,
                () -> new OutboundMessage("42", 1, "07400123456", "A", "t", Encoding.GSM_7, 1, Priority.MARKETING, "sms"));
        assertEquals("destination must be an E.164 number like +447400123456, got '07400123456'", to.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new OutboundMessage("42", 1, "+447400123456", "A", "t", Encoding.GSM_7, 0, Priority.MARKETING, "sms"));
    }
}
