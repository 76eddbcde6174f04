package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A network partition between test hosts (one network namespace per node, made by the test): the
 * node cut off from the other two is the minority, so Pekko's split-brain resolver (keep-majority)
 * downs it on both sides. The downed node stops its partitions (campaigns stopped, stores closed,
 * locks released) and exits; only then does the majority open them, and the campaign completes
 * with nobody in the connector's log twice.
 */
class ClusterNetworkPartitionTest {

    private static final int RECIPIENTS = 100_000;
    private static final int PARTITIONS = 16;
    private static final int WINDOW = 64;
    private static final Pattern PARTITION_LINE = Pattern.compile(
            "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*PartitionEntity - partition (\\d+) (open|closed) on ");

    @TempDir
    Path tmp;

    @Test
    void theDownedSideStopsSendingBeforeTheOtherSideTakesItsPartitions() throws Exception {
        try (NetNamespaces hosts = NetNamespaces.create(3);
             ClusterProcesses c = new ClusterProcesses(tmp, PARTITIONS, Map.of("herald.cluster.min-members", "3",
                     "herald.service.connector.window", Integer.toString(WINDOW))).placed(hosts::exec, hosts::address)) {
            c.start(3);
            JsonNode cluster = c.awaitCluster(0, 3, Duration.ofMinutes(3));
            Set<Integer> minority = ClusterFailoverTest.partitionsOf(cluster, c.node(2).address());
            assertFalse(minority.isEmpty(), cluster.toString());

            c.uploadAudience(0, RECIPIENTS);
            String id = c.marketingCampaign(0, "split", 6000);
            c.await(0, "/v1/campaigns/" + id, v -> v.path("counts").path("sent").asLong() >= RECIPIENTS / 5,
                    Duration.ofMinutes(2));

            // cut node 2 off: it is downed (the minority) and must exit by itself
            hosts.cut(2);
            Process cutOff = c.node(2).process;
            assertTrue(cutOff.waitFor(3, TimeUnit.MINUTES), "the cut-off node did not stop by itself\n" + c.logs());
            LocalTime exitedAt = LocalTime.now();
            assertEquals(3, cutOff.exitValue(), "the downed node's exit code\n" + c.logs());

            JsonNode done = c.await(0, "/v1/campaigns/" + id, v -> v.path("status").asText().equals("completed")
                    && v.path("partitions").path("answered").asInt() == PARTITIONS, Duration.ofMinutes(5));
            long sum = 0;
            for (JsonNode n : done.path("counts")) {
                sum += n.asLong();
            }
            assertEquals(RECIPIENTS, sum, done.toString());
            long unknown = done.path("counts").path("unknown").asLong();
            assertTrue(unknown <= (long) minority.size() * WINDOW, "unknown " + unknown);

            // each of its partitions closed on the downed node before it opened on the majority's side
            Map<Integer, LocalTime> closedThere = times(c.node(2).log, "closed");
            Map<Integer, LocalTime> openedHere = new HashMap<>();
            for (int n = 0; n < 2; n++) {
                times(c.node(n).log, "open").forEach((p, t) -> openedHere.merge(p, t, (a, b) -> a.isAfter(b) ? a : b));
            }
            for (int p : minority) {
                LocalTime stopped = closedThere.getOrDefault(p, exitedAt);
                LocalTime opened = openedHere.get(p);
                assertNotNull(opened, "partition " + p + " never opened on the majority's side\n" + c.logs());
                assertTrue(opened.isAfter(stopped), "partition " + p + " opened on the majority's side at " + opened
                        + ", before the downed node let it go at " + stopped + "\n" + c.logs());
            }
            assertTrue(closedThere.keySet().containsAll(minority), "the downed node did not close every partition cleanly: "
                    + closedThere.keySet() + " of " + minority + "\n" + c.logs());

            c.acceptedOnce(id);
        }
    }

    /** Partition → the time of its last {@code what} ("open" or "closed") line in a node's log. */
    private static Map<Integer, LocalTime> times(Path log, String what) throws java.io.IOException {
        Map<Integer, LocalTime> out = new HashMap<>();
        for (String line : Files.readAllLines(log)) {
            Matcher m = PARTITION_LINE.matcher(line);
            if (m.find() && m.group(3).equals(what)) {
                out.put(Integer.parseInt(m.group(2)), LocalTime.parse(m.group(1)));
            }
        }
        return out;
    }
}
