package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.throttle.Priority;

/**
 * Replies in the recipient's own words over real HTTP: an intent phrase opts out (durable at the
 * answer, confirmed once), or, for a sender that chose review, is held in the operator queue until
 * opted out or dismissed there; the queue survives a restart.
 */
class IntentReplyWebhookTest {

    static final int RECIPIENTS = 200;
    static final String ADMIN = "test-admin-key-0123456789";
    static final String SECRET = "inbound-secret-0123456789";
    static final String DEMO_NUMBER = "+15005550006";
    static final String CAREFUL_NUMBER = "+15005550007";

    @TempDir
    static Path template;
    @TempDir
    Path dir;

    private Path data;
    private HeraldService service;
    private final ConcurrentLinkedQueue<OutboundMessage> sent = new ConcurrentLinkedQueue<>();
    private String[] phones;

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(12).withSuppression(0, Map.of()));
    }

    @BeforeEach
    void setUp() throws Exception {
        data = copyData(template.resolve("data"), dir);
        phones = new String[RECIPIENTS];
        try (HeraldData d = HeraldData.at(data, dev.herald.suppression.DirectoryOptions.defaults(),
                dev.herald.suppression.IndexOptions.defaults(), false)) {
            for (int i = 0; i < RECIPIENTS; i++) {
                phones[i] = d.directory().get(i).orElseThrow().e164();
            }
        }
        service = startService();
    }

    private HeraldService startService() throws Exception {
        Config config = InboundWebhookTest.allHoursOpen(ConfigFactory.parseString("herald.senders.profiles.careful { "
                + "brand = \"Careful\", numbers = [\"" + CAREFUL_NUMBER + "\"], intent-action = review }")
                .withFallback(ConfigFactory.load())).resolve();
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", SECRET), new PrintWriter(new StringWriter(), true),
                ServiceTests.recording(m -> sent.add(m)));
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private JsonNode reply(int recipient, String to, String text, String id) throws Exception {
        String body = "{\"from\":\"" + phones[recipient] + "\",\"to\":\"" + to + "\",\"text\":"
                + ServiceTests.JSON.writeValueAsString(text) + ",\"channel\":\"sms\",\"id\":\"" + id + "\"}";
        HttpResponse<String> r = ServiceTests.HTTP.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + service.port() + "/v1/inbound/sms"))
                .header("Content-Type", "application/json").header("X-Herald-Signature", InboundWebhookTest.sign(body))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private JsonNode consent(int recipient) throws Exception {
        HttpResponse<String> r = call(service.port(), "GET", "/v1/recipients/" + URLEncoder.encode(phones[recipient],
                StandardCharsets.UTF_8) + "/consent", ADMIN, null, null);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private List<OutboundMessage> repliesTo(int recipient) {
        return sent.stream().filter(m -> m.priority() == Priority.TRANSACTIONAL && m.to().equals(phones[recipient])).toList();
    }

    private static void awaitTrue(java.util.function.BooleanSupplier c, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void intentPhraseOptsOutDurablyAtTheAnswerAndIsConfirmedOnce() throws Exception {
        JsonNode a = reply(1, DEMO_NUMBER, "Please stop texting me 🙏", "i1");
        assertEquals("opt-out", a.path("action").asText(), a.toString());
        assertEquals("sender:demo", a.path("scope").asText());
        assertEquals("You are unsubscribed from Herald Demo. Reply START to resubscribe.", a.path("reply").asText());
        JsonNode c = consent(1);
        assertTrue(c.path("suppressed").toString().contains("sender:demo"), "durable at the answer: " + c);
        assertTrue(c.toString().contains("Please stop texting me"), "the recipient's words are the evidence: " + c);
        awaitTrue(() -> repliesTo(1).size() == 1, "the confirmation");

        JsonNode again = reply(1, DEMO_NUMBER, "remove me from this list!!", "i2");
        assertEquals("opt-out", again.path("action").asText());
        assertTrue(again.path("reply").isNull(), "confirmed once: " + again);
        Thread.sleep(300);
        assertEquals(1, repliesTo(1).size(), "confirmed once");

        for (String text : List.of("Don't stop the deals coming!", "please don't stop texting me")) {
            JsonNode none = reply(2, DEMO_NUMBER, text, "n" + text.hashCode());
            assertEquals("none", none.path("action").asText(), text);
        }
        assertFalse(consent(2).path("suppressed").toString().contains("sender:demo"));
        // Chinese and German phrasings
        assertEquals("opt-out", reply(3, DEMO_NUMBER, "别再发了！", "z1").path("action").asText());
        assertEquals("opt-out", reply(4, DEMO_NUMBER, "Bitte keine SMS mehr", "d1").path("action").asText());
    }

    @Test
    void heldForReviewThenOptedOutOrDismissedIdempotentlyAndKeptAcrossARestart() throws Exception {
        JsonNode held = reply(5, CAREFUL_NUMBER, "please stop texting me", "r1");
        assertEquals("review", held.path("action").asText(), held.toString());
        assertEquals("sender:careful", held.path("scope").asText());
        assertTrue(held.path("reply").isNull(), "nothing is sent for a held reply");
        String first = held.path("review").asText();
        JsonNode other = reply(6, CAREFUL_NUMBER, "Remove me from this list", "r2");
        String second = other.path("review").asText();
        assertFalse(consent(5).path("suppressed").toString().contains("sender:careful"), "not opted out while held");
        // a keyword to the same sender is still a STOP at once
        assertEquals("opt-out", reply(7, CAREFUL_NUMBER, "STOP", "r3").path("action").asText());

        HttpResponse<String> list = call(service.port(), "GET", "/v1/inbound/review", ADMIN, null, null);
        assertEquals(200, list.statusCode(), list.body());
        JsonNode items = json(list).path("items");
        assertEquals(2, items.size(), items.toString());
        assertEquals(first, items.get(0).path("id").asText());
        assertEquals(phones[5], items.get(0).path("phone").asText());
        assertEquals("please stop texting me", items.get(0).path("text").asText());
        assertEquals("pending", items.get(0).path("status").asText());
        assertEquals("sender:careful", items.get(0).path("scope").asText());

        // the queue is durable: a restart keeps it
        service.stop().toCompletableFuture().join();
        service = startService();
        assertEquals(2, json(call(service.port(), "GET", "/v1/inbound/review", ADMIN, null, null)).path("items").size());

        HttpResponse<String> out = call(service.port(), "POST", "/v1/inbound/review/" + first + "/opt-out", ADMIN, null, null);
        assertEquals(200, out.statusCode(), out.body());
        assertEquals("opted-out", json(out).path("status").asText());
        JsonNode c = consent(5);
        assertTrue(c.path("suppressed").toString().contains("sender:careful"), c.toString());
        assertTrue(c.toString().contains("operator") && c.toString().contains("review " + first + " by key"),
                "the decision is in the evidence: " + c);
        awaitTrue(() -> repliesTo(5).size() == 1, "the confirmation of the reviewed opt-out");
        int historyBefore = c.path("history").size();
        // idempotent: the same decision again changes nothing and sends nothing
        HttpResponse<String> repeat = call(service.port(), "POST", "/v1/inbound/review/" + first + "/opt-out", ADMIN, null, null);
        assertEquals(200, repeat.statusCode(), repeat.body());
        assertEquals(historyBefore, consent(5).path("history").size());
        assertError(call(service.port(), "POST", "/v1/inbound/review/" + first + "/dismiss", ADMIN, null, null), 409, "conflict", null);

        HttpResponse<String> dismissed = call(service.port(), "POST", "/v1/inbound/review/" + second + "/dismiss", ADMIN, null, null);
        assertEquals(200, dismissed.statusCode(), dismissed.body());
        assertEquals("dismissed", json(dismissed).path("status").asText());
        assertEquals(200, call(service.port(), "POST", "/v1/inbound/review/" + second + "/dismiss", ADMIN, null, null).statusCode());
        assertError(call(service.port(), "POST", "/v1/inbound/review/" + second + "/opt-out", ADMIN, null, null), 409, "conflict", null);
        assertFalse(consent(6).path("suppressed").toString().contains("sender:careful"), "dismissed: not opted out");
        Thread.sleep(300);
        assertEquals(0, repliesTo(6).size(), "nothing sent for a dismissal");

        assertEquals(0, json(call(service.port(), "GET", "/v1/inbound/review", ADMIN, null, null)).path("items").size(),
                "no pending items left");
        JsonNode all = json(call(service.port(), "GET", "/v1/inbound/review?status=all", ADMIN, null, null)).path("items");
        assertEquals(2, all.size());
        assertEquals(1, json(call(service.port(), "GET", "/v1/inbound/review?status=dismissed", ADMIN, null, null))
                .path("items").size());

        // bad ids and bad input
        for (String bad : List.of("999", "abc", "-1", "0")) {
            assertError(call(service.port(), "POST", "/v1/inbound/review/" + bad + "/opt-out", ADMIN, null, null), 404,
                    "not_found", null);
        }
        assertError(call(service.port(), "GET", "/v1/inbound/review?status=maybe", ADMIN, null, null), 400,
                "invalid_parameter", "status");
        assertEquals(401, call(service.port(), "GET", "/v1/inbound/review", null, null, null).statusCode());
    }
}
