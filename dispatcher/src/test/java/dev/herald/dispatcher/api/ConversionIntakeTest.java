package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.funnel.Attribution;
import dev.herald.dispatcher.funnel.Conversion;
import dev.herald.dispatcher.funnel.ConversionSettings;
import dev.herald.dispatcher.funnel.InMemoryTouches;
import dev.herald.dispatcher.links.LinkTokens;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.RecipientDirectory;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every field of a posted conversion checked, naming the field; explicit campaign and token win over touches. */
class ConversionIntakeTest {
    static final Instant NOW = Instant.parse("2026-12-07T09:00:00Z");
    static final String A = "+447400123456";

    @TempDir
    Path dir;

    private RecipientDirectory directory;
    private CampaignNumbers numbers;
    private LinkTokens tokens;
    private InMemoryTouches touches;
    private ConversionIntake intake;
    private int a;

    @BeforeEach
    void open() throws Exception {
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults().withDefaultRegion("GB")
                .withCapacity(1_000));
        a = directory.register(A, null, null, Map.of()).id();
        numbers = CampaignNumbers.open(dir.resolve("campaign-numbers.log"));
        tokens = LinkTokens.open(dir.resolve("links"), ConfigFactory.parseString(
                "herald.links.base-url = \"http://go.example/l/\"\nherald.links.secret = \"\""), numbers);
        touches = new InMemoryTouches();
        Attribution attribution = new Attribution(Duration.ofDays(5), Duration.ofHours(24), touches, numbers::campaignOf);
        intake = new ConversionIntake(directory, tokens, Set.of("spring", "summer")::contains, attribution,
                ConversionSettings.DEFAULTS, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void close() throws Exception {
        numbers.close();
        directory.close();
    }

    private Conversion read(String json) {
        return intake.read(json.getBytes(StandardCharsets.UTF_8), new HashMap<>());
    }

    private void assertRefused(String json, String code, String field) {
        ApiError e = assertThrows(ApiError.class, () -> read(json));
        assertEquals(400, e.status(), e.getMessage());
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
    }

    @Test
    void shouldReadAConversionByPhoneAttributedToTheLastClick() {
        touches.clicked(a, numbers.numberOf("spring"), NOW.minus(Duration.ofDays(1)).toEpochMilli());
        Conversion c = read("{\"phone\": \"" + A + "\", \"orderId\": \"o-1\", \"value\": 19.90, \"currency\": \"eur\"}");
        assertEquals(a, c.recipient());
        assertEquals("spring", c.campaignId());
        assertEquals(Attribution.Source.CLICK, c.source());
        assertEquals(new BigDecimal("19.9"), c.value());
        assertEquals("EUR", c.currency());
        assertEquals(NOW.toEpochMilli(), c.occurredAtMillis());
    }

    @Test
    void shouldStoreAConversionWithoutATouchUnattributed() {
        Conversion c = read("{\"phone\": \"07400 123456\", \"orderId\": \"o-1\", \"value\": 0, \"currency\": \"GBP\","
                + " \"occurredAt\": \"2026-12-06T09:00:00Z\"}");
        assertEquals(null, c.campaignId());
        assertEquals(Attribution.Source.NONE, c.source());
        assertEquals(Instant.parse("2026-12-06T09:00:00Z").toEpochMilli(), c.occurredAtMillis());
    }

    @Test
    void shouldLetAnExplicitCampaignOrATokenWinOverTouches() {
        touches.clicked(a, numbers.numberOf("spring"), NOW.toEpochMilli());
        Conversion explicit = read("{\"phone\": \"" + A + "\", \"campaign\": \"summer\", \"orderId\": \"o-1\", \"value\": 1,"
                + " \"currency\": \"EUR\"}");
        assertEquals("summer", explicit.campaignId());
        assertEquals(Attribution.Source.CAMPAIGN, explicit.source());
        String token = tokens.token("summer", a, 0);
        Conversion byToken = read("{\"token\": \"" + token + "\", \"orderId\": \"o-2\", \"value\": 1, \"currency\": \"EUR\"}");
        assertEquals("summer", byToken.campaignId());
        assertEquals(Attribution.Source.TOKEN, byToken.source());
        assertEquals(a, byToken.recipient());
        assertRefused("{\"token\": \"" + token + "\", \"campaign\": \"spring\", \"orderId\": \"o-3\", \"value\": 1,"
                + " \"currency\": \"EUR\"}", "conflicting_campaign", "campaign");
    }

    @Test
    void shouldRefuseEachBadFieldNamingIt() {
        String ok = "\"orderId\": \"o-1\", \"value\": 1, \"currency\": \"EUR\"";
        assertRefused("{\"phone\": \"+447400999999\", " + ok + "}", "unknown_phone", "phone");
        assertRefused("{\"phone\": \"not a phone\", " + ok + "}", "invalid_phone", "phone");
        assertRefused("{" + ok + "}", "missing_field", "phone");
        assertRefused("{\"phone\": \"" + A + "\", \"token\": \"x\", " + ok + "}", "ambiguous_recipient", "token");
        String forged = tokens.token("spring", a, 0);
        forged = forged.substring(0, forged.length() - 1) + (forged.endsWith("A") ? "B" : "A");
        assertRefused("{\"token\": \"" + forged + "\", " + ok + "}", "unknown_token", "token");
        assertRefused("{\"token\": \"short\", " + ok + "}", "unknown_token", "token");
        String p = "{\"phone\": \"" + A + "\", ";
        assertRefused(p + "\"value\": 1, \"currency\": \"EUR\"}", "missing_field", "orderId");
        assertRefused(p + "\"orderId\": \"\", \"value\": 1, \"currency\": \"EUR\"}", "invalid_value", "orderId");
        assertRefused(p + "\"orderId\": \"" + "x".repeat(129) + "\", \"value\": 1, \"currency\": \"EUR\"}", "invalid_value", "orderId");
        assertRefused(p + "\"orderId\": \"o\", \"value\": -0.01, \"currency\": \"EUR\"}", "invalid_value", "value");
        assertRefused(p + "\"orderId\": \"o\", \"value\": 1.00001, \"currency\": \"EUR\"}", "invalid_value", "value");
        assertRefused(p + "\"orderId\": \"o\", \"value\": \"1\", \"currency\": \"EUR\"}", "wrong_type", "value");
        // a short number whose plain form is a billion digits: refused without writing it out
        assertRefused(p + "\"orderId\": \"o\", \"value\": 1E-999999999, \"currency\": \"EUR\"}", "invalid_value", "value");
        assertRefused(p + "\"orderId\": \"o\", \"value\": -1E+999999999, \"currency\": \"EUR\"}", "invalid_value", "value");
        assertRefused(p + "\"orderId\": \"o\", \"currency\": \"EUR\"}", "missing_field", "value");
        assertRefused(p + "\"orderId\": \"o\", \"value\": 1, \"currency\": \"ABC\"}", "invalid_currency", "currency");
        assertRefused(p + "\"orderId\": \"o\", \"value\": 1, \"currency\": \"euro\"}", "invalid_currency", "currency");
        assertRefused(p + "\"orderId\": \"o\", \"value\": 1}", "missing_field", "currency");
        assertRefused(p + ok + ", \"occurredAt\": \"2026-12-07T09:06:00Z\"}", "invalid_value", "occurredAt");
        assertRefused(p + ok + ", \"occurredAt\": \"2026-09-01T00:00:00Z\"}", "invalid_value", "occurredAt");
        assertRefused(p + ok + ", \"occurredAt\": \"yesterday\"}", "invalid_value", "occurredAt");
        assertRefused(p + ok + ", \"campaign\": \"winter\"}", "unknown_campaign", "campaign");
        assertRefused(p + ok + ", \"campaign\": \"../x\"}", "invalid_value", "campaign");
        assertRefused(p + ok + ", \"coupon\": \"X\"}", "unknown_field", "coupon");
    }

    @Test
    void shouldAcceptAConversionWithinTheClockSkew() {
        Conversion c = read("{\"phone\": \"" + A + "\", \"orderId\": \"o\", \"value\": 1, \"currency\": \"EUR\","
                + " \"occurredAt\": \"2026-12-07T09:04:00Z\"}");
        assertTrue(c.occurredAtMillis() > NOW.toEpochMilli());
    }
}
