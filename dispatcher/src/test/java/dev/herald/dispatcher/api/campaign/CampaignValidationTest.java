package dev.herald.dispatcher.api.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.CampaignRoutes.CreateCampaign;
import dev.herald.dispatcher.campaign.CampaignRecord;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Create and preview bodies as clients send them, parsed as the API parses them, then validated. */
class CampaignValidationTest {

    private static final Instant NOW = Instant.parse("2026-12-01T09:00:00Z");
    private static final CampaignValidation VALIDATION = new CampaignValidation("sim", Clock.fixed(NOW, ZoneOffset.UTC));

    /** A good body with {@code extra} JSON members appended. */
    private static String body(String extra) {
        return "{\"name\":\" Spring sale \",\"channel\":\"SMS\",\"category\":\"Marketing\",\"sender\":\"acme\","
                + "\"text\":\"Hi {{first_name}}\",\"segment\":\"vip\"" + extra + "}";
    }

    private static CreateCampaign parse(String json) {
        return ApiDirectives.parse(json.getBytes(StandardCharsets.UTF_8), CreateCampaign.class);
    }

    @Test
    void shouldMakeTheRecordOfAGoodBodyWithAFreshIdStampedNow() {
        CampaignRecord r = VALIDATION.validate(parse(body("")), Optional.empty());
        assertEquals("Spring sale", r.name());
        assertEquals("sms", r.channel());
        assertEquals("marketing", r.category());
        assertEquals("acme", r.sender());
        assertEquals("Hi {{first_name}}", r.template());
        assertEquals("", r.footer());
        assertEquals(0, r.audienceSize());
        assertEquals(NOW, r.createdAt());
        assertNull(r.startAt());
        assertNull(r.localTime());
        assertTrue(r.id().matches("c-20261201-090000-[0-9a-f]{8}"), r.id());
    }

    @Test
    void shouldNameTheCampaignAfterItsIdempotencyKey() {
        CampaignRecord r = VALIDATION.validate(parse(body("")), Optional.of("spring-1"));
        assertEquals(CampaignIds.forKey("spring-1"), r.id());
        assertEquals(r.id(), VALIDATION.validate(parse(body(",\"footer\":\"x\"")), Optional.of("spring-1")).id(),
                "the same key names the same campaign whatever the body");
    }

