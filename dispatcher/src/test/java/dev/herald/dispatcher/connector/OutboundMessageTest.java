package dev.herald.dispatcher.connector;

import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.throttle.Priority;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void shouldAcceptExactlyWhatTheE164PatternMatches() {
        Pattern e164 = Pattern.compile("\\+[1-9][0-9]{1,14}");
        long seed = 0xE164L;
        System.out.println("OutboundMessageTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        String alphabet = "+0123456789 a٣";
        int accepted = 0;
        for (int n = 0; n < 200_000; n++) {
            StringBuilder to = new StringBuilder(n % 3 == 0 ? "+" : "");
            for (int len = rnd.nextInt(19); len > 0; len--) {
                to.append(n % 3 == 0 && rnd.nextInt(20) != 0 ? (char) ('0' + rnd.nextInt(10))
                        : alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            boolean expected = e164.matcher(to).matches();
            assertEquals(expected, OutboundMessage.isE164(to.toString()), to::toString);
            accepted += expected ? 1 : 0;
        }
        assertTrue(accepted > 10_000, "the generator makes valid numbers too: " + accepted);
    }
}
