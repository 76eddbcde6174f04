package dev.herald.dispatcher.unsubscribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnsubscribeLinksTest {

    static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    @TempDir
    Path dir;

    static Config config(String overrides) {
        return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
    }

    static String token(String url) {
        return url.substring(url.lastIndexOf('/') + 1);
    }

    @Test
    void shouldMakeShortUrlSafeTokensThatVerifyToTheirRecipientAndCampaign() throws Exception {
        try (UnsubscribeLinks links = UnsubscribeLinks.open(dir, config(""))) {
            String url = links.urls("spring-sale").apply(123_456_789);
            assertTrue(url.startsWith("http://localhost:8080/u/"), url);
            String t = token(url);
            assertTrue(t.length() <= 24 && t.matches("[A-Za-z0-9_-]+"), t);
            assertEquals(Optional.of(new UnsubscribeLinks.Link(123_456_789, "spring-sale", 1)), links.verify(t));
            assertEquals(Optional.of(new UnsubscribeLinks.Link(0, "autumn", 2)), links.verify(token(links.urls("autumn").apply(0))));
            assertEquals(1, links.numberOf("spring-sale"), "a campaign keeps its number");
        }
    }

    @Test
    void shouldRejectEveryAlteredCharacterTruncationAndExtension() throws Exception {
        try (UnsubscribeLinks links = UnsubscribeLinks.open(dir, config(""))) {
            String t = token(links.urls("c1").apply(42));
            for (int i = 0; i < t.length(); i++) {
                char other = ALPHABET.charAt((ALPHABET.indexOf(t.charAt(i)) + 1) % ALPHABET.length());
                String altered = t.substring(0, i) + other + t.substring(i + 1);
                assertEquals(Optional.empty(), links.verify(altered), "position " + i + ": " + altered);
            }
            for (int n = 0; n < t.length(); n++) {
                assertEquals(Optional.empty(), links.verify(t.substring(0, n)), "truncated to " + n);
            }
            assertEquals(Optional.empty(), links.verify(t + "A"));
            assertEquals(Optional.empty(), links.verify(t.replace(t.charAt(3), '%')));
            assertEquals(Optional.empty(), links.verify(null));
            assertEquals(Optional.empty(), links.verify("<script>alert(1)</script>"));
        }
    }

    @Test
    void shouldRejectATokenMovedToAnotherCampaignOrRecipient() throws Exception {
        try (UnsubscribeLinks links = UnsubscribeLinks.open(dir, config(""))) {
            String t = token(links.urls("c1").apply(42));
            links.numberOf("c2");
            byte[] b = Base64.getUrlDecoder().decode(t);
            byte[] otherCampaign = b.clone();
            otherCampaign[6] = 2; // campaign number 1 -> 2, same signature
            assertEquals(Optional.empty(), links.verify(Base64.getUrlEncoder().withoutPadding().encodeToString(otherCampaign)));
            byte[] otherRecipient = b.clone();
            otherRecipient[3] = 43;
            assertEquals(Optional.empty(), links.verify(Base64.getUrlEncoder().withoutPadding().encodeToString(otherRecipient)));
            assertThrows(IllegalArgumentException.class, () -> links.token(42, 77), "campaign number 77 was never given");
            // the campaign numbers lost and given again: number 1 is now another campaign; the old link
            // must not pass for it (the MAC covers the campaign id, not only its number)
            try (dev.herald.dispatcher.campaign.CampaignNumbers renumbered =
                         dev.herald.dispatcher.campaign.CampaignNumbers.open(dir.resolve("renumbered.log"));
                 UnsubscribeLinks again = UnsubscribeLinks.open(dir, config(""), renumbered)) {
                assertEquals(1, renumbered.numberOf("another-campaign"));
                assertEquals(Optional.empty(), again.verify(t));
                assertEquals("another-campaign", again.verify(token(again.urls("another-campaign").apply(42))).orElseThrow()
                        .campaignId());
            }
        }
    }

    @Test
    void shouldKeepKeyAndCampaignNumbersAcrossRestartsAndKeepTheKeyPrivate() throws Exception {
        String url;
        try (UnsubscribeLinks links = UnsubscribeLinks.open(dir, config(""))) {
            links.numberOf("first");
            url = links.urls("second").apply(7);
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("secret.key"))));
        assertEquals(44, Files.size(dir.resolve("secret.key"))); // magic, 32 key bytes, CRC32C
        try (UnsubscribeLinks again = UnsubscribeLinks.open(dir, config(""))) {
            assertEquals(Optional.of(new UnsubscribeLinks.Link(7, "second", 2)), again.verify(token(url)));
            assertEquals(url, again.existingUrls("second").orElseThrow().apply(7));
            assertEquals(Optional.empty(), again.existingUrls("never").map(f -> f.apply(7)));
        }
        Path other = dir.resolve("other");
        try (UnsubscribeLinks fresh = UnsubscribeLinks.open(other, config(""))) {
            fresh.numberOf("first");
            fresh.numberOf("second");
            assertEquals(Optional.empty(), fresh.verify(token(url)), "another key does not accept the token");
        }
    }

    @Test
    void shouldUseTheConfiguredSecretAndBaseUrl() throws Exception {
        String secret = Base64.getEncoder().encodeToString(new byte[32]);
        String conf = "herald.unsubscribe { secret = \"" + secret + "\", base-url = \"https://u.example.com/x/\" }";
        String a;
        try (UnsubscribeLinks links = UnsubscribeLinks.open(dir.resolve("a"), config(conf))) {
            a = links.urls("c").apply(5);
        }
        try (UnsubscribeLinks links = UnsubscribeLinks.open(dir.resolve("b"), config(conf))) {
            assertEquals(a, links.urls("c").apply(5), "same secret, same token");
            assertTrue(a.startsWith("https://u.example.com/x/"), a);
        }
        assertTrue(Files.notExists(dir.resolve("a/secret.key")), "no key file when the secret is configured");
        try (UnsubscribeLinks links = UnsubscribeLinks.open(dir.resolve("c"), config(""))) {
            assertNotEquals(token(a), token(links.urls("c").apply(5)));
        }
        ConfigException short_ = assertThrows(ConfigException.class, () -> UnsubscribeLinks.open(dir.resolve("d"),
                config("herald.unsubscribe.secret = \"" + Base64.getEncoder().encodeToString(new byte[16]) + "\"")));
        assertTrue(short_.getMessage().contains("at least 32 bytes"), short_.getMessage());
        ConfigException url = assertThrows(ConfigException.class, () -> UnsubscribeLinks.open(dir.resolve("e"),
                config("herald.unsubscribe.base-url = \"localhost/u\"")));
        assertTrue(url.getMessage().contains("herald.unsubscribe.base-url"), url.getMessage());
    }
}
