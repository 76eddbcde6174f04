package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.api.InboundRoutes;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.throttle.Priority;

/** {@code POST /v1/inbound/sms} over real HTTP: signature, replays, keywords, confirmations once, attribution. */
class InboundWebhookTest {

    static final int RECIPIENTS = 2_000;
    static final String ADMIN = "test-admin-key-0123456789";
    static final String SECRET = "inbound-secret-0123456789";
    static final String DEMO_NUMBER = "+15005550006";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path template;
    @TempDir
    Path dir;

    private HeraldService service;
    private final ConcurrentLinkedQueue<OutboundMessage> sent = new ConcurrentLinkedQueue<>();
    private String[] phones;

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(11).withSuppression(0, Map.of()));
    }

    @BeforeEach
    void start() throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        SegmentStore.open(data).put("all", all, RECIPIENTS, 0);
        phones = new String[RECIPIENTS];
        try (HeraldData d = HeraldData.at(data, dev.herald.suppression.DirectoryOptions.defaults(),
                dev.herald.suppression.IndexOptions.defaults(), false)) {
            for (int i = 0; i < RECIPIENTS; i++) {
                phones[i] = d.directory().get(i).orElseThrow().e164();
            }
        }
        service = start(data, ConfigFactory.empty(), Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", SECRET));
    }

    private HeraldService start(Path data, Config overrides, Map<String, String> env) throws Exception {
        Config config = allHoursOpen(overrides.withFallback(ConfigFactory.load())).resolve();
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0), env,
                new PrintWriter(new StringWriter(), true), ServiceTests.recording(m -> sent.add(m)));
    }

    /** Marketing may be sent at any hour: the tests run on the real clock. */
    static Config allHoursOpen(Config c) {
        return c.withValue("herald.quiet-hours.policies.default", ConfigFactory.parseString(
                "unknown-zones = [UTC], categories { marketing { exempt = true }, transactional { exempt = true } }, countries {}").root());
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private HttpResponse<String> inbound(String contentType, String body, String signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/v1/inbound/sms"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.UTF_8)));
        if (signature != null) {
            b.header(InboundRoutes.SIGNATURE_HEADER, signature);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> signed(String contentType, String body) throws Exception {
        return inbound(contentType, body, sign(body));
    }

    static String sign(String body) {
        return InboundRoutes.signature(SECRET.getBytes(StandardCharsets.UTF_8), body.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> reply(int recipient, String text, String id) throws Exception {
        String body = "{\"from\":\"" + phones[recipient] + "\",\"to\":\"" + DEMO_NUMBER + "\",\"text\":"
                + ServiceTests.JSON.writeValueAsString(text) + ",\"channel\":\"sms\",\"id\":\"" + id + "\"}";
        return signed("application/json", body);
    }

    private List<OutboundMessage> repliesTo(int recipient) {
        return sent.stream().filter(m -> m.priority() == Priority.TRANSACTIONAL && m.to().equals(phones[recipient])).toList();
    }

    private JsonNode suppressions(int recipient) throws Exception {
        return json(ServiceTests.call(service.port(), "GET", "/v1/suppressions/" + URLEncoder.encode(phones[recipient],
                StandardCharsets.UTF_8), ADMIN, null, null));
    }

    private static void awaitTrue(java.util.function.BooleanSupplier c, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void stopIsDurableAtTheAnswerAndConfirmedOnce() throws Exception {
        HttpResponse<String> r = reply(1, "Stop.", "m1");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode a = json(r);
        assertEquals("opt-out", a.path("action").asText());
        assertEquals("sender:demo", a.path("scope").asText());
        assertEquals("You are unsubscribed from Herald Demo. Reply START to resubscribe.", a.path("reply").asText());
        JsonNode s = suppressions(1);
        assertTrue(s.toString().contains("sender:demo"), s.toString());
        assertTrue(s.toString().contains("keyword") && s.toString().contains("Stop."), "evidence: source and raw text " + s);
        awaitTrue(() -> repliesTo(1).size() == 1, "the confirmation");
        OutboundMessage confirmation = repliesTo(1).get(0);
        assertEquals(a.path("reply").asText(), confirmation.text());
        assertEquals("herald-replies", confirmation.campaignId());

        // a second STOP: the same answer, no second confirmation
        JsonNode again = json(reply(1, "STOP", "m2"));
        assertEquals("opt-out", again.path("action").asText());
        assertTrue(again.path("reply").isNull(), again.toString());
        // ... but written again: an opt-in from elsewhere may have been on its way, and the later STOP must win
        assertEquals(2, suppressions(1).path("history").size(), suppressions(1).toString());
        Thread.sleep(300);
        assertEquals(1, repliesTo(1).size(), "confirmed once");

        // START: resubscribed and confirmed; HELP: the sender's help text
        JsonNode start = json(reply(1, "start", "m3"));
        assertEquals("opt-in", start.path("action").asText());
        assertEquals("You are resubscribed to Herald Demo. Reply STOP to opt out.", start.path("reply").asText());
        assertFalse(suppressions(1).path("scopes").toString().contains("sender:demo"), suppressions(1).toString());
        JsonNode help = json(reply(1, "HELP", "m4"));
        assertEquals("help", help.path("action").asText());
        assertTrue(help.path("reply").asText().startsWith("Herald Demo:"), help.toString());
        awaitTrue(() -> repliesTo(1).size() == 3, "the START confirmation and the help text");

        // not keywords
        // ("STOP PLEASE" is no keyword but an intent phrase: an opt-out, see IntentReplyWebhookTest)
        for (String text : List.of("STOP BY LATER", "don't stop", "", "🙂")) {
            JsonNode none = json(reply(2, text, "n" + text.hashCode()));
            assertEquals("none", none.path("action").asText(), text);
            assertTrue(none.path("reply").isNull());
        }
        assertEquals(0, repliesTo(2).size());

        // STOPALL: everything
        JsonNode all = json(reply(3, "ＳＴＯＰＡＬＬ", "m5"));
        assertEquals("global", all.path("scope").asText(), all.toString());
    }

    @Test
    void formEncodedProviderPostsAreUnderstood() throws Exception {
        String body = "ToCountry=US&SmsMessageSid=SM0001&NumMedia=0&From=" + URLEncoder.encode(phones[4], StandardCharsets.UTF_8)
                + "&To=" + URLEncoder.encode(DEMO_NUMBER, StandardCharsets.UTF_8) + "&Body=" + URLEncoder.encode("退订", StandardCharsets.UTF_8)
                + "&MessageSid=SM0001&AccountSid=AC1";
        HttpResponse<String> r = signed("application/x-www-form-urlencoded", body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("sender:demo", json(r).path("scope").asText());
        // a reply over WhatsApp: the channel comes from the number's prefix
        String wa = "From=whatsapp%3A" + URLEncoder.encode(phones[5], StandardCharsets.UTF_8) + "&To=whatsapp%3A%2B15005550006"
                + "&Body=HELP&MessageSid=SM0002";
        JsonNode help = json(signed("application/x-www-form-urlencoded", wa));
        assertEquals("help", help.path("action").asText());
        awaitTrue(() -> repliesTo(5).size() == 1, "help over whatsapp");
        assertEquals("whatsapp", repliesTo(5).get(0).channel());
        // invalid UTF-8 in the body is no keyword, not an error
        String bad = "From=" + URLEncoder.encode(phones[6], StandardCharsets.UTF_8) + "&To=60600&Body=ST%FF%FEOP&MessageSid=SM0003";
        JsonNode none = json(signed("application/x-www-form-urlencoded", bad));
        assertEquals("none", none.path("action").asText());
    }

    @Test
    void forgedAndReplayedRequestsAreRejected() throws Exception {
        String body = "{\"from\":\"" + phones[7] + "\",\"to\":\"" + DEMO_NUMBER + "\",\"text\":\"STOP\",\"channel\":\"sms\"}";
        assertError(inbound("application/json", body, null), 403, "invalid_signature", "X-Herald-Signature");
        assertError(inbound("application/json", body, "sha256=" + "0".repeat(64)), 403, "invalid_signature", null);
        assertError(inbound("application/json", body, sign(body).toUpperCase()), 403, "invalid_signature", null);
        assertError(inbound("application/json", body, "sha1=abc"), 403, "invalid_signature", null);
        // signed with another secret, or the signature of another body
        String other = InboundRoutes.signature("not-the-secret-000000".getBytes(StandardCharsets.UTF_8),
                body.getBytes(StandardCharsets.UTF_8));
        assertError(inbound("application/json", body, other), 403, "invalid_signature", null);
        assertError(inbound("application/json", body.replace("STOP", "START"), sign(body)), 403, "invalid_signature", null);
        assertFalse(suppressions(7).toString().contains("sender:demo"), "nothing forged was acted on");

        // replay of the same body (no id): refused, and refused again later
        assertEquals(200, inbound("application/json", body, sign(body)).statusCode());
        assertError(inbound("application/json", body, sign(body)), 409, "replayed", null);

        // STOP (id s1), START (id s2), then the STOP replayed: the recipient stays subscribed
        assertEquals("opt-out", json(reply(8, "STOP", "s1")).path("action").asText());
        assertEquals("opt-in", json(reply(8, "START", "s2")).path("action").asText());
        assertError(reply(8, "STOP", "s1"), 409, "replayed", null);
        assertFalse(suppressions(8).path("scopes").toString().contains("sender:demo"), suppressions(8).toString());
        // the same id with another body is the same message
        assertError(reply(8, "STOP!!", "s1"), 409, "replayed", null);

        // a stale timestamp is refused; a fresh one is taken
        String stale = "{\"from\":\"" + phones[9] + "\",\"to\":\"" + DEMO_NUMBER + "\",\"text\":\"STOP\",\"timestamp\":\""
                + Instant.now().minus(Duration.ofHours(1)) + "\"}";
        assertError(signed("application/json", stale), 403, "stale_request", "timestamp");
        String fresh = "{\"from\":\"" + phones[9] + "\",\"to\":\"" + DEMO_NUMBER + "\",\"text\":\"STOP\",\"timestamp\":\""
                + Instant.now().getEpochSecond() + "\"}";
        assertEquals(200, signed("application/json", fresh).statusCode());
        String future = "{\"from\":\"" + phones[9] + "\",\"to\":\"" + DEMO_NUMBER + "\",\"text\":\"START\",\"timestamp\":\""
                + Instant.now().plus(Duration.ofMinutes(5)) + "\"}";
        assertError(signed("application/json", future), 403, "stale_request", "timestamp");
    }

    /** The keys of requests taken survive a restart: a replay right after one is still refused. */
    @Test
    void replaysAreRefusedAcrossARestart() throws Exception {
        assertEquals("opt-out", json(reply(11, "STOP", "r1")).path("action").asText());
        String start = "{\"from\":\"" + phones[11] + "\",\"to\":\"" + DEMO_NUMBER + "\",\"text\":\"START\"}";
        assertEquals("opt-in", json(signed("application/json", start)).path("action").asText());
        assertEquals("opt-out", json(reply(11, "STOP", "r2")).path("action").asText());
        service.stop().toCompletableFuture().join();
        service = start(dir.resolve("data"), ConfigFactory.empty(), Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", SECRET));
        assertError(reply(11, "STOP", "r1"), 409, "replayed", null);
        assertError(signed("application/json", start), 409, "replayed", null); // the START replayed: still opted out
        assertTrue(suppressions(11).path("scopes").toString().contains("sender:demo"), suppressions(11).toString());

        // require-timestamp: a request without one is refused
        service.stop().toCompletableFuture().join();
        service = start(dir.resolve("data"), ConfigFactory.parseString("herald.inbound.require-timestamp = true"),
                Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", SECRET));
        assertError(reply(12, "STOP", "t1"), 403, "stale_request", "timestamp");
    }

    @Test
    void badInputNamesTheProblem() throws Exception {
        assertError(signed("application/json", "{\"to\":\"60600\",\"text\":\"STOP\"}"), 400, "missing_field", "from");
        assertError(signed("application/json", "{\"from\":\"" + phones[1] + "\",\"text\":\"STOP\"}"), 400, "missing_field", "to");
        assertError(signed("application/json", "{\"from\":\"12\",\"to\":\"60600\",\"text\":\"STOP\"}"), 400, "invalid_phone", "from");
        // fields a provider adds are ignored (a typo as well: "txt" is no text, so no keyword)
        JsonNode extra = json(signed("application/json", "{\"from\":\"" + phones[1] + "\",\"to\":\"60600\",\"txt\":\"STOP\","
                + "\"AccountSid\":\"AC1\"}"));
        assertEquals("none", extra.path("action").asText(), extra.toString());
        assertError(signed("application/json", "{\"from\":"), 400, "invalid_json", null);
        assertError(signed("text/plain", "STOP"), 415, "unsupported_media_type", null);
        assertError(signed("application/json", "{\"from\":\"" + phones[1] + "\",\"to\":\"60600\",\"channel\":\"S M S\"}"), 400,
                "invalid_value", "channel");
        assertError(signed("application/x-www-form-urlencoded", "From=%ZZ&To=60600"), 400, "invalid_form", null);
        assertError(signed("application/json", "{\"from\":\"" + phones[1] + "\",\"to\":\"60600\",\"timestamp\":\"yesterday\"}"),
                400, "invalid_value", "timestamp");
        String big = "{\"from\":\"" + phones[1] + "\",\"to\":\"60600\",\"text\":\"" + "x".repeat(70_000) + "\"}";
        assertEquals(413, signed("application/json", big).statusCode());
        // nothing was stored by any of them
        assertFalse(suppressions(1).path("scopes").toString().contains("sender:demo"));
    }

    @Test
    void noSecretMeansNoInbound() throws Exception {
        service.stop().toCompletableFuture().join();
        service = start(dir.resolve("data"), ConfigFactory.empty(), Map.of("HERALD_API_KEY", ADMIN));
        String body = "{\"from\":\"" + phones[1] + "\",\"to\":\"60600\",\"text\":\"STOP\"}";
        assertError(inbound("application/json", body, sign(body)), 403, "inbound_disabled", null);
    }

    /** A STOP to the first of two senders is attributed to that sender's campaign, not to the later one of the other. */
    @Test
    void optOutIsAttributedToTheSendersOwnCampaign() throws Exception {
        service.stop().toCompletableFuture().join();
        service = start(dir.resolve("data"), ConfigFactory.parseString("herald.senders.profiles.acme.numbers = [\"60777\"]"),
                Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", SECRET));
        String demo = campaignTo("demo");
        awaitTrue(() -> sent.stream().anyMatch(m -> m.recipientId() == 13 && m.campaignId().equals(demo)), "demo's send");
        String acme = campaignTo("acme");
        awaitTrue(() -> sent.stream().anyMatch(m -> m.recipientId() == 13 && m.campaignId().equals(acme)), "acme's send");
        Thread.sleep(300); // the connector's answers mark the sends
        assertEquals("opt-out", json(reply(13, "STOP", "two1")).path("action").asText());
        JsonNode s = suppressions(13);
        JsonNode last = s.path("history").get(s.path("history").size() - 1);
        assertEquals(demo, last.path("campaign").asText(), s.toString());
        assertFalse(last.path("sentAt").isNull(), s.toString());
    }

    private String campaignTo(String sender) throws Exception {
        HttpResponse<String> created = ServiceTests.call(service.port(), "POST", "/v1/campaigns", ADMIN, "application/json",
                "{\"name\": \"From " + sender + "\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \""
                        + sender + "\", \"text\": \"Sale!\", \"segment\": \"all\"}");
        assertEquals(201, created.statusCode(), created.body());
        return json(created).path("id").asText();
    }

    /** An opt-out after a campaign's message is attributed to that campaign, with the send time. */
    @Test
    void optOutIsAttributedToTheCampaignItAnswers() throws Exception {
        HttpResponse<String> created = ServiceTests.call(service.port(), "POST", "/v1/campaigns", ADMIN, "application/json", """
                {"name": "Winter", "channel": "sms", "category": "marketing", "sender": "demo",
                 "text": "Winter sale!", "segment": "all"}""");
        assertEquals(201, created.statusCode(), created.body());
        String id = json(created).path("id").asText();
        awaitTrue(() -> sent.stream().anyMatch(m -> m.recipientId() == 10 && m.priority() == Priority.MARKETING), "the send");
        Thread.sleep(300); // the connector's answer marks the send
        assertEquals("opt-out", json(reply(10, "STOP", "a1")).path("action").asText());
        JsonNode s = suppressions(10);
        JsonNode last = s.path("history").get(s.path("history").size() - 1);
        assertEquals(id, last.path("campaign").asText(), s.toString());
    }
}
