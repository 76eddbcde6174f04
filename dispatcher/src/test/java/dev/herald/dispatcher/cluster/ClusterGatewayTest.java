package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A provider-style JSON gateway ({@code type = http-json}) on a cluster of one with four
 * partitions, against a provider written here on the JDK's HTTP server: the node's one gateway
 * connector sends every partition's messages (at most the configured window at once, all
 * partitions together), each once; every status callback, whose token names the partition that
 * sent the message, reaches that partition (delivered = sent); a token of another partition, or
 * one altered, is refused as a single node refuses it.
 */
class ClusterGatewayTest {

    private static final String KEY = "hk_cluster_gateway_key_0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECIPIENTS = 400;

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void everyPartitionSendsThroughTheNodesGatewayAndEachCallbackReachesItsPartition() throws Exception {
        Map<String, Integer> taken = new ConcurrentHashMap<>();
        List<String> callbacks = new CopyOnWriteArrayList<>();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
        HttpServer provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/messages", ex -> {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                JsonNode m = JSON.readTree(ex.getRequestBody().readAllBytes());
                Thread.sleep(5);
                taken.merge(m.path("to").asText(), 1, Integer::sum);
                String callback = m.path("status_callback").asText();
                callbacks.add(callback);
                later.schedule(() -> http.sendAsync(HttpRequest.newBuilder(URI.create(callback))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"status\":\"delivered\"}")).build(),
                        HttpResponse.BodyHandlers.ofString()), 20, TimeUnit.MILLISECONDS);
                byte[] out = ("{\"message_id\":\"p-" + callbacks.size() + "\"}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, out.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        });
        provider.setExecutor(Executors.newFixedThreadPool(16));
        provider.start();
        int port = ClusterProcesses.freePort();
        Config config = ConfigFactory.parseString("herald.cluster.partitions = 4\n"
                        + "herald.cluster.port = " + ClusterProcesses.freePort() + "\n"
                        + "herald.cluster.storage-root = \"" + tmp.resolve("root") + "\"\n"
                        + "herald.service.directory-capacity = 400000\n"
                        + "herald.connectors.provider { type = http-json, url = \"http://127.0.0.1:"
                        + provider.getAddress().getPort() + "/messages\", id-field = message_id, window = 6,"
                        + " callback-base = \"http://127.0.0.1:" + port + "\" }\n")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", port);
        ClusterSettings cluster = ClusterSettings.fromConfig(config, tmp.resolve("node"), settings.directoryCapacity())
                .withEnabled(true);
        ClusterNode node = ClusterNode.start(tmp.resolve("node"), config, settings, cluster, Map.of("HERALD_API_KEY", KEY),
                new PrintWriter(new StringWriter()));
        try {
            await(port, "/v1/segments", v -> true);
            StringBuilder csv = new StringBuilder("phone,first_name\n");
            for (int i = 0; i < RECIPIENTS; i++) {
                csv.append(ClusterProcesses.phone(i)).append(",Ann").append(i).append('\n');
            }
            assertEquals(201, send(port, "POST", "/v1/segments/all", "text/csv", csv.toString()).statusCode());
            HttpResponse<String> created = send(port, "POST", "/v1/campaigns", "application/json", "{\"name\": \"codes\","
                    + " \"channel\": \"sms\", \"category\": \"transactional\", \"sender\": \"acme\", \"connector\":"
                    + " \"provider\", \"text\": \"Your code is {{first_name}}\", \"segment\": \"all\"}");
            assertEquals(201, created.statusCode(), created.body());
            String id = JSON.readTree(created.body()).path("id").asText();
            JsonNode done = await(port, "/v1/campaigns/" + id, v -> v.path("status").asText().equals("completed")
                    && v.path("delivery").path("delivered").asLong() >= RECIPIENTS);
            assertEquals(RECIPIENTS, done.path("counts").path("sent").asLong(), done.toString());
            assertEquals(RECIPIENTS, done.path("delivery").path("delivered").asLong(), "every callback matched: " + done);
            assertEquals(RECIPIENTS, taken.size(), "each recipient taken");
            taken.forEach((to, n) -> assertEquals(1, n, to + " taken twice"));
            assertTrue(maxInFlight.get() <= 6, "one window of 6 for all four partitions, saw " + maxInFlight.get());

            // each callback's token names the sending partition, the recipient's
            Partitioner partitioner = new Partitioner(4);
            java.util.Set<Integer> named = new java.util.HashSet<>();
            for (String cb : callbacks) {
                Matcher m = Pattern.compile("[?&]t=p(\\d+)\\.").matcher(cb);
                assertTrue(m.find(), cb);
                named.add(Integer.parseInt(m.group(1)));
            }
            assertEquals(java.util.Set.of(0, 1, 2, 3), named, "callbacks of all four partitions");
            String cb = callbacks.get(0);
            int p = Integer.parseInt(cb.replaceAll(".*[?&]t=p(\\d+)\\..*", "$1"));
            // the same token said to be another partition's, an altered one, and none: refused there
            String other = cb.replaceFirst("t=p" + p + "\\.", "t=p" + ((p + 1) % 4) + ".");
            assertEquals(403, get(other + "&status=failed").statusCode());
            assertEquals(403, get(cb.replaceAll("t=p(\\d+)\\.[^&]+", "t=p$1.AAAAAAAAAAAAAAAAAAAAAAAAAAAA") + "&status=failed")
                    .statusCode());
            assertEquals(403, get(cb.replaceAll("t=[^&]+", "t=") + "&status=failed").statusCode());
            assertEquals(400, get(cb + "&status=teleported").statusCode(), "a status nobody knows, on the right partition");
            assertTrue(partitioner.of(ClusterProcesses.phone(0)) >= 0);
        } finally {
            node.stop().toCompletableFuture().get();
            provider.stop(0);
            later.shutdownNow();
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode await(int port, String path, java.util.function.Predicate<JsonNode> done) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            HttpResponse<String> r = send(port, "GET", path, null, null);
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200) {
                JsonNode n = JSON.readTree(r.body());
                if (done.test(n)) {
                    return n;
                }
            }
            Thread.sleep(300);
        }
        throw new AssertionError(path + " not as expected: " + last);
    }

    private HttpResponse<String> send(int port, String method, String path, String type, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + KEY)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (type != null) {
            b.header("Content-Type", type);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
