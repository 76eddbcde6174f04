package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.service.HeraldService;
import dev.herald.dispatcher.service.ServiceSettings;

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
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The review queue and the operator console on a cluster (a cluster of one, four partitions, in
 * this JVM). Replies with an intent phrase to a sender whose {@code intent-action} is
 * {@code review} are held by their senders' partitions; the node lists them all, oldest first,
 * with ids naming their partition, and sends each decision to its partition (an opt-out is in the
 * recipient's suppressions at the answer). Ids naming no item get one node's 404. The console's
 * files are served without a key, as a single node (the oracle) serves them.
 */
class ClusterReviewTest {

    private static final String KEY = "hk_cluster_review_test_admin_key_0123";
    private static final String INBOUND = "cluster-review-inbound-secret-0123456789";
    private static final String CAREFUL = "+447700900777";
    private static final int PARTITIONS = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void heldRepliesOfEveryPartitionAreListedAsOneQueueAndDecidedOnTheirPartitions() throws Exception {
        Config config = ConfigFactory.parseString("herald.cluster.partitions = " + PARTITIONS + "\n"
                        + "herald.cluster.port = " + ClusterProcesses.freePort() + "\n"
                        + "herald.cluster.storage-root = \"" + tmp.resolve("root") + "\"\n"
                        + "herald.cluster.keep-alive = 200ms\nherald.cluster.open-retry = 200ms\n"
                        + "herald.cluster.partition-capacity = 20000\n"
                        + "herald.service.directory-capacity = 20000\n"
                        + "herald.inbound.secret = \"" + INBOUND + "\"\n"
                        + "herald.senders.profiles.careful { brand = \"Careful\", numbers = [\"" + CAREFUL + "\"],"
                        + " intent-action = review }\n")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
        ClusterSettings cluster = ClusterSettings.fromConfig(config, tmp.resolve("node"), settings.directoryCapacity())
                .withEnabled(true);
        ClusterNode node = ClusterNode.start(tmp.resolve("node"), config, settings, cluster, Map.of("HERALD_API_KEY", KEY),
                new PrintWriter(new StringWriter()));
        try {
            int port = node.port();
            await(port, "/v1/cluster", s -> s.path("open").asInt() == PARTITIONS);
            String tz = ClusterProcesses.afternoonZone();
            StringBuilder csv = new StringBuilder("phone,tz\n");
            for (int i = 0; i < 40; i++) {
                csv.append(ClusterProcesses.phone(i)).append(',').append(tz).append('\n');
            }
            assertEquals(201, send(port, "POST", "/v1/segments/all", "text/csv", csv.toString(), KEY).statusCode());

            // two held replies from each partition's recipients, sent in turn
            Partitioner partitioner = new Partitioner(PARTITIONS);
            Map<Integer, List<String>> byPartition = new LinkedHashMap<>();
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 40 && order.size() < 2 * PARTITIONS; i++) {
                String phone = ClusterProcesses.phone(i);
                List<String> mine = byPartition.computeIfAbsent(partitioner.of(phone), p -> new ArrayList<>());
                if (mine.size() < 2) {
                    mine.add(phone);
                    order.add(phone);
                }
            }
            assertEquals(2 * PARTITIONS, order.size(), "two numbers on each partition among 40: " + byPartition);
            Map<String, String> idOf = new LinkedHashMap<>();
            for (String phone : order) {
                JsonNode a = reply(port, phone, "Please stop texting me");
                assertEquals("review", a.path("action").asText(), a.toString());
                String id = a.path("review").asText();
                assertTrue(id.startsWith("p" + partitioner.of(phone) + "."), "the id names the sender's partition: " + a);
                idOf.put(phone, id);
            }
            assertEquals(order.size(), idOf.values().stream().distinct().count(), "every id is the cluster's own: " + idOf);

            // the list: every partition's items, oldest first, with the ids the replies were answered
            JsonNode items = json(send(port, "GET", "/v1/inbound/review", null, null, KEY), 200).path("items");
            List<String> listed = new ArrayList<>();
            for (JsonNode i : items) {
                listed.add(i.path("id").asText());
                assertEquals("pending", i.path("status").asText(), i.toString());
                assertEquals(idOf.get(i.path("phone").asText()), i.path("id").asText(), "its own number's item: " + i);
                assertEquals("sender:careful", i.path("scope").asText(), i.toString());
            }
            assertEquals(new ArrayList<>(idOf.values()), listed, "oldest first across the partitions");
            assertEquals(400, send(port, "GET", "/v1/inbound/review?status=maybe", null, null, KEY).statusCode());
            assertEquals(401, send(port, "GET", "/v1/inbound/review", null, null, null).statusCode());

            // a decision on one item of each partition goes to that partition: opt-outs on the first, dismissals on the second
            for (List<String> two : byPartition.values()) {
                String out = two.get(0);
                String kept = two.get(1);
                assertFalse(suppressedByCareful(port, out), "held, not opted out yet");
                JsonNode decided = json(send(port, "POST", "/v1/inbound/review/" + idOf.get(out) + "/opt-out", null, null, KEY), 200);
                assertEquals(idOf.get(out), decided.path("id").asText(), decided.toString());
                assertEquals("opted-out", decided.path("status").asText(), decided.toString());
                assertTrue(suppressedByCareful(port, out), "the opt-out is in the sender's partition at the answer");
                JsonNode again = json(send(port, "POST", "/v1/inbound/review/" + idOf.get(out) + "/opt-out", null, null, KEY), 200);
                assertEquals(decided.path("decidedAt"), again.path("decidedAt"), "the same decision again: unchanged");
                JsonNode conflict = json(send(port, "POST", "/v1/inbound/review/" + idOf.get(out) + "/dismiss", null, null, KEY),
                        409);
                assertEquals("conflict", conflict.path("error").asText(), conflict.toString());
                assertTrue(conflict.path("message").asText().contains(idOf.get(out)), "names the cluster id: " + conflict);

                JsonNode dismissed = json(send(port, "POST", "/v1/inbound/review/" + idOf.get(kept) + "/dismiss", null, null,
                        KEY), 200);
                assertEquals("dismissed", dismissed.path("status").asText(), dismissed.toString());
                assertFalse(suppressedByCareful(port, kept), "dismissed: not opted out");
            }
            assertEquals(0, json(send(port, "GET", "/v1/inbound/review", null, null, KEY), 200).path("items").size());
            JsonNode all = json(send(port, "GET", "/v1/inbound/review?status=all", null, null, KEY), 200).path("items");
            assertEquals(2 * PARTITIONS, all.size(), all.toString());
            JsonNode optedOut = json(send(port, "GET", "/v1/inbound/review?status=opted-out", null, null, KEY), 200)
                    .path("items");
            assertEquals(PARTITIONS, optedOut.size(), optedOut.toString());

            // ids that name no item: one node's 404, naming them
            int p0 = byPartition.keySet().iterator().next();
            for (String bad : List.of("p" + PARTITIONS + ".1", "p99.1", "1", "p" + p0 + ".999", "p" + p0 + ".x", "p0" + p0 + ".1",
                    "nonsense")) {
                for (String action : List.of("opt-out", "dismiss")) {
                    HttpResponse<String> r = send(port, "POST", "/v1/inbound/review/" + bad + "/" + action, null, null, KEY);
                    JsonNode e = json(r, 404);
                    assertEquals("not_found", e.path("error").asText(), bad + ": " + r.body());
                    assertEquals("no review item '" + bad + "'", e.path("message").asText(), bad + ": " + r.body());
                }
            }
            assertEquals(401, send(port, "POST", "/v1/inbound/review/p99.1/opt-out", null, null, null).statusCode());
            // no route of one node: its answer
            assertEquals(404, send(port, "GET", "/v1/inbound/review/" + idOf.get(order.get(0)), null, null, KEY).statusCode());
            assertEquals(405, send(port, "GET", "/v1/inbound/review/" + idOf.get(order.get(0)) + "/opt-out", null, null, KEY)
                    .statusCode());

            consoleAsOneNodeServesIt(port);
        } finally {
            node.stop().toCompletableFuture().get();
        }
    }

    /** The console's files on the cluster node: the same answers as a single node's, no key needed. */
    private void consoleAsOneNodeServesIt(int port) throws Exception {
        Config config = ConfigFactory.parseString("herald.service.directory-capacity = 20000").withFallback(ConfigFactory.load())
                .resolve();
        HeraldService oracle = HeraldService.start(tmp.resolve("oracle"), config, ServiceSettings.fromConfig(config)
                .withAddress("127.0.0.1", 0), Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
        try {
            HttpResponse<String> page = send(port, "GET", "/console/", null, null, null);
            assertEquals(200, page.statusCode(), page.body());
            assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
            assertTrue(page.body().contains("<html") || page.body().contains("<!doctype") || page.body().contains("<!DOCTYPE"),
                    page.body());
            for (String[] r : new String[][] {{"GET", "/console/"}, {"GET", "/console"}, {"GET", "/console/app.js"},
                    {"GET", "/console/console.css"}, {"GET", "/console/nope.js"}, {"GET", "/console/a/b"}, {"POST", "/console/"}}) {
                HttpResponse<String> single = send(oracle.port(), r[0], r[1], null, null, null);
                HttpResponse<String> onCluster = send(port, r[0], r[1], null, null, null);
                String what = r[0] + " " + r[1];
                assertEquals(single.statusCode(), onCluster.statusCode(), what + ": " + onCluster.body());
                assertEquals(single.body(), onCluster.body(), what);
                for (String h : List.of("Content-Type", "Content-Security-Policy", "ETag", "Cache-Control", "Location",
                        "X-Content-Type-Options")) {
                    assertEquals(single.headers().firstValue(h), onCluster.headers().firstValue(h), what + " " + h);
                }
            }
            String etag = page.headers().firstValue("ETag").orElseThrow();
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/console/"))
                    .header("If-None-Match", etag).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(304, again.statusCode());
        } finally {
            oracle.stop().toCompletableFuture().join();
        }
    }

    private boolean suppressedByCareful(int port, String phone) throws Exception {
        JsonNode s = json(send(port, "GET", "/v1/suppressions/" + phone.replace("+", "%2B"), null, null, KEY), 200);
        return s.path("suppressed").asBoolean() && s.toString().contains("sender:careful");
    }

    private JsonNode reply(int port, String phone, String text) throws Exception {
        String body = "{\"from\": \"" + phone + "\", \"to\": \"" + CAREFUL + "\", \"text\": \"" + text + "\", \"channel\": \"sms\"}";
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/inbound/sms"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .header("X-Herald-Signature", sign(body)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return json(http.send(r, HttpResponse.BodyHandlers.ofString()), 200);
    }

    private void await(int port, String path, java.util.function.Predicate<JsonNode> done) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            HttpResponse<String> r = send(port, "GET", path, null, null, KEY);
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200 && done.test(JSON.readTree(r.body()))) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(path + " not as expected: " + last);
    }

    private HttpResponse<String> send(int port, String method, String path, String type, String body, String key)
            throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.call(port, method, path, key, type, body);
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        return JSON.readTree(r.body());
    }

    private static String sign(String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(INBOUND.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }
}
