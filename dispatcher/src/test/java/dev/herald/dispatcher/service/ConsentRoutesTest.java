package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.api.Role;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.Scope;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** The consent and opt-out analytics routes over real HTTP, on a ledger written as the STOP webhook and the link would. */
class ConsentRoutesTest {

    static final String ADMIN = "test-admin-key-0123456789";
    static final List<String> PHONES = List.of("+447400100001", "+447400100002", "+447400100003", "+447400100004");

    private HeraldService service;
    private String viewer;

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    /** The id a create with this Idempotency-Key gets (as CampaignRoutes derives it). */
    static String idFor(String key) throws Exception {
        byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        return "c-" + HexFormat.of().formatHex(h, 0, 12);
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        return ServiceTests.call(service.port(), "GET", path, key, null, null);
    }

    @Test
    void shouldAnswerConsentHistoryAndOptOutReportsWithClearErrors(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        String campaign = idFor("spring-1");
        Instant sent = Instant.now().minus(Duration.ofHours(5)).truncatedTo(ChronoUnit.MILLIS);
        int[] ids = new int[PHONES.size()];
        try (HeraldData d = HeraldData.at(data, DirectoryOptions.defaults().withCapacity(1_000), IndexOptions.defaults(), true)) {
            for (int i = 0; i < PHONES.size(); i++) {
                ids[i] = d.directory().register(PHONES.get(i), "Europe/London", null, Map.of()).id();
            }
            Scope acme = Scope.sender("acme");
            d.suppression().apply(List.of(
                    ConsentChange.optOut(ids[0], PHONES.get(0), acme, ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms")
                            .rawText("Stop.").campaign(campaign).sentAt(sent).at(sent.plus(Duration.ofMinutes(20)))),
                    ConsentChange.optOut(ids[0], PHONES.get(0), acme, ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms")
                            .rawText("STOP").campaign(campaign).sentAt(sent).at(sent.plus(Duration.ofMinutes(25)))),
                    ConsentChange.optOut(ids[1], PHONES.get(1), acme, ConsentEvidence.of(ConsentSource.LINK).channel("web")
                            .campaign(campaign).sentAt(sent).at(sent.plus(Duration.ofHours(3)))),
                    ConsentChange.optOut(ids[2], PHONES.get(2), Scope.GLOBAL, ConsentEvidence.of(ConsentSource.API)
                            .rawText("asked by phone").at(sent.plus(Duration.ofHours(4))))));
        }
        Files.createDirectories(data.resolve("unsubscribe"));
        // checksummed lines (ReasonLog's format); the second is intact but not a usable reason: skipped, not fatal
        Files.writeString(data.resolve("unsubscribe/reasons.jsonl"), framed("{\"time\":\"" + sent.plus(Duration.ofHours(3))
                + "\",\"recipientId\":" + ids[1] + ",\"phone\":\"" + PHONES.get(1) + "\",\"campaign\":\"" + campaign
                + "\",\"sender\":\"acme\",\"reason\":\"not-relevant\",\"text\":null") + framed("{broken"));
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        for (int id : ids) {
            all.add(id);
        }
        SegmentStore.open(data).put("all", all, ids.length, 0);
        Config config = ConfigFactory.load();
        service = HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter(), true));
        viewer = service.keys().create(Role.VIEWER, "test").key();

        // one recipient's consent
        JsonNode c = json(get("/v1/recipients/%2B447400100001/consent", viewer));
        assertEquals(PHONES.get(0), c.path("phone").asText(), c.toString());
        assertEquals(ids[0], c.path("recipientId").asInt());
        assertEquals("[\"sender:acme\"]", c.path("suppressed").toString());
        assertEquals(2, c.path("history").size(), c.toString());
        JsonNode first = c.path("history").get(0);
        assertEquals("opt-out", first.path("action").asText());
        assertEquals("keyword", first.path("source").asText());
        assertEquals("Stop.", first.path("text").asText());
        assertEquals(campaign, first.path("campaign").asText());
        assertEquals(sent.toString(), first.path("sentAt").asText());
        assertEquals("sms", first.path("channel").asText());
        assertTrue(first.path("seq").isNumber() && first.path("time").isTextual(), first.toString());
        JsonNode untouched = json(get("/v1/recipients/%2B447400100004/consent", viewer));
        assertEquals(0, untouched.path("history").size());
        assertEquals(0, untouched.path("suppressed").size());
        assertTrue(json(get("/v1/recipients/%2B447400100003/consent", viewer)).path("history").get(0).path("sentAt").isNull());
        assertError(get("/v1/recipients/%2B447400999999/consent", viewer), 404, "unknown_recipient", "phone");
        assertError(get("/v1/recipients/hello/consent", viewer), 400, "invalid_phone", "phone");
        assertError(get("/v1/recipients/%2B447400100001/consent", null), 401, "unauthorized", null);

        // a campaign's opt-outs
        assertError(get("/v1/campaigns/" + campaign + "/optouts", viewer), 404, "not_found", null);
        String withKey = createWithKey("spring-1");
        assertEquals(campaign, withKey);
        JsonNode status = awaitDecided(campaign);
        assertTrue(!status.path("status").asText().equals("failed"), status.toString());
        long sentCount = status.path("counts").path("sent").asLong();
        JsonNode o = json(get("/v1/campaigns/" + campaign + "/optouts", viewer));
        assertEquals(campaign, o.path("campaign").asText(), o.toString());
        assertEquals(2, o.path("optOuts").asLong(), "a second STOP is not a second opt-out: " + o);
        // (a recipient deferred by quiet hours may be sent between the two reads: never fewer)
        assertTrue(o.path("sent").asLong() >= sentCount, o + " vs " + status);
        if (o.path("sent").asLong() > 0) {
            assertEquals(2.0 / o.path("sent").asLong(), o.path("rate").asDouble(), 1e-12);
        } else {
            assertTrue(o.path("rate").isNull(), o.toString());
        }
        assertEquals(1, o.path("byReason").path("keyword").asLong(), o.toString());
        assertEquals(1, o.path("byReason").path("not-relevant").asLong(), o.toString());
        assertEquals(1, o.path("bySource").path("link").asLong(), o.toString());
        assertEquals(1, o.path("byHoursSinceSend").path("0-1").asLong(), o.toString());
        assertEquals(1, o.path("byHoursSinceSend").path("2-4").asLong(), o.toString());
        assertError(get("/v1/campaigns/..bad/optouts", viewer), 400, "invalid_value", "id");

        // a period's opt-outs
        String from = LocalDate.now(ZoneOffset.UTC).minusDays(2).toString();
        String to = Instant.now().plus(Duration.ofHours(1)).toString();
        JsonNode p = json(get("/v1/reports/optouts?from=" + from + "&to=" + to, viewer));
        assertEquals(3, p.path("optOuts").asLong(), p.toString());
        assertEquals(2, p.path("byCampaign").path(campaign).asLong(), p.toString());
        assertEquals(1, p.path("byCampaign").path("(none)").asLong(), p.toString());
        assertEquals(2, p.path("byCategory").path("marketing").asLong(), p.toString());
        assertEquals(2, p.path("bySender").path("acme").asLong(), p.toString());
        assertEquals(1, p.path("bySender").path("(global)").asLong(), p.toString());
        assertEquals(24, p.path("byHourOfDay").size());
        assertEquals("UTC", p.path("timeZone").asText());
        assertEquals(from + "T00:00:00Z", p.path("from").asText());
        JsonNode tokyo = json(get("/v1/reports/optouts?from=" + from + "&to=" + to + "&tz=Asia/Tokyo", viewer));
        assertEquals("Asia/Tokyo", tokyo.path("timeZone").asText());
        int h = sent.plus(Duration.ofHours(4)).atZone(java.time.ZoneId.of("Asia/Tokyo")).getHour();
        assertTrue(tokyo.path("byHourOfDay").path(String.format("%02d", h)).asLong() >= 1, tokyo.toString());

        assertError(get("/v1/reports/optouts?to=" + to, viewer), 400, "missing_parameter", "from");
        assertError(get("/v1/reports/optouts?from=" + from, viewer), 400, "missing_parameter", "to");
        assertError(get("/v1/reports/optouts?from=yesterday&to=" + to, viewer), 400, "invalid_parameter", "from");
        assertError(get("/v1/reports/optouts?from=2026-11-01&to=2026-13-01", viewer), 400, "invalid_parameter", "to");
        assertError(get("/v1/reports/optouts?from=2026-11-02&to=2026-11-01", viewer), 400, "invalid_parameter", "from");
        assertError(get("/v1/reports/optouts?from=2026-11-01&to=2026-11-01", viewer), 400, "invalid_parameter", "from");
        assertError(get("/v1/reports/optouts?from=2025-01-01&to=2026-11-01", viewer), 400, "invalid_parameter", "to");
        assertError(get("/v1/reports/optouts?from=2026-11-01&to=2026-11-02&tz=Mars/Olympus", viewer), 400,
                "invalid_parameter", "tz");
        assertError(get("/v1/reports/optouts?from=2026-11-01&to=2026-11-02", null), 401, "unauthorized", null);
    }

    private String createWithKey(String key) throws Exception {
        HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + service.port() + "/v1/campaigns"))
                .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\": \"Spring\", \"channel\": \"sms\","
                        + " \"category\": \"marketing\", \"sender\": \"ACME\", \"text\": \"Spring sale\", \"segment\": \"all\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        return json(r).path("id").asText();
    }

    private JsonNode awaitDecided(String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode c;
        do {
            c = json(get("/v1/campaigns/" + id, ADMIN));
            JsonNode n = c.path("counts");
            if (c.path("status").asText().equals("failed") || n.path("pending").asLong() == 0 && n.path("inFlight").asLong() == 0) {
                return c;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("campaign " + id + " never decided everyone: " + c);
    }

    /** One JSON_LINE frame: the object without its closing brace, then the crc32 member. */
    static String framed(String objectWithoutBrace) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(objectWithoutBrace.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return objectWithoutBrace + ",\"lineCrc32\":\"" + java.util.HexFormat.of().toHexDigits((int) c.getValue()) + "\"}\n";
    }
}
