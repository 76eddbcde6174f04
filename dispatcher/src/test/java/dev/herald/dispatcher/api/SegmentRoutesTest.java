package dev.herald.dispatcher.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The segment routes over real HTTP on a random port. */
class SegmentRoutesTest {

    /** Largest upload of the second server, to test 413. */
    private static final long SMALL_LIMIT = 1_000;

    @TempDir
    static Path data;

    private static ActorSystem<Void> system;
    private static ExecutorService blockingIo;
    private static RecipientDirectory directory;
    private static SegmentStore segments;
    private static ServerBinding server;
    private static ServerBinding smallServer;
    private static String sender;
    private static String viewer;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        system = ActorSystem.create(Behaviors.empty(), "segment-routes-test");
        blockingIo = Executors.newFixedThreadPool(2);
        directory = RecipientDirectory.open(data.resolve("directory"),
                DirectoryOptions.defaults().withCapacity(1_200_000).withDefaultRegion("GB"));
        segments = SegmentStore.open(data);
        ApiKeys keys = ApiKeys.open(data);
        sender = keys.create(Role.SENDER, "test sender").key();
        viewer = keys.create(Role.VIEWER, "test viewer").key();
        server = bind(new SegmentRoutes(keys, 1 << 20, Duration.ofSeconds(10), 256L << 20, segments, directory, blockingIo));
        smallServer = bind(new SegmentRoutes(keys, 1 << 20, Duration.ofSeconds(10), SMALL_LIMIT, segments, directory, blockingIo));
    }

    private static ServerBinding bind(SegmentRoutes routes) throws Exception {
        AllDirectives d = new AllDirectives() { };
        Route route = d.handleExceptions(ApiDirectives.exceptionHandler(),
                () -> d.handleRejections(ApiDirectives.rejectionHandler(), routes::route));
        return Http.get(system).newServerAt("127.0.0.1", 0).bind(route).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.terminate(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
            smallServer.terminate(Duration.ofSeconds(2)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        if (system != null) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (blockingIo != null) {
            blockingIo.shutdownNow();
        }
        if (directory != null) {
            directory.close();
        }
    }

    // ---- helpers

    private record Answer(int status, JsonNode json, String text) {
    }

    private static URI uri(ServerBinding b, String path) {
        return URI.create("http://127.0.0.1:" + b.localAddress().getPort() + path);
    }

    private static Answer send(HttpRequest.Builder request, String key) throws IOException, InterruptedException {
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        HttpResponse<String> r = HTTP.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().isEmpty() ? null : ApiDirectives.JSON.readTree(r.body());
        if (json != null && r.statusCode() >= 400) {
            // every error is {"error", "message", "field"}
            assertTrue(json.has("error") && json.has("message") && json.has("field"), r.body());
        }
        return new Answer(r.statusCode(), json, r.body());
    }

    private static Answer upload(String name, String csv, String key) throws IOException, InterruptedException {
        return upload(server, name, csv.getBytes(StandardCharsets.UTF_8), "text/csv", key);
    }

    private static Answer upload(ServerBinding b, String name, byte[] body, String contentType, String key)
            throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(b, "/v1/segments/" + name)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), key);
    }

    private static Answer get(String path, String key) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(server, path)).GET(), key);
    }

    private static Answer delete(String path, String key) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(server, path)).DELETE(), key);
    }

    private static void assertError(Answer a, int status, String code, String field) {
        assertEquals(status, a.status(), a.text());
        assertEquals(code, a.json().get("error").asText(), a.text());
        assertEquals(field, a.json().get("field").isNull() ? null : a.json().get("field").asText(), a.text());
    }

    private static void assertNoSegment(String name) throws IOException, InterruptedException {
        assertEquals(404, get("/v1/segments/" + name, viewer).status());
        assertTrue(segments.get(name).isEmpty());
    }

    // ---- tests

    @Test
    void shouldRecordThePersonalFieldsOfTheHeaderAsTheImportReadsIt() throws Exception {
        // a quoted name holding a comma and CR-only line ends: the header is read by the importer's
        // own CSV reader, not split by hand, so the fields are the columns the recipients got
        String csv = "\uFEFFPhone,\"Last, First\",TZ,First_Name\r+447400100011,\"Doe, Jane\",,Jane\r";
        Answer up = upload("header_fields", csv, sender);
        assertEquals(201, up.status(), up.text());
        assertEquals(List.of("last, first", "first_name"), segments.meta("header_fields").orElseThrow().fields());
        assertEquals("Doe, Jane", directory.find("+447400100011").orElseThrow().fields().get("last, first"));
    }

    @Test
    void shouldUploadGetListAndDeleteASegment() throws Exception {
        String csv = "phone,tz,locale,first_name\n"
                + "+447400100001,Europe/London,en-GB,Ada\n"
                + "+447400100002,,,Bob\n"
                + "07400 100003,,,\n"
                + "+447400100001,,,Ada again\n";
        Answer up = upload("crud_vip", csv, sender);
        assertEquals(201, up.status(), up.text());
        assertEquals("crud_vip", up.json().get("name").asText());
        assertEquals(3, up.json().get("size").asLong());
        assertEquals(4, up.json().get("lines").asLong());
        assertEquals(0, up.json().get("rejected").asLong());
        assertEquals(0, up.json().get("errors").size());
        assertEquals("Ada again", directory.find("+447400100001").orElseThrow().fields().get("first_name"));

        Answer one = get("/v1/segments/crud_vip", viewer);
        assertEquals(200, one.status(), one.text());
        assertEquals(3, one.json().get("size").asLong());
        assertTrue(one.json().has("createdAt"), one.text());

        Answer list = get("/v1/segments", viewer);
        assertEquals(200, list.status(), list.text());
        assertTrue(list.json().isArray(), list.text());
        assertTrue(list.json().findValuesAsText("name").contains("crud_vip"), list.text());

        ImmutableRoaringBitmap ids = segments.get("crud_vip").orElseThrow().ids();
        assertEquals(3, ids.getCardinality());
        assertTrue(ids.contains(directory.idOf("+447400100003").orElseThrow()));

        assertEquals(204, delete("/v1/segments/crud_vip", sender).status());
        assertError(delete("/v1/segments/crud_vip", sender), 404, "not_found", null);
        assertNoSegment("crud_vip");
    }

    @Test
    void shouldReplaceASegmentWhenUploadedAgain() throws Exception {
        assertEquals(201, upload("replaced", "phone\n+447400100011\n+447400100012\n", sender).status());
        assertEquals(201, upload("replaced", "phone\n+447400100013\n", sender).status());
        assertEquals(1, get("/v1/segments/replaced", viewer).json().get("size").asLong());
    }

    @Test
    void shouldAnswer401WithoutKeyAnd403ForAViewerUploading() throws Exception {
        assertError(upload("auth", "phone\n+447400100021\n", null), 401, "unauthorized", "Authorization");
        assertError(get("/v1/segments", null), 401, "unauthorized", "Authorization");
        assertError(get("/v1/segments", "hk_not_a_key"), 401, "unauthorized", "Authorization");
        assertError(upload("auth", "phone\n+447400100021\n", viewer), 403, "forbidden", null);
        assertError(delete("/v1/segments/auth", viewer), 403, "forbidden", null);
        assertNoSegment("auth");
    }

    @Test
    void shouldListInvalidLinesWithTheirLineNumbers() throws Exception {
        byte[] csv = ("phone,first_name\n"
                + "+447400100031,A\n"
                + "not a phone,B\n"
                + "+447400100032,C\n"
                + "\n"
                + "+12,D\n").getBytes(StandardCharsets.UTF_8);
        byte[] withBadUtf8 = new byte[csv.length + 20];
        System.arraycopy(csv, 0, withBadUtf8, 0, csv.length);
        byte[] tail = "+447400100033,\u0000X\n".getBytes(StandardCharsets.UTF_8);
        tail[tail.length - 3] = (byte) 0xff; // line 7: invalid UTF-8 in the name
        System.arraycopy(tail, 0, withBadUtf8, csv.length, tail.length);
        byte[] body = java.util.Arrays.copyOf(withBadUtf8, csv.length + tail.length);

        Answer a = upload(server, "with_rejects", body, "text/csv; charset=UTF-8", sender);
        assertEquals(201, a.status(), a.text());
        assertEquals(2, a.json().get("size").asLong(), a.text());
        assertEquals(3, a.json().get("rejected").asLong(), a.text());
        List<Long> lines = a.json().get("errors").findValues("line").stream().map(JsonNode::asLong).toList();
        assertEquals(List.of(3L, 6L, 7L), lines, a.text());
        assertTrue(a.json().get("errors").get(2).get("reason").asText().toLowerCase().contains("utf-8"), a.text());
    }

    @Test
    void shouldListAtMost100ErrorsButCountThemAll() throws Exception {
        StringBuilder csv = new StringBuilder("phone\n+447400100041\n");
        for (int i = 0; i < 150; i++) {
            csv.append("bad").append(i).append('\n');
        }
        Answer a = upload("many_rejects", csv.toString(), sender);
        assertEquals(201, a.status(), a.text());
        assertEquals(150, a.json().get("rejected").asLong());
        assertEquals(SegmentRoutes.MAX_LISTED_ERRORS, a.json().get("errors").size());
        assertEquals(3, a.json().get("errors").get(0).get("line").asLong());
    }

    @Test
    void shouldRefuseACsvWithoutPhoneColumnAndStoreNothing() throws Exception {
        assertError(upload("no_phone", "name,tz\nAda,Europe/London\n", sender), 400, "invalid_csv", "phone");
        assertNoSegment("no_phone");
        assertError(upload("no_header", "", sender), 400, "invalid_csv", "phone");
        assertNoSegment("no_header");
    }

    @Test
    void shouldRefuseAnUploadWithoutValidLinesAndStoreNothing() throws Exception {
        assertError(upload("all_bad", "phone\nnope\n+1\n", sender), 400, "empty_segment", null);
        assertNoSegment("all_bad");
    }

    @Test
    void shouldAnswer415ForAnotherContentType() throws Exception {
        byte[] body = "phone\n+447400100051\n".getBytes(StandardCharsets.UTF_8);
        assertError(upload(server, "json_body", body, "application/json", sender), 415, "unsupported_media_type", null);
        assertError(upload(server, "latin1", body, "text/csv; charset=ISO-8859-1", sender), 415, "unsupported_media_type", null);
        assertNoSegment("json_body");
    }

    @Test
    void shouldAnswer413OverTheUploadLimitAndStoreNothing() throws Exception {
        StringBuilder csv = new StringBuilder("phone\n");
        for (int i = 0; csv.length() <= SMALL_LIMIT + 100; i++) {
            csv.append("+4474001").append(String.format("%05d", 60_000 + i)).append('\n');
        }
        byte[] body = csv.toString().getBytes(StandardCharsets.UTF_8);
        assertError(upload(smallServer, "too_big", body, "text/csv", sender), 413, "body_too_large", null);
        assertNoSegment("too_big");
        // without a Content-Length (chunked), the limit is found while streaming
        Answer chunked = send(HttpRequest.newBuilder(uri(smallServer, "/v1/segments/too_big_chunked"))
                .header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))), sender);
        assertError(chunked, 413, "body_too_large", null);
        assertNoSegment("too_big_chunked");
        // under the limit the small server accepts
        assertEquals(201, upload(smallServer, "small_ok", "phone\n+447400100061\n".getBytes(StandardCharsets.UTF_8),
                "text/csv", sender).status());
    }

    @Test
    void shouldRefuseAnInvalidSegmentName() throws Exception {
        assertError(upload("bad.name", "phone\n+447400100071\n", sender), 400, "invalid_name", "name");
        assertError(upload("-dash", "phone\n+447400100071\n", sender), 400, "invalid_name", "name");
        assertError(get("/v1/segments/" + "x".repeat(65), viewer), 400, "invalid_name", "name");
        assertError(delete("/v1/segments/a%26b", sender), 400, "invalid_name", "name");
    }

    @Test
    void shouldAnswer404ForAnUnknownSegment() throws Exception {
        assertError(get("/v1/segments/never_made", viewer), 404, "not_found", null);
    }

    @Test
    void shouldAnswer409NamingTheDamagedFileListTheOthersAndStillDeleteIt() throws Exception {
        assertEquals(201, upload("damaged", "phone\n+447400100091\n", sender).status());
        assertEquals(201, upload("undamaged", "phone\n+447400100092\n", sender).status());
        java.nio.file.Files.writeString(segments.directory().resolve("damaged.json"), "{\"name\": ");
        try {
            Answer a = get("/v1/segments/damaged", viewer);
            assertError(a, 409, "damaged", null);
            assertTrue(a.json().path("message").asText().contains("segments/damaged.json"), "names the file: " + a.text());
            assertTrue(!a.text().contains(data.toString()), "no server path in the answer: " + a.text());
            Answer list = get("/v1/segments", viewer);
            assertEquals(200, list.status(), list.text());
            JsonNode damaged = null;
            boolean other = false;
            for (JsonNode n : list.json()) {
                if (n.path("name").asText().equals("damaged")) {
                    damaged = n;
                }
                other |= n.path("name").asText().equals("undamaged") && n.path("size").asLong() == 1;
            }
            assertTrue(other, "the other segments are listed: " + list.text());
            assertTrue(damaged != null, list.text());
            assertEquals("damaged", damaged.path("status").asText());
            assertEquals("segments/damaged.json", damaged.path("file").asText());
            assertTrue(!list.text().contains(data.toString()), "no server path in the list: " + list.text());
            assertEquals(200, get("/v1/segments/undamaged", viewer).status());
        } finally {
            assertEquals(204, delete("/v1/segments/damaged", sender).status());
        }
        assertNoSegment("damaged");
    }

    @Test
    void shouldResolveAnAudienceExpressionOverStoredSegments() throws Exception {
        assertEquals(201, upload("expr_vip", "phone\n+447400100081\n+447400100082\n", sender).status());
        assertEquals(201, upload("expr_bought", "phone\n+447400100082\n+447400100083\n", sender).status());
        int vipOnly = directory.idOf("+447400100081").orElseThrow();
        ImmutableRoaringBitmap a = SegmentRoutes.audience("expr_vip & !expr_bought", segments, directory);
        assertEquals(List.of(vipOnly), java.util.Arrays.stream(a.toArray()).boxed().toList());
        assertEquals(3, SegmentRoutes.audience("expr_vip | expr_bought", segments, directory).getCardinality());

        ApiError unknown = org.junit.jupiter.api.Assertions.assertThrows(ApiError.class,
                () -> SegmentRoutes.audience("expr_vip - nope", segments, directory));
        assertEquals("unknown_segment", unknown.code());
        assertEquals("expression", unknown.field());
        assertTrue(unknown.getMessage().contains("'nope'"), unknown.getMessage());

        ApiError syntax = org.junit.jupiter.api.Assertions.assertThrows(ApiError.class,
                () -> SegmentRoutes.audience("expr_vip &", segments, directory));
        assertEquals("invalid_expression", syntax.code());
        assertEquals("expression", syntax.field());
        assertTrue(syntax.getMessage().contains("position 10"), syntax.getMessage());
    }

    /** Streams 1,000,000 generated lines (never a whole CSV in memory on either side). */
    @Test
    void shouldImportAMillionLinesStreamed() throws Exception {
        int lines = 1_000_000;
        long started = System.nanoTime();
        Answer a = send(HttpRequest.newBuilder(uri(server, "/v1/segments/million"))
                .header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedCsv(lines, "phone,first_name",
                        i -> "+44741" + String.format("%07d", i) + ",n" + i))), sender);
        long ms = (System.nanoTime() - started) / 1_000_000;
        System.out.println("SegmentRoutesTest: uploaded " + lines + " CSV lines in " + ms + " ms");
        assertEquals(201, a.status(), a.text());
        assertEquals(lines, a.json().get("size").asLong());
        assertEquals(lines, a.json().get("lines").asLong());
        assertEquals(0, a.json().get("rejected").asLong());
        assertEquals(lines, segments.get("million").orElseThrow().ids().getCardinality());
    }
}
