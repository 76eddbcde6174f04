package dev.herald.dispatcher.api;

import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.journey.EventSettings;
import dev.herald.dispatcher.journey.Events;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.RecipientDirectory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /v1/events} over real HTTP: one or a batch, once per id, also after a reopen. */
class EventRoutesTest {
    private static final String A = "+447400123456";
    private static final String B = "+447400123457";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static ActorSystem<Void> system;

    @TempDir
    Path dir;

    private RecipientDirectory directory;
    private Events events;
    private ExecutorService blockingIo;
    private ApiKeys keys;
    private ServerBinding binding;
    private String base;
    private String senderKey;
    private String viewerKey;
    private int a;

    @BeforeAll
    static void startSystem() {
        system = ActorSystem.create(Behaviors.empty(), "event-routes-test");
    }

    @AfterAll
    static void stopSystem() {
        system.terminate();
    }

    @BeforeEach
    void start() throws Exception {
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults().withDefaultRegion("GB")
                .withCapacity(1_000));
        a = directory.register(A, null, null, Map.of()).id();
        directory.register(B, null, null, Map.of());
        blockingIo = Executors.newFixedThreadPool(2);
        keys = ApiKeys.open(dir.resolve("keys"));
        senderKey = keys.create(Role.SENDER, "test sender").key();
        viewerKey = keys.create(Role.VIEWER, "test viewer").key();
        bind();
    }

    private void bind() throws Exception {
        events = Events.open(dir.resolve(Events.DIR));
        EventIntake intake = new EventIntake(directory, new EventSettings(Duration.ofDays(30), Duration.ofMinutes(5), 5, 32, 4096),
                Clock.systemUTC());
        EventRoutes routes = new EventRoutes(keys, new BodyLimits(8192, Duration.ofSeconds(10)), 64 * 1024, intake, events,
                blockingIo);
        binding = Http.get(system).newServerAt("127.0.0.1", 0)
                .bind(handleExceptions(ApiDirectives.exceptionHandler(),
                        () -> handleRejections(ApiDirectives.rejectionHandler(), routes::route)))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    private void unbind() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        events.close();
    }

    @AfterEach
    void stop() throws Exception {
        unbind();
        blockingIo.shutdown();
        blockingIo.awaitTermination(10, TimeUnit.SECONDS);
        directory.close();
    }

    private HttpResponse<String> post(String key, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/events")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return ApiDirectives.JSON.readTree(r.body());
    }

    @Test
    void shouldRecordAnEventAndAnswerARetryAsADuplicateAlsoAfterARestart() throws Exception {
        String body = "{\"id\": \"ev-1\", \"phone\": \"" + A + "\", \"name\": \"cart_abandoned\", \"at\": \"2026-12-01T09:00:00Z\","
                + " \"properties\": {\"cartId\": \"c-9\", \"value\": 19.9}}";
        String body2 = body.replace("2026-12-01T09:00:00Z", java.time.Instant.now().minusSeconds(60).toString());
        HttpResponse<String> r = post(senderKey, "application/json", body2);
        assertEquals(201, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals("ev-1", j.path("id").asText());
        assertEquals("recorded", j.path("status").asText());
        assertEquals("cart_abandoned", j.path("name").asText());
        HttpResponse<String> again = post(senderKey, "application/json", body2.replace("cart_abandoned", "other"));
        assertEquals(200, again.statusCode(), again.body());
        assertEquals("duplicate", json(again).path("status").asText());
        assertEquals("cart_abandoned", json(again).path("name").asText(), "the stored event is answered");
        assertEquals(1, events.size());
        assertEquals(a, events.find("ev-1").orElseThrow().recipient());
        assertEquals("c-9", events.find("ev-1").orElseThrow().properties().get("cartId"));
        unbind();
        bind();
        HttpResponse<String> afterRestart = post(senderKey, "application/json", body2);
        assertEquals(200, afterRestart.statusCode(), afterRestart.body());
        assertEquals("duplicate", json(afterRestart).path("status").asText());
        assertEquals(1, events.size());
    }

    @Test
    void shouldAnswerEachLineOfABatchAndStoreOnlyTheGoodOnes() throws Exception {
        String ndjson = "{\"id\": \"b-1\", \"phone\": \"" + A + "\", \"name\": \"signed_up\"}\n"
                + "{\"id\": \"b-2\", \"phone\": \"+447400999999\", \"name\": \"signed_up\"}\n"
                + "\n"
                + "{\"id\": \"b-3\", \"phone\": \"" + B + "\", \"name\": \"x\", \"properties\": {\"a\": {}}}\r\n"
                + "{\"id\": \"b-4\", \"phone\": \"" + B + "\", \"name\": \"order_placed\", \"properties\": {\"orderId\": \"o-1\"}}\n"
                + "{\"id\": \"b-1\", \"phone\": \"" + A + "\", \"name\": \"signed_up\"}\n";
        HttpResponse<String> r = post(senderKey, "application/x-ndjson", ndjson);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(2, j.path("recorded").asInt(), r.body());
        assertEquals(1, j.path("duplicates").asInt(), r.body());
        assertEquals(2, j.path("rejected").asInt(), r.body());
        JsonNode results = j.path("results");
        assertEquals(5, results.size());
        assertEquals(1, results.get(0).path("line").asInt());
        assertEquals("recorded", results.get(0).path("status").asText());
        assertEquals("rejected", results.get(1).path("status").asText());
        assertEquals("unknown_phone", results.get(1).path("error").asText());
        assertEquals("phone", results.get(1).path("field").asText());
        assertEquals(4, results.get(2).path("line").asInt(), "line numbers count the blank line");
        assertEquals("properties", results.get(2).path("field").asText());
        assertEquals("recorded", results.get(3).path("status").asText());
        assertEquals("duplicate", results.get(4).path("status").asText());
        assertEquals(2, events.size());
    }

    @Test
    void shouldRefuseBadRequestsWhole() throws Exception {
        String line = "{\"id\": \"x\", \"phone\": \"" + A + "\", \"name\": \"signed_up\"}\n";
        HttpResponse<String> tooMany = post(senderKey, "application/x-ndjson", line.repeat(6));
        assertEquals(413, tooMany.statusCode(), tooMany.body());
        assertEquals("too_many_lines", json(tooMany).path("error").asText());
        assertEquals(400, post(senderKey, "application/x-ndjson", "\n\n").statusCode());
        assertEquals(415, post(senderKey, "text/plain", line).statusCode());
        HttpResponse<String> future = post(senderKey, "application/json", line.replace("}", ", \"at\": \"2099-01-01T00:00:00Z\"}"));
        assertEquals(400, future.statusCode(), future.body());
        assertEquals("at", json(future).path("field").asText());
        HttpResponse<String> big = post(senderKey, "application/json", line.replace("}", ", \"properties\": {\"a\": \""
                + "x".repeat(5000) + "\"}}"));
        assertEquals(400, big.statusCode(), big.body());
        assertEquals("properties", json(big).path("field").asText());
        HttpResponse<String> noName = post(senderKey, "application/json", "{\"id\": \"x\", \"phone\": \"" + A + "\"}");
        assertEquals(400, noName.statusCode());
        assertEquals("name", json(noName).path("field").asText());
        assertEquals(403, post(viewerKey, "application/json", line).statusCode());
        assertEquals(401, post(null, "application/json", line).statusCode());
        assertEquals(0, events.size(), "nothing stored for refused requests");
    }
}
