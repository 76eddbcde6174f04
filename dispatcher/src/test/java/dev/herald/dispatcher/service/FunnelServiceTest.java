package dev.herald.dispatcher.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.connector.smpp.NodeSmsc;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole funnel on a real service against the node-smpp SMSC: a campaign with tracked links goes
 * out over SMPP, the SMSC's receipts make its recipients delivered, a recipient follows their link
 * (a human click, timed from their delivery), and a conversion posted with their phone alone is
 * attributed to the campaign by that click; posted twice it counts once; the funnel reports it all,
 * and still does after a restart.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FunnelServiceTest {

    static final int RECIPIENTS = 200;
    static final String ADMIN = "test-admin-key-0123456789";
    static final String PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
            + " Chrome/120.0.0.0 Mobile Safari/537.36";
    private static final HttpClient NO_FOLLOW = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path template;

    private HeraldService service;

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(15));
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private HeraldService start(Path data, int smscPort) throws Exception {
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        SegmentStore segments = SegmentStore.open(data);
        if (segments.get("all").isEmpty()) {
            segments.put("all", all, RECIPIENTS, 0);
        }
        return ServiceTests.startService(data, """
                herald.connectors.node { type = smpp, host = 127.0.0.1, port = %d, system-id = herald,
                  password-env = NODE_SMSC_PASSWORD, binds = 1, window = 20, response-timeout = 5s }
                herald.senders.profiles.acme { brand = "ACME", numbers = ["60601"] }
                herald.links.classify.suspicious-within = 1s
                """.formatted(smscPort), 0, Map.of("HERALD_API_KEY", ADMIN, "NODE_SMSC_PASSWORD", "secret"));
    }

    private JsonNode funnel(String id) throws Exception {
        return json(call(service.port(), "GET", "/v1/campaigns/" + id + "/funnel", ADMIN, null, null));
    }

    @Test
    void aReceiptAHumanClickAndAConversionMakeOneAttributedConversionInTheFunnel(@TempDir Path dir) throws Exception {
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--receipt-delay-ms", "5")) {
            Path data = copyData(template.resolve("data"), dir);
            service = start(data, smsc.port());
            HttpResponse<String> created = call(service.port(), "POST", "/v1/campaigns", ADMIN, "application/json", """
                    {"name": "Funnel", "channel": "sms", "category": "transactional", "sender": "acme", "connector": "node",
                     "text": "Hi {{first_name}}, your order: https://shop.example/order?x=1", "segment": "all",
                     "trackLinks": true}""");
            assertEquals(201, created.statusCode(), created.body());
            String id = json(created).path("id").asText();
            JsonNode done = ServiceTests.awaitDecided(service.port(), ADMIN, id);
            long sent = done.path("counts").path("sent").asLong();
            assertTrue(sent > 0, done.toString());

            // what reached the SMSC carries the short links, not the URL
            List<JsonNode> taken = smsc.taken();
            assertEquals(sent, taken.size());
            taken.forEach(t -> assertTrue(t.path("text").asText().contains("http://localhost:8080/l/")
                    && !t.path("text").asText().contains("shop.example"), t.toString()));

            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (funnel(id).path("steps").path("delivered").asLong() < sent && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertEquals(sent, funnel(id).path("steps").path("delivered").asLong(), "delivered = receipts: " + funnel(id));

            // the recipient follows their link, more than the suspicious second after delivery
            String number = "+" + taken.get(0).path("to").asText();
            JsonNode view = json(call(service.port(), "GET", "/v1/campaigns/" + id + "/recipients/" + number.replace("+", "%2B"),
                    ADMIN, null, null));
            String tracked = view.path("links").path(0).path("tracked").asText();
            assertTrue(taken.get(0).path("text").asText().contains(tracked), "the link in the message: " + view);
            Thread.sleep(1_200);
            String url = "http://127.0.0.1:" + service.port() + "/l/" + tracked.substring(tracked.lastIndexOf('/') + 1);
            HttpResponse<String> click = NO_FOLLOW.send(HttpRequest.newBuilder(URI.create(url)).header("User-Agent", PHONE_BROWSER)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(302, click.statusCode());
            assertEquals("https://shop.example/order?x=1", click.headers().firstValue("Location").orElse(""));
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (funnel(id).path("steps").path("clicked").asLong() < 1 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            view = json(call(service.port(), "GET", "/v1/campaigns/" + id + "/recipients/" + number.replace("+", "%2B"),
                    ADMIN, null, null));
            assertEquals("delivered", view.path("delivery").path("result").asText(), view.toString());
            assertTrue(view.path("delivery").path("at").isTextual() && view.path("delivery").path("acceptedAt").isTextual(),
                    "the delivery step with its times: " + view);
            JsonNode c = view.path("clicks").path(0);
            assertEquals("human", c.path("class").asText(), view.toString());
            assertTrue(c.path("secondsSinceDelivery").isNumber() && c.path("secondsSinceDelivery").asLong() >= 1,
                    "timed from the receipt's delivery: " + view);

            // a conversion with the phone alone: attributed to the campaign by the click; a retry changes nothing
            String order = "{\"phone\": \"" + number + "\", \"orderId\": \"A-1001\", \"value\": 19.99, \"currency\": \"EUR\"}";
            HttpResponse<String> first = call(service.port(), "POST", "/v1/conversions", ADMIN, "application/json", order);
            assertEquals(201, first.statusCode(), first.body());
            assertEquals(id, json(first).path("campaign").asText(), first.body());
            HttpResponse<String> again = call(service.port(), "POST", "/v1/conversions", ADMIN, "application/json", order);
            assertEquals(200, again.statusCode(), again.body());
            assertEquals("duplicate", json(again).path("status").asText(), again.body());

            JsonNode f = funnel(id);
            assertEquals(sent, f.path("steps").path("sent").asLong());
            assertEquals(1, f.path("steps").path("clicked").asLong(), f.toString());
            assertEquals(1, f.path("steps").path("converted").asLong(), f.toString());
            assertEquals(1, f.path("conversions").path("conversions").asLong(), "once, though posted twice: " + f);
            assertEquals("19.99", f.path("conversions").path("value").path("EUR").asText(), f.toString());
            assertEquals(1, f.path("timing").path("deliveryToClick").path("count").asLong(), f.toString());
            assertEquals(sent, f.path("timing").path("sendToDelivery").path("count").asLong(), f.toString());
            assertEquals(1.0, f.path("rates").path("converted").asDouble(), 1e-9, f.toString());
            JsonNode steps = json(call(service.port(), "GET", "/v1/campaigns/" + id + "/recipients/" + number.replace("+", "%2B"),
                    ADMIN, null, null));
            assertEquals("A-1001", steps.path("conversions").path(0).path("orderId").asText(), steps.toString());
            assertEquals("19.99", steps.path("conversions").path(0).path("value").asText(), steps.toString());
            assertEquals(1, steps.path("conversions").size(), "the retry is not a second one: " + steps);

            // an event for the journeys (issue 16): stored once per id, counted in /metrics
            String event = "{\"id\": \"ev-1\", \"phone\": \"" + number + "\", \"name\": \"order_placed\","
                    + " \"properties\": {\"orderId\": \"A-1001\"}}";
            assertEquals(201, call(service.port(), "POST", "/v1/events", ADMIN, "application/json", event).statusCode());
            assertEquals(200, call(service.port(), "POST", "/v1/events", ADMIN, "application/json", event).statusCode());

            String metrics = call(service.port(), "GET", "/metrics", ADMIN, null, null).body();
            assertTrue(metrics.contains("herald_clicks_total{class=\"human\"} 1.0"), "clicks by class in /metrics");
            assertTrue(metrics.contains("herald_conversions_total 1.0"), "conversions in /metrics");
            assertTrue(metrics.contains("herald_events_total 1.0"), "events in /metrics");

            service.stop().toCompletableFuture().join();
            service = start(data, smsc.port());
            JsonNode after = funnel(id);
            assertEquals(f.path("steps"), after.path("steps"), "nothing recorded is lost across a restart");
            assertEquals(f.path("conversions"), after.path("conversions"));
        }
    }
}
