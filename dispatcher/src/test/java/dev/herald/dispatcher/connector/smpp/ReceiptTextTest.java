package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ReceiptText}: the appendix-B receipt and the ways SMSCs vary it; clear errors for what is not one. */
class ReceiptTextTest {

    private static final String STANDARD = "id:0000A1F3 sub:001 dlvrd:001 submit date:2612070130 done date:2612070131"
            + " stat:DELIVRD err:000 text:Hi Ana, 20% off";

    @Test
    void shouldReadTheStandardReceipt() {
        ReceiptText.Parsed p = ReceiptText.parse(STANDARD);
        assertEquals("0000A1F3", p.id(), "the id as written; MessageIds makes it comparable");
        assertEquals(DeliveryState.DELIVERED, p.state());
        assertEquals("000", p.error());
    }

    @Test
    void shouldReadKeysInAnyCaseAndOrder() {
        ReceiptText.Parsed p = ReceiptText.parse("STAT:undeliv Err:0B1 Sub:001 ID:Ab12 Dlvrd:000 Submit Date:2612070130"
                + " Done Date:2612070131 Text:x");
        assertEquals("Ab12", p.id(), "the value keeps its case");
        assertEquals(DeliveryState.UNDELIVERABLE, p.state());
        assertEquals("0B1", p.error());
    }

    @Test
    void shouldReadFieldsSeparatedByAnyWhitespace() {
        ReceiptText.Parsed p = ReceiptText.parse("  id:41459   sub:001\tdlvrd:001\r\nstat:EXPIRED\t\terr:006   ");
        assertEquals("41459", p.id());
        assertEquals(DeliveryState.EXPIRED, p.state());
        assertEquals("006", p.error());
    }

    @Test
    void shouldNeedOnlyIdAndStat() {
        ReceiptText.Parsed p = ReceiptText.parse("id:7 stat:ACCEPTD");
        assertEquals("7", p.id());
        assertEquals(DeliveryState.ACCEPTED, p.state());
        assertEquals("", p.error(), "no err: is empty");
    }

