package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI description lists exactly the routes the server answers, each of them is really routed,
 * each operation has its own {@code operationId}, and every status the server gives a probe is described.
 */
class OpenApiTest {

    private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch", "head", "options");
    private static final String ADMIN = "openapi-test-admin-key-123";

    static Set<String> described() throws Exception {
        return new TreeSet<>(operations().keySet());
    }

    /** @return every described operation as {@code "GET /v1/campaigns/{id}"} → its Operation object */
    static Map<String, JsonNode> operations() throws Exception {
        JsonNode spec = new ObjectMapper(new YAMLFactory()).readTree(HttpApi.openApi());
        assertEquals("3", spec.path("openapi").asText().substring(0, 1), "OpenAPI 3");
        Map<String, JsonNode> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = spec.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (METHODS.contains(op.getKey())) {
                    out.put(op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey(), op.getValue());
                }
            }
        }
        return out;
    }

    static List<Endpoint> served() {
        List<Endpoint> all = new ArrayList<>(HttpApi.OWN);
        all.addAll(RfmRoutes.ENDPOINTS);
        all.addAll(SegmentRoutes.ENDPOINTS);
        all.addAll(SuppressionRoutes.ENDPOINTS);
        all.addAll(CampaignRoutes.ENDPOINTS);
        all.addAll(CampaignEventRoutes.ENDPOINTS);
        all.addAll(CampaignInspectionRoutes.ENDPOINTS);
        all.addAll(MessageRoutes.ENDPOINTS);
        all.addAll(ConsentRoutes.ENDPOINTS);
        all.addAll(KeyRoutes.ENDPOINTS);
        all.addAll(AuditRoutes.ENDPOINTS);
        all.addAll(InboundRoutes.ENDPOINTS);
        all.addAll(ReviewRoutes.ENDPOINTS);
        all.addAll(UnsubscribeRoutes.ENDPOINTS);
        all.addAll(PreferenceRoutes.ENDPOINTS);
        all.addAll(RecipientAttributeRoutes.ENDPOINTS);
        all.addAll(ErasureRoutes.ENDPOINTS);
        all.addAll(GatewayRoutes.ENDPOINTS);
        all.addAll(LinkRoutes.ENDPOINTS);
        all.addAll(FunnelRoutes.ENDPOINTS);
        all.addAll(JourneyRoutes.ENDPOINTS);
        all.addAll(ConversionRoutes.ENDPOINTS);
        all.addAll(EventRoutes.ENDPOINTS);
        all.addAll(ConsoleRoutes.ENDPOINTS);
        all.addAll(SettingsRoutes.ENDPOINTS);
        all.add(HttpApi.METRICS);
        return all;
    }

    @Test
    void shouldDescribeExactlyTheRoutesTheServerAnswers() throws Exception {
        Set<String> served = new TreeSet<>();
        served().forEach(e -> served.add(e.method() + " " + e.template()));
        Set<String> described = described();
        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(described);
        Set<String> phantom = new TreeSet<>(described);
        phantom.removeAll(served);
        assertEquals(Set.of(), undocumented, "routes the server has but openapi.yaml does not describe");
        assertEquals(Set.of(), phantom, "routes openapi.yaml describes but the server does not have");
    }

    @Test
    void shouldGiveEveryOperationItsOwnCamelCaseOperationId() throws Exception {
        Map<String, String> byId = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        operations().forEach((op, node) -> {
            String id = node.path("operationId").asText("");
            if (!id.matches("[a-z][A-Za-z0-9]*")) {
                problems.add(op + ": operationId '" + id + "' is missing or not camelCase");
            } else if (byId.containsKey(id)) {
                problems.add(op + ": operationId '" + id + "' is also " + byId.get(id));
            } else {
                byId.put(id, op);
            }
        });
        assertEquals(List.of(), problems);
        assertEquals("createCampaign", operations().get("POST /v1/campaigns").path("operationId").asText());
        assertEquals("getCampaign", operations().get("GET /v1/campaigns/{id}").path("operationId").asText());
    }

    @Test
    void shouldStateTheLicence() throws Exception {
        JsonNode spec = new ObjectMapper(new YAMLFactory()).readTree(HttpApi.openApi());
        assertFalse(spec.path("info").path("license").path("name").asText("").isBlank(), "info.license.name");
    }

    /**
     * Each endpoint gets the requests a client gets wrong: no key, a viewer's key, an empty or
     * malformed or oversized JSON body, a body that is not JSON, ids that do not exist. Whatever
     * the server answers must be one of that operation's described responses.
     */
    @Test
    void shouldDescribeEveryStatusTheServerGivesAProbe(@TempDir Path dir) throws Exception {
        Config config = ConfigFactory.parseString("herald.service { directory-capacity = 1000, max-json-body = 1 KiB,"
                        + " max-upload = 4 KiB }").withFallback(ConfigFactory.load()).resolve();
        HeraldService service = HeraldService.start(dir, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter()));
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        Map<String, JsonNode> operations = operations();
        List<String> undescribed = new ArrayList<>();
        try {
            String base = "http://127.0.0.1:" + service.port();
            HttpResponse<String> made = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/keys"))
                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"role\":\"viewer\",\"note\":\"probe\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, made.statusCode(), made.body());
            String viewer = json.readTree(made.body()).path("key").asText();
            assertFalse(viewer.isEmpty(), made.body());
            String big = "{\"x\":\"" + "a".repeat(8 * 1024) + "\"}";
            for (Endpoint e : served()) {
                String op = e.method() + " " + e.template();
                JsonNode responses = operations.get(op).path("responses");
                String path = e.template().replace("{id}", "probe-1").replace("{name}", "probe")
                        .replace("{phone}", "%2B447400100999").replace("{token}", "probe").replace("{connector}", "probe");
                boolean hasBody = !e.method().equals("GET") && !e.method().equals("DELETE") && !e.method().equals("HEAD");
                List<String[]> probes = new ArrayList<>();
                probes.add(new String[] {"no key", null, "application/json", "{}"});
                probes.add(new String[] {"a viewer's key", viewer, "application/json", "{}"});
                probes.add(new String[] {"an admin's key", ADMIN, "application/json", "{}"});
                if (hasBody) {
                    probes.add(new String[] {"an empty body", ADMIN, "application/json", ""});
                    probes.add(new String[] {"malformed JSON", ADMIN, "application/json", "{\"x\":"});
                    probes.add(new String[] {"a text/plain body", ADMIN, "text/plain", "x"});
                    probes.add(new String[] {"an 8 KiB body", ADMIN, "application/json", big});
                }
                for (String[] p : probes) {
                    HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                            .header("Content-Type", p[2])
                            .method(e.method(), hasBody ? HttpRequest.BodyPublishers.ofString(p[3]) : HttpRequest.BodyPublishers.noBody());
                    if (p[1] != null) {
                        rb.header("Authorization", "Bearer " + p[1]);
                    }
                    HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
                    String status = Integer.toString(r.statusCode());
                    assertNotEquals(500, r.statusCode(), op + " with " + p[0] + ": " + r.body());
                    if (!responses.has(status) && !responses.has("default")) {
                        undescribed.add(op + " answers " + status + " to " + p[0] + " (" + abbreviate(r.body()) + ")");
                    }
                }
            }
        } finally {
            service.stop().toCompletableFuture().join();
        }
        assertEquals(List.of(), undescribed, "statuses openapi.yaml does not describe");
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "...";
    }

    @Test
    void shouldRouteEveryDescribedEndpointAndNothingElse(@TempDir Path dir) throws Exception {
        Config config = ConfigFactory.parseString("herald.service.directory-capacity = 1000").withFallback(ConfigFactory.load())
                .resolve();
        HeraldService service = HeraldService.start(dir, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter()));
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        try {
            for (Endpoint e : served()) {
                String path = e.template().replace("{id}", "probe-1").replace("{name}", "probe")
                        .replace("{phone}", "%2B447400100999").replace("{token}", "probe").replace("{connector}", "probe");
                // (a probe body {} is refused with a 4xx by every route that reads one: it is routed)
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                        .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(20))
                        .method(e.method(), e.method().equals("GET") || e.method().equals("DELETE")
                                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertNotEquals(405, r.statusCode(), e + ": " + r.body());
                assertNotEquals(500, r.statusCode(), e + ": " + r.body());
                if (r.statusCode() == 404) {
                    // the /u/ pages answer HTML, the API JSON; neither says "no such route" once routed
                    String message = r.body().startsWith("{") ? json.readTree(r.body()).path("message").asText() : r.body();
                    assertFalse(message.startsWith("no such route"), e + " is described but not routed: " + r.body());
                }
            }
            HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                    + "/v1/undescribed")).header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, none.statusCode());
            assertTrue(none.body().contains("no such route"), none.body());
            HttpResponse<String> spec = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                    + "/v1/openapi.yaml")).header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, spec.statusCode());
            assertTrue(spec.body().startsWith("openapi: 3"), spec.body().substring(0, 40));
        } finally {
            service.stop().toCompletableFuture().join();
        }
    }
}
