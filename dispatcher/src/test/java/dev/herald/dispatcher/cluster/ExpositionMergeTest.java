package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.metrics.HeraldMetrics;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** Expositions put together: each family declared once, each partition's series labelled, nothing twice. */
class ExpositionMergeTest {

    private static final String PARTITION = """
            # HELP herald_messages_total recipients
            # TYPE herald_messages_total counter
            herald_messages_total{outcome="sent"} 3.0
            herald_messages_total{outcome="failed"} 1.0
            # HELP herald_receipts_held receipts waiting
            # TYPE herald_receipts_held gauge
            herald_receipts_held 0.0
            # HELP herald_http_requests_seconds requests
            # TYPE herald_http_requests_seconds summary
            herald_http_requests_seconds_count{method="GET",route="/v1/x{y}",status="200"} 2
            herald_http_requests_seconds_sum{method="GET",route="/v1/x{y}",status="200"} 0.5
            """;

    @Test
    void shouldDeclareEachFamilyOnceAndLabelEveryPartitionsSeries() {
        ExpositionMerge m = new ExpositionMerge();
        m.add("# HELP jvm_threads_live_threads live\n# TYPE jvm_threads_live_threads gauge\njvm_threads_live_threads 12.0\n", null);
        m.add(PARTITION, 0);
        m.add(PARTITION.replace("3.0", "5.0"), 2);
        String text = m.text();
        Map<String, Double> series = ClusterLiveTest.parseExposition(text);
        assertEquals(12.0, series.get("jvm_threads_live_threads"), text);
        assertEquals(3.0, series.get("herald_messages_total{partition=\"0\",outcome=\"sent\"}"), text);
        assertEquals(5.0, series.get("herald_messages_total{partition=\"2\",outcome=\"sent\"}"), text);
        assertEquals(0.0, series.get("herald_receipts_held{partition=\"2\"}"), text);
        assertEquals(2.0, series.get("herald_http_requests_seconds_count{partition=\"0\",method=\"GET\",route=\"/v1/x{y}\","
                + "status=\"200\"}"), text);
        assertEquals(1, text.split("# TYPE herald_messages_total ", -1).length - 1, text);
        assertEquals(11, series.size(), text);
    }

    @Test
    void shouldLeaveOutAFamilyOfAnotherTypeAndASeriesSeenTwice() {
        ExpositionMerge m = new ExpositionMerge();
        m.add(PARTITION, 1);
        m.add(PARTITION, 1); // the same partition twice: nothing new
        m.add("# HELP herald_receipts_held other\n# TYPE herald_receipts_held counter\nherald_receipts_held 7.0\n", 3);
        String text = m.text();
        Map<String, Double> series = ClusterLiveTest.parseExposition(text);
        assertEquals(5, series.size(), text);
        assertFalse(text.contains("partition=\"3\""), text);
    }

    @Test
    void shouldMergeRealRegistriesIntoValidExposition() {
        HeraldMetrics node = HeraldMetrics.node();
        HeraldMetrics p0 = HeraldMetrics.partition();
        HeraldMetrics p1 = HeraldMetrics.partition();
        try {
            p0.httpRequest("GET", "/v1/campaigns", 200, 1_000_000);
            p1.httpRequest("GET", "/v1/campaigns", 200, 2_000_000);
            ExpositionMerge m = new ExpositionMerge();
            String own = node.scrape().toCompletableFuture().join();
            m.add(own, null);
            m.add(p0.scrape().toCompletableFuture().join(), 0);
            m.add(p1.scrape().toCompletableFuture().join(), 1);
            String text = m.text();
            Map<String, Double> series = ClusterLiveTest.parseExposition(text);
            assertTrue(own.contains("jvm_"), own);
            assertFalse(own.contains("herald_messages_total"), "the node has no campaigns of its own: " + own);
            assertTrue(series.containsKey("herald_messages_total{partition=\"1\",outcome=\"sent\"}"), text);
            assertTrue(series.keySet().stream().filter(k -> k.contains("partition=")).noneMatch(k -> k.startsWith("jvm_")
                    || k.startsWith("process_") || k.startsWith("herald_store_torn_tails")), "a partition shows no JVM: " + text);
            assertEquals(1, series.keySet().stream().filter(k -> k.startsWith("herald_store_torn_tails_total")).count(), text);
        } finally {
            node.close();
            p0.close();
            p1.close();
        }
    }
}
