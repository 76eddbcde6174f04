package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** {@code POST /v1/campaigns/preview} and {@code GET /v1/campaigns/{id}/recipients/{phone}} over real HTTP. */
class CampaignInspectionRoutesTest {

    static final int RECIPIENTS = 20_000;
    /** Segment {@code some}: ids [0, SOME). */
    static final int SOME = 300;
    static final String ADMIN = "test-admin-key-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<Scope> SCOPES = Scope.forMessage("acme", "sms", "marketing");

    @TempDir
    static Path template;

    /** Phones of ids [0, SOME + 10), and whether each is suppressed for the test campaign. */
    static final List<String> PHONES = new ArrayList<>();
    static final List<Boolean> SUPPRESSED = new ArrayList<>();
    /** A valid number the directory does not hold. */
    static String unknownPhone;

    private HeraldService service;
    /** A viewer's key: the inspection routes need no more. */
    private String viewer = ADMIN;

    @BeforeAll
    static void buildDirectory() throws Exception {
        try (HeraldData data = SyntheticAudience.openData(template.resolve("data"), RECIPIENTS)) {
            SyntheticAudience.of(AudienceSpec.defaults().withRecipients(RECIPIENTS).withSeed(7)).populate(data, (p, d, t) -> { });
            SuppressionSnapshot s = data.suppression().snapshot();
            for (int id = 0; id < SOME + 10; id++) {
                PHONES.add(data.directory().get(id).orElseThrow().e164());
                SUPPRESSED.add(s.isSuppressed(id, SCOPES));
            }
            for (int n = 400_999_999; unknownPhone == null; n--) {
                String candidate = "+447" + n;
                if (data.directory().idOf(candidate).isEmpty()) {
                    unknownPhone = candidate;
                }
            }
        }
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private HeraldService start(Path data, Config overrides) throws Exception {
        Config config = overrides.withFallback(ConfigFactory.load()).resolve();
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        MutableRoaringBitmap some = new MutableRoaringBitmap();
        some.add(0L, SOME);
        SegmentStore segments = SegmentStore.open(data);
        segments.put("all", all, RECIPIENTS, 0);
        segments.put("some", some, SOME, 0);
        segments.put("nobody", new MutableRoaringBitmap(), 0, 0);
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter(), true));
    }

    private HttpResponse<String> call(String method, String path, String key, String contentType, String body) throws Exception {
        return ServiceTests.call(service.port(), method, path, key, contentType, body);
    }

    private HttpResponse<String> post(String path, String key, String json) throws Exception {
        return call("POST", path, key, "application/json", json);
    }

    private static final String CAMPAIGN = """
            {"name": "Spring sale", "channel": "sms", "category": "marketing", "sender": "acme",
             "text": "Hi {{first_name}}, spring sale today!", "footer": "Reply STOP to opt out", "segment": "all"}""";

    private JsonNode awaitDecided(String id) throws Exception {
        return ServiceTests.awaitDecided(service.port(), ADMIN, id);
    }

    private boolean noCampaignStored(Path data) throws Exception {
        if (!Files.exists(data.resolve("campaigns"))) {
            return true;
        }
        try (var l = Files.list(data.resolve("campaigns"))) {
            return l.noneMatch(Files::isDirectory);
        }
    }

    @Test
    void shouldPreviewTheCountsTheRealCampaignThenRecordsAndStoreNothing(@TempDir Path dir) throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        service = start(data, ConfigFactory.empty());
        String viewer = service.keys().create(dev.herald.dispatcher.api.Role.VIEWER, "test").key();

        HttpResponse<String> answer = post("/v1/campaigns/preview", viewer, CAMPAIGN);
        assertEquals(200, answer.statusCode(), answer.body());
        JsonNode preview = json(answer);
        System.out.println("preview: " + preview);
        assertEquals(RECIPIENTS, preview.path("total").asLong());
        long sum = 0;
        for (Iterator<JsonNode> it = preview.path("counts").elements(); it.hasNext(); ) {
            sum += it.next().asLong();
        }
        assertEquals(RECIPIENTS, sum, "counts add up: " + preview);
        assertTrue(preview.path("elapsedMs").isNumber());
        assertTrue(noCampaignStored(data), "a preview stores no campaign");
        assertEquals(0, json(call("GET", "/v1/campaigns", ADMIN, null, null)).path("campaigns").size());

        String id = json(post("/v1/campaigns", ADMIN, CAMPAIGN)).path("id").asText();
        JsonNode done = awaitDecided(id);
        JsonNode counts = done.path("counts");
        JsonNode expected = preview.path("counts");
        // suppression does not depend on the clock: exact, scope by scope
        preview.path("outcomes").fields().forEachRemaining(e -> {
            if (e.getKey().startsWith("suppressed:")) {
                assertEquals(e.getValue().asLong(), done.path("outcomes").path(e.getKey()).asLong(), e.getKey() + ": " + done);
            }
        });
        assertEquals(expected.path("suppressed").asLong(), counts.path("suppressed").asLong(), done.toString());
        // quiet hours and caps: the same unless the clock crossed a window edge in between
        boolean same = expected.path("sendNow").asLong() == counts.path("sent").asLong()
                && expected.path("deferred").asLong() == counts.path("deferred").asLong()
                && expected.path("capped").asLong() == counts.path("capped").asLong();
        if (!same) {
            JsonNode again = json(post("/v1/campaigns/preview", viewer, CAMPAIGN));
            System.out.println("preview and run differ; a later preview: " + again);
            assertFalse(again.path("counts").equals(expected), "only a moved clock may explain a difference: preview "
                    + preview + " run " + done);
        }
        assertEquals(expected.path("sendNow").asLong() + expected.path("deferred").asLong() + expected.path("capped").asLong(),
                counts.path("sent").asLong() + counts.path("deferred").asLong() + counts.path("capped").asLong());
    }

    @Test
    void shouldPreviewCapsReadOnlyAsTheRunThenCapsThem(@TempDir Path dir) throws Exception {
        service = start(copyData(template.resolve("data"), dir), ConfigFactory.parseString(
                "herald.frequency-caps.rules { daily { limit = 1, window = day, scope = marketing, action = drop } }"));
        String some = CAMPAIGN.replace("\"all\"", "\"some\"");
        JsonNode fresh = json(post("/v1/campaigns/preview", ADMIN, some));
        assertEquals(0, fresh.path("counts").path("capped").asLong(), "nobody was sent to yet: " + fresh);
        JsonNode first = awaitDecided(json(post("/v1/campaigns", ADMIN, some)).path("id").asText());
        long sentFirst = first.path("counts").path("sent").asLong();

        JsonNode preview = json(post("/v1/campaigns/preview", ADMIN, some));
        JsonNode again = json(post("/v1/campaigns/preview", ADMIN, some));
        assertEquals(preview.path("counts"), again.path("counts"), "a preview reserves nothing: " + preview + " " + again);
        assertEquals(sentFirst, preview.path("outcomes").path("capped:daily").asLong(),
                "those sent today are capped by the second: " + preview + " after " + first);
        JsonNode second = awaitCapped(json(post("/v1/campaigns", ADMIN, some)).path("id").asText());
        assertEquals(preview.path("counts").path("capped").asLong(), second.path("counts").path("capped").asLong(),
                "preview " + preview + " run " + second);
        assertEquals(preview.path("counts").path("suppressed").asLong(), second.path("counts").path("suppressed").asLong());
        assertEquals(0, second.path("counts").path("sent").asLong(), second.toString());
    }

    /** Until the campaign has no recipient pending or in flight and has capped some. */
    private JsonNode awaitCapped(String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode c;
        do {
            c = json(call("GET", "/v1/campaigns/" + id, ADMIN, null, null));
            JsonNode n = c.path("counts");
            if (n.path("pending").asLong() == 0 && n.path("inFlight").asLong() == 0 && n.path("capped").asLong() > 0) {
                return c;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("campaign " + id + " never capped anyone: " + c);
    }

    private static final Config SENDER_POLICIES = ConfigFactory.parseString("""
            herald.senders.profiles {
              strict { brand = "Strict", prefix = "{brand}: ", flagged-words = ["free", "winner"], flagged-policy = refuse }
              lax { footer = "回T退订", flagged-words = ["free"] }
            }
            herald.quiet-hours.policies.default.categories.promotions.windows = ["09:00-21:00"]""");

    private static String marketing(String sender, String category, String text, String footer) {
        return "{\"name\": \"c\", \"channel\": \"sms\", \"category\": \"" + category + "\", \"sender\": \"" + sender
                + "\", \"text\": \"" + text + "\"" + (footer == null ? "" : ", \"footer\": \"" + footer + "\"")
                + ", \"segment\": \"some\"}";
    }

    @Test
    void shouldRefuseOrWarnOnMarketingTextAsTheSendersPolicySays(@TempDir Path dir) throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        service = start(data, SENDER_POLICIES);

        // preview: warns about everything, refuses nothing
        HttpResponse<String> p = post("/v1/campaigns/preview", ADMIN, marketing("strict", "marketing", "Free gifts, winner!", null));
        assertEquals(200, p.statusCode(), p.body());
        JsonNode w = json(p).path("warnings");
        assertEquals(3, w.size(), p.body());
        assertEquals("missing_brand_prefix", w.get(0).path("code").asText());
        assertEquals("flagged_word", w.get(1).path("code").asText());
        assertEquals("free", w.get(1).path("word").asText());
        assertEquals("winner", w.get(2).path("word").asText());
        assertTrue(w.get(2).path("blocking").asBoolean(), p.body());
        assertEquals("Reply STOP to opt out", json(p).path("footer").asText());
        JsonNode clean = json(post("/v1/campaigns/preview", ADMIN, marketing("strict", "marketing", "Strict: freedom day", null)));
        assertEquals(0, clean.path("warnings").size(), clean.toString());

        // create: refuses what the policy refuses, storing nothing
        assertError(post("/v1/campaigns", ADMIN, marketing("strict", "marketing", "Freedom day", null)), 422,
                "missing_brand_prefix", "text");
        HttpResponse<String> refused = post("/v1/campaigns", ADMIN, marketing("strict", "marketing", "Strict: FREE for a WINNER", null));
        assertError(refused, 422, "flagged_words", "text");
        assertTrue(json(refused).path("message").asText().contains("free, winner"), refused.body());
        assertEquals(0, json(call("GET", "/v1/campaigns", ADMIN, null, null)).path("campaigns").size(), "nothing was stored");

        HttpResponse<String> ok = post("/v1/campaigns", ADMIN, marketing("strict", "marketing", "Strict: freedom day", ""));
        assertEquals(201, ok.statusCode(), ok.body());
        assertEquals(0, json(ok).path("warnings").size(), ok.body());
        assertEquals("Reply STOP to opt out", json(ok).path("footer").asText(), "an empty footer does not switch it off");

        // warn policy: created, with the warnings, and the sender's footer stored
        HttpResponse<String> warned = post("/v1/campaigns", ADMIN, marketing("lax", "promotions", "FREE tea today", null));
        assertEquals(201, warned.statusCode(), warned.body());
        assertEquals("flagged_word", json(warned).path("warnings").get(0).path("code").asText(), warned.body());
        assertFalse(json(warned).path("warnings").get(0).path("blocking").asBoolean(), warned.body());
        String stored = Files.readString(data.resolve("campaigns").resolve(json(warned).path("id").asText())
                .resolve("campaign.json"));
        assertTrue(stored.contains("回T退订"), stored);

        // transactional text is not checked
        HttpResponse<String> tx = post("/v1/campaigns", ADMIN, marketing("strict", "transactional", "Your free parcel", null));
        assertEquals(201, tx.statusCode(), tx.body());
        assertEquals(0, json(tx).path("warnings").size(), tx.body());
        assertEquals("", json(tx).path("footer").asText());
    }

    @Test
    void shouldRefuseEveryBadInputOfCreateExactlyAsCreateDoes(@TempDir Path dir) throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        service = start(data, ConfigFactory.parseString("herald.service.max-json-body = 4 KiB"));
        List<String> bad = List.of(
                "{\"name\": \"x\"",
                CAMPAIGN.replace("\"segment\"", "\"colour\": \"red\", \"segment\""),
                CAMPAIGN.replace("\"Spring sale\"", "5"),
                CAMPAIGN.replace("\"sender\": \"acme\",", ""),
                CAMPAIGN.replace("\"sms\"", "\"SMS!\""),
                CAMPAIGN.replace("\"all\"", "\"vip\""),
                CAMPAIGN.replace("\"all\"", "\"nobody\""),
                CAMPAIGN.replace("\"segment\": \"all\"", "\"segment\": \"all\", \"expression\": \"all\""),
                CAMPAIGN.replace("\"segment\": \"all\"", "\"expression\": \"all & (\""),
                CAMPAIGN.replace("{{first_name}}", "{{first_name"),
                CAMPAIGN.replace("\"segment\"", "\"schedule\": {\"at\": \"2020-01-01T00:00:00Z\"}, \"segment\""),
                CAMPAIGN.replace("\"segment\"", "\"schedule\": {\"at\": \"tomorrow\"}, \"segment\""),
                CAMPAIGN.replace("\"segment\"", "\"schedule\": {\"localTime\": \"25:00\"}, \"segment\""),
                CAMPAIGN.replace("\"segment\"", "\"connector\": \"smpp-9\", \"segment\""),
                CAMPAIGN.replace("\"segment\"", "\"tps\": 0, \"segment\""),
                CAMPAIGN.replace("\"segment\"", "\"expiresAt\": \"2020-01-01T00:00:00Z\", \"segment\""),
                "{\"name\": \"" + "x".repeat(8_000) + "\"}",
                "",
                "null");
        for (String body : bad) {
            HttpResponse<String> created = post("/v1/campaigns", ADMIN, body);
            HttpResponse<String> previewed = post("/v1/campaigns/preview", ADMIN, body);
            String what = body.length() > 300 ? body.substring(0, 300) + "..." : body;
            assertTrue(created.statusCode() >= 400 && created.statusCode() < 500, what + " -> " + created.body());
            assertEquals(created.statusCode(), previewed.statusCode(), what + ": create " + created.body() + " preview "
                    + previewed.body());
            assertEquals(json(created).path("error"), json(previewed).path("error"), what);
            assertEquals(json(created).path("field"), json(previewed).path("field"), what);
        }
        assertError(call("POST", "/v1/campaigns/preview", ADMIN, "text/plain", CAMPAIGN), 415, "unsupported_media_type", null);
        assertError(call("POST", "/v1/campaigns/preview", null, "application/json", CAMPAIGN), 401, "unauthorized", null);
        assertEquals(0, json(call("GET", "/v1/campaigns", ADMIN, null, null)).path("campaigns").size(), "nothing was stored");
        assertTrue(noCampaignStored(data), "no campaign directory");
    }

    private HttpResponse<String> recipient(String id, String phone) throws Exception {
        return call("GET", "/v1/campaigns/" + id + "/recipients/" + URLEncoder.encode(phone, StandardCharsets.UTF_8), viewer,
                null, null);
    }

    @Test
    void shouldAnswerOneRecipientsOutcomeAndWhyOrSayWhatIsNotFound(@TempDir Path dir) throws Exception {
        service = start(copyData(template.resolve("data"), dir), ConfigFactory.empty());
        viewer = service.keys().create(dev.herald.dispatcher.api.Role.VIEWER, "test").key();
        String id = json(post("/v1/campaigns", ADMIN, CAMPAIGN.replace("\"all\"", "\"some\""))).path("id").asText();
        JsonNode done = awaitDecided(id);
        System.out.println("campaign: " + done);

        int sent = 0;
        int suppressed = 0;
        for (int i = 0; i < SOME; i++) {
            HttpResponse<String> r = recipient(id, PHONES.get(i));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode b = json(r);
            assertEquals(id, b.path("campaign").asText());
            assertEquals(PHONES.get(i), b.path("phone").asText());
            String outcome = b.path("outcome").asText();
            if (SUPPRESSED.get(i)) {
                suppressed++;
                assertTrue(outcome.startsWith("suppressed:"), b.toString());
                assertTrue(b.path("reason").asText().startsWith("opted out ("), b.toString());
            } else if (outcome.equals("sent")) {
                sent++;
                assertTrue(b.path("at").isNull(), b.toString());
            } else {
                assertEquals("deferred", outcome, b.toString());
                assertTrue(b.path("reason").asText().startsWith("in quiet hours until "), b.toString());
                assertFalse(b.path("at").isNull(), b.toString());
            }
        }
        assertEquals(done.path("counts").path("sent").asLong(), sent, "one answer per sent recipient");
        assertEquals(done.path("counts").path("suppressed").asLong(), suppressed);
        assertTrue(sent > 0 && suppressed > 0, "the fixture has both");

        HttpResponse<String> outside = recipient(id, PHONES.get(SOME + 1));
        assertError(outside, 404, "not_found", null);
        assertTrue(json(outside).path("message").asText().contains("not in the audience"), outside.body());
        HttpResponse<String> unknown = recipient(id, unknownPhone);
        assertError(unknown, 404, "not_found", null);
        assertTrue(json(unknown).path("message").asText().contains("no recipient"), unknown.body());
        HttpResponse<String> noCampaign = recipient("c-nope", PHONES.get(0));
        assertError(noCampaign, 404, "not_found", null);
        assertTrue(json(noCampaign).path("message").asText().contains("no campaign"), noCampaign.body());
        assertError(recipient(id, "not-a-phone"), 400, "invalid_phone", "phone");
        assertError(recipient(id, "+1"), 400, "invalid_phone", "phone");

        // once the campaign's actor has stopped, the answer comes from the stored ledger
        post("/v1/campaigns/" + id + "/cancel", ADMIN, null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode after;
        do {
            Thread.sleep(50);
            after = json(call("GET", "/v1/campaigns/" + id, ADMIN, null, null));
        } while (after.path("counts").path("pending").asLong() + after.path("counts").path("deferred").asLong() > 0
                && System.nanoTime() < deadline);
        Thread.sleep(200);
        int sentAfter = 0;
        for (int i = 0; i < SOME; i++) {
            JsonNode b = json(recipient(id, PHONES.get(i)));
            sentAfter += b.path("outcome").asText().equals("sent") ? 1 : 0;
            assertFalse(b.path("outcome").asText().equals("deferred"), "deferred ones are failed:cancelled now: " + b);
        }
        assertEquals(sent, sentAfter, "the stored ledger answers the same for the sent");
    }
}
