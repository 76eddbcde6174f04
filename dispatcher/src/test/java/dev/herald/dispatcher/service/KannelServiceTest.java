package dev.herald.dispatcher.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.connector.smpp.NodeSmsc;
import dev.herald.dispatcher.delivery.CallbackTokens;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kannel path, with real Kannel (bearerbox and smsbox) linked over SMPP to the node SMSC:
 * a campaign through {@code sendsms}, delivery reports through {@code dlr-url} into the delivery
 * counts, a STOP through Kannel's {@code get-url}, and forged, altered, replayed and garbage
 * callbacks.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KannelServiceTest {

    static final int RECIPIENTS = 400;
    static final String ADMIN = "test-admin-key-0123456789";
    static final String MO_SECRET = "mo-secret-0123456789";

    @Test
    void aCampaignThroughKannelIsDeliveredByDlrUrlAndAStopThroughGetUrlIsHonoured(@TempDir Path dir) throws Exception {
        KannelPeer.requireKannel();
        Path data = ServiceTests.dataWithEveryone(dir, RECIPIENTS, 9);
        int heraldPort = KannelPeer.freePort();
        String herald = "http://127.0.0.1:" + heraldPort;
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--receipt-delay-ms", "20");
             KannelPeer kannel = KannelPeer.start(dir, smsc.port(), herald + "/v1/inbound/kannel/kannel?k=" + MO_SECRET
                     + "&from=%p&to=%P&text=%a")) {
            HeraldService service = ServiceTests.startService(data, """
                    herald.connectors.kannel { type = kannel, sendsms-url = "%s", username = herald, password = secret,
                      window = 20, callback-base = "%s", mo-secret = "%s" }
                    herald.senders.profiles.acme { brand = "ACME", numbers = ["60601"] }
                    """.formatted(kannel.sendsmsUrl(), herald, MO_SECRET), heraldPort, Map.of("HERALD_API_KEY", ADMIN));
            try {
                String id = ServiceTests.createCampaign(heraldPort, ADMIN, """
                        {"name": "Via Kannel", "channel": "sms", "category": "transactional", "sender": "acme",
                         "connector": "kannel", "text": "Your code is {{first_name}}", "segment": "all"}""");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                JsonNode done = ServiceTests.awaitCompleted(heraldPort, ADMIN, id, 120);
                long sent = done.path("counts").path("sent").asLong();
                assertTrue(sent > RECIPIENTS / 2, done.toString());
                assertEquals(0, done.path("counts").path("unknown").asLong(), done.toString());

                // Kannel passed each on over SMPP, once
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (smsc.taken().size() < sent && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
                List<JsonNode> taken = smsc.taken();
                Map<String, Integer> perNumber = new HashMap<>();
                taken.forEach(t -> perNumber.merge(t.path("to").asText().replaceAll("^\\+", ""), 1, Integer::sum));
                perNumber.forEach((n, k) -> assertEquals(1, k, n + " taken twice"));
                assertEquals(sent, taken.size(), "the SMSC took every sent message once, through Kannel");

                // the SMSC's receipts came back through Kannel's dlr-url, signed tokens and all
                long delivered = 0;
                while (System.nanoTime() < until + TimeUnit.SECONDS.toNanos(30)) {
                    delivered = json(call(heraldPort, "GET", "/v1/campaigns/" + id, ADMIN, null, null))
                            .path("delivery").path("delivered").asLong();
                    if (delivered >= sent) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertEquals(sent, delivered, "delivered through dlr-url = sent");

                // a forged, an altered and a garbage callback are refused; a replayed one changes nothing
                assertEquals(403, call(heraldPort, "GET", "/v1/receipts/kannel?t=forged&type=2", null, null, null).statusCode());
                CallbackTokens tokens = CallbackTokens.open(data.resolve(Deliveries.DIR));
                int campaignNumber = campaignNumber(data, id);
                String good = tokens.sign("kannel", campaignNumber, 0);
                // the recipient's bytes of a real token for recipient 1, with recipient 0's MAC
                String altered = tokens.sign("kannel", campaignNumber, 1).substring(0, 11) + good.substring(11);
                assertFalse(altered.equals(good));
                assertEquals(403, call(heraldPort, "GET", "/v1/receipts/kannel?t=" + altered + "&type=2", null, null, null)
                        .statusCode(), "a token with another recipient and this one's MAC");
                char c = good.charAt(20);
                String flipped = good.substring(0, 20) + (c == 'A' ? 'B' : 'A') + good.substring(21);
                assertEquals(403, call(heraldPort, "GET", "/v1/receipts/kannel?t=" + flipped + "&type=2", null, null, null)
                        .statusCode(), "a token with one character of its MAC changed");
                assertEquals(404, call(heraldPort, "GET", "/v1/receipts/other?t=" + good + "&type=2", null, null, null)
                        .statusCode(), "no gateway of that name takes reports");
                HttpResponse<String> garbage = call(heraldPort, "GET", "/v1/receipts/kannel?t=" + good + "&type=banana",
                        null, null, null);
                assertEquals(400, garbage.statusCode(), garbage.body());
                JsonNode before = json(call(heraldPort, "GET", "/v1/campaigns/" + id, ADMIN, null, null)).path("delivery");
                assertEquals(200, call(heraldPort, "GET", "/v1/receipts/kannel?t=" + good + "&type=2", null, null, null)
                        .statusCode());
                JsonNode after = json(call(heraldPort, "GET", "/v1/campaigns/" + id, ADMIN, null, null)).path("delivery");
                assertEquals(before, after, "a replayed (or late) report changes nothing: the first final result stands");

                // STOP through Kannel's get-url: a wrong secret is 403; the real one opts out, confirmed once via Kannel
                assertEquals(403, call(heraldPort, "GET", "/v1/inbound/kannel/kannel?k=wrong&from=%2B1&text=STOP", null,
                        null, null).statusCode());
                String number = taken.get(0).path("to").asText().replaceAll("^\\+", "");
                int takenBefore = smsc.taken().size();
                smsc.command("{\"cmd\":\"mo\",\"from\":\"" + number + "\",\"to\":\"60601\",\"text\":\"STOP\"}");
                JsonNode resp = smsc.await(e -> e.path("event").asText().equals("mo-resp"), Duration.ofSeconds(20));
                assertEquals(0, resp.path("status").asInt());
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                JsonNode consent;
                do {
                    Thread.sleep(100);
                    consent = json(call(heraldPort, "GET", "/v1/recipients/%2B" + number + "/consent", ADMIN, null, null));
                } while (!consent.toString().contains("sender:acme") && System.nanoTime() < end);
                assertTrue(consent.toString().contains("sender:acme"), "opted out through Kannel: " + consent);
                long confirmations;
                do {
                    Thread.sleep(100);
                    confirmations = smsc.taken().subList(takenBefore, smsc.taken().size()).stream()
                            .filter(t -> t.path("text").asText().startsWith("You are unsubscribed from ACME")).count();
                } while (confirmations == 0 && System.nanoTime() < end);
                assertEquals(1, confirmations, "confirmed once, through Kannel");
                assertFalse(smsc.taken().subList(takenBefore, smsc.taken().size()).stream()
                        .anyMatch(t -> t.path("text").asText().isEmpty()), "Kannel sent no empty reply");
            } finally {
                service.stop().toCompletableFuture().join();
            }
        }
    }

    private static int campaignNumber(Path data, String id) throws Exception {
        try (dev.herald.dispatcher.campaign.CampaignNumbers n = dev.herald.dispatcher.campaign.CampaignNumbers.open(
                data.resolve("campaign-numbers.log"))) {
            return n.existing(id).orElseThrow();
        }
    }
}
