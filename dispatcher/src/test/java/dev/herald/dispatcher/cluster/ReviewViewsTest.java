package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** {@link ReviewViews}: the partitions' review queues as one, their ids naming the partition. */
class ReviewViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpAnswer answer(int partition, int status, String json) {
        return new HttpAnswer(partition, status, List.of(), "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static String item(long id, String receivedAt, String status) {
        return "{\"id\": " + id + ", \"receivedAt\": \"" + receivedAt + "\", \"phone\": \"+447700900" + (100 + id)
                + "\", \"recipientId\": " + id + ", \"status\": \"" + status + "\"}";
    }

    private static String items(String... items) {
        return "{\"items\": [" + String.join(", ", items) + "]}";
    }

    @Test
    void shouldMergeEveryPartitionsItemsOldestFirstWithIdsNamingThePartition() throws Exception {
        HttpAnswer merged = ReviewViews.list(List.of(
                answer(0, 200, items(item(1, "2026-12-07T10:00:02Z", "pending"), item(2, "2026-12-07T10:00:05.5Z", "pending"))),
                answer(1, 200, items()),
                answer(2, 200, items(item(1, "2026-12-07T10:00:01Z", "pending"), item(2, "2026-12-07T10:00:05.25Z", "pending"),
                        item(3, "2026-12-07T10:00:09Z", "pending"))),
                // a partition whose clock stepped back: its own order is kept
                answer(3, 200, items(item(1, "2026-12-07T10:00:03Z", "pending"), item(2, "2026-12-07T10:00:02.5Z", "pending")))));
        assertEquals(200, merged.status());
        List<String> ids = new ArrayList<>();
        JSON.readTree(merged.body()).path("items").forEach(i -> ids.add(i.path("id").asText()));
        assertEquals(List.of("p2.1", "p0.1", "p3.1", "p3.2", "p2.2", "p0.2", "p2.3"), ids);
        JsonNode first = JSON.readTree(merged.body()).path("items").get(0);
        assertEquals("+447700900101", first.path("phone").asText(), "the item is otherwise the partition's: " + first);
        assertTrue(first.path("id").isTextual());
    }

    @Test
    void shouldRefuseAListShortOfAPartitionAndPassOnARefusal() throws Exception {
        HttpAnswer shortOne = ReviewViews.list(List.of(answer(0, 200, items(item(1, "2026-12-07T10:00:02Z", "pending"))),
                answer(1, 503, "{\"error\": \"partition_unavailable\", \"message\": \"partition 1 did not answer\", \"field\": null}")));
        assertEquals(503, shortOne.status());
        assertEquals("partition_unavailable", JSON.readTree(shortOne.body()).path("error").asText());
        String bad = "{\"error\": \"invalid_parameter\", \"message\": \"query parameter 'status' must be ...\", \"field\": \"status\"}";
        assertEquals(400, ReviewViews.list(List.of(answer(0, 400, bad), answer(1, 400, bad))).status());
    }

    @Test
    void shouldRouteOnlyIdsNamingAPartitionThatExists() {
        assertEquals(Optional.of(new ReviewViews.Routed(3, "17")), ReviewViews.route("p3.17", 4));
        assertEquals(Optional.of(new ReviewViews.Routed(0, "1")), ReviewViews.route("p0.1", 4));
        for (String bad : List.of("p4.1", "p99.1", "17", "p3.x", "p3.", "p.3", "p03.1", "p3.01", "p3.0", "P3.1", "p3.17.1", "p-1.2",
                "p3.1234567890123456789", "")) {
            assertEquals(Optional.empty(), ReviewViews.route(bad, 4), bad);
        }
    }

    @Test
    void shouldNameTheClusterIdInADecisionsAnswer() throws Exception {
        ReviewViews.Routed r = new ReviewViews.Routed(2, "7");
        HttpAnswer ok = ReviewViews.decided(answer(2, 200, item(7, "2026-12-07T10:00:02Z", "opted-out")), "p2.7", r);
        assertEquals(200, ok.status());
        assertEquals("p2.7", JSON.readTree(ok.body()).path("id").asText());
        assertEquals("opted-out", JSON.readTree(ok.body()).path("status").asText());

        HttpAnswer conflict = ReviewViews.decided(answer(2, 409, "{\"error\": \"conflict\", \"message\": \"review item 7 is"
                + " dismissed already (2026-12-07T10:00:03Z by k1)\", \"field\": null}"), "p2.7", r);
        assertEquals(409, conflict.status());
        assertEquals("review item p2.7 is dismissed already (2026-12-07T10:00:03Z by k1)",
                JSON.readTree(conflict.body()).path("message").asText());

        HttpAnswer missing = ReviewViews.decided(answer(2, 404, "{\"error\": \"not_found\", \"message\": \"no review item '7'\","
                + " \"field\": null}"), "p2.7", r);
        assertEquals(404, missing.status());
        assertEquals("no review item 'p2.7'", JSON.readTree(missing.body()).path("message").asText());

        HttpAnswer forbidden = answer(2, 403, "{\"error\": \"forbidden\", \"message\": \"...\", \"field\": null}");
        assertEquals(forbidden, ReviewViews.decided(forbidden, "p2.7", r), "a refusal of the key is passed on as it is");
    }

    @Test
    void shouldNameTheClusterIdInAHeldReplysAnswer() throws Exception {
        HttpAnswer held = ReviewViews.held(answer(3, 200, "{\"action\": \"review\", \"scope\": \"sender:careful\", \"reply\": null,"
                + " \"review\": \"12\"}"));
        assertEquals("p3.12", JSON.readTree(held.body()).path("review").asText());
        HttpAnswer stop = answer(3, 200, "{\"action\": \"opt-out\", \"scope\": \"sender:demo\", \"reply\": \"...\"}");
        assertEquals(stop, ReviewViews.held(stop));
    }
}
