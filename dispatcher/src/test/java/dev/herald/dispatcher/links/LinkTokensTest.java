package dev.herald.dispatcher.links;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.campaign.CampaignNumbers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LinkTokens}: round trips, the token's length, and every way a token must fail to verify. */
class LinkTokensTest {

    static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static final byte[] SECRET = new byte[32];
    static final String SECRET_B64;

    static {
        for (int i = 0; i < SECRET.length; i++) {
            SECRET[i] = (byte) (i * 7 + 3);
        }
        SECRET_B64 = Base64.getEncoder().encodeToString(SECRET);
    }

    @TempDir
    Path dir;

    static Config config(String overrides) {
        return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
    }

    static Config withSecret() {
        return config("herald.links.secret = \"" + SECRET_B64 + "\"");
    }

    static String token(String url) {
        return url.substring(url.lastIndexOf('/') + 1);
    }

    /** Numbers as a test wants them: campaign "c<n>" has number n, for any n (and "" has 5 if asked). */
    static final class AnyNumbers implements LinkTokens.Numbers {
        final ConcurrentHashMap<Integer, String> given = new ConcurrentHashMap<>();

        @Override
        public int numberOf(String campaignId) {
            int n = campaignId.isEmpty() ? 5 : Integer.parseInt(campaignId.substring(1));
            given.put(n, campaignId);
            return n;
        }

        @Override
        public Optional<String> campaignOf(int number) {
            return Optional.ofNullable(given.get(number));
        }
    }

    static LinkTokens anyNumbers() {
        return new LinkTokens("https://go.example.com/l/", SECRET, new AnyNumbers());
    }

