package dev.herald.dispatcher.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.service.HeraldService;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A real {@link HeraldService} on a free port for the console's tests: a temporary data directory,
 * quiet hours open all day, sender {@code acme} (number 60777; replies signed with {@link #INBOUND_SECRET}), and a segment {@code all} of {@code recipients}
 * London numbers uploaded through the API.
 */
final class ConsoleFixture implements AutoCloseable {

    static final String ADMIN = "console-test-admin-key-0123456789";
    static final String INBOUND_SECRET = "console-test-inbound-secret-0123";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final HeraldService service;

    private ConsoleFixture(HeraldService service) {
        this.service = service;
    }

    /** @param recipients how many numbers the segment {@code all} has (at most 1000) */
    static ConsoleFixture start(Path dir, int recipients) throws Exception {
        Config config = ConfigFactory.parseString("""
                herald.service.directory-capacity = 1000
                herald.service.ask-timeout = 30s
                herald.quiet-hours.policies.default.categories {
                  marketing.windows = ["00:00-24:00"]
                  promotions.windows = ["00:00-24:00"]
                  order-updates.windows = ["00:00-24:00"]
                }
                herald.quiet-hours.policies.default.countries = {}
                herald.senders.profiles.acme { brand = "ACME", categories = ["promotions", "order-updates"], flagged-words = ["free"], numbers = ["60777"] }
                """).withFallback(ConfigFactory.load()).resolve();
        HeraldService service = HeraldService.start(dir.resolve("data"), config,
                ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0), Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", INBOUND_SECRET),
                new PrintWriter(new StringWriter(), true));
        ConsoleFixture f = new ConsoleFixture(service);
        if (recipients > 0) {
            StringBuilder csv = new StringBuilder("phone,tz\n");
            for (int i = 0; i < recipients; i++) {
                csv.append(String.format("+447400124%03d,Europe/London\n", i));
            }
            JsonNode up = f.json(f.call("POST", "/v1/segments/all", ADMIN, "text/csv", csv.toString()));
            if (up.path("size").asInt() != recipients) {
                throw new AssertionError("segment: " + up);
            }
        }
        return f;
    }

    int port() {
        return service.port();
    }

    String base() {
        return "http://127.0.0.1:" + port();
    }

    HttpResponse<String> call(String method, String path, String key, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode json(HttpResponse<String> r) throws Exception {
        if (r.statusCode() != 200 && r.statusCode() != 201) {
            throw new AssertionError("HTTP " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** Creates a campaign (the admin key) from a JSON body. @return its id */
    String campaign(String body) throws Exception {
        return json(call("POST", "/v1/campaigns", ADMIN, "application/json", body)).path("id").asText();
    }

    /** A campaign of sender acme to the segment {@code all}, at {@code tps} messages/s (0: as fast as it goes). */
    String campaign(String name, double tps) throws Exception {
        return campaign("""
                {"name": %s, "channel": "sms", "category": "promotions", "sender": "acme",
                 "text": "ACME: spring sale today", "segment": "all"%s}"""
                .formatted(JSON.writeValueAsString(name), tps > 0 ? ", \"tps\": " + tps : ""));
    }

    /** A signed reply from {@code from} to the sender's number, as the SMS provider posts it (STOP opts out). */
    JsonNode reply(String from, String text) throws Exception {
        String body = JSON.writeValueAsString(Map.of("from", from, "to", "60777", "text", text));
        HttpRequest r = HttpRequest.newBuilder(URI.create(base() + "/v1/inbound/sms")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("X-Herald-Signature", InboundRoutes.signature(INBOUND_SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        body.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return json(HTTP.send(r, HttpResponse.BodyHandlers.ofString()));
    }

    /** @return the phone number of member {@code i} of the segment {@code all} */
    static String phone(int i) {
        return String.format("+447400124%03d", i);
    }

    /** Stores a journey (the admin key) from its JSON definition. @return its id */
    String journey(String definition) throws Exception {
        return json(call("POST", "/v1/journeys", ADMIN, "application/json", definition)).path("id").asText();
    }

    /** Records events (the admin key), one JSON object a line. @return the answer, every line recorded */
    JsonNode events(String ndjson) throws Exception {
        JsonNode r = json(call("POST", "/v1/events", ADMIN, "application/x-ndjson", ndjson));
        if (r.path("rejected").asInt() != 0) {
            throw new AssertionError("events: " + r);
        }
        return r;
    }

    JsonNode get(String path) throws Exception {
        return json(call("GET", path, ADMIN, null, null));
    }

    /** A new key of {@code role}. @return {@code {"id", "key", "role", ...}} */
    JsonNode key(String role) throws Exception {
        return json(call("POST", "/v1/keys", ADMIN, "application/json", "{\"role\": \"" + role + "\"}"));
    }

    /** Opts {@code phones} out of {@code scope} through the API (the admin key). @return the answer */
    JsonNode optOut(String scope, String reason, String... phones) throws Exception {
        return json(call("POST", "/v1/suppressions", ADMIN, "application/json", JSON.writeValueAsString(
                Map.of("phones", java.util.List.of(phones), "scope", scope, "reason", reason))));
    }

    /** @return the scopes {@code phone} is opted out of now, as {@code GET /v1/suppressions/{phone}} answers */
    java.util.List<String> scopesOf(String phone) throws Exception {
        java.util.List<String> out = new java.util.ArrayList<>();
        get("/v1/suppressions/" + phone.replace("+", "%2B")).path("scopes").forEach(s -> out.add(s.asText()));
        return out;
    }

    /** @return how many numbers {@code scope} holds now, as {@code GET /v1/suppressions} answers (0 when not listed) */
    long suppressedIn(String scope) throws Exception {
        for (JsonNode s : get("/v1/suppressions").path("scopes")) {
            if (s.path("scope").asText().equals(scope)) {
                return s.path("count").asLong();
            }
        }
        return 0;
    }

    /** Asks {@code path} until {@code done} holds, at most 60 s. @return the last answer */
    JsonNode await(String path, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = get(path);
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("still not there after 60 s: " + path + " answers " + last);
    }

    @Override
    public void close() {
        service.stop().toCompletableFuture().join();
    }
}
