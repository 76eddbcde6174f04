package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three Herald cluster nodes as processes on loopback ports, one campaign over the whole audience
 * through the simulated connector (each partition's accepted log in its folder: together the
 * connector's log), and {@code kill -9} of one node in the middle of the send. Its partitions move
 * once the split-brain resolver has downed it, and the campaign completes: no recipient is in the
 * connector's log twice, every recipient has exactly one outcome, {@code unknown} stays within one
 * connector window per moved partition, and the opt-outs made through a surviving node during the
 * failover are never followed by a marketing message.
 */
class ClusterFailoverTest {

    /** Audience size; the 1,000,000 by default. */
    private static final int RECIPIENTS = Integer.getInteger("herald.cluster.recipients", 1_000_000);
    private static final int PARTITIONS = 16;
    private static final int WINDOW = 64;
    private static final int OPT_OUTS = 200;

    @TempDir
    Path tmp;

    @Test
    void aNodeKilledMidCampaignCostsNoDuplicateAndNoMissedOptOut() throws Exception {
        try (ClusterProcesses c = new ClusterProcesses(tmp, PARTITIONS, Map.of("herald.cluster.min-members", "3",
                "herald.service.connector.window", Integer.toString(WINDOW)))) {
            c.start(3);
            JsonNode cluster = c.awaitCluster(0, 3, Duration.ofMinutes(3));

            // the audience, uploaded through node 0 (split by partition); a marketing campaign at a
            // rate that makes it last about 25 s
            c.uploadAudience(0, RECIPIENTS);
            String id = c.marketingCampaign(1, "failover", Math.max(1000, RECIPIENTS / 25));

            // kill -9 the third node once a quarter of the audience has been sent
            c.await(0, "/v1/campaigns/" + id, v -> v.path("counts").path("sent").asLong() >= RECIPIENTS / 4,
                    Duration.ofMinutes(3));
            Set<Integer> moved = partitionsOf(cluster, c.node(2).address());
            assertFalse(moved.isEmpty(), "node 2 runs no partition: " + cluster);
            long killedAt = System.nanoTime();
            long killedAtMillis = System.currentTimeMillis();
            c.kill(2);

            // opt-outs of recipients of the moved partitions, made through node 0 during the failover:
            // each retried until acknowledged (the partition answers once it is open again)
            Partitioner partitioner = new Partitioner(PARTITIONS);
            List<Integer> chosen = new ArrayList<>();
            Random random = new Random(20);
            while (chosen.size() < OPT_OUTS) {
                int i = random.nextInt(RECIPIENTS);
                if (moved.contains(partitioner.of(phone(i))) && !chosen.contains(i)) {
                    chosen.add(i);
                }
            }
            Map<Integer, Long> acknowledged = new HashMap<>();
            long movedBackAt = -1;
            for (int from = 0; from < chosen.size(); from += 10) {
                List<Integer> batch = chosen.subList(from, Math.min(chosen.size(), from + 10));
                StringBuilder phones = new StringBuilder();
                for (int i : batch) {
                    phones.append(phones.length() == 0 ? "" : ", ").append('"').append(phone(i)).append('"');
                }
                byte[] body = ("{\"phones\": [" + phones + "], \"scope\": \"global\", \"reason\": \"during failover\"}")
                        .getBytes(StandardCharsets.UTF_8);
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (true) {
                    HttpResponse<String> r;
                    try {
                        r = c.post(0, "/v1/suppressions", "application/json", body, Duration.ofSeconds(30));
                    } catch (IOException timedOut) {
                        r = null;
                    }
                    if (r != null && (r.statusCode() == 201 || r.statusCode() == 200)) {
                        JsonNode a = ClusterProcesses.JSON.readTree(r.body());
                        assertEquals(batch.size(), a.path("suppressed").asLong() + a.path("alreadySuppressed").asLong(),
                                r.body());
                        long at = System.currentTimeMillis();
                        batch.forEach(i -> acknowledged.put(i, at));
                        if (movedBackAt < 0) {
                            movedBackAt = System.nanoTime();
                        }
                        break;
                    }
                    assertTrue(r == null || r.statusCode() == 503, "an opt-out was refused: " + (r == null ? "" : r.body()));
                    assertTrue(System.nanoTime() < deadline, "opt-outs not acknowledged within 2 minutes of the kill\n"
                            + c.logs());
                    Thread.sleep(200);
                }
            }
            System.out.printf("cluster failover: first opt-out to a moved partition acknowledged %.1f s after the kill%n",
                    (movedBackAt - killedAt) / 1e9);

            // the campaign completes on the two nodes left
            JsonNode done = c.await(0, "/v1/campaigns/" + id, v -> v.path("status").asText().equals("completed")
                    && v.path("partitions").path("answered").asInt() == PARTITIONS, Duration.ofMinutes(5));
            JsonNode counts = done.path("counts");
            long sum = 0;
            for (JsonNode n : counts) {
                sum += n.asLong();
            }
            assertEquals(RECIPIENTS, done.path("total").asLong(), done.toString());
            assertEquals(RECIPIENTS, sum, "every recipient has exactly one outcome: " + done);
            assertEquals(0, counts.path("pending").asLong(), done.toString());
            assertEquals(0, counts.path("inFlight").asLong(), done.toString());
            long unknown = counts.path("unknown").asLong();
            assertTrue(unknown <= (long) moved.size() * WINDOW, "unknown " + unknown + " is more than one window of " + WINDOW
                    + " per moved partition (" + moved.size() + ")");

            // the connector's log: nobody twice, and what it accepted is what the campaign says was sent
            long accepted = c.acceptedOnce(id);
            long sent = counts.path("sent").asLong();
            assertTrue(accepted >= sent && accepted <= sent + unknown, "accepted " + accepted + ", sent " + sent + ", unknown "
                    + unknown);

            // no marketing message after an acknowledged opt-out
            int suppressedInTime = 0;
            for (Map.Entry<Integer, Long> e : acknowledged.entrySet()) {
                String p = phone(e.getKey()).replace("+", "%2B");
                JsonNode r = c.get(0, "/v1/campaigns/" + id + "/recipients/" + p);
                String outcome = r.path("outcome").asText();
                if (outcome.startsWith("suppressed")) {
                    suppressedInTime++;
                    continue;
                }
                assertTrue(outcome.equals("sent") || outcome.equals("unknown"), r.toString());
                if (outcome.equals("unknown") && r.path("message").isNull()) {
                    // claimed by the killed process and never answered: its message record died with it (the
                    // log is written once answered), and a moved partition never resends an unknown one. So if it
                    // was handed over, that was in the killed process, before the kill, before this opt-out
                    assertTrue(e.getValue() >= killedAtMillis, "acknowledged before the kill: " + r);
                    continue;
                }
                JsonNode handed = r.path("message").path("handedAt");
                assertTrue(handed.isTextual(), "a sent recipient without its message: " + r);
                assertTrue(Instant.parse(handed.asText()).toEpochMilli() <= e.getValue(),
                        "a marketing message was handed over at " + handed.asText() + ", after the opt-out was acknowledged at "
                                + Instant.ofEpochMilli(e.getValue()) + ": " + r);
            }
            System.out.printf("cluster failover: %d recipients, %d partitions moved, %d unknown, %d of %d opt-outs in time to"
                    + " suppress%n", RECIPIENTS, moved.size(), unknown, suppressedInTime, acknowledged.size());
        }
    }

    /** The partitions {@code cluster} shows at the member {@code address}. */
    static Set<Integer> partitionsOf(JsonNode cluster, String address) {
        Set<Integer> out = new HashSet<>();
        for (JsonNode m : cluster.path("members")) {
            if (m.path("address").asText().equals(address)) {
                m.path("partitions").forEach(p -> out.add(p.asInt()));
            }
        }
        return out;
    }

    static String phone(int i) {
        return ClusterProcesses.phone(i);
    }
}