    static int varintBytes(long v) {
        int n = 1;
        while (v >= 0x80) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /** The token's bytes and MAC as the format says, made here independently of LinkTokens. */
    static String forge(byte[] secret, byte[] fields, String campaignId) throws Exception {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(secret, "HmacSHA256"));
        m.update("herald-link-v1".getBytes(StandardCharsets.US_ASCII));
        m.update(fields);
        m.update(campaignId.getBytes(StandardCharsets.UTF_8));
        byte[] mac = m.doFinal();
        byte[] b = Arrays.copyOf(fields, fields.length + 8);
        System.arraycopy(mac, 0, b, fields.length, 8);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    static byte[] varints(long... values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long v : values) {
            while (v >= 0x80) {
                out.write((int) (v & 0x7F | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
        return out.toByteArray();
    }

    @Property(seed = "15015", tries = 2000)
    void everyCampaignNumberRecipientAndLinkRoundTrips(@ForAll @IntRange(min = 1, max = CampaignNumbers.MAX) int number,
                                                       @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int recipient,
                                                       @ForAll @IntRange(min = 0, max = 15) int link) {
        LinkTokens tokens = anyNumbers();
        String t = tokens.token("c" + number, recipient, link);
        assertEquals(Optional.of(new LinkTokens.Link("c" + number, number, recipient, link)), tokens.verify(t), t);
        int bytes = varintBytes((long) number * 16 + link) + varintBytes(recipient) + 8;
        assertEquals((bytes * 4 + 2) / 3, t.length(), "the length of " + t);
        assertTrue(t.length() >= 14 && t.length() <= LinkTokens.MAX_TOKEN_LENGTH, t);
        if (number < 512 && recipient < 2_097_152) {
            assertTrue(t.length() <= 18, t);
        }
        assertTrue(t.matches("[A-Za-z0-9_-]+"), t);
    }

    @Test
    void theSmallestLargestAndBoundaryTokensRoundTripWithTheirLengths() {
        LinkTokens tokens = anyNumbers();
        int[][] cases = {
                // number, recipient, link, length
                {1, 0, 0, 14}, {7, 127, 15, 14}, {8, 127, 0, 15}, {7, 128, 0, 15},
                {511, 2_097_151, 15, 18}, {8, 16_384, 0, 18}, {1023, 2_097_151, 15, 18},
                {1024, 2_097_151, 0, 19}, {511, 2_097_152, 0, 19},
                {CampaignNumbers.MAX, Integer.MAX_VALUE, 15, 23}, {CampaignNumbers.MAX, 0, 0, 18},
                {1, Integer.MAX_VALUE, 0, 19},
        };
        for (int[] c : cases) {
            String t = tokens.token("c" + c[0], c[1], c[2]);
            assertEquals(c[3], t.length(), Arrays.toString(c) + ": " + t);
            assertEquals(Optional.of(new LinkTokens.Link("c" + c[0], c[0], c[1], c[2])), tokens.verify(t), Arrays.toString(c));
        }
    }

    @Test
    void tokensOutOfRangeAreRefused() throws Exception {
        LinkTokens tokens = anyNumbers();
        assertThrows(IllegalArgumentException.class, () -> tokens.token("c1", -1, 0));
        assertThrows(IllegalArgumentException.class, () -> tokens.token("c1", 0, -1));
        assertThrows(IllegalArgumentException.class, () -> tokens.token("c1", 0, LinkTokens.MAX_LINKS));
        assertThrows(IllegalArgumentException.class, () -> tokens.token("c0", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> tokens.token("c" + (CampaignNumbers.MAX + 1), 0, 0));
    }

    @Test
    void theTrackedUrlIsTheBaseUrlAndAVerifiableTokenAndTheNumberIsGivenDurably() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens tokens = LinkTokens.open(dir.resolve("links"), config(""), numbers);
            assertEquals("http://localhost:8080/l/", tokens.baseUrl());
            String url = tokens.urls("spring-sale").url(42, 3);
            assertTrue(url.startsWith("http://localhost:8080/l/"), url);
            assertEquals(Optional.of(new LinkTokens.Link("spring-sale", 1, 42, 3)), tokens.verify(token(url)));
            assertEquals(Optional.of(1), numbers.existing("spring-sale"));
            assertEquals(token(url), tokens.token("spring-sale", 42, 3), "the same link, the same token");
            assertEquals(Optional.of(new LinkTokens.Link("autumn", 2, 0, 0)), tokens.verify(tokens.token("autumn", 0, 0)));
        }
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens again = LinkTokens.open(dir.resolve("links"), config(""), numbers);
            assertEquals(Optional.of(new LinkTokens.Link("spring-sale", 1, 42, 3)),
                    again.verify(token(again.urls("spring-sale").url(42, 3))), "the key and the numbers are kept");
        }
        assertTrue(Files.exists(dir.resolve("links/secret.key")));
    }

    @Test
    void everyAlteredCharacterTruncationAndAppendedCharacterIsRefused() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens tokens = LinkTokens.open(dir.resolve("links"), config(""), numbers);
            numbers.numberOf("c2");
            List<String> samples = List.of(tokens.token("c1", 42, 0), tokens.token("c2", 3_000_000, 15),
                    tokens.token("c1", Integer.MAX_VALUE, 7), tokens.token("c2", 0, 1));
            for (String t : samples) {
                assertTrue(tokens.verify(t).isPresent(), t);
                for (int i = 0; i < t.length(); i++) {
                    for (char other : ALPHABET.toCharArray()) {
                        if (other == t.charAt(i)) {
                            continue;
                        }
                        String altered = t.substring(0, i) + other + t.substring(i + 1);
                        assertEquals(Optional.empty(), tokens.verify(altered), t + " position " + i + ": " + altered);
                    }
                    for (char bad : "%+/=. \n\u00e9".toCharArray()) {
                        assertEquals(Optional.empty(), tokens.verify(t.substring(0, i) + bad + t.substring(i + 1)));
                    }
                }
                for (int n = 0; n < t.length(); n++) {
                    assertEquals(Optional.empty(), tokens.verify(t.substring(0, n)), t + " truncated to " + n);
                    assertEquals(Optional.empty(), tokens.verify(t.substring(n + 1)), t + " without its first " + (n + 1));
                }
                for (char c : ALPHABET.toCharArray()) {
                    assertEquals(Optional.empty(), tokens.verify(t + c), t + " + " + c);
                    assertEquals(Optional.empty(), tokens.verify(c + t), c + " + " + t);
                }
                assertEquals(Optional.empty(), tokens.verify(t + "=="));
            }
            assertEquals(Optional.empty(), tokens.verify(null));
            assertEquals(Optional.empty(), tokens.verify(""));
            assertEquals(Optional.empty(), tokens.verify("<script>alert(1)</script>"));
            assertEquals(Optional.empty(), tokens.verify("A".repeat(10_000)));
        }
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRefused() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens mine = LinkTokens.open(dir.resolve("a"), config(""), numbers);
            LinkTokens other = LinkTokens.open(dir.resolve("b"), config(""), numbers);
            LinkTokens configured = LinkTokens.open(dir.resolve("c"), withSecret(), numbers);
            String t = other.token("c1", 42, 0);
            assertTrue(other.verify(t).isPresent());
            assertEquals(Optional.empty(), mine.verify(t));
            assertEquals(Optional.empty(), configured.verify(t));
            assertEquals(Optional.empty(), mine.verify(configured.token("c1", 42, 0)));
            assertNotEquals(mine.token("c1", 42, 0), other.token("c1", 42, 0));
        }
    }

    @Test
    void aCampaignNumberNeverGivenIsRefusedEvenWithAValidMac() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens tokens = LinkTokens.open(dir.resolve("links"), withSecret(), numbers);
            assertEquals(Optional.of(new LinkTokens.Link("c1", 1, 9, 0)), tokens.verify(tokens.token("c1", 9, 0)));
            LinkTokens sameKey = anyNumbers(); // same secret, any number
            assertEquals(Optional.empty(), tokens.verify(sameKey.token("c5", 9, 0)), "number 5 was never given");
            assertEquals(Optional.of(new LinkTokens.Link("c1", 1, 9, 0)), tokens.verify(sameKey.token("c1", 9, 0)),
                    "the base URL is not part of the MAC: same key, same number and campaign id, same token");
            // the MAC checked against an empty id for a number never given must not let such a token pass
            assertEquals(Optional.empty(), tokens.verify(sameKey.token("", 9, 0)));
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, varints(0 * 16 + 1, 9), "")), "number 0");
        }
    }

    @Test
    void onlyCanonicalEncodingsVerify() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens tokens = LinkTokens.open(dir.resolve("links"), withSecret(), numbers);
            assertEquals(1, numbers.numberOf("c1"));
            // the test's own encoding agrees with the tokens'
            String canonical = forge(SECRET, varints(1 * 16 + 2, 300), "c1");
            assertEquals(tokens.token("c1", 300, 2), canonical);
            assertEquals(Optional.of(new LinkTokens.Link("c1", 1, 300, 2)), tokens.verify(canonical));

            // stray low bits in the last character: the same bytes, another text
            for (String t : List.of(tokens.token("c1", 7, 0), tokens.token("c1", 300, 2), tokens.token("c1", 2_097_152, 1))) {
                int stray = switch (t.length() % 4) {
                    case 2 -> 4;
                    case 3 -> 2;
                    default -> 0;
                };
                assertTrue(stray > 0, "a token whose length has no stray bits: " + t);
                byte[] decoded = Base64.getUrlDecoder().decode(t);
                char last = t.charAt(t.length() - 1);
                for (int bits = 1; bits < 1 << stray; bits++) {
                    String odd = t.substring(0, t.length() - 1) + ALPHABET.charAt(ALPHABET.indexOf(last) | bits);
                    assertTrue(Arrays.equals(decoded, Base64.getUrlDecoder().decode(odd)), "decodes the same: " + odd);
                    assertEquals(Optional.empty(), tokens.verify(odd), odd);
                }
            }

            // over-long varints, each with a valid MAC over its bytes
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, bytes(0x92, 0x00, 0xAC, 0x02), "c1")), "campaign 0x92 0x00");
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, bytes(0x12, 0xAC, 0x82, 0x00), "c1")), "recipient 3 bytes");
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, bytes(0x12, 0x87, 0x80, 0x80, 0x80, 0x00), "c1")));
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, bytes(0x12, 0x80, 0x00), "c1")), "recipient 0 in 2 bytes");
            // beyond the ranges: recipient 2^31, a campaign varint of 5 bytes, 6 recipient bytes, a byte too many
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, varints(18, 1L << 31), "c1")));
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, varints(1L << 28 | 18, 5), "c1")));
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, bytes(0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x87, 0x01), "c1")));
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, bytes(0x12, 0x05, 0x00), "c1")), "a byte after the varints");
            assertEquals(Optional.empty(), tokens.verify(forge(SECRET, bytes(0x12), "c1")), "no recipient");
            // the largest values in range, made here, verify
            assertEquals(Optional.of(new LinkTokens.Link("c1", 1, Integer.MAX_VALUE, 15)),
                    tokens.verify(forge(SECRET, varints(31, Integer.MAX_VALUE), "c1")));
        }
    }

    @Test
    void theMacIsBoundToTheCampaignIdNotOnlyItsNumber() throws Exception {
        String t;
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens tokens = LinkTokens.open(dir.resolve("links"), config(""), numbers);
            t = tokens.token("spring-sale", 42, 0);
            assertTrue(tokens.verify(t).isPresent());
        }
        Files.delete(dir.resolve("numbers.log")); // the numbers are lost; number 1 is given again, to another campaign
        try (CampaignNumbers renumbered = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens tokens = LinkTokens.open(dir.resolve("links"), config(""), renumbered);
            assertEquals(1, renumbered.numberOf("another-campaign"));
            assertEquals(Optional.empty(), tokens.verify(t));
            assertEquals(Optional.of(new LinkTokens.Link("another-campaign", 1, 42, 0)),
                    tokens.verify(tokens.token("another-campaign", 42, 0)));
            assertNotEquals(t, tokens.token("another-campaign", 42, 0));
        }
    }

    @Test
    void aConfiguredSecretIsUsedAndNoKeyFileMade() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            Config conf = config("herald.links { secret = \"" + SECRET_B64 + "\", base-url = \"https://go.example.com/\" }");
            LinkTokens a = LinkTokens.open(dir.resolve("a"), conf, numbers);
            LinkTokens b = LinkTokens.open(dir.resolve("b"), conf, numbers);
            assertEquals(a.urls("c1").url(5, 1), b.urls("c1").url(5, 1), "same secret, same token");
            assertTrue(a.urls("c1").url(5, 1).startsWith("https://go.example.com/"));
            assertEquals("https://go.example.com/", a.baseUrl());
            assertFalse(Files.exists(dir.resolve("a/secret.key")), "no key file when the secret is configured");
            assertEquals(anyNumbers().token("c1", 5, 1), a.token("c1", 5, 1), "the secret is the configured bytes");
            // a secret with surrounding white space is the same secret
            LinkTokens spaced = LinkTokens.open(dir.resolve("s"), config("herald.links.secret = \"  " + SECRET_B64 + "\\n\""),
                    numbers);
            assertEquals(a.token("c1", 5, 1), spaced.token("c1", 5, 1));
        }
    }

    @Test
    void configErrorsNameTheKey() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            for (String url : List.of("https://go.example.com/l", "https://go.example.com", "go.example.com/l/", "ftp://x.com/l/",
                    "javascript:alert(1)//", "", "https:///", "https://go.example.com/l?x=/", "https://go.example.com/a b/")) {
                ConfigException e = assertThrows(ConfigException.class, () -> LinkTokens.open(dir.resolve("links"),
                        config("herald.links.base-url = \"" + url + "\""), numbers), url);
                assertTrue(e.getMessage().contains("herald.links.base-url"), e.getMessage());
            }
            for (String ok : List.of("https://go.example.com/", "http://localhost:8080/l/", "https://x.io/a/b/")) {
                assertEquals(ok, LinkTokens.open(dir.resolve("ok"), config("herald.links.base-url = \"" + ok + "\""), numbers)
                        .baseUrl());
            }
            ConfigException short_ = assertThrows(ConfigException.class, () -> LinkTokens.open(dir.resolve("links"),
                    config("herald.links.secret = \"" + Base64.getEncoder().encodeToString(new byte[31]) + "\""), numbers));
            assertTrue(short_.getMessage().contains("herald.links.secret"), short_.getMessage());
            assertTrue(short_.getMessage().contains("at least 32 bytes"), short_.getMessage());
            for (String bad : List.of("not base64 at all!", "%%%%", SECRET_B64.substring(1))) {
                ConfigException e = assertThrows(ConfigException.class, () -> LinkTokens.open(dir.resolve("links"),
                        config("herald.links.secret = \"" + bad + "\""), numbers), bad);
                assertTrue(e.getMessage().contains("herald.links.secret"), e.getMessage());
            }
            assertFalse(Files.exists(dir.resolve("links/secret.key")), "a refused config makes no key file");
        }
    }

    @Test
    void addressHashIsStablePerKeyDiffersAcrossKeysAndIsADashForNoAddress() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            LinkTokens a = LinkTokens.open(dir.resolve("a"), config(""), numbers);
            LinkTokens a2 = LinkTokens.open(dir.resolve("a"), config(""), numbers);
            LinkTokens b = LinkTokens.open(dir.resolve("b"), config(""), numbers);
            String h = a.addressHash("203.0.113.7");
            assertTrue(h.matches("[0-9a-f]{16}"), h);
            assertEquals(h, a.addressHash("203.0.113.7"));
            assertEquals(h, a2.addressHash("203.0.113.7"), "the same key after a restart");
            assertEquals(h, a.addressHash(" 203.0.113.7 "));
            assertNotEquals(h, b.addressHash("203.0.113.7"), "another key");
            assertNotEquals(h, a.addressHash("203.0.113.8"));
            assertNotEquals(h, a.addressHash("2001:db8::7"));
            assertFalse(h.contains("203"), "the address is not in its hash");
            assertEquals("-", a.addressHash(null));
            assertEquals("-", a.addressHash(""));
            assertEquals("-", a.addressHash("  \t"));
            // hashing addresses does not disturb the tokens made with the same per-thread MAC
            String t = a.token("c1", 1, 1);
            a.addressHash("198.51.100.1");
            assertEquals(t, a.token("c1", 1, 1));
            assertTrue(a.verify(t).isPresent());
        }
    }

    @Test
    void tokensAreMadeAndVerifiedFromManyThreadsAlike() {
        LinkTokens tokens = anyNumbers();
        List<String> serial = IntStream.range(0, 2_000).mapToObj(i -> tokens.token("c" + (1 + i % 700), i * 997, i % 16)).toList();
        List<String> parallel = IntStream.range(0, 2_000).parallel()
                .mapToObj(i -> tokens.token("c" + (1 + i % 700), i * 997, i % 16)).toList();
        assertEquals(serial, parallel);
        IntStream.range(0, 2_000).parallel().forEach(i -> assertEquals(
                Optional.of(new LinkTokens.Link("c" + (1 + i % 700), 1 + i % 700, i * 997, i % 16)), tokens.verify(serial.get(i))));
    }
}
