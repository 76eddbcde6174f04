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

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service with an SMPP account ({@code herald.connectors.node}) against the node-smpp SMSC: a
 * campaign that names the connector goes out over SMPP, each recipient once; a STOP that arrives
 * over the bind opts the recipient out, is confirmed once over the bind, and keeps them out of the
 * next campaign.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SmppServiceTest {

    static final int RECIPIENTS = 3_000;
    static final String ADMIN = "test-admin-key-0123456789";

    @TempDir
    static Path template;

    private HeraldService service;

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(11));
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
                  password-env = NODE_SMSC_PASSWORD, binds = 2, window = 40, response-timeout = 5s }
                herald.senders.profiles.acme { brand = "ACME", numbers = ["60601"] }
                """.formatted(smscPort), 0, Map.of("HERALD_API_KEY", ADMIN, "NODE_SMSC_PASSWORD", "secret"));
    }

    @Test
    void whenTheSmscDropsEveryConnectionMidWindowTheUnansweredBecomeUnknownAndNobodyIsSentTwice(@TempDir Path dir)
            throws Exception {
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--drop-at", "400", "--down-ms", "800", "--window-delay-ms", "5")) {
            service = start(copyData(template.resolve("data"), dir), smsc.port());
            HttpResponse<String> created = ServiceTests.call(service.port(), "POST", "/v1/campaigns", ADMIN,
                    "application/json", CAMPAIGN.formatted("drop").replace("\"marketing\"", "\"transactional\""));
            assertEquals(201, created.statusCode(), created.body());
            String id = json(created).path("id").asText();
            JsonNode done;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            do {
                Thread.sleep(200);
                done = json(call(service.port(), "GET", "/v1/campaigns/" + id, ADMIN, null, null));
            } while (!done.path("status").asText().equals("completed") && System.nanoTime() < deadline);
            assertEquals("completed", done.path("status").asText(), done.toString());
            JsonNode counts = done.path("counts");
            long sent = counts.path("sent").asLong();
            long unknown = counts.path("unknown").asLong();
            assertTrue(unknown > 0, "the drop left sends unanswered: " + done);
            assertTrue(unknown <= 80, "at most the window (2 binds x 40) unknown: " + done);
            assertEquals(0, counts.path("failed").asLong(), done.toString());
            List<JsonNode> taken = smsc.taken();
            Map<String, Integer> perNumber = new HashMap<>();
            taken.forEach(t -> perNumber.merge(t.path("to").asText(), 1, Integer::sum));
            perNumber.forEach((n, k) -> assertEquals(1, k, "recipient " + n + " taken twice"));
            assertTrue(taken.size() >= sent && taken.size() <= sent + unknown,
                    "the SMSC took every sent one and at most the unknown ones besides: " + taken.size() + ", " + done);
            String metrics = call(service.port(), "GET", "/metrics", ADMIN, null, null).body();
            assertTrue(metrics.contains("herald_smpp_binds_made_total{connector=\"node\"} ")
                    && !metrics.contains("herald_smpp_binds_made_total{connector=\"node\"} 2.0"), "bound again after the drop");
        }
    }

    private static final String CAMPAIGN = """
            {"name": "Spring sale %s", "channel": "sms", "category": "marketing", "sender": "acme", "connector": "node",
             "text": "Hi {{first_name}}, spring sale today!", "footer": "Reply STOP to opt out", "segment": "all"}""";

    @Test
    void aCampaignGoesOutOverSmppOnceEachAndAStopOverTheBindIsDurableConfirmedOnceAndHonoured(@TempDir Path dir)
            throws Exception {
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--receipt-delay-ms", "5")) {
            service = start(copyData(template.resolve("data"), dir), smsc.port());
            HttpResponse<String> created = ServiceTests.call(service.port(), "POST", "/v1/campaigns", ADMIN,
                    "application/json", CAMPAIGN.formatted("1"));
            assertEquals(201, created.statusCode(), created.body());
            String id = json(created).path("id").asText();
            JsonNode done = ServiceTests.awaitDecided(service.port(), ADMIN, id);
            long sent = done.path("counts").path("sent").asLong();
            assertEquals(0, done.path("counts").path("unknown").asLong(), done.toString());
            assertEquals(0, done.path("counts").path("failed").asLong(), done.toString());

            List<JsonNode> taken = smsc.taken();
            Map<String, Integer> perNumber = new HashMap<>();
            for (JsonNode t : taken) {
                perNumber.merge(t.path("to").asText(), 1, Integer::sum);
                assertEquals("acme", t.path("from").asText(), "the campaign's sender as the source address");
                assertTrue(t.path("text").asText().startsWith("Hi "), t.toString());
                assertTrue(t.path("text").asText().endsWith("Reply STOP to opt out"), t.toString());
            }
            assertEquals(sent, taken.size(), "the SMSC took exactly the recipients counted sent");
            perNumber.forEach((n, k) -> assertEquals(1, k, "recipient " + n + " sent once"));

            // every sent recipient's receipt came back and matched: delivered = what the SMSC took
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            JsonNode view;
            do {
                view = json(call(service.port(), "GET", "/v1/campaigns/" + id, ADMIN, null, null));
                Thread.sleep(50);
            } while (view.path("delivery").path("delivered").asLong() < sent && System.nanoTime() < until);
            assertEquals(sent, view.path("delivery").path("delivered").asLong(), "delivered = receipts sent: " + view);
            assertEquals("node", view.path("connector").asText());
            String phone = taken.get(0).path("to").asText();
            JsonNode one = json(call(service.port(), "GET", "/v1/campaigns/" + id + "/recipients/%2B" + phone, ADMIN, null, null));
            assertEquals("sent", one.path("outcome").asText(), one.toString());
            assertEquals("delivered", one.path("delivery").path("result").asText(), one.toString());
            assertEquals(List.of(taken.get(0).path("id").asText()),
                    List.of(one.path("delivery").path("messageIds").get(0).asText()), "the SMSC's message id: " + one);

            // a STOP over the bind: durable before deliver_sm_resp, confirmed once over the bind
            String number = taken.get(0).path("to").asText();
            smsc.command("{\"cmd\":\"mo\",\"from\":\"" + number + "\",\"to\":\"60601\",\"text\":\"STOP\"}");
            JsonNode resp = smsc.await(e -> e.path("event").asText().equals("mo-resp"), Duration.ofSeconds(20));
            assertEquals(0, resp.path("status").asInt(), "acknowledged once stored");
            JsonNode consent = json(call(service.port(), "GET", "/v1/recipients/%2B" + number + "/consent", ADMIN, null, null));
            assertTrue(consent.toString().contains("sender:acme"), "the opt-out is stored: " + consent);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            long confirmations;
            do {
                confirmations = smsc.taken().stream().filter(t -> t.path("to").asText().equals(number)
                        && t.path("text").asText().startsWith("You are unsubscribed from ACME")).count();
                Thread.sleep(50);
            } while (confirmations == 0 && System.nanoTime() < deadline);
            assertEquals(1, confirmations, "the confirmation went out once, over the bind");

            // the next campaign leaves the opted-out recipient out
            int before = smsc.taken().size();
            HttpResponse<String> second = ServiceTests.call(service.port(), "POST", "/v1/campaigns", ADMIN,
                    "application/json", CAMPAIGN.formatted("2"));
            assertEquals(201, second.statusCode(), second.body());
            String id2 = json(second).path("id").asText();
            ServiceTests.awaitDecided(service.port(), ADMIN, id2);
            List<JsonNode> later = smsc.taken().subList(before, smsc.taken().size());
            assertFalse(later.isEmpty());
            assertFalse(later.stream().anyMatch(t -> t.path("to").asText().equals(number)
                            && t.path("text").asText().startsWith("Hi ")),
                    "no marketing message after the opt-out");

            // a campaign naming a connector that does not exist is refused, naming the ones there are
            HttpResponse<String> unknown = ServiceTests.call(service.port(), "POST", "/v1/campaigns", ADMIN,
                    "application/json", CAMPAIGN.formatted("3").replace("\"node\"", "\"nope\""));
            ServiceTests.assertError(unknown, 400, "unknown_connector", "connector");
            assertTrue(unknown.body().contains("'node'") && unknown.body().contains("'simulated'"), unknown.body());

            String metrics = call(service.port(), "GET", "/metrics", ADMIN, null, null).body();
            assertTrue(metrics.contains("herald_smpp_binds_up{connector=\"node\"} 2.0"), "binds up in /metrics");
            assertTrue(metrics.contains("herald_receipts_total{connector=\"node\",status=\"delivered\"}"),
                    "receipts counted in /metrics");
        }
    }
}
