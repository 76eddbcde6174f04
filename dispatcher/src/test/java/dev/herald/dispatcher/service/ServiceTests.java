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
