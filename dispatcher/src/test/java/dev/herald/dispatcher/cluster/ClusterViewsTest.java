package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@link ClusterViews}: the partitions' answers put together as one node's. */
class ClusterViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpAnswer answer(int partition, int status, String json) {
        return new HttpAnswer(partition, status, List.of(), "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static HttpAnswer unavailable(int partition) {
        return answer(partition, 503, "{\"error\": \"partition_unavailable\", \"message\": \"partition " + partition
                + " did not answer\", \"field\": null}");
    }

    /** A campaign slice as a partition shows it. */
    private static String slice(String status, long total, long sent, long pending, long delivered, String startedAt,
                                String finishedAt) {
        return "{\"id\": \"c-1\", \"name\": \"sale\", \"status\": \"" + status + "\", \"createdAt\": \"2026-12-07T10:00:00Z\","
                + " \"total\": " + total + ", \"counts\": {\"pending\": " + pending + ", \"sent\": " + sent + ", \"inFlight\": 0},"
                + " \"outcomes\": {\"sent\": " + sent + ", \"suppressed\": 1}, \"delivery\": {\"delivered\": " + delivered
                + ", \"failed\": 0}, \"startedAt\": " + (startedAt == null ? "null" : "\"" + startedAt + "\"")
                + ", \"finishedAt\": " + (finishedAt == null ? "null" : "\"" + finishedAt + "\"") + ", \"error\": null}";
    }

    private static JsonNode body(HttpAnswer a) throws Exception {
        return JSON.readTree(a.body());
    }

    @Test
    void shouldAddUpACampaignsSlices() throws Exception {
        HttpAnswer merged = ClusterViews.campaign(List.of(
                answer(0, 200, slice("completed", 10, 9, 0, 7, "2026-12-07T10:00:02Z", "2026-12-07T10:05:00Z")),
                answer(1, 200, slice("running", 20, 5, 15, 4, "2026-12-07T10:00:01Z", null)),
                answer(2, 200, slice("completed", 30, 30, 0, 30, "2026-12-07T10:00:03Z", "2026-12-07T10:04:00Z"))));
        assertEquals(200, merged.status());
        JsonNode c = body(merged);
        assertEquals(60, c.path("total").asLong());
        assertEquals(44, c.path("counts").path("sent").asLong());
        assertEquals(15, c.path("counts").path("pending").asLong());
        assertEquals(44, c.path("outcomes").path("sent").asLong());
        assertEquals(3, c.path("outcomes").path("suppressed").asLong());
        assertEquals(41, c.path("delivery").path("delivered").asLong());
        assertEquals("running", c.path("status").asText());
        assertEquals("2026-12-07T10:00:01Z", c.path("startedAt").asText(), "started when its first slice started");
        assertTrue(c.path("finishedAt").isNull(), "not finished while a slice runs: " + c);
        assertEquals(3, c.path("partitions").path("answered").asInt());
        assertEquals(3, c.path("partitions").path("of").asInt());
        assertEquals(0, c.path("partitions").path("unanswered").size());
        assertEquals("c-1", c.path("id").asText());

        JsonNode done = body(ClusterViews.campaign(List.of(
                answer(0, 200, slice("completed", 1, 1, 0, 1, "2026-12-07T10:00:02Z", "2026-12-07T10:05:00Z")),
                answer(1, 200, slice("completed", 1, 1, 0, 1, "2026-12-07T10:00:01Z", "2026-12-07T10:06:00Z")))));
        assertEquals("completed", done.path("status").asText());
        assertEquals("2026-12-07T10:06:00Z", done.path("finishedAt").asText(), "finished when its last slice did");

        // the first slice unfinished, the second finished: still unfinished
        JsonNode firstOpen = body(ClusterViews.campaign(List.of(
                answer(0, 200, slice("running", 1, 0, 1, 0, "2026-12-07T10:00:02Z", null)),
                answer(1, 200, slice("completed", 1, 1, 0, 1, "2026-12-07T10:00:01Z", "2026-12-07T10:06:00Z")))));
        assertTrue(firstOpen.path("finishedAt").isNull(), firstOpen.toString());
    }

