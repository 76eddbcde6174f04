package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.connector.smpp.NodeSmsc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An SMPP account on a cluster of two real node processes, against an independent SMSC
 * (node-smpp, {@link NodeSmsc}): each node binds its share of the account's binds; a campaign's
 * messages reach the SMSC once each; the SMSC sends every receipt on a bind other than the one that
 * took its message (often the other node's), some even before its {@code submit_sm_resp}, and every
 * one still reaches the partition that sent the message (delivered = sent); STOP replies arriving on
 * whichever node's bind reach the sender's partition, are in force there and are confirmed.
 */
class ClusterSmppTest {

    private static final int RECIPIENTS = 3_000;
    private static final int PARTITIONS = 8;

    @TempDir
    Path tmp;

    @Test
    void receiptsAndRepliesOnAnyNodesBindReachTheRecipientsPartition() throws Exception {
        try (NodeSmsc smsc = NodeSmsc.start(tmp, "--receipts-elsewhere", "--receipt-delay-ms", "5",
                "--early-receipt-every", "40");
             ClusterProcesses c = new ClusterProcesses(tmp, PARTITIONS, account(smsc.port()))) {
            c.start(2);
            c.awaitCluster(0, 2, Duration.ofMinutes(2));
            awaitBound(smsc, 4); // 4 binds over 2 nodes: 2 each
            // the partitions spread over both nodes (sharding may move some once both are up)
            c.await(0, "/v1/cluster", s -> {
                for (JsonNode m : s.path("members")) {
                    if (m.path("partitions").size() != PARTITIONS / 2) {
                        return false;
                    }
                }
                return s.path("open").asInt() == PARTITIONS;
            }, Duration.ofMinutes(1));
            c.uploadAudience(0, RECIPIENTS);

            String create = "{\"name\": \"orders\", \"channel\": \"sms\", \"category\": \"transactional\", \"sender\":"
                    + " \"ACME\", \"connector\": \"smsc\", \"text\": \"Your order ships today, {{first_name}}\","
                    + " \"segment\": \"all\"}";
            var created = c.post(1, "/v1/campaigns", "application/json", create.getBytes(StandardCharsets.UTF_8),
                    Duration.ofMinutes(2));
            assertEquals(201, created.statusCode(), created.body());
            String id = ClusterProcesses.JSON.readTree(created.body()).path("id").asText();
            JsonNode done = c.await(0, "/v1/campaigns/" + id, s -> s.path("status").asText().equals("completed"),
                    Duration.ofMinutes(3));
            JsonNode counts = done.path("counts");
            long sent = counts.path("sent").asLong();
            assertEquals(RECIPIENTS, sent, "every recipient sent: " + done);

            List<JsonNode> taken = smsc.taken();
            Map<String, Integer> perNumber = new HashMap<>();
            taken.forEach(t -> perNumber.merge(t.path("to").asText().replace("+", ""), 1, Integer::sum));
            perNumber.forEach((n, k) -> assertEquals(1, k, "recipient " + n + " taken twice"));
            assertEquals(sent, taken.size(), "the SMSC took exactly the sent ones");

            // every receipt found its partition, through whichever node's bind it came
            JsonNode delivered = c.await(1, "/v1/campaigns/" + id,
                    s -> s.path("delivery").path("delivered").asLong() >= sent, Duration.ofMinutes(2));
            assertEquals(sent, delivered.path("delivery").path("delivered").asLong(), delivered.toString());
            JsonNode stats = smsc.stats();
            assertEquals(sent, stats.path("receipts").asLong(), stats.toString());
            assertEquals(sent, stats.path("receiptsElsewhere").asLong(), "every receipt came on another bind: " + stats);
            assertEquals(4, stats.path("bound").asInt(), stats.toString());

            // /metrics of both nodes: each node's binds once, without a partition label (they are the node's);
            // every partition's sends through the account once, labelled, on the node that hosts it
            double bindsUp = 0;
            double accepted = 0;
            double sends = 0;
            java.util.Set<String> partitionsShown = new java.util.HashSet<>();
            for (int n = 0; n < 2; n++) {
                String text = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + c.node(n).httpPort + "/metrics")).GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                Map<String, Double> series = ClusterLiveTest.parseExposition(text);
                bindsUp += series.getOrDefault("herald_smpp_binds_up{connector=\"smsc\"}", 0.0);
                accepted += series.getOrDefault("herald_smpp_parts_accepted_total{connector=\"smsc\"}", 0.0);
                for (Map.Entry<String, Double> e : series.entrySet()) {
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                            "^herald_connector_sends_total\\{partition=\"(\\d+)\",connector=\"smsc\"}$").matcher(e.getKey());
                    if (m.matches()) {
                        assertTrue(partitionsShown.add(m.group(1)), "partition " + m.group(1) + " shown twice");
                        sends += e.getValue();
                    }
                }
            }
            assertEquals(4.0, bindsUp, "the nodes' binds, each node's once");
            assertEquals((double) sent, accepted, "parts the SMSC accepted, counted by the node whose bind took them");
            assertEquals((double) sent, sends, "sends of every partition, each partition once: " + partitionsShown);
            assertEquals(PARTITIONS, partitionsShown.size(), partitionsShown.toString());

            // STOP from six recipients, each on the first bound session (one node's), whatever their partition
            for (int i = 0; i < 6; i++) {
                String from = ClusterProcesses.phone(100 + i).substring(1);
                smsc.command("{\"cmd\":\"mo\",\"from\":\"" + from + "\",\"to\":\"60600\",\"text\":\"STOP\"}");
                JsonNode resp = smsc.await(e -> e.path("event").asText().equals("mo-resp") && e.path("from").asText()
                        .equals(from), Duration.ofSeconds(60));
                assertEquals(0, resp.path("status").asInt(), "acknowledged once durable: " + resp);
            }
            Partitioner partitioner = new Partitioner(PARTITIONS);
            java.util.Set<Integer> partitions = new java.util.HashSet<>();
            for (int i = 0; i < 6; i++) {
                String phone = ClusterProcesses.phone(100 + i);
                partitions.add(partitioner.of(phone));
                JsonNode s = c.get(i % 2, "/v1/suppressions/" + phone.replace("+", "%2B"));
                assertTrue(s.path("suppressed").asBoolean(), phone + " suppressed on its partition: " + s);
            }
            assertTrue(partitions.size() > 1, "the replies' senders are on several partitions: " + partitions);
            // each was confirmed once through the SMPP account (60600 is the demo sender's number)
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Map<String, Integer> after;
            do {
                after = new HashMap<>();
                for (JsonNode t : smsc.taken()) {
                    if (t.path("text").asText().startsWith("You are unsubscribed from Herald Demo")) {
                        after.merge(t.path("to").asText().replace("+", ""), 1, Integer::sum);
                    }
                }
                boolean all = true;
                for (int i = 0; i < 6; i++) {
                    all &= after.getOrDefault(ClusterProcesses.phone(100 + i).substring(1), 0) == 1;
                }
                if (all) {
                    break;
                }
                Thread.sleep(200);
            } while (System.nanoTime() < deadline);
            for (int i = 0; i < 6; i++) {
                assertEquals(1, after.getOrDefault(ClusterProcesses.phone(100 + i).substring(1), 0),
                        "one STOP confirmation to " + ClusterProcesses.phone(100 + i));
            }
        }
    }

    private static Map<String, String> account(int port) {
        Map<String, String> p = new HashMap<>();
        p.put("herald.cluster.min-members", "2");
        p.put("herald.cluster.nodes", "2");
        p.put("herald.connectors.smsc.type", "smpp");
        p.put("herald.connectors.smsc.host", "127.0.0.1");
        p.put("herald.connectors.smsc.port", Integer.toString(port));
        p.put("herald.connectors.smsc.system-id", "herald");
        p.put("herald.connectors.smsc.password", "secret");
        p.put("herald.connectors.smsc.binds", "4");
        p.put("herald.connectors.smsc.window", "20");
        return p;
    }

    private static void awaitBound(NodeSmsc smsc, int binds) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode stats = smsc.stats();
        while (stats.path("bound").asInt() < binds && System.nanoTime() < deadline) {
            Thread.sleep(200);
            stats = smsc.stats();
        }
        assertEquals(binds, stats.path("bound").asInt(), "bound sessions: " + stats);
    }
}
