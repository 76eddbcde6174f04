package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.dispatcher.links.DelayHistogram;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** {@link JourneyViews} and {@link FunnelViews}: partitions' reports put together as one node's. */
class ReportViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpAnswer answer(int partition, int status, String json) {
        return new HttpAnswer(partition, status, List.of(), "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode body(HttpAnswer a) throws Exception {
        return JSON.readTree(a.body());
    }

    private static String journeyView(String status, int version) {
        return "{\"id\": \"j-1\", \"name\": \"W\", \"status\": \"" + status + "\", \"version\": " + version
                + ", \"createdAt\": \"2026-12-07T10:00:0" + version + "Z\", \"updatedAt\": \"2026-12-07T11:00:00Z\"}";
    }

    @Test
    void shouldNameThePartitionsAChangeDidNotReach() throws Exception {
        HttpAnswer partly = JourneyViews.changed(List.of(answer(0, 200, journeyView("paused", 1)),
                answer(1, 503, "{\"error\": \"partition_unavailable\", \"message\": \"partition 1 did not answer\"}"),
                answer(2, 200, journeyView("paused", 1)),
                answer(3, 500, "{\"error\": \"storage_failed\", \"message\": \"disk full\"}")), "pause of journey j-1");
        assertEquals(503, partly.status());
        JsonNode e = body(partly);
        assertEquals("partly_changed", e.path("error").asText());
        String m = e.path("message").asText();
        assertTrue(m.contains("2 of 4") && m.contains("partition 1 (503 partition_unavailable") && m.contains("partition 3 (500"
                + " storage_failed: disk full)"), m);
        // refused by all: one node's refusal
        HttpAnswer refused = JourneyViews.changed(List.of(answer(0, 409, "{\"error\": \"invalid_state\"}"),
                answer(1, 409, "{\"error\": \"invalid_state\"}")), "pause");
        assertEquals(409, refused.status());
        // a create that failed on one: the key to send again with
        HttpAnswer created = JourneyViews.created(List.of(answer(0, 201, journeyView("active", 1)),
                answer(1, 503, "{\"error\": \"partition_unavailable\", \"message\": \"x\"}")), "key-7");
        assertEquals(503, created.status());
        assertTrue(body(created).path("message").asText().contains("Idempotency-Key: key-7"), created.text());
    }

    @Test
    void shouldShowAJourneyOutOfStepWhenItsPartitionsDisagree() throws Exception {
        JsonNode j = body(JourneyViews.journey(List.of(answer(0, 200, journeyView("active", 2)),
                answer(1, 200, journeyView("paused", 2)), answer(2, 200, journeyView("active", 1)))));
        assertEquals("mixed", j.path("status").asText());
        assertEquals(2, j.path("version").asInt());
        assertEquals(3, j.path("outOfStep").size());
        assertEquals("2026-12-07T10:00:01Z", j.path("createdAt").asText(), "the earliest");
        JsonNode partly = body(JourneyViews.journey(List.of(answer(0, 200, journeyView("active", 1)),
                answer(1, 404, "{\"error\": \"not_found\", \"message\": \"no journey 'j-1'\"}"),
                answer(2, 200, journeyView("active", 1)))));
        assertEquals("mixed", partly.path("status").asText(), partly.toString());
        assertEquals(3, partly.path("outOfStep").size(), partly.toString());
        assertEquals("missing", partly.path("outOfStep").path(2).path("status").asText(), partly.toString());
        assertEquals(1, partly.path("outOfStep").path(2).path("partition").asInt(), partly.toString());
        JsonNode same = body(JourneyViews.journey(List.of(answer(0, 200, journeyView("active", 1)),
                answer(1, 200, journeyView("active", 1)))));
        assertEquals("active", same.path("status").asText());
        assertTrue(same.path("outOfStep").isMissingNode(), same.toString());
    }

    private static String report(long entered, long converted, long sent, String day, long dayEntered) {
        return "{\"journey\": \"j-1\", \"name\": \"W\", \"status\": \"active\", \"version\": 1, \"entered\": " + entered
                + ", \"waiting\": 1, \"exited\": {\"done\": 2}, \"converted\": " + converted + ", \"conversionRate\": "
                + (entered == 0 ? 0 : Math.round(converted * 10000.0 / entered) / 10000.0)
                + ", \"versions\": [{\"version\": 1, \"steps\": [{\"id\": \"hello\", \"type\": \"send\", \"now\": 0, \"arrived\": "
                + entered + ", \"campaign\": \"j-1.1.0\", \"outcomes\": {\"sent\": " + sent + "}, \"sent\": " + sent
                + ", \"delivered\": 0, \"clicked\": 0, \"converted\": " + converted + "}]}], \"runs\": 1,"
                + " \"flow\": {\"zone\": \"UTC\", \"days\": 1, \"steps\": [\"hello\"], \"reasons\": [\"done\"], \"rows\": [{\"day\": \""
                + day + "\", \"entered\": " + dayEntered + ", \"arrived\": {\"hello\": " + dayEntered + "}, \"exited\": {\"done\": 2}}]}}";
    }

