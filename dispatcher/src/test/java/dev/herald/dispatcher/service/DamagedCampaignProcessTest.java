package dev.herald.dispatcher.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.dispatcher.unsubscribe.UnsubscribeLinks;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * One damaged {@code campaign.json} takes only its campaign down, in a real {@code herald serve}
 * JVM started on a data directory with two campaigns: the damaged one (flipped byte, half the file,
 * zero-filled) is listed as {@code damaged} naming the file, refuses to be steered with 409, and its
 * recipients' unsubscribe links still opt them out; the other one resumes and completes; new
 * campaigns run. (Before: the campaign manager failed at start and every campaign route and every
 * unsubscribe page answered 503 {@code busy} for ever.)
 */
class DamagedCampaignProcessTest {

    static final String KEY = "damage-test-admin-key-42";
    static final List<String> PHONES = List.of("+447400123401", "+447400123402", "+447400123403");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final String CONFIG = """
            herald.service.directory-capacity = 1000
            herald.service.ask-timeout = 30s
            herald.quiet-hours.policies.default.categories {
              marketing.windows = ["00:00-24:00"]
            }
            herald.quiet-hours.policies.default.countries = {}
            herald.senders.profiles.acme { brand = "ACME" }
            """;

    @TempDir
    static Path template;
    static String sent;     // the campaign that sent its messages (with links), damaged by each test
    static String paused;   // a campaign paused before it started, resumed by each test
    static List<String> tokens = new ArrayList<>();

    private record Child(Process process, int port) {
    }

