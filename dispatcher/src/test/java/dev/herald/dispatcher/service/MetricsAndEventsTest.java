package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** {@code GET /metrics} and {@code GET /v1/campaigns/{id}/events} of {@code herald serve}, over real HTTP on a random port. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsAndEventsTest {

    static final int RECIPIENTS = 5_000;
    static final String ADMIN = "test-admin-key-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path template;

    private HeraldService service;

    /** One synthetic directory, copied for each test (building it takes a few seconds). */
    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(11));
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private void start(Path dir) throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        SegmentStore.open(data).put("all", all, RECIPIENTS, 0);
        Config config = ConfigFactory.load();
        service = HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter(), true));
    }

    private HttpRequest.Builder request(String path, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .timeout(Duration.ofSeconds(20));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        return HTTP.send(request(path, key).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String key, String json) throws Exception {
        return HTTP.send(request(path, key).header("Content-Type", "application/json")
                .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static final String CAMPAIGN = """
            {"name": "Spring sale", "channel": "sms", "category": "marketing", "sender": "acme",
             "text": "Hi {{first_name}}, spring sale today!", "footer": "Reply STOP to opt out", "segment": "all" %s}""";

    private String create(String extra) throws Exception {
        HttpResponse<String> created = post("/v1/campaigns", ADMIN, CAMPAIGN.formatted(extra));
        assertEquals(201, created.statusCode(), created.body());
        return json(created).path("id").asText();
    }

    private JsonNode awaitDecided(String id) throws Exception {
        return ServiceTests.awaitDecided(service.port(), ADMIN, id);
    }

    /** The value of the one series named exactly {@code series} (name and labels as exposed). */
    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), "no series " + series + " in:\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void shouldServePrometheusTextWithoutAKey(@TempDir Path dir) throws Exception {
        start(dir);
        HttpResponse<String> r = get("/metrics", null);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().map().toString());
        String m = r.body();
        for (String outcome : List.of("sent", "suppressed", "capped", "failed", "unknown", "expired")) {
            assertEquals(0, value(m, "herald_messages_total{outcome=\"" + outcome + "\"}"), outcome);
        }
        assertEquals(0, value(m, "herald_campaigns{status=\"running\"}"));
        assertEquals(0, value(m, "herald_recipients_waiting{state=\"deferred\"}"));
        assertEquals(0, value(m, "herald_connector_in_flight{connector=\"simulated\"}"));
        for (String jvm : List.of("jvm_memory_used_bytes{", "jvm_threads_live_threads ", "jvm_gc_", "process_uptime_seconds ")) {
            assertTrue(m.contains(jvm), jvm + " in\n" + m);
        }
        // the key is not needed, and a wrong one is not looked at either
        assertEquals(200, get("/metrics", "not-a-key").statusCode());
        assertEquals(405, post("/metrics", null, null).statusCode());
    }

    @Test
    void shouldCountACampaignsOutcomesConnectorAnswersAndRequests(@TempDir Path dir) throws Exception {
        start(dir);
        String id = create("");
        JsonNode done = awaitDecided(id);
        assertEquals(404, get("/v1/campaigns/nope", ADMIN).statusCode());
        String m = get("/metrics", null).body();
        JsonNode counts = json(get("/v1/campaigns/" + id, ADMIN)).path("counts");
        long sent = counts.path("sent").asLong();
        assertTrue(sent > 0, done.toString());
        assertEquals(sent, (long) value(m, "herald_messages_total{outcome=\"sent\"}"), m);
        assertEquals(counts.path("suppressed").asLong(), (long) value(m, "herald_messages_total{outcome=\"suppressed\"}"));
        assertEquals(counts.path("capped").asLong(), (long) value(m, "herald_messages_total{outcome=\"capped\"}"));
        assertEquals(counts.path("failed").asLong(), (long) value(m, "herald_messages_total{outcome=\"failed\"}"));
        long deferred = counts.path("deferred").asLong();
        assertEquals(RECIPIENTS - deferred, (long) value(m, "herald_recipients_decided_total"), m);
        String status = json(get("/v1/campaigns/" + id, ADMIN)).path("status").asText();
        assertEquals(1, value(m, "herald_campaigns{status=\"" + status + "\"}"), m);
        if (status.equals("running")) {
            assertEquals(deferred, (long) value(m, "herald_recipients_waiting{state=\"deferred\"}"), m);
        }
        assertEquals(0, value(m, "herald_recipients_waiting{state=\"pending\"}"), m);
        // every accepted answer is a sent recipient; every send was answered
        assertEquals(sent, (long) value(m, "herald_connector_answers_total{connector=\"simulated\",result=\"accepted\"}"), m);
        assertTrue(value(m, "herald_connector_sends_total{connector=\"simulated\"}") >= sent, m);
        assertEquals(0, value(m, "herald_connector_in_flight{connector=\"simulated\"}"), m);
        // requests by route class: no ids in labels
        assertTrue(value(m, "herald_http_requests_seconds_count{method=\"GET\",route=\"/v1/campaigns/{id}\",status=\"200\"}") > 0, m);
        assertEquals(1, value(m, "herald_http_requests_seconds_count{method=\"GET\",route=\"/v1/campaigns/{id}\",status=\"404\"}"), m);
        assertEquals(1, value(m, "herald_http_requests_seconds_count{method=\"POST\",route=\"/v1/campaigns\",status=\"201\"}"), m);
        assertFalse(m.contains(id), "no campaign id in any label");
    }

    /** One server-sent event: its type and data. */
    private record Event(String type, String data) {
    }

    /** Reads the next event (skipping heartbeats); null at the end of the stream. */
    private static Event next(Iterator<String> lines) {
        String type = "message";
        StringBuilder data = null;
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.isEmpty()) {
                if (data != null && !data.isEmpty()) {
                    return new Event(type, data.toString());
                }
                data = null; // a heartbeat ("data:" and a blank line): not an event
                type = "message";
                continue;
            }
            if (line.startsWith("event:")) {
                type = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                String d = line.substring(5).stripLeading();
                data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
            }
        }
        return null;
    }

    private HttpResponse<Stream<String>> events(String id, String key) throws Exception {
        return HTTP.send(request("/v1/campaigns/" + id + "/events", key).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofLines());
    }

    @Test
    void shouldStreamProgressThenAnEndEventWhenTheCampaignIsCancelled(@TempDir Path dir) throws Exception {
        start(dir);
        String at = Instant.now().plus(Duration.ofHours(1)).toString();
        String id = create(", \"schedule\": {\"at\": \"" + at + "\"}");
        HttpResponse<String> viewerKey = post("/v1/keys", ADMIN, "{\"role\": \"viewer\", \"note\": \"sse\"}");
        String viewer = json(viewerKey).path("key").asText();
        HttpResponse<Stream<String>> r = events(id, viewer);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), r.headers().map().toString());
        Iterator<String> lines = r.body().iterator();
        Event first = next(lines);
        assertEquals("progress", first.type(), first.toString());
        JsonNode view = JSON.readTree(first.data());
        assertEquals(id, view.path("id").asText());
        assertEquals("scheduled", view.path("status").asText());
        assertEquals(RECIPIENTS, view.path("total").asLong());
        assertEquals(RECIPIENTS, view.path("counts").path("pending").asLong(), "same shape as GET /v1/campaigns/{id}");

        assertEquals(200, post("/v1/campaigns/" + id + "/cancel", ADMIN, null).statusCode());
        List<Event> rest = new ArrayList<>();
        for (Event e = next(lines); e != null; e = next(lines)) {
            rest.add(e);
        }
        assertFalse(rest.isEmpty(), "an end event");
        Event last = rest.get(rest.size() - 1);
        assertEquals("end", last.type(), rest.toString());
        assertEquals("cancelled", JSON.readTree(last.data()).path("status").asText());
        rest.subList(0, rest.size() - 1).forEach(e -> assertEquals("progress", e.type()));
    }

    @Test
    void shouldStreamARunningCampaignsCountsAsTheyMove(@TempDir Path dir) throws Exception {
        start(dir);
        String id = create("");
        HttpResponse<Stream<String>> r = events(id, ADMIN);
        assertEquals(200, r.statusCode());
        Iterator<String> lines = r.body().iterator();
        long sentSeen = 0;
        Event e;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        do {
            e = next(lines);
            assertTrue(e != null, "the stream goes on while the campaign runs");
            sentSeen = JSON.readTree(e.data()).path("counts").path("sent").asLong();
        } while (sentSeen == 0 && !e.type().equals("end") && System.nanoTime() < deadline);
        assertTrue(sentSeen > 0, "progress shows sent recipients: " + e);
        if (!e.type().equals("end")) {
            // still running (recipients deferred by quiet hours on the real clock): cancel to end it
            awaitDecided(id);
            post("/v1/campaigns/" + id + "/cancel", ADMIN, null);
            Event last = e;
            for (Event x = next(lines); x != null; x = next(lines)) {
                last = x;
            }
            assertEquals("end", last.type(), last.toString());
            String status = JSON.readTree(last.data()).path("status").asText();
            assertTrue(status.equals("cancelled") || status.equals("completed"), status);
        }
    }

    @Test
    void shouldRefuseEventsOfAnUnknownCampaignOrWithoutAKey(@TempDir Path dir) throws Exception {
        start(dir);
        HttpResponse<String> unknown = get("/v1/campaigns/nope/events", ADMIN);
        assertEquals(404, unknown.statusCode(), unknown.body());
        assertEquals("not_found", json(unknown).path("error").asText());
        HttpResponse<String> noKey = get("/v1/campaigns/nope/events", null);
        assertEquals(401, noKey.statusCode(), noKey.body());
        assertEquals("unauthorized", json(noKey).path("error").asText());
        assertEquals(401, get("/v1/campaigns/nope/events", "wrong-key").statusCode());
    }
}