    @Test
    void shouldKeepTheScheduleTheExpiryAndTheTps() {
        CampaignRecord at = VALIDATION.validate(parse(body(",\"schedule\":{\"at\":\"2026-12-02T08:00:00Z\"},"
                + "\"expiresAt\":\"2026-12-03T00:00:00Z\",\"tps\":50,\"connector\":\"sim\",\"footer\":\"Bye\"")), Optional.empty());
        assertEquals(Instant.parse("2026-12-02T08:00:00Z"), at.startAt());
        assertEquals(Instant.parse("2026-12-03T00:00:00Z"), at.expiresAt());
        assertEquals(50.0, at.tps());
        assertEquals("Bye", at.footer());
        CampaignRecord local = VALIDATION.validate(parse(body(",\"schedule\":{\"localTime\":\"09:30\"}")), Optional.empty());
        assertEquals("09:30", local.localTime());
        assertNull(local.startAt());
        Instant edge = NOW.plus(CampaignValidation.MAX_SCHEDULE_AHEAD);
        assertEquals(edge, VALIDATION.validate(parse(body(",\"schedule\":{\"at\":\"" + edge + "\"}")), Optional.empty()).startAt(),
                "exactly the longest schedule ahead is accepted");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing name               | {"channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip"} | missing_field | name
            blank text                 | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"  ","segment":"vip"} | missing_field | text
            name over 200 characters   | {"name":"NAME201","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip"} | invalid_value | name
            channel with a space       | {"name":"n","channel":"s m s","category":"m","sender":"acme","text":"hi","segment":"vip"} | invalid_value | channel
            category with a slash      | {"name":"n","channel":"sms","category":"a/b","sender":"acme","text":"hi","segment":"vip"} | invalid_value | category
            sender with a space        | {"name":"n","channel":"sms","category":"m","sender":"ac me","text":"hi","segment":"vip"} | invalid_value | sender
            neither segment nor expr   | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi"} | missing_field | segment
            segment and expression     | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","expression":"a & b"} | invalid_value | segment
            unclosed placeholder       | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi {{name","segment":"vip"} | invalid_template | text
            another connector          | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","connector":"smpp"} | unknown_connector | connector
            tps zero                   | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","tps":0} | invalid_value | tps
            tps too high               | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","tps":1e12} | invalid_value | tps
            at and localTime           | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","schedule":{"at":"2026-12-02T00:00:00Z","localTime":"09:00"}} | invalid_value | schedule.localTime
            bad localTime              | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","schedule":{"localTime":"25:00"}} | invalid_value | schedule.localTime
            empty schedule             | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","schedule":{}} | missing_field | schedule.at
            schedule now               | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","schedule":{"at":"2026-12-01T09:00:00Z"}} | schedule_in_past | schedule.at
            schedule too far           | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","schedule":{"at":"2028-01-01T00:00:00Z"}} | schedule_too_far | schedule.at
            expiry before start        | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","schedule":{"at":"2026-12-02T00:00:00Z"},"expiresAt":"2026-12-01T12:00:00Z"} | invalid_value | expiresAt
            expiry now                 | {"name":"n","channel":"sms","category":"m","sender":"acme","text":"hi","segment":"vip","expiresAt":"2026-12-01T09:00:00Z"} | invalid_value | expiresAt
            """)
    void shouldRefuseABadBodyNamingItsField(String what, String json, String code, String field) {
        ApiError e = assertThrows(ApiError.class,
                () -> VALIDATION.validate(parse(json.replace("NAME201", "n".repeat(201))), Optional.empty()), what);
        assertEquals(400, e.status(), what);
        assertEquals(code, e.code(), what + ": " + e.getMessage());
        assertEquals(field, e.field(), what);
        assertTrue(e.getMessage().length() > 10, what);
    }

    @Test
    void shouldSayWhatIsWrongInTheMessage() {
        ApiError connector = assertThrows(ApiError.class, () -> VALIDATION.validate(parse(body(",\"connector\":\"smpp\"")),
                Optional.empty()));
        assertEquals("unknown connector 'smpp'; this server has 'sim'", connector.getMessage());
        ApiError past = assertThrows(ApiError.class, () -> VALIDATION.validate(
                parse(body(",\"schedule\":{\"at\":\"2026-11-30T00:00:00Z\"}")), Optional.empty()));
        assertEquals("'schedule.at' 2026-11-30T00:00:00Z is not in the future (now 2026-12-01T09:00:00Z)", past.getMessage());
        ApiError far = assertThrows(ApiError.class, () -> VALIDATION.validate(
                parse(body(",\"schedule\":{\"at\":\"2028-01-01T00:00:00Z\"}")), Optional.empty()));
        assertEquals("'schedule.at' 2028-01-01T00:00:00Z is more than 366 days ahead (now 2026-12-01T09:00:00Z);"
                + " schedule at most 366 days ahead", far.getMessage());
    }

    @Test
    void shouldRefuseABlankOrOverlongIdempotencyKeyAfterTheBody() {
        for (String key : new String[] {" ", "k".repeat(201)}) {
            ApiError e = assertThrows(ApiError.class, () -> VALIDATION.validate(parse(body("")), Optional.of(key)));
            assertEquals("invalid_header", e.code());
            assertEquals("Idempotency-Key", e.field());
        }
        ApiError body = assertThrows(ApiError.class, () -> VALIDATION.validate(parse(body(",\"tps\":-1")), Optional.of(" ")));
        assertEquals("tps", body.field(), "the body is checked first");
    }
}
