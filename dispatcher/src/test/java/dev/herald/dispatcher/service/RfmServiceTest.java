package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.SyntheticAudience;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RFM and lifecycle segments in {@code herald serve}, over real HTTP: conversions and events
 * posted, {@code POST /v1/segments/rfm/recompute}, {@code GET /v1/segments/rfm} (also after a
 * restart), the segments in a campaign preview's expression, and cap rules naming them.
 */
class RfmServiceTest {

    static final int RECIPIENTS = 2_000;
    static final String ADMIN = "test-admin-key-0123456789";

    private HeraldService service;

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
            service = null;
        }
    }

    private HeraldService start(Path data, String hocon) throws Exception {
        return ServiceTests.startService(data, hocon, 0, Map.of("HERALD_API_KEY", ADMIN));
    }

    private HttpResponse<String> post(String path, String key, String type, String body) throws Exception {
        return call(service.port(), "POST", path, key, type, body);
    }

    @Test
    void shouldRecomputeFromPostedConversionsAndEventsAndServeTheSegmentsEverywhere(@TempDir Path dir) throws Exception {
        Path data = ServiceTests.dataWithEveryone(dir, RECIPIENTS, 5);
        List<String> phones = new ArrayList<>();
        try (HeraldData d = SyntheticAudience.openData(data, RECIPIENTS)) {
            for (int id = 0; id < 400; id++) {
                phones.add(d.directory().get(id).orElseThrow().e164());
            }
        }
        service = start(data, "");
        String viewer = service.keys().create(dev.herald.dispatcher.api.Role.VIEWER, "test").key();

        HttpResponse<String> none = call(service.port(), "GET", "/v1/segments/rfm", viewer, null, null);
        assertEquals(404, none.statusCode(), none.body());
        assertTrue(json(none).path("message").asText().contains("not been computed"), none.body());

        // 300 buyers (ids 0-299; the first 30 buy thrice), events of ids 200-399
        StringBuilder orders = new StringBuilder();
        Instant now = Instant.now();
        for (int i = 0; i < 300; i++) {
            for (int k = 0; k < (i < 30 ? 3 : 1); k++) {
                orders.append("{\"phone\": \"").append(phones.get(i)).append("\", \"orderId\": \"o-").append(i).append('-')
                        .append(k).append("\", \"value\": ").append(5 + i % 50).append(".5, \"currency\": \"EUR\", \"occurredAt\": \"")
                        .append(now.minus(Duration.ofDays(1 + (i * 7L + k) % 80))).append("\"}\n");
            }
        }
        HttpResponse<String> posted = post("/v1/conversions", ADMIN, "application/x-ndjson", orders.toString());
        assertEquals(200, posted.statusCode(), posted.body());
        assertEquals(360, json(posted).path("recorded").asLong(), posted.body());
        StringBuilder events = new StringBuilder();
        for (int i = 200; i < 400; i++) {
            events.append("{\"id\": \"ev-").append(i).append("\", \"phone\": \"").append(phones.get(i))
                    .append("\", \"name\": \"page_view\", \"at\": \"").append(now.minus(Duration.ofDays(i % 20))).append("\"}\n");
        }
        HttpResponse<String> evs = post("/v1/events", ADMIN, "application/x-ndjson", events.toString());
        assertEquals(200, evs.statusCode(), evs.body());

        assertEquals(403, post("/v1/segments/rfm/recompute", viewer, null, null).statusCode(), "a viewer may not");
        HttpResponse<String> recomputed = post("/v1/segments/rfm/recompute", ADMIN, null, null);
        assertEquals(200, recomputed.statusCode(), recomputed.body());
        JsonNode r = json(recomputed);
        System.out.println("rfm: " + r);
        assertEquals(300, r.path("buyers").asLong(), r.toString());
        assertEquals(400, r.path("recipients").asLong(), r.toString());
        assertEquals(360, r.path("purchasesRead").asLong(), r.toString());
        assertEquals(200, r.path("activitiesRead").asLong(), r.toString());
        assertEquals("P365D", r.path("window").asText());
        long tiers = 0;
        for (JsonNode t : r.path("tiers")) {
            tiers += t.path("size").asLong();
            assertEquals("rfm:" + t.path("name").asText(), t.path("segment").asText());
        }
        assertEquals(300, tiers, "every buyer in one tier");
        long stages = 0;
        long fresh = 0;
        for (JsonNode s : r.path("lifecycle")) {
            stages += s.path("size").asLong();
            fresh += s.path("name").asText().equals("new") ? s.path("size").asLong() : 0;
        }
        assertEquals(400, stages);
        assertEquals(4, r.path("quintiles").path("frequency").size());
        assertEquals(4, r.path("quintiles").path("recency").size());
        assertEquals(4, r.path("quintiles").path("monetary").size());

        JsonNode shown = json(call(service.port(), "GET", "/v1/segments/rfm", viewer, null, null));
        assertEquals(r.path("computedAt"), shown.path("computedAt"));

        // the segments in a preview: expressions and a plain segment name
        HttpResponse<String> preview = post("/v1/campaigns/preview", ADMIN, "application/json", """
                {"name": "New ones", "channel": "sms", "category": "marketing", "sender": "acme",
                 "text": "Welcome!", "footer": "Reply STOP to opt out", "expression": "lifecycle:new & all"}""");
        assertEquals(200, preview.statusCode(), preview.body());
        assertEquals(fresh, json(preview).path("total").asLong(), preview.body());
        HttpResponse<String> unknown = post("/v1/campaigns/preview", ADMIN, "application/json", """
                {"name": "Bad", "channel": "sms", "category": "marketing", "sender": "acme",
                 "text": "Hi", "footer": "Reply STOP to opt out", "expression": "rfm:whales - rfm:at-risk"}""");
        assertEquals(400, unknown.statusCode(), unknown.body());
        assertTrue(unknown.body().contains("rfm:whales") && unknown.body().contains("champions"), unknown.body());
        HttpResponse<String> single = post("/v1/campaigns/preview", ADMIN, "application/json", """
                {"name": "Champions", "channel": "sms", "category": "marketing", "sender": "acme",
                 "text": "Hi", "footer": "Reply STOP to opt out", "segment": "rfm:champions"}""");
        assertEquals(200, single.statusCode(), single.body());
        HttpResponse<String> upload = call(service.port(), "POST", "/v1/segments/rfm:mine", ADMIN, "text/csv", "phone\n"
                + phones.get(0) + "\n");
        assertEquals(400, upload.statusCode(), upload.body());

        // a restart serves the stored result
        stop();
        service = start(data, "");
        JsonNode again = json(call(service.port(), "GET", "/v1/segments/rfm", ADMIN, null, null));
        assertEquals(r.path("computedAt"), again.path("computedAt"));
        assertEquals(r.path("tiers"), again.path("tiers"));
    }

    @Test
    void shouldRefuseToStartWithACapRuleNamingATierNotConfigured(@TempDir Path dir) throws Exception {
        Path data = ServiceTests.dataWithEveryone(dir, 500, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start(data,
                "herald.frequency-caps.rules.whales { limit = 1, window = week, scope = marketing, segment = \"rfm:whales\","
                        + " action = drop }"));
        assertTrue(e.getMessage().contains("herald.frequency-caps.rules.whales.segment") && e.getMessage().contains("rfm:whales")
                && e.getMessage().contains("at-risk"), e.getMessage());
        // the example's rules start
        service = start(data, "include file(\"" + Path.of("../examples/caps-lifecycle.conf").toAbsolutePath().normalize() + "\")");
        assertEquals(404, call(service.port(), "GET", "/v1/segments/rfm", ADMIN, null, null).statusCode());
    }
}
