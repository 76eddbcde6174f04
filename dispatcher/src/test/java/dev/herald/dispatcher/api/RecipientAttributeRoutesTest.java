package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;

import java.io.StringReader;
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

/** {@code PUT} and {@code GET /v1/recipients/{phone}/attributes} over real HTTP, bad input included. */
class RecipientAttributeRoutesTest {
    private static final String ANN = "+447400123456";
    private static final String ANN_PATH = "/v1/recipients/%2B447400123456/attributes";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static ActorSystem<Void> system;

    @TempDir
    Path dir;

    private RecipientDirectory directory;
    private ExecutorService blockingIo;
    private ServerBinding binding;
    private String base;
    private String senderKey;
    private String viewerKey;

    @BeforeAll
    static void startSystem() {
        system = ActorSystem.create(Behaviors.empty(), "recipient-attribute-routes-test");
    }

    @AfterAll
    static void stopSystem() {
        system.terminate();
    }

    @BeforeEach
    void start() throws Exception {
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults().withDefaultRegion("GB")
                .withCapacity(1_000));
        // Ann comes from a CSV upload, as most recipients do
        directory.importCsv(new StringReader("phone,tz,locale,first_name,tier\n" + ANN + ",Europe/London,en-GB,Ann,gold\n"),
                "audience.csv", ImportListener.NONE);
        blockingIo = Executors.newFixedThreadPool(2);
        ApiKeys keys = ApiKeys.open(dir.resolve("keys"));
        senderKey = keys.create(Role.SENDER, "test sender").key();
        viewerKey = keys.create(Role.VIEWER, "test viewer").key();
        RecipientAttributeRoutes routes = new RecipientAttributeRoutes(keys, new BodyLimits(100_000, Duration.ofSeconds(10)),
                directory, blockingIo);
        binding = Http.get(system).newServerAt("127.0.0.1", 0)
                .bind(HttpApi.sealed(List.of(routes.route()), RecipientAttributeRoutes.ENDPOINTS, Map::of, keys))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    @AfterEach
    void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        blockingIo.shutdown();
        blockingIo.awaitTermination(10, TimeUnit.SECONDS);
        directory.close();
    }

    private HttpResponse<String> put(String key, String path, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> put(String body) throws Exception {
        return put(senderKey, ANN_PATH, "application/json", body);
    }

    private HttpResponse<String> get(String key, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return ApiDirectives.JSON.readTree(r.body());
    }

    private Recipient ann() {
        return directory.find(ANN).orElseThrow();
    }

    /** Asserts a refusal: status, error code and the field named. */
    private static void refused(HttpResponse<String> r, int status, String error, String field) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals(error, j.path("error").asText(), r.body());
        if (field == null) {
            assertTrue(j.path("field").isNull(), r.body());
        } else {
            assertEquals(field, j.path("field").asText(), r.body());
        }
    }

    @Test
    void shouldSetAndRemoveAttributesKeepingTheUploadedOnes() throws Exception {
        HttpResponse<String> r = put("{\"birthday\": \"1990-03-14\", \"signed_up_at\": \"2026-12-01T10:00:00Z\", \"tier\": null,"
                + " \"score\": 19.90, \"vip\": true}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals("+*********456", j.path("phone").asText());
        assertFalse(r.body().contains("7400123456"), "the number is not echoed: " + r.body());
        assertEquals(0, j.path("recipientId").asInt());
        assertFalse(j.path("created").asBoolean());
        assertEquals("Europe/London", j.path("tz").asText());
        assertEquals("en-GB", j.path("locale").asText());
        assertEquals(Map.of("first_name", "Ann", "birthday", "1990-03-14", "signed_up_at", "2026-12-01T10:00:00Z",
                "score", "19.90", "vip", "true"), ApiDirectives.JSON.convertValue(j.path("attributes"), Map.class));
        assertEquals(Map.of("first_name", "Ann", "birthday", "1990-03-14", "signed_up_at", "2026-12-01T10:00:00Z",
                "score", "19.90", "vip", "true"), ann().fields());
        assertEquals("Europe/London", ann().zone());

        HttpResponse<String> got = get(viewerKey, ANN_PATH);
        assertEquals(200, got.statusCode(), got.body());
        assertEquals(j.path("attributes"), json(got).path("attributes"));
        assertTrue(json(got).path("created").isMissingNode(), got.body());
    }

    @Test
    void shouldSetZoneAndLocaleAndRegisterAnUnknownNumber() throws Exception {
        HttpResponse<String> r = put(senderKey, "/v1/recipients/+447400123999/attributes", "application/json",
                "{\"tz\": \"America/New_York\", \"locale\": \"en_US\", \"birthday\": \"--07-04\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(json(r).path("created").asBoolean(), r.body());
        Recipient bob = directory.find("+447400123999").orElseThrow();
        assertEquals("America/New_York", bob.zone());
        assertEquals("en-US", bob.locale());
        assertEquals(Map.of("birthday", "--07-04"), bob.fields());
        assertEquals(2, directory.size());
    }

    @Test
    void shouldAnswer404ForAnUnknownNumberAndNameThePhoneWhenItIsNotOne() throws Exception {
        HttpResponse<String> unknown = get(viewerKey, "/v1/recipients/%2B447400999999/attributes");
        refused(unknown, 404, "not_found", null);
        assertFalse(unknown.body().contains("7400999999"), unknown.body());
        refused(get(viewerKey, "/v1/recipients/12/attributes"), 400, "invalid_phone", "phone");
        refused(put(senderKey, "/v1/recipients/not-a-number/attributes", "application/json", "{\"tier\": \"gold\"}"),
                400, "invalid_phone", "phone");
        refused(put(senderKey, "/v1/recipients/+4474/attributes", "application/json", "[1]"), 400, "invalid_phone", "phone");
        assertEquals(1, directory.size());
    }

    @Test
    void shouldRefuseBadBodiesNamingTheFieldAndChangeNothing() throws Exception {
        Recipient before = ann();
        refused(put("[{\"tier\": \"x\"}]"), 400, "wrong_type", null);
        refused(put("\"tier\""), 400, "wrong_type", null);
        refused(put("{}"), 400, "no_attributes", null);
        refused(put(""), 400, "missing_body", null);
        refused(put("{\"tier\": \"silver\""), 400, "invalid_json", null);
        refused(put("{\"tier\": \"silver\", \"address\": {\"city\": \"Leeds\"}}"), 400, "wrong_type", "address");
        refused(put("{\"tags\": [\"a\", \"b\"]}"), 400, "wrong_type", "tags");
        refused(put("{\"tier\": \"silver\", \"tier\": null}"), 400, "duplicate_field", "tier");
        refused(put("{\"Tier\": \"silver\"}"), 400, "invalid_name", "Tier");
        refused(put("{\"first name\": \"Ann\"}"), 400, "invalid_name", "first name");
        refused(put("{\"" + "a".repeat(65) + "\": \"x\"}"), 400, "invalid_name", "a".repeat(65));
        refused(put("{\"phone\": \"+447400123457\"}"), 400, "reserved_name", "phone");
        refused(put("{\"tz\": \"Mars/Olympus\"}"), 400, "invalid_value", "tz");
        refused(put("{\"tz\": null}"), 400, "invalid_value", "tz");
        refused(put("{\"locale\": 5}"), 400, "wrong_type", "locale");
        refused(put("{\"locale\": \"not a tag\"}"), 400, "invalid_value", "locale");
        HttpResponse<String> tooLong = put("{\"tier\": \"silver\", \"notes\": \"" + "n".repeat(1025) + "\"}");
        refused(tooLong, 400, "value_too_long", "notes");
        assertTrue(json(tooLong).path("message").asText().contains("1025 characters"), tooLong.body());
        refused(put(senderKey, ANN_PATH, "text/plain", "{\"tier\": \"silver\"}"), 415, "unsupported_media_type", null);
        assertEquals(before, ann());
    }

    @Test
    void shouldRefuseDatesThatAreNotDatesWith422NamingTheAttribute() throws Exception {
        Recipient before = ann();
        HttpResponse<String> birthday = put("{\"tier\": \"silver\", \"birthday\": \"14/03/1990\"}");
        refused(birthday, 422, "invalid_date", "birthday");
        assertTrue(json(birthday).path("message").asText().contains("YYYY-MM-DD"), birthday.body());
        refused(put("{\"birthday\": \"1990-02-30\"}"), 422, "invalid_date", "birthday");
        refused(put("{\"renewal_date\": \"2026-12-01T10:00:00Z\"}"), 422, "invalid_date", "renewal_date");
        refused(put("{\"signed_up_at\": \"yesterday\"}"), 422, "invalid_date", "signed_up_at");
        refused(put("{\"signed_up_at\": 1764583200}"), 422, "invalid_date", "signed_up_at");
        assertEquals(before, ann());
        assertEquals(200, put("{\"birthday\": \"\", \"signed_up_at\": \"2026-12-01\"}").statusCode(), "blank removes, unchecked");
        assertEquals(Map.of("first_name", "Ann", "tier", "gold", "signed_up_at", "2026-12-01"), ann().fields());
    }

    @Test
    void shouldRefuseARecordOver64KiBNamingTheLargestAttribute() throws Exception {
        StringBuilder body = new StringBuilder("{");
        for (int i = 0; i < 70; i++) {
            body.append(i == 0 ? "" : ", ").append("\"note_").append(i).append("\": \"").append("x".repeat(1000)).append('"');
        }
        body.append(", \"big\": \"").append("y".repeat(1024)).append("\"}");
        Recipient before = ann();
        HttpResponse<String> r = put(body.toString());
        refused(r, 400, "record_too_large", "big");
        assertTrue(json(r).path("message").asText().contains("65536"), r.body());
        assertEquals(before, ann());
    }

    @Test
    void shouldNeedASenderKeyToWriteAndAViewerKeyToRead() throws Exception {
        refused(put(viewerKey, ANN_PATH, "application/json", "{\"tier\": \"silver\"}"), 403, "forbidden", null);
        refused(put(null, ANN_PATH, "application/json", "{\"tier\": \"silver\"}"), 401, "unauthorized", "Authorization");
        assertEquals("gold", ann().fields().get("tier"));
        assertEquals(200, get(senderKey, ANN_PATH).statusCode());
        HttpResponse<String> post = CLIENT.send(HttpRequest.newBuilder(URI.create(base + ANN_PATH))
                .header("Authorization", "Bearer " + senderKey).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode(), post.body());
    }
}
