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
            assertEquals("/v1/journeys/" + id + "/report", j.path("report").asText(), j.toString());

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

    static final String NOTICE = """
            {"name": "Shipping", "entry": {"event": "order_shipped", "key": "orderId"},
             "reentry": {"policy": "once-per-key"}, "exits": [{"event": "order_returned", "matchKey": true}],
             "start": "shipped",
             "steps": [
               {"id": "shipped", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                "template": "Your order is on its way", "next": "wait"},
               {"id": "wait", "type": "delay", "duration": "P1D", "next": "review"},
               {"id": "review", "type": "send", "channel": "sms", "category": "transactional", "sender": "acme",
                "template": "How was your order?", "next": "done"},
               {"id": "done", "type": "exit", "reason": "done"}]}""";

    @Test
    void aJourneyRunsOnEventsAndItsReportAndARecipientsHistoryAreServed() throws Exception {
        Path data = dir.resolve("data");
        HeraldService service = start(data);
        try {
            int port = service.port();
            String id = json(call(port, "POST", "/v1/journeys", ADMIN, "application/json", NOTICE)).path("id").asText();
            assertEquals(200, call(port, "PUT", "/v1/recipients/+447400100001/attributes", ADMIN, "application/json",
                    "{\"first_name\": \"Ann\", \"tz\": \"Europe/London\"}").statusCode());
            HttpResponse<String> posted = call(port, "POST", "/v1/events", ADMIN, "application/x-ndjson", """
                    {"id": "s1", "phone": "+447400100001", "name": "order_shipped", "properties": {"orderId": "o1"}}
                    {"id": "s2", "phone": "+447400100001", "name": "order_shipped", "properties": {"orderId": "o2"}}
                    """);
            assertEquals(200, posted.statusCode(), posted.body());
            JsonNode report = null;
            for (int i = 0; i < 100; i++) {
                report = json(call(port, "GET", "/v1/journeys/" + id + "/report", ADMIN, null, null));
                if (report.path("versions").path(0).path("steps").path(0).path("sent").asLong() == 2) {
                    break;
                }
                Thread.sleep(100);
            }
            JsonNode shipped = report.path("versions").path(0).path("steps").path(0);
            assertEquals(2, shipped.path("sent").asLong(), report.toString());
            assertEquals(2, report.path("entered").asLong());
            assertEquals(2, report.path("versions").path(0).path("steps").path(1).path("now").asLong(), "both wait a day");
            assertEquals(id + ".1.0", shipped.path("campaign").asText());

            assertEquals(201, call(port, "POST", "/v1/events", ADMIN, "application/json",
                    "{\"id\": \"r1\", \"phone\": \"+447400100001\", \"name\": \"order_returned\","
                            + " \"properties\": {\"orderId\": \"o2\"}}").statusCode());
            JsonNode who = null;
            for (int i = 0; i < 100; i++) {
                who = json(call(port, "GET", "/v1/journeys/" + id + "/recipients/%2B447400100001", ADMIN, null, null));
                if (who.path("instances").size() == 1) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(1, who.path("instances").size(), who.toString());
            assertEquals("o1", who.path("instances").path(0).path("key").asText());
            assertEquals("wait", who.path("instances").path(0).path("step").asText());
            assertTrue(who.path("instances").path(0).has("due"), who.toString());
            String history = who.path("history").toString();
            assertTrue(history.contains("entered version 1, key o2") && history.contains("step shipped: sent")
                    && history.contains("ended: goal"), history);
            assertEquals("+*********001", who.path("phone").asText());

            ServiceTests.assertError(call(port, "GET", "/v1/journeys/nope/report", ADMIN, null, null), 404, "not_found", null);

            // the flow of the last days (today and the day before, should the test run over midnight)
            JsonNode week = json(call(port, "GET", "/v1/journeys/" + id + "/report?days=3&tz=Europe/London", ADMIN, null, null));
            JsonNode flow = week.path("flow");
            assertEquals("Europe/London", flow.path("zone").asText(), flow.toString());
            assertEquals(3, flow.path("rows").size(), flow.toString());
            long entered = 0;
            long arrived = 0;
            long goal = 0;
            for (JsonNode row : flow.path("rows")) {
                entered += row.path("entered").asLong();
                arrived += row.path("arrived").path("shipped").asLong();
                goal += row.path("exited").path("goal").asLong();
            }
            assertEquals(List.of(2L, 2L, 1L), List.of(entered, arrived, goal), flow.toString());
            assertEquals("[\"shipped\",\"wait\",\"review\",\"done\"]", flow.path("steps").toString());
            assertEquals(7, json(call(port, "GET", "/v1/journeys/" + id + "/report", ADMIN, null, null)).path("flow")
                    .path("rows").size(), "a week unless asked");
            assertEquals(90, json(call(port, "GET", "/v1/journeys/" + id + "/report?days=90", ADMIN, null, null)).path("flow")
                    .path("rows").size());
            for (String bad : List.of("0", "91", "-1", "seven", "1.5", "")) {
                ServiceTests.assertError(call(port, "GET", "/v1/journeys/" + id + "/report?days=" + bad, ADMIN, null, null),
                        400, "invalid_parameter", "days");
            }
            ServiceTests.assertError(call(port, "GET", "/v1/journeys/" + id + "/report?tz=Mars/Olympus", ADMIN, null, null),
                    400, "invalid_parameter", "tz");
            JsonNode listed = json(call(port, "GET", "/v1/journeys", ADMIN, null, null)).path("journeys").path(0);
            assertEquals(2, listed.path("entered").asLong(), listed.toString());
            assertEquals(1, listed.path("waiting").asLong(), listed.toString());
            // the report says at once what was done to the journey (the engine looks again when the store changed)
            assertEquals(200, call(port, "POST", "/v1/journeys/" + id + "/pause", ADMIN, null, null).statusCode());
            assertEquals("paused", json(call(port, "GET", "/v1/journeys/" + id + "/report", ADMIN, null, null))
                    .path("status").asText());
            assertEquals(200, call(port, "POST", "/v1/journeys/" + id + "/resume", ADMIN, null, null).statusCode());
            assertEquals("active", json(call(port, "GET", "/v1/journeys/" + id + "/report", ADMIN, null, null))
                    .path("status").asText());
            ServiceTests.assertError(call(port, "GET", "/v1/journeys/" + id + "/recipients/12ab", ADMIN, null, null), 400,
                    "invalid_phone", "phone");
            ServiceTests.assertError(call(port, "GET", "/v1/journeys/" + id + "/recipients/%2B447400100099", ADMIN, null, null),
                    404, "not_found", null);
        } finally {
            service.stop().toCompletableFuture().join();
        }
    }
}
