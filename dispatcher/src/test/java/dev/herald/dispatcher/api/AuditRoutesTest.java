package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log and the analyst role against a real service: every change a key makes is
 * answered by {@code GET /v1/audit} (admin) with who, what, when and how it was answered, phone
 * numbers masked, across a restart and past a torn line; an analyst key reads reports and never a
 * phone number.
 */
class AuditRoutesTest {

    static List<String> paths(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.path("entries").forEach(e -> out.add(e.path("method").asText() + " " + e.path("path").asText() + " "
                + e.path("status").asInt()));
        return out;
    }

    /** Asks until the writer made {@code n} entries durable (it syncs in batches), at most 10 s. */
    static JsonNode awaitEntries(ConsoleFixture f, String query, int n) throws Exception {
        JsonNode page = null;
        for (int i = 0; i < 200; i++) {
            page = f.get("/v1/audit" + query);
            if (page.path("entries").size() >= n) {
                return page;
            }
            Thread.sleep(50);
        }
        return page;
    }

    @Test
    void shouldRecordEveryChangeAKeyMadeAndAnswerItToAdminsOnly(@TempDir Path dir) throws Exception {
        String senderId;
        try (ConsoleFixture f = ConsoleFixture.start(dir, 10)) {
            JsonNode sender = f.key("sender");
            senderId = sender.path("id").asText();
            String s = sender.path("key").asText();
            JsonNode viewer = f.key("viewer");
            String id = f.json(f.call("POST", "/v1/campaigns", s, "application/json", """
                    {"name": "Audited", "channel": "sms", "category": "promotions", "sender": "acme",
                     "text": "ACME: spring sale today", "segment": "all", "tps": 1}""")).path("id").asText();
            assertEquals(200, f.call("POST", "/v1/campaigns/" + id + "/pause", s, null, null).statusCode());
            assertEquals(200, f.call("POST", "/v1/campaigns/" + id + "/cancel", s, null, null).statusCode());
            var refused = f.call("POST", "/v1/campaigns/" + id + "/winner", s, "application/json", "{\"variant\": \"B\"}");
            assertEquals(409, refused.statusCode(), "refused (no A/B test), and recorded too: " + refused.body());
            assertEquals(200, f.call("DELETE", "/v1/suppressions/%2B447400124003?scope=global", s, null, null).statusCode());
            // not changes by a key: a read, a refused key, no key
            assertEquals(200, f.call("GET", "/v1/campaigns", s, null, null).statusCode());
            assertEquals(401, f.call("POST", "/v1/campaigns/" + id + "/resume", "hk_not-a-key-at-all-123", null, null).statusCode());
            assertEquals(403, f.call("POST", "/v1/campaigns/" + id + "/resume", viewer.path("key").asText(), null, null)
                    .statusCode());

            JsonNode page = awaitEntries(f, "", 9);
            assertEquals(List.of("POST /v1/campaigns/" + id + "/resume 403", "DELETE /v1/suppressions/+*********003 200",
                    "POST /v1/campaigns/" + id + "/winner 409", "POST /v1/campaigns/" + id + "/cancel 200",
                    "POST /v1/campaigns/" + id + "/pause 200", "POST /v1/campaigns 201",
                    "POST /v1/keys 201", "POST /v1/keys 201", "POST /v1/segments/all 201"), paths(page), page.toString());
            JsonNode pause = page.path("entries").get(4);
            assertEquals(senderId, pause.path("keyId").asText());
            assertEquals("sender", pause.path("role").asText());
            assertTrue(pause.path("at").asText().endsWith("Z"), pause.toString());
            assertFalse(page.toString().contains("447400124003"), "numbers masked: " + page);
            assertFalse(page.toString().contains(sender.path("key").asText()), "never a key's secret");
            assertEquals("viewer", page.path("entries").get(0).path("role").asText());

            // filters: one key, a period, a limit
            JsonNode mine = f.get("/v1/audit?key=" + senderId);
            assertEquals(5, mine.path("entries").size(), mine.toString());
            JsonNode two = f.get("/v1/audit?limit=2");
            assertEquals(2, two.path("entries").size());
            assertTrue(two.path("more").asBoolean());
            assertEquals(0, f.get("/v1/audit?to=2020-01-01").path("entries").size());
            assertEquals(9, f.get("/v1/audit?from=2020-01-01").path("entries").size());

            // bad input names the parameter; only an admin may read it
            for (String[] bad : new String[][] {{"limit=0", "limit"}, {"limit=lots", "limit"}, {"limit=10001", "limit"},
                    {"from=yesterday", "from"}, {"from=2026-12-02&to=2026-12-01", "from"}}) {
                var r = f.call("GET", "/v1/audit?" + bad[0], ConsoleFixture.ADMIN, null, null);
                assertEquals(400, r.statusCode(), r.body());
                assertEquals(bad[1], ConsoleFixture.JSON.readTree(r.body()).path("field").asText(), r.body());
            }
            assertEquals(403, f.call("GET", "/v1/audit", s, null, null).statusCode());
            assertEquals(403, f.call("GET", "/v1/audit", viewer.path("key").asText(), null, null).statusCode());
            assertEquals(401, f.call("GET", "/v1/audit", null, null, null).statusCode());
        }
        // a crash tore the last line: it is skipped and counted, the rest is still answered, and new changes follow it
        Path log = dir.resolve("data").resolve(AuditLog.FILE);
        Files.write(log, "{\"at\":\"2026-12-07T10:00:00Z\",\"keyId\":\"k-to".getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.APPEND);
        try (ConsoleFixture f = ConsoleFixture.start(dir, 0)) {
            assertEquals(201, f.call("POST", "/v1/keys", ConsoleFixture.ADMIN, "application/json", "{\"role\": \"analyst\"}")
                    .statusCode());
            JsonNode page = awaitEntries(f, "?limit=10000", 10);
            assertEquals(10, page.path("entries").size(), page.toString());
            assertEquals(1, page.path("damaged").asLong(), page.toString());
            assertEquals(5, f.get("/v1/audit?key=" + senderId).path("entries").size(), "kept across the restart");
        }
    }