    @BeforeAll
    static void twoCampaigns() throws Exception {
        Path data = template.resolve("data");
        try (HeraldData d = HeraldData.at(data, DirectoryOptions.defaults().withCapacity(1000), IndexOptions.defaults(), true)) {
            MutableRoaringBitmap all = new MutableRoaringBitmap();
            for (String p : PHONES) {
                all.add(d.directory().register(p, "Europe/London", "en-GB", Map.of("first_name", "Sam")).id());
            }
            SegmentStore.open(data).put("all", all, PHONES.size(), 0);
        }
        Files.writeString(template.resolve("test.conf"), CONFIG);
        Config config = ConfigFactory.parseString(CONFIG).withFallback(ConfigFactory.load()).resolve();
        HeraldService s = HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
        try {
            sent = create(s.port(), "Sent", null);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!status(s.port(), sent).equals("completed")) {
                assertTrue(System.nanoTime() < deadline, "campaign " + sent + " completes");
                Thread.sleep(50);
            }
            paused = create(s.port(), "Later", Instant.now().plus(Duration.ofHours(2)));
            HttpResponse<String> p = call(s.port(), "POST", "/v1/campaigns/" + paused + "/pause", KEY, null, null);
            assertEquals(200, p.statusCode(), p.body());
        } finally {
            s.stop().toCompletableFuture().join();
        }
        try (CampaignNumbers numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"));
             UnsubscribeLinks links = UnsubscribeLinks.open(data.resolve("unsubscribe"), config, numbers)) {
            for (int i = 0; i < PHONES.size(); i++) {
                String url = links.existingUrls(sent).orElseThrow().apply(i);
                tokens.add(url.substring(url.lastIndexOf('/') + 1));
            }
        }
    }

    private static String create(int port, String name, Instant at) throws Exception {
        String body = """
                {"name": "%s", "channel": "sms", "category": "marketing", "sender": "acme",
                 "text": "Hi {{first_name}}, news! Stop: {{unsubscribe_url}}", "footer": "", "segment": "all"%s}"""
                .formatted(name, at == null ? "" : ", \"schedule\": {\"at\": \"" + at + "\"}");
        HttpResponse<String> r = call(port, "POST", "/v1/campaigns", KEY, "application/json", body);
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("id").asText();
    }

    private static String status(int port, String id) throws Exception {
        HttpResponse<String> r = call(port, "GET", "/v1/campaigns/" + id, KEY, null, null);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("status").asText();
    }

    static HttpResponse<String> call(int port, String method, String path, String key, String contentType, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Child startChild(Path data, Path config, Path log) throws Exception {
        ServeChild c = ServeChild.start(data, config, log, "256m", KEY);
        return new Child(c.process(), c.port());
    }

    /** Copies the template's data directory. */
    private static Path copy(Path dir) throws Exception {
        Path from = template.resolve("data");
        Path to = dir.resolve("data");
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return to;
    }

    private static void damage(Path file, String how) throws Exception {
        byte[] b = Files.readAllBytes(file);
        switch (how) {
            case "flipped-byte", "flipped-byte-no-identity" -> b[0] ^= 0x5A; // the opening brace: no longer JSON
            case "half" -> b = Arrays.copyOf(b, b.length / 2);
            case "zero-filled" -> Arrays.fill(b, (byte) 0);
            default -> throw new IllegalArgumentException(how);
        }
        Files.write(file, b);
    }

    @ParameterizedTest(name = "campaign.json {0}")
    @ValueSource(strings = {"flipped-byte", "half", "zero-filled", "flipped-byte-no-identity"})
    void onlyTheDamagedCampaignIsAffectedAndItsLinksStillOptOut(String how, @TempDir Path dir) throws Exception {
        Path data = copy(dir);
        Path record = data.resolve("campaigns").resolve(sent).resolve(CampaignStore.RECORD);
        damage(record, how);
        boolean identity = !how.endsWith("no-identity");
        if (!identity) {
            Files.delete(data.resolve("campaigns").resolve(sent).resolve(CampaignStore.IDENTITY)); // as a campaign of an older version
        }
        Child c = startChild(data, template.resolve("test.conf"), dir.resolve("child.err"));
        try {
            int port = c.port();
            // listed: the damaged one names its file; the other is as it was
            HttpResponse<String> list = call(port, "GET", "/v1/campaigns", KEY, null, null);
            assertEquals(200, list.statusCode(), list.body());
            JsonNode campaigns = JSON.readTree(list.body()).path("campaigns");
            assertEquals(2, campaigns.size(), list.body());
            JsonNode bad = find(campaigns, sent);
            assertEquals("damaged", bad.path("status").asText(), bad.toString());
            String named = "campaigns/" + sent + "/" + CampaignStore.RECORD;
            assertTrue(bad.path("error").asText().contains(named), "names the file: " + bad);
            assertFalse(list.body().contains(data.toString()), "no server path in the answer: " + bad);
            assertEquals("paused", find(campaigns, paused).path("status").asText());

            HttpResponse<String> one = call(port, "GET", "/v1/campaigns/" + sent, KEY, null, null);
            assertEquals(200, one.statusCode(), one.body());
            assertEquals("damaged", JSON.readTree(one.body()).path("status").asText());
            for (String action : List.of("pause", "resume", "cancel", "resend-unknown")) {
                HttpResponse<String> r = call(port, "POST", "/v1/campaigns/" + sent + "/" + action, KEY, null, null);
                assertEquals(409, r.statusCode(), action + ": " + r.body());
                JsonNode e = JSON.readTree(r.body());
                assertEquals("damaged", e.path("error").asText(), r.body());
                assertTrue(e.path("message").asText().contains(named), "names the damage: " + r.body());
            }
            HttpResponse<String> lookup = call(port, "GET", "/v1/campaigns/" + sent + "/recipients/"
                    + URLEncoder.encode(PHONES.get(0), StandardCharsets.UTF_8), KEY, null, null);
            assertEquals(409, lookup.statusCode(), lookup.body());

            // its recipients' links: the page shows, and unsubscribing works
            HttpResponse<String> page = call(port, "GET", "/u/" + tokens.get(0), null, null, null);
            assertEquals(200, page.statusCode(), page.body());
            HttpResponse<String> out = call(port, "POST", "/u/" + tokens.get(0), null, "application/x-www-form-urlencoded",
                    "action=unsubscribe");
            assertEquals(200, out.statusCode(), out.body());
            HttpResponse<String> oneClick = call(port, "POST", "/u/" + tokens.get(1), null, "application/x-www-form-urlencoded",
                    "List-Unsubscribe=One-Click");
            assertEquals(200, oneClick.statusCode(), oneClick.body());
            String expected = identity ? "sender:acme" : "global"; // with nothing left that knows the sender: everything
            for (int i : new int[] {0, 1}) {
                HttpResponse<String> s = call(port, "GET", "/v1/suppressions/" + URLEncoder.encode(PHONES.get(i),
                        StandardCharsets.UTF_8), KEY, null, null);
                assertTrue(s.body().contains(expected), "recipient " + i + " opted out of " + expected + ": " + s.body());
            }
            // resubscribing needs the sender: offered only when it is known (a global opt-in could undo a STOPALL)
            HttpResponse<String> back = call(port, "POST", "/u/" + tokens.get(1), null, "application/x-www-form-urlencoded",
                    "action=resubscribe");
            assertEquals(identity ? 200 : 409, back.statusCode(), back.body());
            HttpResponse<String> after = call(port, "GET", "/v1/suppressions/" + URLEncoder.encode(PHONES.get(1),
                    StandardCharsets.UTF_8), KEY, null, null);
            assertEquals(!identity, JSON.readTree(after.body()).path("scopes").toString().contains("\"" + expected + "\""),
                    "resubscribed only with the sender known: " + after.body());
            HttpResponse<String> s2 = call(port, "GET", "/v1/suppressions/" + URLEncoder.encode(PHONES.get(2),
                    StandardCharsets.UTF_8), KEY, null, null);
            assertFalse(s2.body().contains("sender:acme") || s2.body().contains("global"), s2.body());

            // the other campaign resumes and completes; a new one runs
            HttpResponse<String> resumed = call(port, "POST", "/v1/campaigns/" + paused + "/resume", KEY, null, null);
            assertEquals(200, resumed.statusCode(), resumed.body());
            awaitCompleted(port, paused);
            String fresh = create(port, "After", null);
            awaitCompleted(port, fresh);
            JsonNode health = JSON.readTree(call(port, "GET", "/health", null, null, null).body());
            assertEquals("up", health.path("status").asText(), health.toString());
            // the damaged file is as it was: refused, never rewritten
            byte[] now = Files.readAllBytes(record);
            Path pristine = template.resolve("data").resolve("campaigns").resolve(sent).resolve(CampaignStore.RECORD);
            assertTrue(Arrays.equals(damageInMemory(Files.readAllBytes(pristine), how), now), "the damaged file is untouched");
        } finally {
            c.process().destroy();
            c.process().waitFor(60, TimeUnit.SECONDS);
        }
        String log = Files.readString(dir.resolve("child.err"));
        assertTrue(log.contains(record.toString()), "the log names the damaged file");
    }

    private static byte[] damageInMemory(byte[] b, String how) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("record", ".json");
            Files.write(tmp, b);
            damage(tmp, how);
            return Files.readAllBytes(tmp);
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            if (tmp != null) {
                tmp.toFile().delete();
            }
        }
    }

    private static void awaitCompleted(int port, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String s;
        while (!(s = status(port, id)).equals("completed")) {
            assertTrue(System.nanoTime() < deadline, "campaign " + id + " completes; it is " + s);
            Thread.sleep(100);
        }
    }

    private static JsonNode find(JsonNode campaigns, String id) {
        for (JsonNode c : campaigns) {
            if (c.path("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("campaign " + id + " is not listed: " + campaigns);
    }
}
