package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The partitions' RFM summaries merged: summed when they are of one recompute, never mixed otherwise. */
class RfmViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpAnswer answer(int partition, int status, String json) {
        return new HttpAnswer(partition, status, List.of(), "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode body(HttpAnswer a) throws Exception {
        return JSON.readTree(a.body());
    }

    /** A partition's summary (RfmRoutes' form). */
    private static String summary(String computedAt, long monetaryCut, int champions, int loyal, int buyers, long elapsed) {
        return "{\"computedAt\": \"" + computedAt + "\", \"window\": \"P365D\", \"windowStart\": \"2025-12-07T00:00:00Z\","
                + " \"buyers\": " + buyers + ", \"recipients\": " + (buyers + 1) + ", \"purchasesRead\": " + 2 * buyers
                + ", \"activitiesRead\": 3, \"elapsedMillis\": " + elapsed + ","
                + " \"tiers\": [{\"name\": \"champions\", \"segment\": \"rfm:champions\", \"size\": " + champions + "},"
                + " {\"name\": \"loyal\", \"segment\": \"rfm:loyal\", \"size\": " + loyal + "}],"
                + " \"lifecycle\": [{\"name\": \"new\", \"segment\": \"lifecycle:new\", \"size\": " + (buyers + 1) + "}],"
                + " \"quintiles\": {\"recency\": [\"2026-01-01T00:00:00Z\", \"2026-02-01T00:00:00Z\", \"2026-03-01T00:00:00Z\","
                + " \"2026-04-01T00:00:00Z\"], \"frequency\": [1, 1, 2, 3], \"monetary\": [100, 200, 300, " + monetaryCut + "]},"
                + " \"tierRules\": {\"champions\": {\"r\": \"4-5\", \"f\": \"4-5\", \"m\": \"4-5\"}}}";
    }

    @Test
    void sumsThePartitionsOfOneRecompute() throws Exception {
        String at = "2026-12-07T10:00:00Z";
        HttpAnswer merged = RfmViews.summary(List.of(answer(0, 200, summary(at, 400, 3, 1, 10, 50)),
                answer(1, 200, summary(at, 400, 0, 0, 0, 70)), answer(2, 200, summary(at, 400, 5, 2, 20, 60))));
        JsonNode m = body(merged);
        assertEquals(200, merged.status(), m.toString());
        assertEquals(at, m.path("computedAt").asText());
        assertEquals(30, m.path("buyers").asLong());
        assertEquals(33, m.path("recipients").asLong());
        assertEquals(60, m.path("purchasesRead").asLong());
        assertEquals(9, m.path("activitiesRead").asLong());
        assertEquals(70, m.path("elapsedMillis").asLong(), "the longest partition's");
        assertEquals(8, m.path("tiers").path(0).path("size").asLong());
        assertEquals("rfm:champions", m.path("tiers").path(0).path("segment").asText());
        assertEquals(3, m.path("tiers").path(1).path("size").asLong());
        assertEquals(33, m.path("lifecycle").path(0).path("size").asLong());
        assertEquals("[100,200,300,400]", m.path("quintiles").path("monetary").toString());
        assertEquals(3, m.path("partitions").path("answered").asInt());
    }

    @Test
    void saysSoWhenAPartitionMissedTheLastRecompute() throws Exception {
        HttpAnswer missed = RfmViews.summary(List.of(answer(0, 200, summary("2026-12-07T10:00:00Z", 400, 3, 1, 10, 5)),
                answer(1, 200, summary("2026-12-07T09:00:00Z", 400, 3, 1, 10, 5))));
        JsonNode m = body(missed);
        assertEquals(409, missed.status(), m.toString());
        assertEquals("out_of_step", m.path("error").asText());
        assertEquals("2026-12-07T09:00:00Z", m.path("partitions").path(1).path("computedAt").asText(), m.toString());
        assertTrue(m.path("message").asText().contains("POST /v1/segments/rfm/recompute"), m.toString());

        // same time, other cut points (two recomputes in the same millisecond): not merged either
        assertEquals(409, RfmViews.summary(List.of(answer(0, 200, summary("2026-12-07T10:00:00Z", 400, 3, 1, 10, 5)),
                answer(1, 200, summary("2026-12-07T10:00:00Z", 401, 3, 1, 10, 5)))).status());

        // one never computed, one damaged: named, not mixed
        HttpAnswer none = RfmViews.summary(List.of(answer(0, 200, summary("2026-12-07T10:00:00Z", 400, 3, 1, 10, 5)),
                answer(1, 404, "{\"error\": \"not_found\", \"message\": \"not been computed\"}"),
                answer(2, 409, "{\"error\": \"damaged\", \"message\": \"segments.dat: checksum\"}")));
        JsonNode n = body(none);
        assertEquals(409, none.status(), n.toString());
        assertEquals("not_found", n.path("partitions").path(1).path("error").asText(), n.toString());
        assertEquals("damaged", n.path("partitions").path(2).path("error").asText(), n.toString());
    }

    @Test
    void answersAsOneNodeWhenNoneIsComputedAndNamesAPartitionThatDidNotAnswer() throws Exception {
        String notYet = "{\"error\": \"not_found\", \"message\": \"the RFM segments have not been computed yet\"}";
        HttpAnswer none = RfmViews.summary(List.of(answer(0, 404, notYet), answer(1, 404, notYet)));
        assertEquals(404, none.status());
        assertEquals("not_found", body(none).path("error").asText());

        HttpAnswer gone = RfmViews.summary(List.of(answer(0, 200, summary("2026-12-07T10:00:00Z", 400, 3, 1, 10, 5)),
                HttpAnswer.error(503, "partition_unavailable", "partition 1 did not answer within 10 s")));
        assertEquals(503, gone.status());
        assertTrue(body(gone).path("message").asText().contains("partitions [1]"), body(gone).toString());
    }
}
