package dev.herald.dispatcher.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** What the tests that drive {@code herald serve} over real HTTP share. */
final class ServiceTests {

    /** Builds a synthetic directory of {@code recipients} in {@code template/data} (copied for each test with {@link #copyData}). */
    static void buildDirectory(Path template, int recipients, dev.herald.dispatcher.demo.AudienceSpec spec) throws Exception {
        try (dev.herald.dispatcher.HeraldData data = dev.herald.dispatcher.demo.SyntheticAudience.openData(template.resolve("data"),
                recipients)) {
            dev.herald.dispatcher.demo.SyntheticAudience.of(spec.withRecipients(recipients)).populate(data, (p, d, t) -> { });
        }
    }

    /**
     * Until every recipient of campaign {@code id} has an outcome (none pending or in flight) and some
     * were sent. The campaign itself stays {@code running} while recipients deferred by quiet hours
     * wait for their window (real clock).
     */
    static JsonNode awaitDecided(int port, String key, String id) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        JsonNode c;
        do {
            c = json(call(port, "GET", "/v1/campaigns/" + id, key, null, null));
            JsonNode n = c.path("counts");
            if (n.path("pending").asLong() == 0 && n.path("inFlight").asLong() == 0 && n.path("sent").asLong() > 0) {
                return c;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("campaign " + id + " never decided everyone: " + c);
    }

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ServiceTests() {
    }

    /** Copies the data directory {@code template} to {@code dir/data} (building one takes seconds; copying, less). */
    static Path copyData(Path template, Path dir) throws Exception {
        Path target = dir.resolve("data");
        try (var files = Files.walk(template)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(template.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return target;
    }

    /** One request to the service on {@code port}; {@code key}, {@code contentType} and {@code body} may be null. */
    static HttpResponse<String> call(int port, String method, String path, String key, String contentType, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The answer's JSON body, checking that it is JSON. */
    static JsonNode json(HttpResponse<String> r) throws Exception {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "answer is JSON: " + r.headers().map() + " " + r.body());
        return JSON.readTree(r.body());
    }

    /** A JSON error with this status and code (and field, unless null) that says what is wrong. */
    static void assertError(HttpResponse<String> r, int status, String code, String field) throws Exception {
        JsonNode b = json(r);
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(code, b.path("error").asText(), r.body());
        assertFalse(b.path("message").asText().isBlank(), "the error says what is wrong: " + r.body());
        if (field != null) {
            assertEquals(field, b.path("field").asText(), r.body());
        }
    }
}
