package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ScopeTest {

    @Test
    void shouldParseEveryKindAndPrintCanonically() {
        assertEquals(Scope.GLOBAL, Scope.parse("global"));
        assertEquals(Scope.GLOBAL, Scope.parse(" GLOBAL "));
        assertEquals(Scope.sender("acme"), Scope.parse("sender:ACME"));
        assertEquals("channel:sms", Scope.parse("channel:sms").toString());
        assertEquals("category:marketing", Scope.parse("Category:marketing").toString());
        assertEquals("sender~acme", Scope.sender("acme").fileStem());
    }

    @Test
    void shouldRejectMalformedScopesNamingThem() {
        for (String bad : List.of("", "  ", "sender", "sender:", "brand:acme", "sender:a b", "sender:~x",
                "channel:" + "x".repeat(65), "global:x", "sender:-x", "sender-channel:acme", "sender-channel:acme/",
                "sender-channel:/sms", "sender-channel:acme/sms/x", "sender:acme/sms")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scope.parse(bad), bad);
            assertTrue(e.getMessage().contains("scope"), e.getMessage());
        }
    }

    @Test
    void senderChannelScopeRoundTrips() {
        Scope s = Scope.parse("Sender-Channel:ACME/WhatsApp");
        assertEquals(Scope.senderChannel("acme", "whatsapp"), s);
        assertEquals("sender-channel:acme/whatsapp", s.toString());
        assertEquals("sender-channel~acme~whatsapp", s.fileStem());
        assertEquals(s, Scope.parse(s.toString()));
    }

    @Test
    void shouldListTheScopesThatApplyToAMessage() {
        assertEquals(List.of(Scope.GLOBAL, Scope.sender("acme"), Scope.channel("sms"), Scope.category("promo"),
                Scope.senderChannel("acme", "sms")), Scope.forMessage("acme", "sms", "promo"));
        assertEquals(List.of(Scope.GLOBAL, Scope.sender("acme"), Scope.category("promo")),
                Scope.forMessage("acme", null, "promo"));
        assertEquals(List.of(Scope.GLOBAL), Scope.forMessage(null, null, null));
    }
}