    @Test
    void shouldNotReadTheMessageTextAfterText() {
        ReceiptText.Parsed p = ReceiptText.parse("id:41459 sub:001 dlvrd:001 stat:DELIVRD err:000"
                + " text:id:999 stat:REJECTD err:042");
        assertEquals("41459", p.id());
        assertEquals(DeliveryState.DELIVERED, p.state());
        assertEquals("000", p.error());

        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ReceiptText.parse("id:41459 sub:001 text:your stat:DELIVRD code"));
        assertTrue(ex.getMessage().contains("no stat"), "a stat: in the message text is not the receipt's: " + ex.getMessage());
        IllegalArgumentException noId = assertThrows(IllegalArgumentException.class,
                () -> ReceiptText.parse("stat:DELIVRD text:id:41459"));
        assertTrue(noId.getMessage().contains("no id"), noId.getMessage());
    }

    @Test
    void shouldNotTakeAKeyInsideAnotherWord() {
        ReceiptText.Parsed p = ReceiptText.parse("smscid:555 id:41459 substat:REJECTD stat:DELIVRD");
        assertEquals("41459", p.id(), "smscid: is not id:");
        assertEquals(DeliveryState.DELIVERED, p.state(), "substat: is not stat:");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ReceiptText.parse("msgid:41459 stat:DELIVRD"));
        assertTrue(ex.getMessage().contains("no id"), ex.getMessage());
    }

    @Test
    void shouldRefuseAReceiptWithoutIdNamingIt() {
        for (String text : new String[]{"sub:001 dlvrd:001 stat:DELIVRD err:000", "id: stat:DELIVRD", "id:\tstat:DELIVRD"}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ReceiptText.parse(text), text);
            assertTrue(ex.getMessage().contains("receipt has no id"), ex.getMessage());
            assertTrue(ex.getMessage().chars().noneMatch(c -> c < 0x20), "printable: " + ex.getMessage());
        }
    }

    @Test
    void shouldRefuseAReceiptWithoutStatNamingIt() {
        for (String text : new String[]{"id:41459 sub:001 dlvrd:001 err:000", "id:41459 stat:", "id:41459 stat: DELIVRD"}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ReceiptText.parse(text), text);
            assertTrue(ex.getMessage().contains("receipt has no stat"), ex.getMessage());
        }
    }

    @Test
    void shouldRefuseAnUnknownStateNamingIt() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ReceiptText.parse("id:41459 stat:LOST err:000"));
        assertTrue(ex.getMessage().contains("'LOST'") && ex.getMessage().contains("DELIVRD"), ex.getMessage());
    }

    @Test
    void shouldRefuseAnEmptyReceipt() {
        for (String text : new String[]{null, "", "   \n"}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ReceiptText.parse(text));
            assertTrue(ex.getMessage().contains("empty"), ex.getMessage());
        }
    }

    @Test
    void shouldClipALongReceiptInTheMessage() {
        String text = "sub:001 " + "x".repeat(500);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ReceiptText.parse(text));
        assertTrue(ex.getMessage().length() < 200, ex.getMessage());
    }

    @Test
    void shouldReadEveryStatIncludingLongFormsAndAnyCase() {
        Map<String, DeliveryState> states = Map.ofEntries(
                Map.entry("DELIVRD", DeliveryState.DELIVERED), Map.entry("DELIVERED", DeliveryState.DELIVERED),
                Map.entry("EXPIRED", DeliveryState.EXPIRED),
                Map.entry("UNDELIV", DeliveryState.UNDELIVERABLE), Map.entry("UNDELIVERABLE", DeliveryState.UNDELIVERABLE),
                Map.entry("REJECTD", DeliveryState.REJECTED), Map.entry("REJECTED", DeliveryState.REJECTED),
                Map.entry("DELETED", DeliveryState.DELETED), Map.entry("UNKNOWN", DeliveryState.UNKNOWN),
                Map.entry("ACCEPTD", DeliveryState.ACCEPTED), Map.entry("ACCEPTED", DeliveryState.ACCEPTED),
                Map.entry("ENROUTE", DeliveryState.ENROUTE));
        states.forEach((stat, state) -> {
            assertEquals(state, ReceiptText.state(stat), stat);
            assertEquals(state, ReceiptText.state(stat.toLowerCase(java.util.Locale.ROOT)), stat);
            assertEquals(state, ReceiptText.parse("id:1 stat:" + stat).state(), stat);
        });
        assertEquals(DeliveryState.DELIVERED, ReceiptText.state(" delivrd "));
        assertThrows(IllegalArgumentException.class, () -> ReceiptText.state("DELIV"));
        assertThrows(IllegalArgumentException.class, () -> ReceiptText.state(""));
    }

    @Test
    void shouldMapMessageStateOneToEight() {
        assertEquals(DeliveryState.ENROUTE, ReceiptText.state(1));
        assertEquals(DeliveryState.DELIVERED, ReceiptText.state(2));
        assertEquals(DeliveryState.EXPIRED, ReceiptText.state(3));
        assertEquals(DeliveryState.DELETED, ReceiptText.state(4));
        assertEquals(DeliveryState.UNDELIVERABLE, ReceiptText.state(5));
        assertEquals(DeliveryState.ACCEPTED, ReceiptText.state(6));
        assertEquals(DeliveryState.UNKNOWN, ReceiptText.state(7));
        assertEquals(DeliveryState.REJECTED, ReceiptText.state(8));
        for (int bad : new int[]{0, 9, -1, 255}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ReceiptText.state(bad));
            assertTrue(ex.getMessage().contains("message_state " + bad) && ex.getMessage().contains("1-8"), ex.getMessage());
        }
    }
}
