package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.api.campaign.CampaignValidation;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Malformed requests over real HTTP: each answered 4xx (or 5xx for what the server cannot do) with
 * the API's JSON error naming the problem, and nothing stored.
 */
class BadInputTest {

    static final int RECIPIENTS = 3_000;
    static final String ADMIN = "bad-input-admin-key-0123456789";
    static final String SECRET = "bad-input-inbound-secret-0123";

    @TempDir
    static Path template;
    private static String phone;

    private HeraldService service;

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(12).withSuppression(0, Map.of()));
        try (HeraldData d = HeraldData.at(template.resolve("data"), dev.herald.suppression.DirectoryOptions.defaults(),
                dev.herald.suppression.IndexOptions.defaults(), false)) {
            phone = d.directory().get(17).orElseThrow().e164();
        }
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private void start(Path dir, Config overrides) throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        SegmentStore.open(data).put("all", all, RECIPIENTS, 0);
        Config config = InboundWebhookTest.allHoursOpen(overrides.withFallback(ConfigFactory.load())).resolve();
        service = HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", SECRET), new PrintWriter(new StringWriter(), true));
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        return ServiceTests.call(service.port(), method, path, ADMIN, body == null ? null : "application/json", body);
    }

    private static final String CAMPAIGN = """
            {"name": "Spring sale", "channel": "sms", "category": "marketing", "sender": "acme",
             "text": "Hi {{first_name}}, spring sale today!", "footer": "Reply STOP to opt out", "segment": "all\"""";

    private static String campaign(String extra) {
        return CAMPAIGN + extra + "}";
    }

    @Test
    void shouldRefuseDataAfterTheJsonBodyOnEveryJsonRouteAndStoreNothing(@TempDir Path dir) throws Exception {
        start(dir, ConfigFactory.empty());
        String keysBefore = call("GET", "/v1/keys", null).body();
        for (String trailing : new String[] {" trailing", "{}", " {\"role\":\"admin\"}", " 1", "]"}) {
            assertError(call("POST", "/v1/keys", "{\"role\":\"viewer\"}" + trailing), 400, "invalid_json", null);
            assertError(call("POST", "/v1/suppressions", "{\"phones\":[\"" + phone + "\"],\"scope\":\"global\"}" + trailing),
                    400, "invalid_json", null);
            assertError(call("POST", "/v1/campaigns", campaign("") + trailing), 400, "invalid_json", null);
            assertError(call("POST", "/v1/campaigns/preview", campaign("") + trailing), 400, "invalid_json", null);
            String reply = "{\"from\":\"" + phone + "\",\"to\":\"+15005550006\",\"text\":\"STOP\",\"channel\":\"sms\","
                    + "\"id\":\"m-" + trailing.length() + "\"}" + trailing;
            HttpResponse<String> inbound = ServiceTests.HTTP.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + service.port() + "/v1/inbound/sms"))
                    .header("Content-Type", "application/json")
                    .header(dev.herald.dispatcher.api.InboundRoutes.SIGNATURE_HEADER, dev.herald.dispatcher.api.InboundRoutes.signature(SECRET.getBytes(StandardCharsets.UTF_8), reply.getBytes(StandardCharsets.UTF_8)))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(reply)).build(), HttpResponse.BodyHandlers.ofString());
            assertError(inbound, 400, "invalid_json", null);
        }
        assertEquals(keysBefore, call("GET", "/v1/keys", null).body(), "no key created");
        JsonNode s = json(call("GET", "/v1/suppressions/" + phone.replace("+", "%2B"), null));
        assertEquals(0, s.path("scopes").size(), "not suppressed, by the API or a STOP: " + s);
        assertEquals(0, json(call("GET", "/v1/campaigns", null)).path("campaigns").size(), "no campaign created");
        // the same bodies without the trailing data are accepted
        assertEquals(201, call("POST", "/v1/keys", "{\"role\":\"viewer\"}\n").statusCode());
        assertEquals(200, call("POST", "/v1/campaigns/preview", campaign(" ")).statusCode());
    }

    @Test
    void shouldRefuseAScheduleTooFarAheadForCreateAndPreviewAlike(@TempDir Path dir) throws Exception {
        start(dir, ConfigFactory.empty());
        long days = CampaignValidation.MAX_SCHEDULE_AHEAD.toDays();
        for (String at : new String[] {"+1000000000-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z", "9999-01-01T00:00:00Z",
                Instant.now().plus(days + 1, java.time.temporal.ChronoUnit.DAYS).toString()}) {
            String body = campaign(", \"schedule\": {\"at\": \"" + at + "\"}");
            assertError(call("POST", "/v1/campaigns/preview", body), 400, "schedule_too_far", "schedule.at");
            assertError(call("POST", "/v1/campaigns", body), 400, "schedule_too_far", "schedule.at");
        }
        assertEquals(0, json(call("GET", "/v1/campaigns", null)).path("campaigns").size(), "no campaign created");
        // at the bound (less a minute): both accept it, and the preview decides caps at that instant
        String near = campaign(", \"schedule\": {\"at\": \"" + Instant.now().plus(days, java.time.temporal.ChronoUnit.DAYS)
                .minusSeconds(60) + "\"}");
        HttpResponse<String> preview = call("POST", "/v1/campaigns/preview", near);
        assertEquals(200, preview.statusCode(), preview.body());
        assertEquals(RECIPIENTS, json(preview).path("total").asLong());
        HttpResponse<String> created = call("POST", "/v1/campaigns", near);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("scheduled", json(created).path("status").asText());
    }

    /** One raw request; the answer's status line, headers and body. */
    private String raw(byte[] request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", service.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    answer.write(buf, 0, n);
                    String text = answer.toString(StandardCharsets.UTF_8);
                    int end = text.indexOf("\r\n\r\n");
                    java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(text);
                    if (end > 0 && length.find() && text.length() - end - 4 >= Integer.parseInt(length.group(1))) {
                        break;
                    }
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // the server may close after answering
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    private static void assertJsonError(String answer, int status, String code, String field) throws Exception {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        int end = answer.indexOf("\r\n\r\n");
        String head = answer.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        assertTrue(head.contains("content-type: application/json"), "a JSON answer: " + answer);
        JsonNode body = ServiceTests.JSON.readTree(answer.substring(end + 4));
        assertEquals(code, body.path("error").asText(), answer);
        assertTrue(body.path("message").asText().length() > 10, answer);
        assertTrue(body.has("field"), answer);
        if (field != null) {
            assertEquals(field, body.path("field").asText(), answer);
        }
    }

    @Test
    void shouldAnswerRequestsRefusedBeforeRoutingWithTheApisJsonError(@TempDir Path dir) throws Exception {
        start(dir, ConfigFactory.empty());
        byte[] bigHeader = ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertJsonError(raw(bigHeader), 431, "header_too_large", null);
        byte[] longUri = ("GET /health?" + "a".repeat(5_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        assertJsonError(raw(longUri), 414, "uri_too_long", null);
        byte[] badLength = ("POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN
                + "\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII);
        assertJsonError(raw(badLength), 400, "malformed_request", "Content-Length");
        byte[] unknownMethod = "FOO /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertJsonError(raw(unknownMethod), 501, "not_implemented", null);
        // the server still serves afterwards
        assertEquals(200, ServiceTests.call(service.port(), "GET", "/health", null, null, null).statusCode());
    }

    @Test
    void shouldListARunningCampaignWithTheLiveCountsItsDetailShows(@TempDir Path dir) throws Exception {
        // a slow connector: answers after a second, 50 at a time, so 3,000 recipients take a minute
        start(dir, ConfigFactory.parseString("herald.service.connector { latency-min = 1s, latency-max = 1s, window = 50 }"));
        HttpResponse<String> created = call("POST", "/v1/campaigns", campaign(""));
        assertEquals(201, created.statusCode(), created.body());
        String id = json(created).path("id").asText();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode listed = null;
        JsonNode detail = null;
        while (System.nanoTime() < deadline) {
            for (JsonNode c : json(call("GET", "/v1/campaigns", null)).path("campaigns")) {
                if (c.path("id").asText().equals(id)) {
                    listed = c;
                }
            }
            detail = json(call("GET", "/v1/campaigns/" + id, null));
            if (listed != null && listed.path("status").asText().equals("running") && listed.path("counts").path("sent").asLong() > 0
                    && listed.path("counts").equals(detail.path("counts"))) {
                break;
            }
            Thread.sleep(20);
        }
        assertTrue(listed != null && listed.path("counts").path("sent").asLong() > 0, "the list shows what was sent: " + listed);
        assertEquals("running", listed.path("status").asText(), "still running: " + listed);
        assertEquals(detail.path("counts"), listed.path("counts"), "list and detail agree");
        assertEquals(detail.path("outcomes"), listed.path("outcomes"), "list and detail agree");
        call("POST", "/v1/campaigns/" + id + "/cancel", null);
    }
}
