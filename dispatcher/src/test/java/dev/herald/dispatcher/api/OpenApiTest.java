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
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAPI description lists exactly the routes the server answers, and each of them is really routed. */
class OpenApiTest {

    private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch", "head", "options");
    private static final String ADMIN = "openapi-test-admin-key-123";

    static Set<String> described() throws Exception {
        JsonNode spec = new ObjectMapper(new YAMLFactory()).readTree(HttpApi.openApi());
        assertEquals("3", spec.path("openapi").asText().substring(0, 1), "OpenAPI 3");
        Set<String> out = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = spec.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            for (Iterator<String> ops = p.getValue().fieldNames(); ops.hasNext(); ) {
                String op = ops.next();
                if (METHODS.contains(op)) {
                    out.add(op.toUpperCase(java.util.Locale.ROOT) + " " + p.getKey());
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
        all.addAll(ConsentRoutes.ENDPOINTS);
        all.addAll(KeyRoutes.ENDPOINTS);
        all.addAll(AuditRoutes.ENDPOINTS);
        all.addAll(InboundRoutes.ENDPOINTS);
        all.addAll(ReviewRoutes.ENDPOINTS);
        all.addAll(UnsubscribeRoutes.ENDPOINTS);
        all.addAll(PreferenceRoutes.ENDPOINTS);
        all.addAll(RecipientAttributeRoutes.ENDPOINTS);
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
