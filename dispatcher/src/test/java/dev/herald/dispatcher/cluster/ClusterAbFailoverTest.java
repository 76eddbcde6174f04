package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three cluster nodes as processes: the node running partition 0 (the A/B tests' coordinator) is
 * killed ({@code kill -9}) once an A/B test's sample is sent, so that the test's decision comes due
 * while partition 0 is moving. The decision is not lost: it is made once partition 0 has reopened on
 * another node, once for the whole campaign, and every partition holds it and sends its held
 * recipients the winner.
 */
class ClusterAbFailoverTest {

    private static final int RECIPIENTS = 3_000;
    private static final int PARTITIONS = 6;

    @TempDir
    Path tmp;

    @Test
    void aDecisionDueWhilePartitionZeroMovesIsMadeOnceItHasReopened() throws Exception {
        try (ClusterProcesses c = new ClusterProcesses(tmp, PARTITIONS, Map.of("herald.cluster.min-members", "3",
                "herald.service.release-poll", "1s"))) {
            c.start(3);
            JsonNode cluster = c.awaitCluster(0, 3, Duration.ofMinutes(3));
            int killed = -1;
            for (int i = 0; i < 3; i++) {
                if (ClusterFailoverTest.partitionsOf(cluster, c.node(i).address()).contains(0)) {
                    killed = i;
                }
            }
            assertTrue(killed >= 0, "no node runs partition 0: " + cluster);
            int via = (killed + 1) % 3;
            c.uploadAudience(via, RECIPIENTS);
            String create = """
                    {"name": "ab", "channel": "sms", "category": "marketing", "sender": "default",
                     "segment": "all", "variants": [{"text": "Hi A Reply STOP to opt out"}, {"text": "Hi B Reply STOP to opt out"}],
                     "test": {"sample": 0.2, "wait": "PT10S", "minPerVariant": 1, "metric": "conversion", "noWinner": "send-best"}}""";
            HttpResponse<String> made = c.post(via, "/v1/campaigns", "application/json", create.getBytes(StandardCharsets.UTF_8),
                    Duration.ofMinutes(2));
            assertEquals(201, made.statusCode(), made.body());
            String path = "/v1/campaigns/" + ClusterProcesses.JSON.readTree(made.body()).path("id").asText();
            JsonNode sampled = c.await(via, path, v -> v.path("experimentByPartition").size() == PARTITIONS
                    && v.path("counts").path("held").asLong() > 0 && v.path("counts").path("pending").asLong() == 0
                    && v.path("counts").path("inFlight").asLong() == 0, Duration.ofMinutes(2));
            Instant due = Instant.EPOCH;
            for (JsonNode e : sampled.path("experimentByPartition")) {
                Instant at = Instant.parse(e.path("decideAt").asText());
                due = at.isAfter(due) ? at : due;
                assertTrue(e.path("decidedAt").isNull(), "decided before its wait ended: " + e);
            }
            assertTrue(Instant.now().isBefore(due), "the wait ended before the kill: " + sampled);
            c.kill(killed);
            Instant killedAt = Instant.now();

            JsonNode done = c.await(via, path, v -> v.path("status").asText().equals("completed")
                    && v.path("partitions").path("answered").asInt() == PARTITIONS && v.has("experiment"), Duration.ofMinutes(4));
            JsonNode one = done.path("experiment");
            assertEquals("rule", one.path("decidedBy").asText(), done.toString());
            assertTrue(one.path("decision").isObject(), "every partition holds the same decision: " + done);
            assertTrue(Instant.parse(one.path("decidedAt").asText()).isAfter(killedAt), one.toString());
            for (JsonNode e : done.path("experimentByPartition")) {
                assertEquals(one.path("send"), e.path("send"), e.toString());
                assertEquals(one.path("decision"), e.path("decision"), e.toString());
            }
            long sum = 0;
            for (JsonNode n : done.path("counts")) {
                sum += n.asLong();
            }
            assertEquals(RECIPIENTS, sum, "every recipient has exactly one outcome: " + done);
            assertEquals(0, done.path("counts").path("held").asLong(), done.toString());
            // nobody twice in the connector's log (held recipients sent once, after the decision)
            long accepted = c.acceptedOnce(path.substring(path.lastIndexOf('/') + 1));
            long sent = done.path("counts").path("sent").asLong();
            long unknown = done.path("counts").path("unknown").asLong();
            assertTrue(accepted >= sent && accepted <= sent + unknown, "accepted " + accepted + ", sent " + sent
                    + ", unknown " + unknown);
        }
    }
}
