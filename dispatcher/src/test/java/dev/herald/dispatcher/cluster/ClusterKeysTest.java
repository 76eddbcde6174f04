package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.service.HeraldService;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's API keys and audit log on a cluster of one in this JVM (four partitions, each
 * checking keys with the cluster's key file), with a single node ({@link HeraldService}) as the
 * oracle for refusals and settings: keys made on the node work on every partition with their role,
 * a revoked one stops within the bound, concurrent creates all survive, a damaged key file loses
 * nothing; every change is in the audit log once, however many partitions it reached.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterKeysTest {

    private static final String KEY = "hk_cluster_keys_test_admin_key_0123456789";
    private static final int PARTITIONS = 4;
    /** The documented bound for a revoked key to stop working (keys-check-every is 500 ms). */
    private static final Duration REVOKED_WITHIN = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private static ClusterNode node;
    private static HeraldService oracle;
    private static String senderId;
    private static String senderKey;
    private static String viewerId;
    private static String viewerKey;
    private static String revokedId;

    @BeforeAll
    static void start() throws Exception {
        node = ClusterNode.start(tmp.resolve("node"), clusterConfig(tmp.resolve("root")), settings(clusterConfig(tmp.resolve("root"))),
                clusterSettings(tmp.resolve("root")), Map.of("HERALD_API_KEY", KEY), new PrintWriter(new StringWriter(), true));
        Config single = ConfigFactory.parseString("herald.service.directory-capacity = 20000").withFallback(ConfigFactory.load())
                .resolve();
        oracle = HeraldService.start(tmp.resolve("oracle"), single, settings(single), Map.of("HERALD_API_KEY", KEY),
                new PrintWriter(new StringWriter(), true));
        await(node.port(), "/v1/cluster", KEY, s -> s.path("open").asInt() == PARTITIONS, 60);
        StringBuilder csv = new StringBuilder("phone,tz,first_name\n");
        for (int i = 0; i < 20; i++) {
            csv.append("+44740020").append(String.format("%04d", i)).append(',').append(ClusterProcesses.afternoonZone())
                    .append(",Ann\n");
        }
        assertEquals(201, call("POST", "/v1/segments/audience", KEY, "text/csv", csv.toString()).statusCode());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.stop().toCompletableFuture().join();
        }
        if (oracle != null) {
            oracle.stop().toCompletableFuture().join();
        }
    }

    private static Config clusterConfig(Path root) throws IOException {
        return ConfigFactory.parseString("herald.cluster { enabled = true, partitions = " + PARTITIONS + ", port = "
                        + ClusterProcesses.freePort() + ", storage-root = \"" + root + "\", keep-alive = 200ms, open-retry = 200ms,"
                        + " partition-capacity = 20000, keys-check-every = 500ms }\nherald.service.directory-capacity = 20000")
                .withFallback(ConfigFactory.load()).resolve();
    }

    private static ServiceSettings settings(Config config) {
        return ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
    }

    private static ClusterSettings clusterSettings(Path root) throws IOException {
        Config c = clusterConfig(root);
        return ClusterSettings.fromConfig(c, tmp.resolve("node"), settings(c).directoryCapacity());
    }

    // ---- the tests ----

    @Test
    @Order(1)
    void shouldServeAKeyMadeOnTheNodeOnEveryPartitionWithItsRole() throws Exception {
        JsonNode sender = json(call("POST", "/v1/keys", KEY, "application/json", "{\"role\": \"sender\", \"note\": \"crm\"}"), 201);
        assertEquals("sender", sender.path("role").asText(), sender.toString());
        assertTrue(sender.path("key").asText().startsWith("hk_"), sender.toString());
        senderId = sender.path("id").asText();
        senderKey = sender.path("key").asText();
        JsonNode viewer = json(call("POST", "/v1/keys", KEY, "application/json", "{\"role\": \"viewer\"}"), 201);
        viewerId = viewer.path("id").asText();
        viewerKey = viewer.path("key").asText();

        JsonNode me = json(call("GET", "/v1/me", senderKey, null, null), 200);
        assertEquals(senderId, me.path("id").asText());
        assertEquals("sender", me.path("role").asText());
        assertEquals("crm", me.path("note").asText());
        // made on every partition: each checked the sender's key and role
        JsonNode made = json(call("POST", "/v1/campaigns", senderKey, "application/json", campaign()), 201);
        assertEquals(PARTITIONS, made.path("partitions").path("answered").asInt(PARTITIONS), made.toString());
        // a viewer may look but not change: the partition refuses the role
        HttpResponse<String> refused = call("POST", "/v1/campaigns", viewerKey, "application/json", campaign());
        assertEquals("forbidden", json(refused, 403).path("error").asText());
        assertTrue(json(refused).path("message").asText().contains(viewerId), refused.body());
        JsonNode list = json(call("GET", "/v1/campaigns", viewerKey, null, null), 200);
        assertTrue(list.toString().contains(made.path("id").asText()), list.toString());
        // the CSV uploads the node reads itself (a segment's lines go to the partitions as messages, not
        // requests): the node checks the role, and nothing is stored
        String csv = "phone\n+447400123001\n+447400123002\n";
        assertEquals("forbidden", json(call("POST", "/v1/segments/viewers", viewerKey, "text/csv", csv), 403).path("error").asText());
        assertEquals(404, call("GET", "/v1/segments/viewers", viewerKey, null, null).statusCode(), "nothing stored");
        assertEquals("forbidden", json(call("POST", "/v1/suppressions", viewerKey, "text/csv", csv), 403).path("error").asText());
        assertEquals(404, call("GET", "/v1/suppressions/%2B447400123001", viewerKey, null, null).statusCode(),
                "nothing suppressed (a number never seen)");
        assertEquals(403, call("GET", "/v1/keys", senderKey, null, null).statusCode());
        assertEquals(403, call("GET", "/v1/audit", viewerKey, null, null).statusCode());

        JsonNode keys = json(call("GET", "/v1/keys", KEY, null, null), 200);
        Set<String> ids = ids(keys);
        assertTrue(ids.containsAll(List.of(senderId, viewerId)), keys.toString());
        assertEquals(3, ids.size(), "the admin key and the two made: " + keys);
        assertFalse(keys.toString().contains(senderKey) || keys.toString().contains("sha256"), "never a secret: " + keys);
        assertTrue(Files.exists(tmp.resolve("root").resolve(ClusterKeys.FILE)), "in the storage root's key file");
    }

    @Test
    @Order(2)
    void shouldAnswerTheSettingsAsOneNodeDoes() throws Exception {
        JsonNode cluster = json(call("GET", "/v1/settings", viewerKey, null, null), 200);
        JsonNode single = json(ServiceTestsBridge.call(oracle.port(), "GET", "/v1/settings", KEY, null, null), 200);
        assertEquals(single, cluster);
        assertEquals(401, call("GET", "/v1/settings", null, null, null).statusCode());
    }

    @Test
    @Order(3)
    void shouldRefuseARevokedKeyOnTheNodeAndOnThePartitionsWithinTheBound() throws Exception {
        JsonNode k = json(call("POST", "/v1/keys", KEY, "application/json", "{\"role\": \"analyst\"}"), 201);
        String key = k.path("key").asText();
        revokedId = k.path("id").asText();
        assertEquals(200, call("GET", "/v1/campaigns", key, null, null).statusCode());
        HttpResponse<String> deleted = call("DELETE", "/v1/keys/" + revokedId, KEY, null, null);
        assertEquals(204, deleted.statusCode(), deleted.body());
        long revoked = System.nanoTime();
        while (call("GET", "/v1/me", key, null, null).statusCode() != 401
                || call("GET", "/v1/campaigns", key, null, null).statusCode() != 401) {
            assertTrue(System.nanoTime() - revoked < REVOKED_WITHIN.toNanos(), "a revoked key still works");
            Thread.sleep(20);
        }
        assertEquals("unauthorized", json(call("GET", "/v1/segments", key, null, null), 401).path("error").asText());
        assertEquals("not_found", json(call("DELETE", "/v1/keys/" + revokedId, KEY, null, null), 404).path("error").asText());
        String adminId = json(call("GET", "/v1/me", KEY, null, null), 200).path("id").asText();
        HttpResponse<String> last = call("DELETE", "/v1/keys/" + adminId, KEY, null, null);
        assertEquals(409, last.statusCode(), last.body());
        assertTrue(json(last).path("message").asText().contains("last admin key"), last.body());
    }

    @Test
    @Order(4)
    void shouldKeepEveryKeyMadeAtOnce() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> made = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            made.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return call("POST", "/v1/keys", KEY, "application/json", "{\"role\": \"viewer\", \"note\": \"burst\"}");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        Set<String> ids = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> f : made) {
            ids.add(json(f.get(30, TimeUnit.SECONDS), 201).path("id").asText());
        }
        assertEquals(8, ids.size());
        assertTrue(ids(json(call("GET", "/v1/keys", KEY, null, null), 200)).containsAll(ids), "every key made survives");
    }

    @Test
    @Order(5)
    void shouldRefuseABadKeyRequestAsOneNodeDoes() throws Exception {
        String[][] bad = {
                {"application/json", "{\"role\": \"boss\"}"},
                {"application/json", "{}"},
                {"application/json", "role=admin"},
                {"application/json", ""},
                {"application/json", "{\"role\": \"viewer\", \"color\": \"red\"}"},
                {"application/json", "{\"role\": 5}"},
                {"application/json", "{\"role\": \"viewer\", \"note\": \"" + "n".repeat(201) + "\"}"},
                {"text/plain", "{\"role\": \"viewer\"}"}};
        for (String[] b : bad) {
            HttpResponse<String> single = ServiceTestsBridge.call(oracle.port(), "POST", "/v1/keys", KEY, b[0], b[1]);
            HttpResponse<String> cluster = call("POST", "/v1/keys", KEY, b[0], b[1]);
            assertTrue(single.statusCode() >= 400, single.body());
            assertEquals(single.statusCode(), cluster.statusCode(), b[1] + "\nsingle " + single.body() + "\ncluster " + cluster.body());
            assertEquals(json(single).path("error"), json(cluster).path("error"), cluster.body());
            assertEquals(json(single).path("field"), json(cluster).path("field"), cluster.body());
        }
        assertEquals(401, call("POST", "/v1/keys", null, "application/json", "{\"role\": \"viewer\"}").statusCode());
        assertEquals(405, call("PUT", "/v1/keys", KEY, "application/json", "{}").statusCode());
    }

    @Test
    @Order(6)
    void shouldRecordEveryChangeOnceWithItsKeyAndStatus() throws Exception {
        JsonNode all = await(node.port(), "/v1/audit?limit=1000", KEY, a -> count(a, senderId, "POST", "/v1/campaigns", 201) >= 1
                && a.toString().contains("/v1/keys/" + revokedId), 10);
        assertEquals(1, count(all, senderId, "POST", "/v1/campaigns", 201), "a create on every partition, recorded once: " + all);
        assertEquals(1, count(all, viewerId, "POST", "/v1/campaigns", 403), all.toString());
        String adminId = json(call("GET", "/v1/me", KEY, null, null), 200).path("id").asText();
        assertEquals(1, count(all, adminId, "DELETE", "/v1/keys/" + revokedId, 204), all.toString());
        assertEquals(1, count(all, adminId, "DELETE", "/v1/keys/" + revokedId, 404), all.toString());
        assertTrue(count(all, adminId, "POST", "/v1/keys", 201) >= 11, all.toString());
        assertTrue(count(all, adminId, "POST", "/v1/keys", 400) >= 6, all.toString());
        assertEquals(0, count(all, null, "GET", null, -1), "reads are not changes: " + all);
        Instant previous = Instant.MAX;
        for (JsonNode e : all.path("entries")) {
            Instant at = Instant.parse(e.path("at").asText());
            assertFalse(at.isAfter(previous), "newest first: " + all);
            previous = at;
        }
        // the filters
        JsonNode viewers = json(call("GET", "/v1/audit?key=" + viewerId, KEY, null, null), 200);
        assertEquals(3, viewers.path("entries").size(), "the campaign and the two uploads refused: " + viewers);
        JsonNode one = json(call("GET", "/v1/audit?limit=1", KEY, null, null), 200);
        assertEquals(1, one.path("entries").size());
        assertTrue(one.path("more").asBoolean());
        assertEquals(all.path("entries").get(0), one.path("entries").get(0));
        String future = Instant.now().plusSeconds(3600).toString();
        assertEquals(0, json(call("GET", "/v1/audit?from=" + future, KEY, null, null), 200).path("entries").size());
        assertEquals(all.path("entries").size(), json(call("GET", "/v1/audit?limit=1000&to=" + future, KEY, null, null), 200)
                .path("entries").size());
        assertEquals("invalid_parameter", json(call("GET", "/v1/audit?limit=0", KEY, null, null), 400).path("error").asText());
        assertEquals("invalid_parameter", json(call("GET", "/v1/audit?from=yesterday", KEY, null, null), 400).path("error")
                .asText());
        // the partitions recorded none of it
        for (int p = 0; p < PARTITIONS; p++) {
            Path log = tmp.resolve("root").resolve(String.format("partition-%03d", p)).resolve("audit/audit.log");
            assertFalse(Files.exists(log) && Files.readString(log).contains("/v1/"), "partition " + p + " recorded changes");
        }
    }

    @Test
    @Order(7)
    void shouldKeepTheKeysAndRefuseChangesWhileTheKeyFileIsDamaged() throws Exception {
        Path file = tmp.resolve("root").resolve(ClusterKeys.FILE);
        byte[] good = Files.readAllBytes(file);
        byte[] damaged = "[{\"id\": \"key_".getBytes(StandardCharsets.UTF_8);
        Files.write(file, damaged);
        Thread.sleep(600); // past keys-check-every: every check has looked at the file
        assertEquals(200, call("GET", "/v1/campaigns", viewerKey, null, null).statusCode(), "the last good keys stay in force");
        assertEquals(200, call("GET", "/v1/me", senderKey, null, null).statusCode());
        HttpResponse<String> refused = call("POST", "/v1/keys", KEY, "application/json", "{\"role\": \"viewer\"}");
        assertEquals("keys_unavailable", json(refused, 503).path("error").asText());
        assertTrue(json(refused).path("message").asText().contains(file.toString()), refused.body());
        assertEquals(503, call("DELETE", "/v1/keys/" + viewerId, KEY, null, null).statusCode());
        assertTrue(java.util.Arrays.equals(damaged, Files.readAllBytes(file)), "a damaged key file is never overwritten");
        // a node does not start on it, and says why
        Path other = tmp.resolve("other-root");
        Files.createDirectories(other.resolve("cluster"));
        Files.write(other.resolve(ClusterKeys.FILE), damaged);
        IOException start = assertThrows(IOException.class, () -> ClusterNode.start(tmp.resolve("other-node"),
                clusterConfig(other), settings(clusterConfig(other)), clusterSettings(other), Map.of("HERALD_API_KEY", KEY),
                new PrintWriter(new StringWriter(), true)));
        assertTrue(start.getMessage().contains(other.resolve(ClusterKeys.FILE).toString()), start.getMessage());
        // repaired: everything as before
        Files.write(file, good);
        assertEquals(201, call("POST", "/v1/keys", KEY, "application/json", "{\"role\": \"viewer\"}").statusCode());
        assertEquals(200, call("GET", "/v1/me", viewerKey, null, null).statusCode());
    }

    // ---- helpers ----

    @Test
    @Order(8)
    void shouldEndALiveStreamWhoseKeyIsRevoked() throws Exception {
        JsonNode made = json(call("POST", "/v1/campaigns", KEY, "application/json", campaign()), 201); // scheduled: never ends
        JsonNode viewer = json(call("POST", "/v1/keys", KEY, "application/json", "{\"role\": \"viewer\"}"), 201);
        java.net.http.HttpResponse<java.util.stream.Stream<String>> stream = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.port() + "/v1/campaigns/"
                        + made.path("id").asText() + "/events")).header("Authorization", "Bearer " + viewer.path("key").asText())
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, stream.statusCode());
        List<String> lines = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> stream.body().forEach(lines::add));
        long waited = System.nanoTime();
        while (!event(lines, "progress") && System.nanoTime() - waited < TimeUnit.SECONDS.toNanos(10)) {
            Thread.sleep(50);
        }
        assertTrue(event(lines, "progress"), "the first event: " + lines);
        Thread.sleep(2_500);
        assertFalse(ended.isDone(), "a scheduled campaign's stream stays open: " + lines);
        assertEquals(204, call("DELETE", "/v1/keys/" + viewer.path("id").asText(), KEY, null, null).statusCode());
        // the next look is refused (401) by the partitions: the stream ends, not an end event (the campaign did not end)
        ended.get(10, TimeUnit.SECONDS);
        assertFalse(event(lines, "end"), lines.toString());
    }

    /** Whether the SSE lines hold an event of this type ({@code event:progress}, with or without a space). */
    private static boolean event(List<String> lines, String type) {
        synchronized (lines) {
            return lines.stream().anyMatch(l -> l.replace(" ", "").equals("event:" + type));
        }
    }

    private static String campaign() {
        return "{\"name\": \"keys\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                + " \"text\": \"Hi {{first_name}}\", \"footer\": \"Reply STOP to opt out\", \"segment\": \"audience\","
                + " \"schedule\": {\"at\": \"" + Instant.now().plusSeconds(86_400) + "\"}}";
    }

    private static Set<String> ids(JsonNode keys) {
        Set<String> ids = new HashSet<>();
        keys.path("keys").forEach(k -> ids.add(k.path("id").asText()));
        return ids;
    }

    /** Entries of {@code keyId} (null: any) with this method, path (null: any) and status (-1: any). */
    private static long count(JsonNode audit, String keyId, String method, String path, int status) {
        long n = 0;
        for (JsonNode e : audit.path("entries")) {
            if ((keyId == null || e.path("keyId").asText().equals(keyId)) && e.path("method").asText().equals(method)
                    && (path == null || e.path("path").asText().equals(path)) && (status < 0 || e.path("status").asInt() == status)) {
                n++;
            }
        }
        return n;
    }

    private static JsonNode await(int port, String path, String key, Predicate<JsonNode> done, int seconds) throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.await(port, path, key, done, seconds);
    }

    private static HttpResponse<String> call(String method, String path, String key, String contentType, String body)
            throws Exception {
        return ServiceTestsBridge.call(node.port(), method, path, key, contentType, body);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "answer is JSON: " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return json(r);
    }

    /** The service tests' HTTP client. */
    private static final class ServiceTestsBridge {
        static HttpResponse<String> call(int port, String method, String path, String key, String contentType, String body)
                throws Exception {
            return dev.herald.dispatcher.service.ServiceTests.call(port, method, path, key, contentType, body);
        }
    }
}
