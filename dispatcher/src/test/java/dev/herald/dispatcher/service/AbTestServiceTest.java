package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;

/**
 * A/B tests over real HTTP: synthetic recipients click the tracked links of the messages they were
 * really sent ({@code GET /l/{token}}, a browser's user agent) at known rates per variant; the test
 * decides on those clicks at the end of its wait and sends the rest the variant clicked most. An
 * operator may pick the winner before the wait ends; bad bodies are refused naming the field.
 */
class AbTestServiceTest {

    static final int RECIPIENTS = 12_000;
    static final String KEY = "ab-test-admin-key-0123456789";
    private static final Pattern LINK = Pattern.compile("/l/([A-Za-z0-9_-]+)");
    private static final HttpClient NO_REDIRECTS = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    static Path template;
    @TempDir
    Path dir;

    private HeraldService service;
    private String[] phones;
    /** Per recipient, the texts it was sent (a recipient sent twice would show here). */
    private final Map<Integer, List<String>> sent = new ConcurrentHashMap<>();

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(17).withSuppression(0, Map.of()));
    }

    @BeforeEach
    void start() throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        SegmentStore.open(data).put("all", all, RECIPIENTS, 0);
        phones = new String[RECIPIENTS];
        try (dev.herald.dispatcher.HeraldData d = dev.herald.dispatcher.HeraldData.at(data)) {
            for (int i = 0; i < RECIPIENTS; i++) {
                phones[i] = d.directory().get(i).orElseThrow().e164();
            }
        }
        Config config = InboundWebhookTest.allHoursOpen(ConfigFactory.load()).resolve();
        service = HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true), ServiceTests.recording(m -> sent.computeIfAbsent(m.recipientId(), k -> java.util.Collections.synchronizedList(new java.util.ArrayList<>())) .add(m.text())));
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private static String body(String test) {
        return """
                {"name": "spring", "channel": "sms", "category": "marketing", "sender": "demo", "segment": "all",
                 "trackLinks": true,
                 "variants": [{"text": "Demo: variant A https://shop.example/a"},
                              {"name": "bold", "text": "Demo: variant bold https://shop.example/bold"},
                              {"text": "Demo: variant C https://shop.example/c"}],
                 "test": %s}""".formatted(test);
    }

    @Test
    void syntheticClickersThroughTheRealLinksPickTheVariantClickedMostAndTheRestIsSentIt() throws Exception {
        int port = service.port();
        String id = ServiceTests.createCampaign(port, KEY, body("""
                {"sample": 0.3, "metric": "human-click", "wait": "PT10S", "alpha": 0.05, "minPerVariant": 500,
                 "noWinner": "send-first"}"""));
        // the sample: 30 % of every zone (rounded per zone), dealt equally (±1) to the three variants; the rest held
        JsonNode c = awaitSampled(port, id);
        JsonNode test = c.path("experiment");
        long a = test.path("sample").path("A").asLong();
        long bold = test.path("sample").path("bold").asLong();
        long cc = test.path("sample").path("C").asLong();
        long sample = a + bold + cc;
        assertTrue(Math.abs(sample - 3_600) <= 40 && Math.max(a, Math.max(bold, cc)) - Math.min(a, Math.min(bold, cc)) <= 1,
                test.toString());
        awaitSampleSent(port, id, sample);
        assertEquals(RECIPIENTS - sample, c.path("counts").path("held").asLong(), c.toString());

        // clickers: 4 % of A's recipients, 12 % of bold's, 5 % of C's, each through the link it was sent
        Map<String, Double> rates = Map.of("a", 0.04, "bold", 0.12, "c", 0.05);
        Map<String, Integer> clicks = new HashMap<>();
        Random random = new Random(42);
        for (Map.Entry<Integer, List<String>> e : new java.util.TreeMap<>(sent).entrySet()) {
            String text = e.getValue().get(0);
            String variant = text.contains("variant bold") ? "bold" : text.contains("variant A") ? "a" : "c";
            if (random.nextDouble() < rates.get(variant)) {
                Matcher m = LINK.matcher(text);
                assertTrue(m.find(), text);
                HttpResponse<String> r = NO_REDIRECTS.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/l/" + m.group(1))).header("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
                                + " AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1").GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(302, r.statusCode(), r.body());
                assertEquals("https://shop.example/" + variant, r.headers().firstValue("Location").orElse(null),
                        "each variant's link goes to its own URL");
                clicks.merge(variant, 1, Integer::sum);
            }
        }

        // at the end of the wait the rule decides on those clicks; the held recipients are sent "bold"
        JsonNode done = ServiceTests.awaitCompleted(port, KEY, id, 60);
        JsonNode decided = done.path("experiment");
        assertEquals("rule", decided.path("decidedBy").asText(), done.toString());
        assertEquals("bold", decided.path("send").asText(), decided.toString());
        assertEquals("bold", decided.path("decision").path("winner").asText());
        assertEquals("significant", decided.path("decision").path("reason").asText());
        assertEquals(RECIPIENTS, done.path("counts").path("sent").asLong(), done.toString());
        assertEquals(0, done.path("counts").path("held").asLong());
        long boldMessages = sent.values().stream().filter(t -> t.get(0).contains("variant bold")).count();
        assertEquals(bold + RECIPIENTS - sample, boldMessages, "the rest got the winner");
        assertTrue(sent.values().stream().allMatch(t -> t.size() == 1), "nobody was sent twice");
        for (JsonNode v : decided.path("decision").path("variants")) {
            String name = v.path("variant").asText().toLowerCase(java.util.Locale.ROOT);
            assertEquals(test.path("sample").path(v.path("variant").asText()).asLong(), v.path("exposed").asLong(), v.toString());
            assertEquals((long) clicks.getOrDefault(name, 0), v.path("successes").asLong(), v.toString());
            assertTrue(v.path("low").asDouble() <= v.path("rate").asDouble() && v.path("rate").asDouble() <= v.path("high").asDouble());
        }

        // the funnel, split per variant: every click counted for the variant it was made on
        JsonNode funnel = json(call(port, "GET", "/v1/campaigns/" + id + "/funnel", KEY, null, null));
        JsonNode variants = funnel.path("variants");
        assertEquals(3, variants.size(), funnel.toString());
        assertEquals(bold + RECIPIENTS - sample, variants.get(1).path("given").asLong(), variants.toString());
        assertEquals(bold, variants.get(1).path("sample").asLong());
        for (int v = 0; v < 3; v++) {
            String name = List.of("a", "bold", "c").get(v);
            assertEquals((long) clicks.getOrDefault(name, 0), variants.get(v).path("steps").path("clicked").asLong(),
                    variants.get(v).toString());
        }
        assertEquals("bold", funnel.path("test").path("send").asText());
    }

    @Test
    void anOperatorPicksTheWinnerBeforeTheWaitEndsAndBadInputIsRefusedNamingTheField() throws Exception {
        int port = service.port();
        // bad bodies first: nothing is created
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", body("{\"sample\": 0.7}")), 400,
                "invalid_value", "test.sample");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", body("{\"sample\": 0.1, \"metric\": \"opens\"}")),
                400, "invalid_value", "test.metric");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", body("{\"sample\": 0.1, \"wait\": \"3 hours\"}")),
                400, "invalid_value", "test.wait");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", body("{\"sample\": 0.1, \"noWinner\": \"coin\"}")),
                400, "invalid_value", "test.noWinner");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", body("{\"metric\": \"conversion\"}")),
                400, "missing_field", "test.sample");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", """
                {"name": "x", "channel": "sms", "category": "marketing", "sender": "demo", "segment": "all",
                 "variants": [{"text": "Demo: only one"}]}"""), 400, "invalid_value", "variants");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", """
                {"name": "x", "channel": "sms", "category": "marketing", "sender": "demo", "segment": "all", "text": "Demo: hi",
                 "variants": [{"text": "Demo: one"}, {"text": "Demo: two"}]}"""), 400, "invalid_value", "text");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", """
                {"name": "x", "channel": "sms", "category": "marketing", "sender": "demo", "segment": "all",
                 "variants": [{"name": "A", "text": "Demo: one"}, {"name": "A", "text": "Demo: two"}]}"""),
                400, "invalid_value", "variants[1].name");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", """
                {"name": "x", "channel": "sms", "category": "marketing", "sender": "demo", "segment": "all",
                 "variants": [{"text": "Demo: one"}, {"text": "Demo: {{broken"}]}"""),
                400, "invalid_template", "variants[1].text");
        assertError(call(port, "POST", "/v1/campaigns", KEY, "application/json", """
                {"name": "x", "channel": "sms", "category": "marketing", "sender": "demo", "segment": "all", "text": "Demo: hi",
                 "test": {"sample": 0.1}}"""), 400, "invalid_value", "test");
        assertEquals(0, json(call(port, "GET", "/v1/campaigns", KEY, null, null)).path("campaigns").size());

        String id = ServiceTests.createCampaign(port, KEY, body("{\"sample\": 0.1, \"wait\": \"PT6H\"}"));
        JsonNode sampled = awaitSampled(port, id).path("experiment").path("sample");
        long sample = sampled.path("A").asLong() + sampled.path("bold").asLong() + sampled.path("C").asLong();
        awaitSampleSent(port, id, sample);
        assertError(call(port, "POST", "/v1/campaigns/" + id + "/winner", KEY, "application/json", "{\"variant\": \"D\"}"),
                400, "invalid_campaign", null);
        assertError(call(port, "POST", "/v1/campaigns/" + id + "/winner", KEY, "application/json", "{}"),
                400, "missing_field", "variant");
        HttpResponse<String> picked = call(port, "POST", "/v1/campaigns/" + id + "/winner", KEY, "application/json",
                "{\"variant\": \"C\"}");
        assertEquals(200, picked.statusCode(), picked.body());
        JsonNode p = json(picked).path("experiment");
        assertEquals("operator", p.path("decidedBy").asText(), p.toString());
        assertEquals("C", p.path("send").asText());
        assertFalse(p.path("decision").isMissingNode() || p.path("decision").isNull(), "the figures at the time are kept");
        ServiceTests.awaitCompleted(port, KEY, id, 60);
        long c = sent.values().stream().filter(t -> t.get(0).contains("variant C")).count();
        assertEquals(sampled.path("C").asLong() + RECIPIENTS - sample, c, "the rest got the operator's pick");
        assertError(call(port, "POST", "/v1/campaigns/" + id + "/winner", KEY, "application/json", "{\"variant\": \"A\"}"),
                409, "conflict", null);
    }

    @Test
    void aVariantWithItsOwnSenderIsSuppressedAndUnsubscribedInItsOwnScope() throws Exception {
        int port = service.port();
        String id = ServiceTests.createCampaign(port, KEY, """
                {"name": "two brands", "channel": "sms", "category": "marketing", "sender": "demo", "segment": "all",
                 "variants": [{"text": "Demo: spring sale, stop: {{unsubscribe_url}}"},
                              {"text": "Beta: spring sale, stop: {{unsubscribe_url}}", "sender": "beta"}]}""");
        ServiceTests.awaitCompleted(port, KEY, id, 60);
        // no test: each recipient's variant is a hash of (campaign, recipient); B's went out as beta
        Map.Entry<Integer, List<String>> b = sent.entrySet().stream().filter(e -> e.getValue().get(0).startsWith("Beta:"))
                .findFirst().orElseThrow();
        long betas = sent.values().stream().filter(t -> t.get(0).startsWith("Beta:")).count();
        assertTrue(betas > RECIPIENTS / 3 && betas < RECIPIENTS * 2 / 3, betas + " of " + RECIPIENTS);
        Matcher m = Pattern.compile("/u/([A-Za-z0-9_-]+)").matcher(b.getValue().get(0));
        assertTrue(m.find(), b.getValue().get(0));
        HttpResponse<String> page = NO_REDIRECTS.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/u/"
                + m.group(1))).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("List-Unsubscribe=One-Click")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body());
        JsonNode s = json(call(port, "GET", "/v1/suppressions/" + java.net.URLEncoder.encode(phones[b.getKey()],
                java.nio.charset.StandardCharsets.UTF_8), KEY, null, null));
        assertTrue(s.toString().contains("sender:beta") && !s.toString().contains("sender:demo"),
                "opted out of the sender that sent it: " + s);
    }

    /** Until the campaign's test sample is drawn; @return its view */
    private static JsonNode awaitSampled(int port, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode c;
        do {
            Thread.sleep(50);
            c = json(call(port, "GET", "/v1/campaigns/" + id, KEY, null, null));
        } while (c.path("experiment").isMissingNode() && System.nanoTime() < deadline);
        assertFalse(c.path("experiment").isMissingNode(), c.toString());
        return c;
    }

    /** Until the campaign has sent its test sample ({@code sample} recipients); @return its view */
    private static JsonNode awaitSampleSent(int port, String id, long sample) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode c;
        do {
            Thread.sleep(100);
            c = json(call(port, "GET", "/v1/campaigns/" + id, KEY, null, null));
        } while (c.path("counts").path("sent").asLong() < sample && System.nanoTime() < deadline);
        assertEquals(sample, c.path("counts").path("sent").asLong(), c.toString());
        return c;
    }
}
