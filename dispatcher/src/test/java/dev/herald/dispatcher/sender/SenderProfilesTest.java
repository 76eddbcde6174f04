package dev.herald.dispatcher.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class SenderProfilesTest {

    private static SenderProfiles load(String extra) {
        Config c = ConfigFactory.parseString(extra).withFallback(ConfigFactory.defaultReference()).resolve();
        return SenderProfiles.fromConfig(c);
    }

    @Test
    void profileFallsBackToDefaultWithItsIdAsBrand() {
        SenderProfiles s = load("herald.senders.profiles { acme { brand = \"ACME\", numbers = [\"+44 7700 900123\", \"60777\"],"
                + " prefix = \"{brand}: \", flagged-words = [\"FREE\"], flagged-policy = refuse } }");
        SenderProfiles.Profile acme = s.profile("ACME");
        assertEquals("ACME", acme.brand());
        assertEquals("ACME: ", acme.prefix());
        assertEquals("You are unsubscribed from ACME. Reply START to resubscribe.", acme.confirmOptOut());
        assertEquals(List.of("free"), acme.flaggedWords());
        assertEquals(SenderProfiles.FlaggedPolicy.REFUSE, acme.flaggedPolicy());
        assertEquals("Reply STOP to opt out", acme.footer());
        SenderProfiles.Profile other = s.profile("shop-2");
        assertEquals("shop-2", other.brand());
        assertEquals("You are unsubscribed from shop-2. Reply START to resubscribe.", other.confirmOptOut());
        assertEquals(SenderProfiles.FlaggedPolicy.WARN, other.flaggedPolicy());
        assertEquals(List.of("promotions", "order-updates"), other.categories());
    }

    @Test
    void numbersAreMatchedInAnyNotation() {
        SenderProfiles s = load("herald.senders.profiles { acme { numbers = [\"+44 7700 900123\", \"60777\"] } }");
        assertEquals("acme", s.byNumber("+447700900123").orElseThrow().id());
        assertEquals("acme", s.byNumber("0044 (7700) 900-123").orElseThrow().id());
        assertEquals("acme", s.byNumber(" 60777 ").orElseThrow().id());
        assertEquals("acme", s.byNumber("447700900123").orElseThrow().id(), "digits only, as some providers post it");
        assertEquals(Optional.empty(), s.byNumber("+447700900124"));
        assertEquals(Optional.empty(), s.byNumber("not a number"));
        assertEquals(Optional.empty(), s.byNumber(null));
        assertEquals("demo", s.byNumber("+15005550006").orElseThrow().id());
    }

    @Test
    void badConfigurationNamesTheKey() {
        assertMessage("herald.senders.profiles.acme.numbers: 'abc'",
                "herald.senders.profiles { acme { numbers = [\"abc\"] } }");
        assertMessage("number +447700900123 is listed by senders",
                "herald.senders.profiles { a { numbers = [\"+447700900123\"] }, b { numbers = [\"+447700900123\"] } }");
        assertMessage("flagged-policy must be 'warn' or 'refuse', got 'block'",
                "herald.senders.profiles { acme { flagged-policy = block } }");
        assertMessage("herald.senders.profiles.acme.help is empty", "herald.senders.profiles { acme { help = \"\" } }");
        assertMessage("herald.senders.default.numbers must be empty", "herald.senders.default { numbers = [\"60600\"] }");
        assertMessage("herald.senders.profiles.Bad Id: not a valid sender id",
                "herald.senders.profiles { \"Bad Id\" { brand = x } }");
        assertMessage("categories: scope 'category:Promo Codes'",
                "herald.senders.profiles { acme { categories = [\"Promo Codes\"] } }");
    }

    private static void assertMessage(String expected, String config) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(config));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
