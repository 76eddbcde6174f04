package dev.herald.dispatcher.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.segment.SegmentStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Journey definitions over HTTP on a real service: stored, versioned, paused and archived, checked
 * against the uploads' fields, the segments and the sender's compliance, and kept across a restart.
 */
class JourneyRoutesTest {

    static final String ADMIN = "test-admin-key-0123456789";
    static final String WELCOME = """
            {"name": "Welcome", "entry": {"event": "signed_up"},
             "start": "hello",
             "steps": [
               {"id": "hello", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
                "template": "ACME: welcome, {{first_name|friend}}!", "next": "wait"},
               {"id": "wait", "type": "delay", "duration": "P2D", "next": "tips"},
               {"id": "tips", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
                "template": "ACME: three tips for your first week", "next": "vip"},
               {"id": "vip", "type": "branch", "on": {"segment": "all"}, "then": "done", "else": "done"},
               {"id": "done", "type": "exit", "reason": "done"}]}""";

    @TempDir
    Path dir;

    private HeraldService start(Path data) throws Exception {
        return ServiceTests.startService(data, """
                herald.senders.profiles.acme { brand = "ACME", prefix = "ACME:" }
                """, 0, Map.of("HERALD_API_KEY", ADMIN));
    }

    @Test
    void aJourneyIsStoredVersionedPausedAndArchivedAndABadOneIsRefusedNamingTheStep() throws Exception {
        Path data = dir.resolve("data");
        SegmentStore.open(data).put("all", new MutableRoaringBitmap(), 0, 0, List.of("first_name"));
        HeraldService service = start(data);
        String id;
        try {
            int port = service.port();
            HttpResponse<String> created = call(port, "POST", "/v1/journeys", ADMIN, "application/json", WELCOME);
            assertEquals(201, created.statusCode(), created.body());
            JsonNode j = json(created);
            id = j.path("id").asText();
            assertEquals("active", j.path("status").asText());
            assertEquals(1, j.path("version").asInt());
            assertTrue(j.path("engine").asText().contains("not running yet"), j.toString());

            HttpResponse<String> typo = call(port, "POST", "/v1/journeys", ADMIN, "application/json",
                    WELCOME.replace("{{first_name|friend}}", "{{frist_name}}"));
            ServiceTests.assertError(typo, 422, "invalid_journey", "steps[hello].template");
            HttpResponse<String> prefix = call(port, "POST", "/v1/journeys", ADMIN, "application/json",
                    WELCOME.replace("ACME: three tips", "Three tips"));
            ServiceTests.assertError(prefix, 422, "invalid_journey", "steps[tips].template");
            HttpResponse<String> segment = call(port, "POST", "/v1/journeys", ADMIN, "application/json",
                    WELCOME.replace("\"segment\": \"all\"", "\"segment\": \"nobody\""));
            ServiceTests.assertError(segment, 422, "invalid_journey", "steps[vip].on.segment");
            HttpResponse<String> viewer = call(port, "POST", "/v1/journeys", null, "application/json", WELCOME);
            assertEquals(401, viewer.statusCode());

            HttpResponse<String> v2 = call(port, "PUT", "/v1/journeys/" + id, ADMIN, "application/json",
                    WELCOME.replace("\"P2D\"", "\"P3D\""));
            assertEquals(200, v2.statusCode(), v2.body());
            assertEquals(2, json(v2).path("version").asInt());
            assertEquals(200, call(port, "POST", "/v1/journeys/" + id + "/pause", ADMIN, null, null).statusCode());
            ServiceTests.assertError(call(port, "POST", "/v1/journeys/" + id + "/pause", ADMIN, null, null), 409,
                    "invalid_state", null);
        } finally {
            service.stop().toCompletableFuture().join();
        }
        service = start(data);
        try {
            int port = service.port();
            JsonNode j = json(call(port, "GET", "/v1/journeys/" + id + "?version=1", ADMIN, null, null));
            assertEquals("paused", j.path("status").asText(), j.toString());
            assertEquals(2, j.path("version").asInt());
            assertEquals("P2D", j.path("definition").path("steps").path(1).path("duration").asText(), "version 1 as given");
            assertEquals(200, call(port, "POST", "/v1/journeys/" + id + "/archive", ADMIN, null, null).statusCode());
            ServiceTests.assertError(call(port, "PUT", "/v1/journeys/" + id, ADMIN, "application/json", WELCOME), 409,
                    "invalid_state", null);
            assertEquals(1, json(call(port, "GET", "/v1/journeys", ADMIN, null, null)).path("journeys").size());
        } finally {
            service.stop().toCompletableFuture().join();
        }
    }
}
