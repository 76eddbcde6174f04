package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's keys and audit log across two real processes sharing one storage root: what one
 * node changes, the other (and the partitions it hosts) sees through the key file alone.
 */
class ClusterKeysProcessTest {

    /** The documented bound (keys-check-every, 500 ms by default) with room for a loaded machine. */
    private static final Duration REVOKED_WITHIN = Duration.ofSeconds(2);

    @TempDir
    Path tmp;

    @Test
    void shouldShareKeysAndTheAuditLogBetweenNodes() throws Exception {
        try (ClusterProcesses c = new ClusterProcesses(tmp, 4, Map.of("herald.cluster.min-members", "2"))) {
            c.start(2);
            JsonNode status = c.awaitCluster(0, 2, Duration.ofMinutes(3));
            // a: a node hosting no partition, if there is one (sharding may leave all four on one node),
            // so that the partitions that check a's keys are in the other process
            int a = 0;
            for (JsonNode m : status.path("members")) {
                if (m.path("partitions").isEmpty()) {
                    a = m.path("address").asText().equals(c.node(0).address()) ? 0 : 1;
                }
            }
            int b = 1 - a;
            // made on a, at once usable through a and b on every partition
            JsonNode made = json(call(c, a, "POST", "/v1/keys", ClusterProcesses.KEY, "{\"role\": \"analyst\"}"), 201);
            String key = made.path("key").asText();
            assertEquals(200, call(c, a, "GET", "/v1/campaigns", key, null).statusCode());
            assertEquals(made.path("id").asText(), json(call(c, b, "GET", "/v1/me", key, null), 200).path("id").asText());
            assertEquals(200, call(c, b, "GET", "/v1/segments", key, null).statusCode());
            // a sender's key made on b: partitions anywhere take its role
            String sender = json(call(c, b, "POST", "/v1/keys", ClusterProcesses.KEY, "{\"role\": \"sender\"}"), 201)
                    .path("key").asText();
            assertEquals(403, call(c, a, "POST", "/v1/keys", sender, "{\"role\": \"viewer\"}").statusCode());
            assertEquals(403, call(c, a, "POST", "/v1/campaigns", key, "{}").statusCode(), "an analyst may not create");

            // both nodes making keys at once: every one survives
            List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int via = i % 2;
                burst.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return call(c, via, "POST", "/v1/keys", ClusterProcesses.KEY, "{\"role\": \"viewer\"}");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            Set<String> ids = new HashSet<>();
            for (CompletableFuture<HttpResponse<String>> f : burst) {
                ids.add(json(f.get(60, TimeUnit.SECONDS), 201).path("id").asText());
            }
            for (int via = 0; via < 2; via++) {
                Set<String> listed = new HashSet<>();
                json(call(c, via, "GET", "/v1/keys", ClusterProcesses.KEY, null), 200).path("keys")
                        .forEach(k -> listed.add(k.path("id").asText()));
                assertTrue(listed.containsAll(ids), "node " + via + " lists every key made: " + listed);
                assertEquals(13, listed.size(), listed.toString());
            }

            // revoked on b: refused by a (and by the partitions) within the bound
            assertEquals(204, call(c, b, "DELETE", "/v1/keys/" + made.path("id").asText(), ClusterProcesses.KEY, null)
                    .statusCode());
            long revoked = System.nanoTime();
            while (call(c, a, "GET", "/v1/me", key, null).statusCode() != 401
                    || call(c, a, "GET", "/v1/campaigns", key, null).statusCode() != 401) {
                assertTrue(System.nanoTime() - revoked < REVOKED_WITHIN.toNanos(), "node " + a + " still takes a key revoked on"
                        + " node " + b);
                Thread.sleep(20);
            }

            // every node's changes, answered by either node, each once
            JsonNode audit = c.await(0, "/v1/audit?limit=100", page -> page.toString().contains("DELETE"), Duration.ofSeconds(10));
            long creates = 0;
            long deletes = 0;
            for (JsonNode e : audit.path("entries")) {
                creates += e.path("method").asText().equals("POST") && e.path("path").asText().equals("/v1/keys")
                        && e.path("status").asInt() == 201 ? 1 : 0;
                deletes += e.path("method").asText().equals("DELETE") ? 1 : 0;
            }
            assertEquals(12, creates, audit.toString());
            assertEquals(1, deletes, audit.toString());
            assertEquals(audit.path("entries"), c.get(1, "/v1/audit?limit=100").path("entries"));
        }
    }

    private static HttpResponse<String> call(ClusterProcesses c, int via, String method, String path, String key, String body)
            throws Exception {
        return dev.herald.dispatcher.service.ServiceTests.call(c.node(via).httpPort, method, path, key,
                body == null ? null : "application/json", body);
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return ClusterProcesses.JSON.readTree(r.body());
    }
}