    @Test
    void shouldAnswerACreateMadeOnEveryPartitionAsOne() throws Exception {
        String made = slice("running", 5, 0, 5, 0, null, null);
        HttpAnswer fresh = ClusterViews.created(List.of(answer(0, 201, made), answer(1, 200, made), answer(2, 201, made)), "k-1");
        assertEquals(201, fresh.status(), "made now on some partition: 201");
        assertEquals(15, body(fresh).path("total").asLong());
        HttpAnswer replay = ClusterViews.created(List.of(answer(0, 200, made), answer(1, 200, made)), "k-1");
        assertEquals(200, replay.status(), "made before everywhere: 200, as a replayed create on one node");

        HttpAnswer partly = ClusterViews.created(List.of(answer(0, 201, made), unavailable(1), answer(2, 201, made)), "k-7");
        assertEquals(503, partly.status());
        JsonNode e = body(partly);
        assertEquals("partly_created", e.path("error").asText());
        assertTrue(e.path("message").asText().contains("2 of 3") && e.path("message").asText().contains("k-7"),
                "names how far it got and the key to send again: " + e);
    }

    @Test
    void shouldShowTheMostPressingStatus() throws Exception {
        List<String> order = List.of("damaged", "failed", "running", "paused", "scheduled", "cancelled", "completed");
        for (int i = 0; i < order.size(); i++) {
            for (int j = 0; j < order.size(); j++) {
                String expected = order.get(Math.min(i, j));
                for (List<String> pair : List.of(List.of(order.get(i), order.get(j)), List.of(order.get(j), order.get(i)))) {
                    JsonNode c = body(ClusterViews.campaign(List.of(
                            answer(0, 200, slice(pair.get(0), 1, 0, 0, 0, null, null)),
                            answer(1, 200, slice("completed", 1, 0, 0, 0, null, null)),
                            answer(2, 200, slice(pair.get(1), 1, 0, 0, 0, null, null)))));
                    assertEquals(expected, c.path("status").asText(), pair.toString());
                }
            }
        }
    }

    @Test
    void shouldNameThePartitionsThatDidNotAnswer() throws Exception {
        HttpAnswer merged = ClusterViews.campaign(List.of(
                answer(0, 200, slice("running", 10, 1, 9, 0, "2026-12-07T10:00:02Z", null)),
                unavailable(1),
                answer(2, 200, slice("paused", 5, 1, 4, 0, "2026-12-07T10:00:02Z", null)),
                unavailable(3)));
        assertEquals(200, merged.status());
        JsonNode c = body(merged);
        assertEquals(15, c.path("total").asLong(), "the counts are short by the missing slices");
        assertEquals(2, c.path("partitions").path("answered").asInt());
        assertEquals(4, c.path("partitions").path("of").asInt());
        assertEquals("[1,3]", c.path("partitions").path("unanswered").toString());
    }

    @Test
    void shouldAnswerTheFirstRealRefusalWhenNoPartitionAgreed() throws Exception {
        HttpAnswer notFound = answer(1, 404, "{\"error\": \"not_found\", \"message\": \"no campaign c-9\", \"field\": null}");
        HttpAnswer refused = ClusterViews.campaign(List.of(unavailable(0), notFound,
                answer(2, 409, "{\"error\": \"conflict\", \"message\": \"x\", \"field\": null}")));
        assertEquals(404, refused.status());
        assertEquals("not_found", body(refused).path("error").asText());
        HttpAnswer allDown = ClusterViews.campaign(List.of(unavailable(0), unavailable(1)));
        assertEquals(503, allDown.status());
        assertEquals(404, ClusterViews.list(List.of(unavailable(0), notFound)).status());
    }

    @Test
    void shouldMergeTheListByCampaign() throws Exception {
        String a = slice("running", 10, 1, 9, 0, "2026-12-07T10:00:02Z", null);
        String b = slice("completed", 3, 3, 0, 0, "2026-12-07T09:00:02Z", "2026-12-07T09:10:00Z")
                .replace("c-1", "c-0").replace("2026-12-07T10:00:00Z", "2026-12-07T09:00:00Z");
        JsonNode list = body(ClusterViews.list(List.of(
                answer(0, 200, "{\"campaigns\": [" + a + ", " + b + "]}"),
                answer(1, 200, "{\"campaigns\": [" + a + ", " + b + "]}"),
                unavailable(2))));
        assertEquals(2, list.path("campaigns").size());
        assertEquals("c-0", list.path("campaigns").path(0).path("id").asText(), "oldest first");
        assertEquals(6, list.path("campaigns").path(0).path("total").asLong());
        assertEquals(20, list.path("campaigns").path(1).path("total").asLong());
        assertEquals("[2]", list.path("partitions").path("unanswered").toString());
    }

