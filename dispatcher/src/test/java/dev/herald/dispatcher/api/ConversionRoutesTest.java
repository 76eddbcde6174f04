package dev.herald.dispatcher.api;

import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.funnel.Attribution;
import dev.herald.dispatcher.funnel.ConversionSettings;
import dev.herald.dispatcher.funnel.Conversions;
import dev.herald.dispatcher.funnel.InMemoryTouches;
import dev.herald.dispatcher.links.LinkTokens;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.RecipientDirectory;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
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

/** {@code POST /v1/conversions} over real HTTP: one or a batch, attributed, once per order, also after a reopen. */
class ConversionRoutesTest {
    private static final String A = "+447400123456";
    private static final String B = "+447400123457";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static ActorSystem<Void> system;

    @TempDir
    Path dir;

    private RecipientDirectory directory;
    private CampaignNumbers numbers;
    private InMemoryTouches touches;
    private Conversions conversions;
    private ExecutorService blockingIo;
    private ApiKeys keys;
    private ServerBinding binding;
    private String base;
    private String senderKey;
    private String viewerKey;
    private int a;

    @BeforeAll
    static void startSystem() {
        system = ActorSystem.create(Behaviors.empty(), "conversion-routes-test");
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
        numbers = CampaignNumbers.open(dir.resolve("campaign-numbers.log"));
        touches = new InMemoryTouches();
        blockingIo = Executors.newFixedThreadPool(2);
        keys = ApiKeys.open(dir.resolve("keys"));
        senderKey = keys.create(Role.SENDER, "test sender").key();
        viewerKey = keys.create(Role.VIEWER, "test viewer").key();
        bind();
    }

    private void bind() throws Exception {
        conversions = Conversions.open(dir.resolve("funnel"));
        LinkTokens tokens = LinkTokens.open(dir.resolve("links"), ConfigFactory.parseString(
                "herald.links.base-url = \"http://go.example/l/\"\nherald.links.secret = \"\""), numbers);
        ConversionIntake intake = new ConversionIntake(directory, tokens, Set.of("spring", "summer")::contains,
                new Attribution(Duration.ofDays(5), Duration.ofHours(24), touches, numbers::campaignOf),
                new ConversionSettings(Duration.ofDays(5), Duration.ofHours(24), Duration.ofDays(90), Duration.ofMinutes(5), 5),
                Clock.systemUTC());
        ConversionRoutes routes = new ConversionRoutes(keys, new BodyLimits(4096, Duration.ofSeconds(10)), 64 * 1024, intake,
                conversions, blockingIo);
        binding = Http.get(system).newServerAt("127.0.0.1", 0)
                .bind(handleExceptions(ApiDirectives.exceptionHandler(),
                        () -> handleRejections(ApiDirectives.rejectionHandler(), routes::route)))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    private void unbind() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        conversions.close();
    }

    @AfterEach
    void stop() throws Exception {
        unbind();
        blockingIo.shutdown();
        blockingIo.awaitTermination(10, TimeUnit.SECONDS);
        numbers.close();
        directory.close();
    }