    @Test
    void shouldSumAJourneyReportAndRecomputeItsRateFromTheSums() throws Exception {
        // 1 of 2 (0.5) and 1 of 98 (~0.0102): the average of the rates would be 0.2551, the rate of the sums is 0.02
        JsonNode r = body(JourneyViews.report(List.of(answer(0, 200, report(2, 1, 2, "2026-12-07", 2)),
                answer(1, 200, report(98, 1, 97, "2026-12-07", 98)))));
        assertEquals(100, r.path("entered").asLong());
        assertEquals(2, r.path("converted").asLong());
        assertEquals(0.02, r.path("conversionRate").asDouble(), 1e-9, r.toString());
        assertEquals(4, r.path("exited").path("done").asLong());
        JsonNode step = r.path("versions").path(0).path("steps").path(0);
        assertEquals(99, step.path("sent").asLong());
        assertEquals(99, step.path("outcomes").path("sent").asLong());
        assertEquals(100, step.path("arrived").asLong());
        JsonNode row = r.path("flow").path("rows").path(0);
        assertEquals(100, row.path("entered").asLong());
        assertEquals(100, row.path("arrived").path("hello").asLong());
        assertEquals(2, r.path("runs").asLong());
    }

    private static String funnel(long sent, long delivered, long clicked, long converted, long whoClicked, String value,
                                 DelayHistogram h) throws Exception {
        return "{\"campaign\": \"c-1\", \"name\": \"s\", \"status\": \"completed\", \"total\": " + sent + ", \"steps\": {\"sent\": "
                + sent + ", \"delivered\": " + delivered + ", \"undelivered\": 0, \"expired\": 0, \"noReceipt\": "
                + (sent - delivered) + ", \"clicked\": " + clicked + ", \"converted\": " + converted + ", \"optedOut\": 0},"
                + " \"rates\": {}, \"undelivered\": {}, \"clicks\": {\"human\": {\"recipients\": " + clicked + ", \"clicks\": "
                + clicked * 2 + "}}, \"conversions\": {\"conversions\": " + converted + ", \"recipients\": " + converted
                + ", \"recipientsWhoClicked\": " + whoClicked + ", \"value\": {\"GBP\": \"" + value + "\"}},"
                + " \"timing\": {\"sendToDelivery\": " + histogram(h) + ", \"deliveryToClick\": " + histogram(new DelayHistogram())
                + "}, \"links\": [], \"tracked\": false}";
    }

    private static String histogram(DelayHistogram h) throws Exception {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("count", h.count());
        m.put("buckets", h.buckets());
        m.put("fine", h.fine());
        return JSON.writeValueAsString(m);
    }

    @Test
    void shouldSumAFunnelRecomputeItsRatesAndReadPercentilesFromTheSummedHistogram() throws Exception {
        Random random = new Random(7);
        DelayHistogram a = new DelayHistogram();
        DelayHistogram b = new DelayHistogram();
        DelayHistogram both = new DelayHistogram();
        for (int i = 0; i < 5_000; i++) {
            long fast = random.nextInt(30);
            long slow = 600 + random.nextInt(20_000);
            a.add(fast);
            both.add(fast);
            if (i % 3 == 0) {
                b.add(slow);
                both.add(slow);
            }
        }
        JsonNode f = body(FunnelViews.campaign(List.of(answer(0, 200, funnel(10, 10, 5, 4, 4, "10.10", a)),
                answer(1, 200, funnel(990, 100, 1, 1, 0, "0.15", b)))));
        assertEquals(1000, f.path("steps").path("sent").asLong());
        assertEquals(890, f.path("steps").path("noReceipt").asLong());
        assertEquals(0.11, f.path("rates").path("delivered").asDouble(), 1e-9, "110 of 1000, not the average of 1 and 0.101");
        assertEquals(0.0545, f.path("rates").path("clicked").asDouble(), 1e-9, "6 of 110");
        assertEquals(0.6667, f.path("rates").path("converted").asDouble(), 1e-9, "4 of 6 who clicked");
        assertEquals(0.005, f.path("rates").path("convertedOfSent").asDouble(), 1e-9);
        assertEquals("10.25", f.path("conversions").path("value").path("GBP").asText());
        assertEquals(12, f.path("clicks").path("human").path("clicks").asLong());
        JsonNode t = f.path("timing").path("sendToDelivery");
        assertEquals(both.count(), t.path("count").asLong());
        assertEquals(both.percentile(0.5), t.path("p50Seconds").asLong(), t.toString());
        assertEquals(both.percentile(0.9), t.path("p90Seconds").asLong(), t.toString());
        assertEquals(both.percentile(0.99), t.path("p99Seconds").asLong(), t.toString());
        assertEquals(JSON.readTree(JSON.writeValueAsString(both.buckets())), JSON.readTree(t.path("buckets").toString()));
        assertTrue(t.path("fine").isMissingNode(), "the summed buckets are not shown");
        assertTrue(f.path("timing").path("deliveryToClick").path("p50Seconds").isNull());
        // a partition without its fine buckets: percentiles unknown rather than guessed
        String old = funnel(10, 10, 5, 4, 4, "1", a).replaceAll(",\"fine\":\\{[^}]*\\}", "");
        assertTrue(!old.contains("fine"), old);
        JsonNode partial = body(FunnelViews.campaign(List.of(answer(0, 200, old), answer(1, 200, funnel(990, 100, 1, 1, 0, "0", b)))));
        assertTrue(partial.path("timing").path("sendToDelivery").path("p50Seconds").isNull(), partial.toString());
    }
}