    @Test
    void shouldLetAnAnalystReadReportsButNoPhoneNumber(@TempDir Path dir) throws Exception {
        try (ConsoleFixture f = ConsoleFixture.start(dir, 10)) {
            JsonNode analyst = f.key("analyst");
            assertEquals("analyst", analyst.path("role").asText(), analyst.toString());
            String a = analyst.path("key").asText();
            String id = f.campaign("Reported", 0);
            f.await("/v1/campaigns/" + id, c -> "completed".equals(c.path("status").asText()));
            for (String ok : List.of("/v1/me", "/v1/campaigns", "/v1/campaigns/" + id, "/v1/campaigns/" + id + "/funnel",
                    "/v1/campaigns/" + id + "/optouts", "/v1/reports/funnel?from=2026-01-01&to=2026-12-31",
                    "/v1/reports/optouts?from=2026-01-01&to=2026-12-31", "/v1/segments", "/v1/openapi.yaml", "/v1/journeys",
                    "/v1/suppressions", "/v1/settings")) {
                var r = f.call("GET", ok, a, null, null);
                assertEquals(200, r.statusCode(), ok + ": " + r.body());
            }
            for (String no : List.of("/v1/campaigns/" + id + "/recipients/%2B447400124001", "/v1/suppressions/%2B447400124001",
                    "/v1/recipients/%2B447400124001/consent", "/v1/recipients/%2B447400124001/campaigns",
                    "/v1/recipients/%2B447400124001/preferences", "/v1/inbound/review", "/v1/keys", "/v1/audit")) {
                var r = f.call("GET", no, a, null, null);
                assertEquals(403, r.statusCode(), no + ": " + r.body());
                assertTrue(r.body().contains("analyst"), r.body());
            }
            assertEquals(403, f.call("POST", "/v1/campaigns/" + id + "/pause", a, null, null).statusCode());
            var bad = f.call("POST", "/v1/keys", ConsoleFixture.ADMIN, "application/json", "{\"role\": \"auditor\"}");
            assertEquals(400, bad.statusCode(), bad.body());
            assertTrue(bad.body().contains("analyst"), "the accepted roles are named: " + bad.body());
        }
    }
}
