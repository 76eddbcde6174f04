package dev.herald.dispatcher.api;

import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
import org.slf4j.LoggerFactory;

/** The suppression routes over real HTTP on a random port. */
class SuppressionRoutesTest {
    private static final long MAX_JSON = 4 * 1024;
    private static final String A = "+447400123456";
    private static final String B = "+447400123457";
    private static final String C = "+447400123458";

    private static ActorSystem<Void> system;
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private RecipientDirectory directory;
    private SuppressionIndex index;
    private ExecutorService blockingIo;
    private ServerBinding binding;
    private String base;
    private String senderKey;
    private String viewerKey;
    private ListAppender<ILoggingEvent> logs;
    private ch.qos.logback.classic.Level apiLevel;

    @BeforeAll
    static void startSystem() {
        system = ActorSystem.create(Behaviors.empty(), "suppression-routes-test");
    }

    @AfterAll
    static void stopSystem() {
        system.terminate();
    }

    @BeforeEach
    void start() throws Exception {
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults().withDefaultRegion("GB")
                .withCapacity(100_000));
        index = SuppressionIndex.open(dir.resolve("suppression"), IndexOptions.defaults());
        blockingIo = Executors.newFixedThreadPool(2);
        ApiKeys keys = ApiKeys.open(dir.resolve("keys"));
        senderKey = keys.create(Role.SENDER, "test sender").key();
        viewerKey = keys.create(Role.VIEWER, "test viewer").key();
        SuppressionRoutes routes = new SuppressionRoutes(keys, MAX_JSON, Duration.ofSeconds(10), 16L << 20, index, directory,
                blockingIo);
        binding = Http.get(system).newServerAt("127.0.0.1", 0)
                .bind(handleExceptions(ApiDirectives.exceptionHandler(),
                        () -> handleRejections(ApiDirectives.rejectionHandler(), routes::route)))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + binding.localAddress().getPort();
        logs = new ListAppender<>();
        logs.start();
        Logger api = (Logger) LoggerFactory.getLogger("dev.herald.dispatcher.api");
        apiLevel = api.getLevel();
        api.setLevel(ch.qos.logback.classic.Level.DEBUG); // the routes' info lines must be masked too
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    }

    @AfterEach
    void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        ((Logger) LoggerFactory.getLogger("dev.herald.dispatcher.api")).setLevel(apiLevel);
        for (ILoggingEvent e : logs.list) {
            String text = e.getFormattedMessage();
            for (String n : List.of("7400123456", "7400123457", "7400123458")) {
                assertFalse(text.contains(n), "a log line shows a phone number unmasked: " + text);
            }
        }
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        blockingIo.shutdown();
        blockingIo.awaitTermination(10, TimeUnit.SECONDS);
        index.close();
        directory.close();
    }

    // ---- helpers ----

    private HttpResponse<String> send(String method, String path, String key, String contentType, byte[] body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> postJson(String json) throws Exception {
        return send("POST", "/v1/suppressions", senderKey, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> postCsv(String query, String csv) throws Exception {
        return send("POST", "/v1/suppressions" + query, senderKey, "text/csv", csv.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(String phonePath) throws Exception {
        return send("GET", "/v1/suppressions/" + phonePath, viewerKey, null, null);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return ApiDirectives.JSON.readTree(r.body());
    }

    private static void assertError(HttpResponse<String> r, int status, String code, String field) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(code, j.get("error").asText(), r.body());
        if (field != null) {
            assertEquals(field, j.get("field").asText(), r.body());
        }
    }

    private static String enc(String phone) {
        return phone.replace("+", "%2B");
    }

    private int id(String phone) {
        return directory.idOf(phone).orElseThrow();
    }

    private void assertNothingStored() {
        assertEquals(0, directory.size(), "no recipient registered");
        assertTrue(index.snapshot().counts().isEmpty(), "no suppression stored");
    }

    // ---- POST, JSON ----

    @Test
    void shouldSuppressJsonPhonesDurablyAndShowThemOnGet() throws Exception {
        HttpResponse<String> r = postJson("{\"phones\": [\"" + A + "\", \"" + B + "\"], \"scope\": \"sender:acme\","
                + " \"reason\": \"asked by phone\"}");
        assertEquals(201, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(2, j.get("suppressed").asLong());
        assertEquals(0, j.get("rejected").asLong());
        assertEquals(0, j.get("errors").size());
        assertTrue(index.snapshot().isSuppressed(id(A), Scope.sender("acme")));
        assertTrue(index.snapshot().isSuppressed(id(B), Scope.sender("acme")));
        assertFalse(index.snapshot().isSuppressed(id(A), Scope.GLOBAL));

        HttpResponse<String> g = get(enc(A));
        assertEquals(200, g.statusCode(), g.body());
        JsonNode s = json(g);
        assertEquals(A, s.get("phone").asText());
        assertTrue(s.get("suppressed").asBoolean());
        assertEquals("sender:acme", s.get("scopes").get(0).asText());
        JsonNode h = s.get("history").get(0);
        assertEquals("opt-out", h.get("action").asText());
        assertEquals("sender:acme", h.get("scope").asText());
        assertEquals("api", h.get("source").asText());
        assertEquals("asked by phone", h.get("reason").asText());
        assertTrue(h.hasNonNull("time"));
    }

    @Test
    void shouldAnswer200WithAlreadySuppressedWhenNothingIsNew() throws Exception {
        assertEquals(201, postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"global\"}").statusCode());
        HttpResponse<String> again = postJson("{\"phones\": [\"" + A + "\", \"" + A + "\"], \"scope\": \"global\"}");
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(0, json(again).get("suppressed").asLong());
        assertEquals(2, json(again).get("alreadySuppressed").asLong());
    }

    @Test
    void shouldSuppressValidPhonesAndListInvalidOnesMasked() throws Exception {
        HttpResponse<String> r = postJson("{\"phones\": [\"" + A + "\", \"+44740012345678\", \"07400123457\", \"\"],"
                + " \"scope\": \"channel:sms\"}");
        assertEquals(201, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(2, j.get("suppressed").asLong());
        assertEquals(2, j.get("rejected").asLong());
        JsonNode e = j.get("errors").get(0);
        assertEquals(1, e.get("index").asInt());
        assertEquals("+***********678", e.get("phone").asText());
        assertEquals("too long", e.get("reason").asText());
        assertEquals(3, j.get("errors").get(1).get("index").asInt());
        assertTrue(index.snapshot().isSuppressed(id(B), Scope.channel("sms")), "national format with the default region");
    }

    @Test
    void shouldRefuseABodyWithoutAnyValidPhoneAndStoreNothing() throws Exception {
        assertError(postJson("{\"phones\": [\"12\", \"hello\"], \"scope\": \"global\"}"), 400, "invalid_phone", "phones");
        assertNothingStored();
    }

    @Test
    void shouldRefuseAnInvalidScopeAndStoreNothing() throws Exception {
        assertError(postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"brand:acme\"}"), 400, "invalid_scope", "scope");
        assertError(postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"sender:ac me\"}"), 400, "invalid_scope", "scope");
        assertError(postJson("{\"phones\": [\"" + A + "\"]}"), 400, "missing_field", "scope");
        assertNothingStored();
    }

    @Test
    void shouldRefuseBadJsonBodies() throws Exception {
        assertError(postJson("{\"scope\": \"global\"}"), 400, "missing_field", "phones");
        assertError(postJson("{\"phones\": [], \"scope\": \"global\"}"), 400, "invalid_value", "phones");
        assertError(postJson("{\"phones\": [\"" + A + "\", \"scope\": \"global\"}"), 400, "invalid_json", null);
        assertError(postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"global\", \"colour\": \"red\"}"), 400,
                "unknown_field", "colour");
        assertError(postJson("{\"phones\": \"" + A + "\", \"scope\": \"global\"}"), 400, "wrong_type", "phones");
        assertError(postJson("{\"phones\": [\"" + A + "\"], \"scope\": [\"global\"]}"), 400, "wrong_type", "scope");
        assertError(postJson(""), 400, "missing_body", null);
        assertError(send("POST", "/v1/suppressions", senderKey, "text/plain", "x".getBytes(StandardCharsets.UTF_8)), 415,
                "unsupported_media_type", null);
        assertNothingStored();
    }

    @Test
    void shouldRefuseANonUtf8Body() throws Exception {
        byte[] body = ("{\"phones\": [\"" + A + "\"], \"scope\": \"global\", \"reason\": \"caf\u00e9\"}")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertError(send("POST", "/v1/suppressions", senderKey, "application/json", body), 400, "invalid_utf8", null);
        assertNothingStored();
    }

    @Test
    void shouldAnswer413ForAJsonBodyOverTheLimit() throws Exception {
        StringBuilder sb = new StringBuilder("{\"scope\": \"global\", \"phones\": [");
        for (int i = 0; i < 400; i++) {
            sb.append(i == 0 ? "" : ",").append("\"+4474001").append(String.format("%05d", i)).append('"');
        }
        sb.append("]}");
        assertTrue(sb.length() > MAX_JSON);
        assertError(postJson(sb.toString()), 413, "body_too_large", null);
        assertNothingStored();
    }

    // ---- auth ----

    @Test
    void shouldAnswer401WithoutAKeyAnd403ForAViewerChangingSuppressions() throws Exception {
        String body = "{\"phones\": [\"" + A + "\"], \"scope\": \"global\"}";
        HttpResponse<String> noKey = send("POST", "/v1/suppressions", null, "application/json", body.getBytes(StandardCharsets.UTF_8));
        assertError(noKey, 401, "unauthorized", null);
        assertTrue(noKey.headers().firstValue("WWW-Authenticate").isPresent());
        assertError(send("POST", "/v1/suppressions", "hk_wrong", "application/json", body.getBytes(StandardCharsets.UTF_8)),
                401, "unauthorized", null);
        assertError(send("POST", "/v1/suppressions", viewerKey, "application/json", body.getBytes(StandardCharsets.UTF_8)),
                403, "forbidden", null);
        assertError(send("DELETE", "/v1/suppressions/" + enc(A) + "?scope=global", viewerKey, null, null), 403, "forbidden", null);
        assertError(send("GET", "/v1/suppressions/" + enc(A), null, null, null), 401, "unauthorized", null);
        assertNothingStored();
    }

    // ---- GET /v1/suppressions: counts per scope ----

    private JsonNode counts(String key) throws Exception {
        HttpResponse<String> r = send("GET", "/v1/suppressions", key, null, null);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static Map<String, Long> byScope(JsonNode counts) {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        counts.get("scopes").forEach(s -> out.put(s.get("scope").asText(), s.get("count").asLong()));
        return out;
    }

    @Test
    void shouldAnswerGlobalWithNoneSuppressedOnAnEmptyIndex() throws Exception {
        JsonNode c = counts(viewerKey);
        assertEquals(Map.of("global", 0L), byScope(c));
        JsonNode g = c.get("scopes").get(0);
        assertEquals("global", g.get("kind").asText());
        assertEquals("", g.get("name").asText());
        assertEquals(0, c.get("seq").asLong());
    }

    @Test
    void shouldCountEachScopeInScopeOrderForAViewerAndFollowOptIns() throws Exception {
        assertEquals(201, postJson("{\"phones\": [\"" + A + "\", \"" + B + "\"], \"scope\": \"sender:acme\"}").statusCode());
        assertEquals(201, postJson("{\"phones\": [\"" + C + "\"], \"scope\": \"category:promotions\"}").statusCode());
        assertEquals(201, postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"channel:sms\"}").statusCode());
        assertEquals(201, postJson("{\"phones\": [\"" + B + "\"], \"scope\": \"sender:zeta\"}").statusCode());
        JsonNode c = counts(viewerKey);
        assertEquals(List.of("global", "sender:acme", "sender:zeta", "channel:sms", "category:promotions"),
                List.copyOf(byScope(c).keySet()), "scope order: kind, then name");
        assertEquals(Map.of("global", 0L, "sender:acme", 2L, "sender:zeta", 1L, "channel:sms", 1L, "category:promotions", 1L),
                byScope(c));
        JsonNode acme = c.get("scopes").get(1);
        assertEquals("sender", acme.get("kind").asText());
        assertEquals("acme", acme.get("name").asText());
        assertEquals(index.snapshot().seq(), c.get("seq").asLong());

        assertEquals(200, send("DELETE", "/v1/suppressions/" + enc(A) + "?scope=sender:acme", senderKey, null, null).statusCode());
        assertEquals(200, send("DELETE", "/v1/suppressions/" + enc(C) + "?scope=category:promotions", senderKey, null, null)
                .statusCode());
        Map<String, Long> after = byScope(counts(senderKey));
        assertEquals(1L, after.get("sender:acme"));
        assertFalse(after.containsKey("category:promotions"), "a scope without members is not listed: " + after);
    }

    @Test
    void shouldRefuseCountsWithoutAKeyAndACsvImportByAViewer() throws Exception {
        assertError(send("GET", "/v1/suppressions", null, null, null), 401, "unauthorized", null);
        assertError(send("GET", "/v1/suppressions", "hk_wrong", null, null), 401, "unauthorized", null);
        assertError(send("PUT", "/v1/suppressions", senderKey, "application/json", "{}".getBytes(StandardCharsets.UTF_8)),
                405, "method_not_allowed", null);
        assertError(send("POST", "/v1/suppressions?scope=global", viewerKey, "text/csv",
                ("phone\n" + A + "\n").getBytes(StandardCharsets.UTF_8)), 403, "forbidden", null);
        assertNothingStored();
    }

    // ---- DELETE ----

    @Test
    void shouldOptBackInForOneScopeWithDelete() throws Exception {
        assertEquals(201, postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"global\"}").statusCode());
        assertEquals(201, postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"sender:acme\"}").statusCode());

        HttpResponse<String> r = send("DELETE", "/v1/suppressions/" + enc(A) + "?scope=global&reason=re-subscribed",
                senderKey, null, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(A, j.get("phone").asText());
        assertEquals("global", j.get("optedIn").asText());
        assertTrue(j.get("wasSuppressed").asBoolean());
        assertTrue(j.get("suppressed").asBoolean(), "still suppressed for sender:acme");
        assertEquals(List.of("sender:acme"), List.of(j.get("scopes").get(0).asText()));
        assertEquals(1, j.get("scopes").size());
        assertFalse(index.snapshot().isSuppressed(id(A), Scope.GLOBAL));

        JsonNode history = json(get(enc(A))).get("history");
        assertEquals(3, history.size());
        assertEquals("opt-in", history.get(2).get("action").asText());
        assertEquals("re-subscribed", history.get(2).get("reason").asText());
        assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains("opt-in of +*********456")),
                "the opt-in is logged, masked: " + logs.list);
    }

    @Test
    void shouldAcceptANationalNumberInThePathWithTheDefaultRegion() throws Exception {
        assertEquals(201, postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"global\"}").statusCode());
        HttpResponse<String> r = send("DELETE", "/v1/suppressions/07400123456?scope=global", senderKey, null, null);
        assertEquals(200, r.statusCode(), r.body());
        assertFalse(json(r).get("suppressed").asBoolean());
    }

    @Test
    void shouldRequireAValidScopeOnDelete() throws Exception {
        assertEquals(201, postJson("{\"phones\": [\"" + A + "\"], \"scope\": \"global\"}").statusCode());
        assertError(send("DELETE", "/v1/suppressions/" + enc(A), senderKey, null, null), 400, "missing_parameter", "scope");
        assertError(send("DELETE", "/v1/suppressions/" + enc(A) + "?scope=everything", senderKey, null, null), 400,
                "invalid_scope", "scope");
        assertTrue(index.snapshot().isSuppressed(id(A), Scope.GLOBAL));
        assertEquals(1, index.ledger().history(id(A)).size(), "nothing written by the refused requests");
    }

    @Test
    void shouldAnswer404ForAnUnknownNumberAnd400ForAnInvalidOne() throws Exception {
        assertError(get(enc(A)), 404, "not_found", null);
        assertError(send("DELETE", "/v1/suppressions/" + enc(A) + "?scope=global", senderKey, null, null), 404, "not_found", null);
        assertError(get("hello"), 400, "invalid_phone", "phone");
        assertError(get("%2B4412"), 400, "invalid_phone", "phone");
        assertNothingStored();
    }

    // ---- POST, CSV ----

    @Test
    void shouldSuppressCsvLinesWithPerLineScopesAndReasons() throws Exception {
        String csv = "phone,scope,reason\n"
                + A + ",global,\"said \"\"stop\"\", twice\"\n"
                + B + ",,\n"
                + "not-a-number,global,\n"
                + "07400123458,sender:acme,x\n"
                + C + ",bogus,\n";
        HttpResponse<String> r = postCsv("?scope=channel:sms", csv);
        assertEquals(201, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(3, j.get("suppressed").asLong());
        assertEquals(2, j.get("rejected").asLong());
        assertEquals(4, j.get("errors").get(0).get("line").asInt());
        assertEquals(6, j.get("errors").get(1).get("line").asInt());
        assertEquals("+*********458", j.get("errors").get(1).get("phone").asText());
        assertTrue(index.snapshot().isSuppressed(id(A), Scope.GLOBAL));
        assertTrue(index.snapshot().isSuppressed(id(B), Scope.channel("sms")));
        assertTrue(index.snapshot().isSuppressed(id(C), Scope.sender("acme")));
        assertEquals("said \"stop\", twice", json(get(enc(A))).get("history").get(0).get("reason").asText());
    }

    @Test
    void shouldRejectNonUtf8CsvLinesAndKeepTheOthers() throws Exception {
        byte[] head = ("phone,reason\n" + A + ",ok\n" + B + ",caf").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\n" + C + ",fine\n").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + 1 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        body[head.length] = (byte) 0xE9; // Latin-1 é: not UTF-8
        System.arraycopy(tail, 0, body, head.length + 1, tail.length);
        HttpResponse<String> r = send("POST", "/v1/suppressions?scope=global", senderKey, "text/csv", body);
        assertEquals(201, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(2, j.get("suppressed").asLong());
        assertEquals(1, j.get("rejected").asLong());
        assertEquals(3, j.get("errors").get(0).get("line").asInt());
        assertEquals("invalid UTF-8", j.get("errors").get(0).get("reason").asText());
        assertTrue(directory.idOf(B).isEmpty(), "the rejected line registered nothing");
    }

    @Test
    void shouldRefuseCsvWithoutPhoneColumnOrScopeAndStoreNothing() throws Exception {
        assertError(postCsv("?scope=global", "number\n" + A + "\n"), 400, "invalid_csv", "phone");
        assertError(postCsv("", "phone\n" + A + "\n"), 400, "missing_parameter", "scope");
        assertError(postCsv("?scope=nope", "phone\n" + A + "\n"), 400, "invalid_scope", "scope");
        assertError(postCsv("?scope=global", "phone\nhello\n12\n"), 400, "invalid_csv", "phone");
        assertError(postCsv("?scope=global", ""), 400, "missing_body", null);
        assertNothingStored();
    }

    @Test
    void shouldStreamALargeCsvInSeveralDurableBatches() throws Exception {
        int n = 2 * OptOutBatch.BATCH + 123;
        StringBuilder csv = new StringBuilder("phone\r\n");
        for (int i = 0; i < n; i++) {
            csv.append("+4474001").append(String.format("%05d", i)).append("\r\n");
        }
        HttpResponse<String> r = postCsv("?scope=category:marketing&reason=bulk", csv.toString());
        assertEquals(201, r.statusCode(), r.body());
        assertEquals(n, json(r).get("suppressed").asLong());
        assertEquals(0, json(r).get("rejected").asLong());
        assertEquals(n, index.snapshot().count(Scope.category("marketing")));
        assertEquals(Map.of(Scope.category("marketing"), (long) n), index.snapshot().counts());
    }

    @Test
    void shouldAnswer413ForACsvUploadOverItsLimit() throws Exception {
        ApiKeys keys = ApiKeys.open(dir.resolve("keys"));
        SuppressionRoutes small = new SuppressionRoutes(keys, MAX_JSON, Duration.ofSeconds(10), 64, index, directory, blockingIo);
        ServerBinding b = Http.get(system).newServerAt("127.0.0.1", 0)
                .bind(handleExceptions(ApiDirectives.exceptionHandler(),
                        () -> handleRejections(ApiDirectives.rejectionHandler(), small::route)))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            StringBuilder csv = new StringBuilder("phone\n");
            for (int i = 0; i < 20; i++) {
                csv.append("+4474001").append(String.format("%05d", i)).append('\n');
            }
            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + b.localAddress().getPort() + "/v1/suppressions?scope=global"))
                    .header("Authorization", "Bearer " + senderKey).header("Content-Type", "text/csv")
                    .POST(HttpRequest.BodyPublishers.ofString(csv.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(r, 413, "body_too_large", null);
            assertNothingStored();

            // without Content-Length (chunked): refused when the stream passes the limit
            HttpResponse<String> chunked = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + b.localAddress().getPort() + "/v1/suppressions?scope=global"))
                    .header("Authorization", "Bearer " + senderKey).header("Content-Type", "text/csv")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                            csv.toString().getBytes(StandardCharsets.UTF_8)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(chunked, 413, "body_too_large", null);
        } finally {
            b.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