    @Test
    void shouldRefuseAPreviewShortOfASlice() throws Exception {
        String p = "{\"total\": 10, \"counts\": {\"send\": 8, \"suppressed\": 2}, \"outcomes\": {\"quiet\": 1}, \"elapsedMs\": 5}";
        HttpAnswer whole = ClusterViews.preview(List.of(answer(0, 200, p), answer(1, 200, p.replace("5}", "9}"))));
        assertEquals(200, whole.status());
        JsonNode w = body(whole);
        assertEquals(20, w.path("total").asLong());
        assertEquals(16, w.path("counts").path("send").asLong());
        assertEquals(2, w.path("outcomes").path("quiet").asLong());
        assertEquals(9, w.path("elapsedMs").asLong());

        HttpAnswer shortOfOne = ClusterViews.preview(List.of(answer(0, 200, p), unavailable(1), answer(2, 200, p)));
        assertEquals(503, shortOfOne.status(), "a preview without partition 1's slice is not answered as whole: "
                + shortOfOne.text());
        HttpAnswer refused = ClusterViews.preview(List.of(answer(0, 200, p),
                answer(1, 400, "{\"error\": \"unknown_segment\", \"message\": \"x\", \"field\": \"segment\"}"), unavailable(2)));
        assertEquals(400, refused.status(), refused.text());
    }

    @Test
    void shouldNumberOptOutRefusalsByTheirPositionInTheRequest() throws Exception {
        // request: 0 ok(p0), 1 bad here, 2 ok(p1), 3 refused by p1, 4 ok(p0), 5 refused by p0, 6 blank here
        List<List<Integer>> positions = List.of(List.of(0, 4, 5), List.of(2, 3));
        List<Map<String, Object>> here = new ArrayList<>();
        here.add(error(1, "+12***", "not a number"));
        here.add(error(6, "", "missing phone number"));
        HttpAnswer merged = ClusterViews.optOuts(List.of(
                answer(0, 201, "{\"suppressed\": 1, \"alreadySuppressed\": 1, \"rejected\": 1,"
                        + " \"errors\": [{\"index\": 2, \"phone\": \"+44***\", \"reason\": \"p0 says no\"}]}"),
                answer(1, 201, "{\"suppressed\": 1, \"alreadySuppressed\": 0, \"rejected\": 1,"
                        + " \"errors\": [{\"index\": 1, \"phone\": \"+33***\", \"reason\": \"p1 says no\"}]}")),
                positions, here);
        assertEquals(201, merged.status());
        JsonNode o = body(merged);
        assertEquals(2, o.path("suppressed").asLong());
        assertEquals(1, o.path("alreadySuppressed").asLong());
        assertEquals(4, o.path("rejected").asLong());
        List<Long> indexes = new ArrayList<>();
        o.path("errors").forEach(e -> indexes.add(e.path("index").asLong()));
        assertEquals(List.of(1L, 3L, 5L, 6L), indexes, o.toString());
        assertEquals("p1 says no", o.path("errors").path(1).path("reason").asText());
        assertEquals("p0 says no", o.path("errors").path(2).path("reason").asText());

        // nothing new: 200, as one node answers
        HttpAnswer nothingNew = ClusterViews.optOuts(List.of(answer(0, 200, "{\"suppressed\": 0, \"alreadySuppressed\": 2,"
                + " \"rejected\": 0, \"errors\": []}")), List.of(List.of(0, 1)), List.of());
        assertEquals(200, nothingNew.status());

        // a partition that failed fails the whole request
        HttpAnswer failed = ClusterViews.optOuts(List.of(answer(0, 201, "{\"suppressed\": 1}"), unavailable(1)),
                positions, here);
        assertEquals(503, failed.status());
    }

    private static Map<String, Object> error(long index, String phone, String reason) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("index", index);
        e.put("phone", phone);
        e.put("reason", reason);
        return e;
    }

    @Test
    void shouldListCampaignsByTheInstantTheyWereMadeNotByItsText() throws Exception {
        String a = "{\"campaigns\": [{\"id\": \"c-a\", \"status\": \"completed\", \"total\": 1, \"createdAt\": \"2026-12-07T10:00:08.300Z\"}]}";
        String b = "{\"campaigns\": [{\"id\": \"c-b\", \"status\": \"completed\", \"total\": 1, \"createdAt\": \"2026-12-07T10:00:08.300123Z\"},"
                + " {\"id\": \"c-c\", \"status\": \"completed\", \"total\": 1, \"createdAt\": \"2026-12-07T10:00:08Z\"}]}";
        JsonNode list = body(ClusterViews.list(List.of(answer(0, 200, a), answer(1, 200, b)))).path("campaigns");
        assertEquals("c-c", list.path(0).path("id").asText(), list.toString());
        assertEquals("c-a", list.path(1).path("id").asText(), list.toString());
        assertEquals("c-b", list.path(2).path("id").asText(), list.toString());
    }
}
