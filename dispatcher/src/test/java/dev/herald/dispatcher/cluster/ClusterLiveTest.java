package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster of two nodes in this JVM ({@link ClusterNode#start}, four partitions spread over them):
 * a campaign's live progress streamed by a node from the merged view ({@link ClusterCampaignEvents})
 * ends with exactly what {@code GET /v1/campaigns/{id}} says, and {@code /metrics} of both nodes
 * together show every partition once, labelled, as valid Prometheus text ({@link NodeMetrics}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterLiveTest {

    private static final String KEY = "hk_cluster_live_test_admin_key_0123456789";
    private static final int PARTITIONS = 4;
    private static final int AUDIENCE = 300;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path tmp;

    private static final List<ClusterNode> nodes = new ArrayList<>();
    /** The campaign both tests look at, once it completed (as {@code GET /v1/campaigns/{id}} shows it). */
    private static String campaignId;

    @BeforeAll
    static void start() throws Exception {
        int seed = ClusterProcesses.freePort();
        nodes.add(startNode(0, seed, seed));
        nodes.add(startNode(1, ClusterProcesses.freePort(), seed));
        // both up, every partition open, two on each node (balanced: sharding moves none any more)
        await(nodes.get(0).port(), "/v1/cluster", s -> s.path("members").size() == 2
                && s.path("open").asInt() == PARTITIONS && s.path("unallocated").isEmpty()
                && s.path("members").path(0).path("partitions").size() == PARTITIONS / 2
                && s.path("members").path(1).path("partitions").size() == PARTITIONS / 2
                && s.path("members").path(0).path("opening").isEmpty()
                && s.path("members").path(1).path("opening").isEmpty(), 60);
        String tz = ClusterProcesses.afternoonZone();
        StringBuilder csv = new StringBuilder("phone,tz,first_name\n");
        for (int i = 0; i < AUDIENCE; i++) {
            csv.append("+44740020").append(String.format("%04d", i)).append(',').append(tz).append(",Ann").append(i).append('\n');
        }
        HttpResponse<String> up = call(nodes.get(1).port(), "POST", "/v1/segments/audience", "text/csv", csv.toString());
        for (int tries = 1; up.statusCode() == 503 && tries < 5; tries++) {
            Thread.sleep(1_000); // a partition moved during the upload: sent again, as the answer says
            up = call(nodes.get(1).port(), "POST", "/v1/segments/audience", "text/csv", csv.toString());
        }
        assertEquals(201, up.statusCode(), up.body());
    }

    @AfterAll
    static void stop() {
        for (ClusterNode n : nodes) {
            n.stop().toCompletableFuture().join();
        }
    }

    private static ClusterNode startNode(int i, int clusterPort, int seedPort) throws Exception {
        Config config = ConfigFactory.parseString("herald.cluster { enabled = true, partitions = " + PARTITIONS
                        + ", hostname = \"127.0.0.1\", port = " + clusterPort + ", seed-nodes = [\"127.0.0.1:" + seedPort
                        + "\"], storage-root = \"" + tmp.resolve("root") + "\", keep-alive = 200ms, open-retry = 200ms,"
                        + " partition-capacity = 20000, min-members = 2 }\n"
                        + "herald.service.directory-capacity = 20000")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
        Path dir = tmp.resolve("node-" + i);
        ClusterSettings cluster = ClusterSettings.fromConfig(config, dir, settings.directoryCapacity());
        return ClusterNode.start(dir, config, settings, cluster, Map.of("HERALD_API_KEY", KEY),
                new PrintWriter(new StringWriter(), true));
    }

    // ---- the tests ----

    @Test
    @Order(1)
    void shouldStreamTheMergedProgressAtOnceUntilTheEndWithTheFinalCounts() throws Exception {
        // made through one node, streamed by the other; 100 msg/s over 300 recipients: about 3 s of progress
        HttpResponse<String> made = call(nodes.get(1).port(), "POST", "/v1/campaigns", "application/json",
                "{\"name\": \"live\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                        + " \"text\": \"Hi {{first_name}}\", \"footer\": \"Reply STOP to opt out\", \"segment\": \"audience\","
                        + " \"tps\": 100}");
        assertEquals(201, made.statusCode(), made.body());
        campaignId = JSON.readTree(made.body()).path("id").asText();

        long asked = System.nanoTime();
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(0).port()
                        + "/v1/campaigns/" + campaignId + "/events")).header("Authorization", "Bearer " + KEY)
                .timeout(Duration.ofSeconds(120)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), r.headers().map().toString());
        List<String[]> events = new ArrayList<>(); // {type, data}
        long[] firstAfterMs = {-1};
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String[] e;
            while ((e = nextEvent(in)) != null) {
                if (e[1].isEmpty()) {
                    continue; // a heartbeat
                }
                events.add(e);
                if (firstAfterMs[0] < 0) {
                    firstAfterMs[0] = (System.nanoTime() - asked) / 1_000_000;
                }
            }
        }
        assertFalse(events.isEmpty(), "no event");
        assertEquals("progress", events.get(0)[0], "the first event is progress");
        assertTrue(firstAfterMs[0] < 2_500, "the first progress event comes at once (not after a poll): " + firstAfterMs[0] + " ms");
        assertEquals("end", events.get(events.size() - 1)[0], "the stream ends with end");
        long lastSent = -1;
        for (String[] e : events) {
            JsonNode v = JSON.readTree(e[1]);
            assertEquals(campaignId, v.path("id").asText());
            assertEquals(PARTITIONS, v.path("partitions").path("answered").asInt(), "every event is the whole campaign: " + e[1]);
            assertEquals(0, v.path("partitions").path("unanswered").size(), e[1]);
            long sent = v.path("counts").path("sent").asLong();
            assertTrue(sent >= lastSent, "sent never goes backwards: " + lastSent + " then " + sent);
            lastSent = sent;
        }
        JsonNode end = JSON.readTree(events.get(events.size() - 1)[1]);
        assertEquals("completed", end.path("status").asText(), end.toString());
        for (ClusterNode n : nodes) {
            JsonNode view = JSON.readTree(call(n.port(), "GET", "/v1/campaigns/" + campaignId, null, null).body());
            assertEquals(view.path("status"), end.path("status"));
            assertEquals(view.path("counts"), end.path("counts"), "the end's counts are the campaign's");
            assertEquals(view.path("total"), end.path("total"));
        }
        assertTrue(end.path("counts").path("sent").asLong() > AUDIENCE / 2, "most were sent: " + end);
    }

    @Test
    @Order(2)
    void shouldAnswerAnUnknownCampaignsStreamWith404JsonBeforeStreaming() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(0).port()
                        + "/v1/campaigns/nope/events")).header("Authorization", "Bearer " + KEY).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().map().toString());
        assertEquals("not_found", JSON.readTree(r.body()).path("error").asText(), r.body());
        // and without a key, 401 as every /v1 request
        HttpResponse<String> none = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.get(0).port()
                + "/v1/campaigns/" + campaignId + "/events")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, none.statusCode(), none.body());
    }

    @Test
    @Order(4)
    void shouldStopPollingWhenTheClientGoesAway() throws Exception {
        // a slow campaign (10 msg/s: half a minute) streams an event about every second: the server, which
        // learns that a TCP peer is gone only when it writes to it, sees the client gone within seconds
        HttpResponse<String> made = call(nodes.get(0).port(), "POST", "/v1/campaigns", "application/json",
                "{\"name\": \"slow\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                        + " \"text\": \"Hi\", \"footer\": \"Reply STOP to opt out\", \"segment\": \"audience\","
                        + " \"tps\": 10}");
        assertEquals(201, made.statusCode(), made.body());
        String id = JSON.readTree(made.body()).path("id").asText();
        int port = nodes.get(1).port();
        long closedAt;
        // a plain socket: the client going away is its connection closing, nothing else
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(("GET /v1/campaigns/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + KEY + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            assertTrue(status.startsWith("HTTP/1.1 200"), status);
            String line;
            while ((line = in.readLine()) != null && !line.isEmpty()) {
                continue; // the head
            }
            String chunk = in.readLine(); // the first chunk's size, then the event
            assertNotNull(chunk);
            String[] first = nextEvent(in);
            assertNotNull(first);
            assertEquals("progress", first[0], first[1]);
            assertEquals(1.0, gauge(port, "herald_cluster_event_streams"), "one stream open");
            closedAt = System.nanoTime();
        } // the client goes away
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gauge(port, "herald_cluster_event_streams") != 0.0 && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertEquals(0.0, gauge(port, "herald_cluster_event_streams"), "the stream (and its polling) stopped");
        System.out.println("stream stopped " + (System.nanoTime() - closedAt) / 1_000_000 + " ms after the client left");
        JsonNode still = JSON.readTree(call(port, "GET", "/v1/campaigns/" + id, null, null).body());
        assertEquals("running", still.path("status").asText(), "the campaign moved all along: " + still);
        assertEquals(200, call(port, "POST", "/v1/campaigns/" + id + "/cancel", null, null).statusCode());
    }

    @Test
    @Order(3)
    void shouldShowEveryPartitionOnceAcrossTheNodesAsValidExposition() throws Exception {
        assertNotNull(campaignId, "the streamed campaign");
        JsonNode view = JSON.readTree(call(nodes.get(0).port(), "GET", "/v1/campaigns/" + campaignId, null, null).body());
        JsonNode cluster = JSON.readTree(call(nodes.get(0).port(), "GET", "/v1/cluster", null, null).body());
        Map<Integer, Long> sentByPartition = new TreeMap<>();
        for (ClusterNode n : nodes) {
            HttpResponse<String> m = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.port() + "/metrics"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString()); // no key, as on one node
            assertEquals(200, m.statusCode(), m.body());
            assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    m.headers().map().toString());
            Map<String, Double> series = parseExposition(m.body());
            // the node's own, once: the JVM's series carry no partition label
            assertTrue(series.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{")), "JVM series");
            assertTrue(series.keySet().stream().filter(k -> k.startsWith("jvm_")).noneMatch(k -> k.contains("partition=")),
                    "the JVM is the node's, not a partition's");
            Pattern sent = Pattern.compile("^herald_messages_total\\{partition=\"(\\d+)\",outcome=\"sent\"}$");
            int here = 0;
            for (Map.Entry<String, Double> e : series.entrySet()) {
                Matcher x = sent.matcher(e.getKey());
                if (x.matches()) {
                    here++;
                    Long before = sentByPartition.put(Integer.parseInt(x.group(1)), e.getValue().longValue());
                    assertEquals(null, before, "partition " + x.group(1) + " shown by two nodes");
                }
            }
            assertTrue(here > 0, "this node hosts partitions: " + cluster);
            assertEquals(here, series.get("herald_cluster_partitions_open").intValue(), "partitions open here");
        }
        assertEquals(Set.of(0, 1, 2, 3), sentByPartition.keySet(), "every partition once across the nodes");
        long sum = sentByPartition.values().stream().mapToLong(Long::longValue).sum();
        assertEquals(view.path("counts").path("sent").asLong(), sum, "sent summed over partitions: " + sentByPartition);
        assertTrue(sentByPartition.values().stream().filter(v -> v > 0).count() >= 2,
                "the campaign's sends are spread over the partitions: " + sentByPartition);
    }

    // ---- helpers ----

    /**
     * The next event of a Server-Sent Events stream (its fields in any order, up to a blank line).
     *
     * @return {type, data} ({@code "message"} when it has no type; data empty for a heartbeat), null at the end
     */
    private static String[] nextEvent(BufferedReader in) throws java.io.IOException {
        String type = null;
        StringBuilder data = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null || type != null) {
                    return new String[] {type == null ? "message" : type, data == null ? "" : data.toString()};
                }
            } else if (line.startsWith("event:")) {
                type = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                data = (data == null ? new StringBuilder() : data.append('\n')).append(line.substring(5).strip());
            }
        }
        return null;
    }

    /** The value of an unlabelled series {@code name} in a node's {@code /metrics}. */
    private static double gauge(int port, String name) throws Exception {
        HttpResponse<String> m = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        Double v = parseExposition(m.body()).get(name);
        assertNotNull(v, name + " in " + m.body());
        return v;
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*})?\\s+(\\S+)(\\s+\\d+)?$");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "summary", "histogram", "untyped");
    private static final List<String> SUFFIXES = List.of("", "_total", "_count", "_sum", "_bucket", "_created");

    /**
     * Reads Prometheus text 0.0.4 as a scraper would, failing on anything it would refuse: a family
     * declared (HELP or TYPE) twice, a sample not under its family's declaration (families must be
     * contiguous), a series twice, a value that is not a number.
     *
     * @return every series ({@code name{labels}}) and its value
     */
    static Map<String, Double> parseExposition(String text) {
        Set<String> helped = new HashSet<>();
        Set<String> typed = new HashSet<>();
        Set<String> finished = new HashSet<>();
        Map<String, Double> series = new HashMap<>();
        String family = null;
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ", 2);
                String name = parts[0];
                Set<String> seen = line.startsWith("# HELP ") ? helped : typed;
                assertTrue(seen.add(name), "family " + name + " declared twice: " + line);
                if (line.startsWith("# TYPE ")) {
                    assertTrue(TYPES.contains(parts[1].strip()), "type of " + name + ": " + line);
                }
                if (!name.equals(family)) {
                    if (family != null) {
                        finished.add(family);
                    }
                    assertFalse(finished.contains(name), "family " + name + " is not contiguous");
                    family = name;
                }
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a sample line: " + line);
            String name = m.group(1);
            String f = family;
            assertTrue(f != null && SUFFIXES.stream().anyMatch(s -> name.equals(f + s)),
                    "sample " + line + " is not under its family's declaration (" + f + ")");
            String key = name + (m.group(2) == null ? "" : m.group(2));
            double value = Double.parseDouble(m.group(3).replace("+Inf", "Infinity").replace("-Inf", "-Infinity"));
            assertEquals(null, series.put(key, value), "series " + key + " twice");
        }
        return series;
    }

    private static JsonNode await(int port, String path, Predicate<JsonNode> done, int seconds) throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.await(port, path, KEY, done, seconds);
    }

    private static HttpResponse<String> call(int port, String method, String path, String contentType, String body)
            throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.call(port, method, path, KEY, contentType, body);
    }
}
