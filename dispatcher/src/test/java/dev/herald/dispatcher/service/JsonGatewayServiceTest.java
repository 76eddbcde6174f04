package dev.herald.dispatcher.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A provider-style JSON gateway ({@code type = http-json}) against a provider written here on the
 * JDK's HTTP server (there is no public provider offline): it takes each POST once, answers every
 * 10th 429 with {@code Retry-After}, checks the bearer token, and calls each message's
 * {@code status_callback} with a JSON status. Herald retries the throttled ones, nobody is taken
 * twice, and delivered = sent through the signed callbacks.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JsonGatewayServiceTest {

    static final int RECIPIENTS = 300;
    static final String ADMIN = "test-admin-key-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void messagesArePostedOnceThrottlingIsRetriedAndStatusCallbacksDeliver(@TempDir Path dir) throws Exception {
        Path data = ServiceTests.dataWithEveryone(dir, RECIPIENTS, 4);

        Map<String, Integer> taken = new ConcurrentHashMap<>();
        List<String> callbacks = new CopyOnWriteArrayList<>();
        AtomicInteger requests = new AtomicInteger();
        AtomicInteger throttled = new AtomicInteger();
        ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
        HttpClient client = HttpClient.newHttpClient();
        HttpServer provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/messages", ex -> {
            byte[] in = ex.getRequestBody().readAllBytes();
            int status;
            String answer;
            if (!"Bearer provider-key".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                status = 401;
                answer = "{\"error\":\"unauthorized\"}";
            } else if (requests.incrementAndGet() % 10 == 0) {
                status = 429;
                answer = "{\"error\":\"slow down\"}";
                ex.getResponseHeaders().add("Retry-After", "1");
                throttled.incrementAndGet();
            } else {
                JsonNode m = JSON.readTree(in);
                taken.merge(m.path("to").asText(), 1, Integer::sum);
                status = 200;
                answer = "{\"message_id\":\"p-" + requests.get() + "\"}";
                String callback = m.path("status_callback").asText();
                later.schedule(() -> {
                    callbacks.add(callback);
                    client.sendAsync(HttpRequest.newBuilder(URI.create(callback)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"status\":\"delivered\"}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                }, 50, TimeUnit.MILLISECONDS);
            }
            byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(out);
            }
        });
        provider.setExecutor(Executors.newFixedThreadPool(4));
        provider.start();
        int heraldPort = KannelPeer.freePort();
        try {
            HeraldService service = ServiceTests.startService(data, """
                    herald.connectors.provider { type = http-json, url = "http://127.0.0.1:%d/messages",
                      authorization = "Bearer provider-key", id-field = message_id, window = 10,
                      callback-base = "http://127.0.0.1:%d" }
                    """.formatted(provider.getAddress().getPort(), heraldPort), heraldPort, Map.of("HERALD_API_KEY", ADMIN));
            try {
                String id = ServiceTests.createCampaign(heraldPort, ADMIN, """
                        {"name": "Via provider", "channel": "sms", "category": "transactional", "sender": "acme",
                         "connector": "provider", "text": "Your code is {{first_name}}", "segment": "all"}""");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                JsonNode done = ServiceTests.awaitCompleted(heraldPort, ADMIN, id, 120);
                long sent = done.path("counts").path("sent").asLong();
                assertEquals(0, done.path("counts").path("failed").asLong() + done.path("counts").path("unknown").asLong(),
                        "throttled ones were sent again, not failed: " + done);
                assertTrue(throttled.get() > 0, "the provider throttled some");
                taken.forEach((to, n) -> assertEquals(1, n, to + " taken twice"));
                assertEquals(sent, taken.size(), "the provider took each sent one once");
                long delivered = 0;
                while (System.nanoTime() < deadline) {
                    delivered = json(call(heraldPort, "GET", "/v1/campaigns/" + id, ADMIN, null, null))
                            .path("delivery").path("delivered").asLong();
                    if (delivered >= sent) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertEquals(sent, delivered, "delivered through the status callbacks");
                // a status nobody knows, and a token of another connector's name, are refused
                String cb = callbacks.get(0);
                HttpResponse<String> bad = client.send(HttpRequest.newBuilder(URI.create(cb + "&status=teleported")).GET()
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(400, bad.statusCode(), bad.body());
                HttpResponse<String> notJson = client.send(HttpRequest.newBuilder(URI.create(cb))
                        .POST(HttpRequest.BodyPublishers.ofString("{status:")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(400, notJson.statusCode(), notJson.body());
                HttpResponse<String> forged = client.send(HttpRequest.newBuilder(URI.create(
                        cb.replaceAll("t=[^&]+", "t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") + "&status=failed")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(403, forged.statusCode(), forged.body());
            } finally {
                service.stop().toCompletableFuture().join();
            }
        } finally {
            provider.stop(0);
            later.shutdownNow();
        }
    }
}
