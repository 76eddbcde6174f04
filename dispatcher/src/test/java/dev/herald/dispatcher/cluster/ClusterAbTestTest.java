package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.experiment.VariantCounts;
import dev.herald.dispatcher.experiment.WinnerDecision;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An A/B test on a cluster of one in this JVM with three partitions: conversions are made so that
 * one partition's sample alone would pick variant A and the others' B; no partition decides alone,
 * the whole sample's figures decide once (the test's rule on the sums, as one node holding every
 * recipient would), and every partition sends its held recipients the same winner.
 */
class ClusterAbTestTest {

    private static final String KEY = "hk_cluster_ab_test_admin_key_0123456789";
    private static final int PARTITIONS = 3;
    private static final int AUDIENCE = 150;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final WinnerDecision RULE = new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.SEND_BEST);

    @TempDir
    static Path tmp;

    private static ClusterNode node;
    private static String tz;

    @BeforeAll
    static void start() throws Exception {
        tz = ClusterProcesses.afternoonZone();
        Config config = ConfigFactory.parseString("herald.cluster { enabled = true, partitions = " + PARTITIONS
                        + ", port = 0, storage-root = \"" + tmp.resolve("root")
                        + "\", keep-alive = 200ms, open-retry = 200ms, partition-capacity = 20000 }\n"
                        + "herald.service.directory-capacity = 20000\nherald.service.release-poll = 1s")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
        node = ClusterNode.start(tmp.resolve("node"), config, settings,
                ClusterSettings.fromConfig(config, tmp.resolve("node"), settings.directoryCapacity()),
                Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
        await("/v1/cluster", s -> s.path("open").asInt() == PARTITIONS, 30);
        StringBuilder csv = new StringBuilder("phone,tz\n");
        for (int i = 0; i < AUDIENCE; i++) {
            csv.append(phone(i)).append(',').append(tz).append('\n');
        }
        assertEquals(201, call("POST", "/v1/segments/audience", "text/csv", csv.toString()).statusCode());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.stop().toCompletableFuture().join();
        }
    }

    @Test
    void theWholeSampleDecidesOnceAndEveryPartitionSendsItsWinner() throws Exception {
        HttpResponse<String> made = call("POST", "/v1/campaigns", "application/json", """
                {"name": "ab", "channel": "sms", "category": "marketing", "sender": "acme",
                 "footer": "Reply STOP to opt out", "segment": "audience",
                 "variants": [{"text": "Hi, variant A"}, {"text": "Hi, variant B"}],
                 "test": {"sample": 0.5, "wait": "PT15S", "minPerVariant": 1, "alpha": 0.05, "metric": "conversion",
                          "noWinner": "send-best"}}""");
        assertEquals(201, made.statusCode(), made.body());
        String id = JSON.readTree(made.body()).path("id").asText();
        String path = "/v1/campaigns/" + id;
        JsonNode held = await(path, c -> {
            long sample = 0;
            for (JsonNode e : c.path("experimentByPartition")) {
                for (JsonNode v : e.path("sample")) {
                    sample += v.asLong();
                }
            }
            return c.path("experimentByPartition").size() == PARTITIONS && sample > 0
                    && c.path("counts").path("held").asLong() == AUDIENCE - sample
                    && c.path("counts").path("pending").asLong() == 0 && c.path("counts").path("inFlight").asLong() == 0;
        }, 30);
        assertFalse(held.has("experiment"), "undecided: no whole-campaign decision yet: " + held);

        // each sample recipient's partition and variant
        Partitioner partitioner = new Partitioner(PARTITIONS);
        long[][] exposed = new long[PARTITIONS][2];
        List<List<List<String>>> given = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            given.add(List.of(new ArrayList<>(), new ArrayList<>()));
        }
        for (int i = 0; i < AUDIENCE; i++) {
            JsonNode r = JSON.readTree(call("GET", path + "/recipients/" + enc(phone(i)), null, null).body());
            String variant = r.path("variant").isNull() ? null : r.path("variant").asText(null);
            if (variant != null) {
                assertEquals("sent", r.path("outcome").asText(), r.toString());
                int p = partitioner.of(phone(i));
                int v = variant.equals("A") ? 0 : 1;
                exposed[p][v]++;
                given.get(p).get(v).add(phone(i));
            }
        }
        // partition 0: every A recipient converts, no B; the others: every B recipient, no A
        long[][] successes = new long[PARTITIONS][2];
        StringBuilder orders = new StringBuilder();
        int n = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            int v = p == 0 ? 0 : 1;
            for (String phone : given.get(p).get(v)) {
                orders.append("{\"phone\": \"").append(phone).append("\", \"campaign\": \"").append(id)
                        .append("\", \"orderId\": \"o-").append(n++).append("\", \"value\": 10, \"currency\": \"GBP\"}\n");
                successes[p][v]++;
            }
        }
        HttpResponse<String> r = call("POST", "/v1/conversions", "application/x-ndjson", orders.toString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(n, JSON.readTree(r.body()).path("recorded").asLong(), r.body());

        // alone, partition 0 would send A and the others B; the whole sample's rule decides
        List<VariantCounts> whole = List.of(new VariantCounts("A", sum(exposed, 0), sum(successes, 0)),
                new VariantCounts("B", sum(exposed, 1), sum(successes, 1)));
        assertEquals("A", RULE.decide(counts(exposed[0], successes[0])).send());
        for (int p = 1; p < PARTITIONS; p++) {
            assertEquals("B", RULE.decide(counts(exposed[p], successes[p])).send());
        }
        WinnerDecision.Decision expected = RULE.decide(whole);
        assertEquals("B", expected.send(), whole.toString());

        JsonNode done = await(path, c -> c.path("status").asText().equals("completed"), 60);
        assertEquals(AUDIENCE, done.path("counts").path("sent").asLong(), done.toString());
        assertEquals(PARTITIONS, done.path("experimentByPartition").size(), done.toString());
        for (JsonNode e : done.path("experimentByPartition")) {
            assertEquals("rule", e.path("decidedBy").asText(), e.toString());
            assertEquals("B", e.path("send").asText(), e.toString());
            JsonNode d = e.path("decision");
            assertEquals(expected.reason().wire(), d.path("reason").asText(), d.toString());
            for (int v = 0; v < 2; v++) {
                assertEquals(whole.get(v).exposed(), d.path("variants").get(v).path("exposed").asLong(), d.toString());
                assertEquals(whole.get(v).successes(), d.path("variants").get(v).path("successes").asLong(), d.toString());
            }
            assertEquals(expected.omnibusPValue(), d.path("omnibusPValue").asDouble(), 1e-12);
        }
        JsonNode one = done.path("experiment");
        assertEquals("rule", one.path("decidedBy").asText(), done.toString());
        assertEquals("B", one.path("send").asText());
        assertEquals(whole.get(0).exposed() + whole.get(1).exposed(), one.path("sample").path("A").asLong()
                + one.path("sample").path("B").asLong(), one.toString());
        assertEquals(AUDIENCE - whole.get(0).exposed() - whole.get(1).exposed(), one.path("held").asLong(), one.toString());
        // every held recipient was sent B, on every partition
        for (int i = 0; i < AUDIENCE; i++) {
            String phone = phone(i);
            int p = partitioner.of(phone);
            if (!given.get(p).get(0).contains(phone) && !given.get(p).get(1).contains(phone)) {
                JsonNode rec = JSON.readTree(call("GET", path + "/recipients/" + enc(phone), null, null).body());
                assertEquals("B", rec.path("variant").asText(), rec.toString());
                assertEquals("sent", rec.path("outcome").asText(), rec.toString());
            }
        }
        JsonNode funnel = JSON.readTree(call("GET", path + "/funnel", null, null).body());
        assertEquals(PARTITIONS, funnel.path("testByPartition").size(), funnel.toString());
        assertEquals("B", funnel.path("test").path("send").asText(), funnel.toString());
        assertNotEquals(0, funnel.path("variants").get(1).path("given").asLong());
    }

    private static List<VariantCounts> counts(long[] exposed, long[] successes) {
        return List.of(new VariantCounts("A", exposed[0], successes[0]), new VariantCounts("B", exposed[1], successes[1]));
    }

    private static long sum(long[][] figures, int v) {
        long s = 0;
        for (long[] p : figures) {
            s += p[v];
        }
        return s;
    }

    private static String phone(int i) {
        return "+44740031" + String.format("%04d", i);
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> call(String method, String path, String contentType, String body) throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.call(node.port(), method, path, KEY, contentType, body);
    }

    private static JsonNode await(String path, Predicate<JsonNode> done, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "no answer";
        while (System.nanoTime() < end) {
            HttpResponse<String> r = call("GET", path, null, null);
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200 && done.test(JSON.readTree(r.body()))) {
                return JSON.readTree(r.body());
            }
            Thread.sleep(150);
        }
        throw new AssertionError(path + " not as expected within " + seconds + " s; last: " + last);
    }
}
