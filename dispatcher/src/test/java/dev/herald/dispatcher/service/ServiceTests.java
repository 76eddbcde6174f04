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
import java.util.Map;

/** What the tests that drive {@code herald serve} over real HTTP share. */
public final class ServiceTests {

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

    /**
     * Builds a synthetic directory of {@code recipients} (seed {@code seed}) in
     * {@code dir/template}, copies it to {@code dir/data}, and stores the segment {@code all} (everyone).
     *
     * @return the data directory
     */
    static Path dataWithEveryone(Path dir, int recipients, long seed) throws Exception {
        Path template = dir.resolve("template");
        buildDirectory(template, recipients, dev.herald.dispatcher.demo.AudienceSpec.defaults().withSeed(seed));
        Path data = copyData(template.resolve("data"), dir);
        org.roaringbitmap.buffer.MutableRoaringBitmap all = new org.roaringbitmap.buffer.MutableRoaringBitmap();
        all.add(0L, recipients);
        dev.herald.dispatcher.segment.SegmentStore.open(data).put("all", all, recipients, 0);
        return data;
    }

    /**
     * Starts {@code herald serve} in this JVM on {@code data} with {@code hocon} over the defaults.
     *
     * @param port the port (0: any)
     * @param env  the environment ({@code HERALD_API_KEY} and what the configuration names)
     */
    static HeraldService startService(Path data, String hocon, int port, Map<String, String> env) throws Exception {
        com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.parseString(hocon)
                .withFallback(com.typesafe.config.ConfigFactory.load()).resolve();
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", port), env,
                new java.io.PrintWriter(new java.io.StringWriter(), true));
    }

    /** Creates the campaign {@code body}, asserting 201; @return its id */
    static String createCampaign(int port, String key, String body) throws Exception {
        HttpResponse<String> created = call(port, "POST", "/v1/campaigns", key, "application/json", body);
        assertEquals(201, created.statusCode(), created.body());
        return json(created).path("id").asText();
    }

    /** Until campaign {@code id} is {@code completed} (asserted), at most {@code seconds}; @return its view */
    static JsonNode awaitCompleted(int port, String key, String id, int seconds) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
        JsonNode c;
        do {
            Thread.sleep(200);
            c = json(call(port, "GET", "/v1/campaigns/" + id, key, null, null));
        } while (!c.path("status").asText().equals("completed") && System.nanoTime() < deadline);
        assertEquals("completed", c.path("status").asText(), c.toString());
        return c;
    }

    /** Until campaign {@code id}'s {@code delivery.delivered} reaches {@code atLeast}, at most {@code seconds}; @return it */
    static long awaitDelivered(int port, String key, String id, long atLeast, int seconds) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
        long delivered;
        do {
            delivered = json(call(port, "GET", "/v1/campaigns/" + id, key, null, null)).path("delivery").path("delivered")
                    .asLong();
            if (delivered >= atLeast) {
                return delivered;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return delivered;
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

    /**
     * One request to the service (or a cluster node) on {@code port}; {@code key}, {@code contentType}
     * and {@code body} may be null. A cluster node's fan-outs may take longer than a single node's answers.
     */
    public static HttpResponse<String> call(int port, String method, String path, String key, String contentType, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Polls {@code GET path} (every 100 ms) until it answers 200 with a JSON body that {@code done}
     * accepts, and returns that body; a connection refused (a node starting) counts as not yet.
     *
     * @throws AssertionError naming the last answer if none did within {@code seconds}
     */
    public static JsonNode await(int port, String path, String key, java.util.function.Predicate<JsonNode> done, int seconds)
            throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            try {
                HttpResponse<String> r = call(port, "GET", path, key, null, null);
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200 && done.test(JSON.readTree(r.body()))) {
                    return JSON.readTree(r.body());
                }
            } catch (java.io.IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(100);
        }
        throw new AssertionError(path + " on " + port + " not as expected within " + seconds + " s; last: " + last);
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

    /**
     * A wrapper for the service's connector that shows every message it is sent to {@code seen}
     * (on the sending thread) before handing it on: {@code HeraldService.start(..., recording(sent::add))}.
     */
    static java.util.function.UnaryOperator<dev.herald.dispatcher.connector.Connector> recording(
            java.util.function.Consumer<dev.herald.dispatcher.connector.OutboundMessage> seen) {
        return c -> new dev.herald.dispatcher.connector.ForwardingConnector(c) {
            @Override
            public java.util.concurrent.CompletionStage<dev.herald.dispatcher.connector.SendResult> send(
                    dev.herald.dispatcher.connector.OutboundMessage m) {
                seen.accept(m);
                return delegate().send(m);
            }
        };
    }

    /** @return {@code s} URL-encoded (a phone number in a path) */
    static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}