    private HttpResponse<String> post(String key, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/conversions")).timeout(Duration.ofSeconds(30))
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
    void shouldRecordAConversionAttributedToTheLastDeliveryAndAnswerARetryAsADuplicate() throws Exception {
        touches.delivered(a, numbers.numberOf("spring"), System.currentTimeMillis() - 3_600_000);
        String body = "{\"phone\": \"" + A + "\", \"orderId\": \"o-1\", \"value\": 25.5, \"currency\": \"EUR\"}";
        HttpResponse<String> r = post(senderKey, "application/json", body);
        assertEquals(201, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals("recorded", j.path("status").asText());
        assertEquals("spring", j.path("campaign").asText());
        assertEquals("delivery", j.path("attributedBy").asText());
        assertEquals("25.5", j.path("value").asText());
        // a click on another campaign since: the retry still answers the stored attribution
        touches.clicked(a, numbers.numberOf("summer"), System.currentTimeMillis());
        HttpResponse<String> again = post(senderKey, "application/json", body);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals("duplicate", json(again).path("status").asText());
        assertEquals("spring", json(again).path("campaign").asText());
        assertEquals(1, conversions.of("spring").count());
        assertEquals(new BigDecimal("25.5"), conversions.of("spring").valueByCurrency().get("EUR"));
        // after a restart (the store reopened from its log) the order is still known
        unbind();
        bind();
        HttpResponse<String> afterRestart = post(senderKey, "application/json", body);
        assertEquals(200, afterRestart.statusCode(), afterRestart.body());
        assertEquals(1, conversions.of("spring").count());
    }

    @Test
    void shouldAnswerEachLineOfABatchAndStoreOnlyTheGoodOnes() throws Exception {
        String ndjson = "{\"phone\": \"" + A + "\", \"campaign\": \"summer\", \"orderId\": \"b-1\", \"value\": 10, \"currency\": \"USD\"}\n"
                + "{\"phone\": \"+447400999999\", \"orderId\": \"b-2\", \"value\": 10, \"currency\": \"USD\"}\n"
                + "\n"
                + "{\"phone\": \"" + B + "\", \"orderId\": \"b-3\", \"value\": -1, \"currency\": \"USD\"}\r\n"
                + "{\"phone\": \"" + B + "\", \"orderId\": \"b-4\", \"value\": 2.5, \"currency\": \"usd\"}\n"
                + "{\"phone\": \"" + A + "\", \"campaign\": \"summer\", \"orderId\": \"b-1\", \"value\": 10, \"currency\": \"USD\"}\n";
        HttpResponse<String> r = post(senderKey, "application/x-ndjson", ndjson);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(2, j.path("recorded").asInt(), r.body());
        assertEquals(1, j.path("duplicates").asInt(), r.body());
        assertEquals(2, j.path("rejected").asInt(), r.body());
        JsonNode results = j.path("results");
        assertEquals(5, results.size());
        assertEquals(1, results.get(0).path("line").asInt());
        assertEquals("summer", results.get(0).path("campaign").asText());
        assertEquals("rejected", results.get(1).path("status").asText());
        assertEquals("unknown_phone", results.get(1).path("error").asText());
        assertEquals("phone", results.get(1).path("field").asText());
        assertEquals(4, results.get(2).path("line").asInt(), "line numbers count the blank line");
        assertEquals("value", results.get(2).path("field").asText());
        assertEquals("recorded", results.get(3).path("status").asText());
        assertTrue(results.get(3).path("campaign").isNull(), "no touch: unattributed");
        assertEquals("none", results.get(3).path("attributedBy").asText());
        assertEquals("duplicate", results.get(4).path("status").asText());
        assertEquals(1, conversions.of("summer").count());
        assertEquals(1, conversions.unattributed().count());
        assertEquals(2, conversions.size());
    }

    @Test
    void shouldRefuseBadRequestsWhole() throws Exception {
        String line = "{\"phone\": \"" + A + "\", \"orderId\": \"x\", \"value\": 1, \"currency\": \"EUR\"}\n";
        HttpResponse<String> tooMany = post(senderKey, "application/x-ndjson", line.repeat(6));
        assertEquals(413, tooMany.statusCode(), tooMany.body());
        assertEquals("too_many_lines", json(tooMany).path("error").asText());
        assertEquals(400, post(senderKey, "application/x-ndjson", "\n\n").statusCode());
        assertEquals(415, post(senderKey, "text/plain", line).statusCode());
        HttpResponse<String> bad = post(senderKey, "application/json", "{\"phone\": \"" + A + "\", \"orderId\": \"x\", \"value\": 1,"
                + " \"currency\": \"NOPE\"}");
        assertEquals(400, bad.statusCode());
        assertEquals("currency", json(bad).path("field").asText());
        assertEquals(403, post(viewerKey, "application/json", line).statusCode());
        assertEquals(401, post(null, "application/json", line).statusCode());
        assertEquals(0, conversions.size(), "nothing stored for refused requests");
    }
}
