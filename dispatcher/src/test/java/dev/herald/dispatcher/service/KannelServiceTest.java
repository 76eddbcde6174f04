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

    /**
     * A long message through Kannel, part by part: every part asks for its receipt (Kannel, given
     * the whole text, would ask for the first part's only), and the recipient's result is all its
     * parts': the SMSC reports part 2 undeliverable to numbers ending in 7, and those recipients
     * are undelivered though parts 1 and 3 were delivered; the others are delivered.
     */
    @Test
    void aLongMessageThroughKannelIsReportedPartByPartAndAFailedPartMakesItUndelivered(@TempDir Path dir) throws Exception {
        KannelPeer.requireKannel();
        int recipients = 60;
        Path data = ServiceTests.dataWithEveryone(dir, recipients, 9);
        int heraldPort = KannelPeer.freePort();
        String herald = "http://127.0.0.1:" + heraldPort;
        // 320 characters and the name: 3 parts of 153 septets (GSM-7), 5 of 67 (UCS-2: a name like Zoë)
        String tail = "Your order has shipped and will arrive within three working days. ".repeat(5).substring(0, 320);
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--receipt-delay-ms", "20", "--undeliverable-suffix", "7",
                "--undeliverable-part", "2");
             KannelPeer kannel = KannelPeer.start(dir, smsc.port(), herald + "/v1/inbound/kannel/kannel?k=" + MO_SECRET
                     + "&from=%p&to=%P&text=%a")) {
            HeraldService service = ServiceTests.startService(data, """
                    herald.connectors.kannel { type = kannel, sendsms-url = "%s", username = herald, password = secret,
                      window = 20, callback-base = "%s", mo-secret = "%s" }
                    herald.senders.profiles.acme { brand = "ACME", numbers = ["60601"] }
                    """.formatted(kannel.sendsmsUrl(), herald, MO_SECRET), heraldPort, Map.of("HERALD_API_KEY", ADMIN));
            try {
                String id = ServiceTests.createCampaign(heraldPort, ADMIN, """
                        {"name": "Long via Kannel", "channel": "sms", "category": "transactional", "sender": "acme",
                         "connector": "kannel", "text": "Dear {{first_name}}, %s", "segment": "all"}""".formatted(tail));
                JsonNode done = ServiceTests.awaitCompleted(heraldPort, ADMIN, id, 120);
                long sent = done.path("counts").path("sent").asLong();
                assertTrue(sent > recipients / 2, done.toString());
                assertEquals(0, done.path("counts").path("unknown").asLong(), done.toString());

                // the SMSC took every part once, each with Herald's concatenation header and asking for a receipt
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                Map<String, List<JsonNode>> byNumber = new java.util.TreeMap<>();
                while (System.nanoTime() < until) {
                    byNumber.clear();
                    List<JsonNode> taken = smsc.taken();
                    taken.forEach(t -> byNumber.computeIfAbsent(t.path("to").asText(), k -> new java.util.ArrayList<>()).add(t));
                    if (byNumber.size() >= sent && byNumber.values().stream()
                            .allMatch(p -> p.size() >= p.get(0).path("part").path("total").asInt())) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertEquals(sent, byNumber.size(), "every sent recipient's parts reached the SMSC");
                for (Map.Entry<String, List<JsonNode>> e : byNumber.entrySet()) {
                    List<JsonNode> parts = e.getValue();
                    int total = parts.get(0).path("part").path("total").asInt();
                    assertTrue(total == (parts.get(0).path("dataCoding").asInt() == 8 ? 5 : 3), parts.toString());
                    assertEquals(total, parts.size(), e.getKey() + ": " + parts);
                    StringBuilder text = new StringBuilder();
                    for (int seq = 1; seq <= total; seq++) {
                        int s = seq;
                        JsonNode p = parts.stream().filter(t -> t.path("part").path("seq").asInt() == s).findFirst()
                                .orElseThrow(() -> new AssertionError(e.getKey() + " has no part " + s + ": " + parts));
                        assertEquals(total, p.path("part").path("total").asInt(), p.toString());
                        assertEquals(parts.get(0).path("part").path("ref").asInt(), p.path("part").path("ref").asInt(), p.toString());
                        assertEquals(1, p.path("registeredDelivery").asInt() & 3, "every part asks for its receipt: " + p);
                        text.append(p.path("text").asText());
                    }
                    assertTrue(text.toString().startsWith("Dear ") && text.toString().endsWith(tail), text.toString());
                }
                long failing = byNumber.keySet().stream().filter(n -> n.endsWith("7")).count();
                assertTrue(failing > 0 && failing < sent, "some numbers end in 7, not all: " + byNumber.keySet());

                // every part's receipt came back through its own dlr-url: delivered = every part delivered
                JsonNode delivery = null;
                while (System.nanoTime() < until + TimeUnit.SECONDS.toNanos(30)) {
                    delivery = json(call(heraldPort, "GET", "/v1/campaigns/" + id, ADMIN, null, null)).path("delivery");
                    if (delivery.path("delivered").asLong() + delivery.path("undelivered:undeliverable-err-001").asLong() >= sent) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertEquals(sent - failing, delivery.path("delivered").asLong(), delivery.toString());
                assertEquals(failing, delivery.path("undelivered:undeliverable-err-001").asLong(),
                        "part 2 undeliverable, parts 1 and 3 delivered: undelivered " + delivery);

                // a failing recipient's view: undelivered, with the SMSC's ids of the parts reported (Kannel's %F)
                String failed = byNumber.keySet().stream().filter(n -> n.endsWith("7")).findFirst().orElseThrow();
                JsonNode view = json(call(heraldPort, "GET", "/v1/campaigns/" + id + "/recipients/%2B" + failed, ADMIN, null,
                        null)).path("delivery");
                assertEquals("undelivered:undeliverable-err-001", view.path("result").asText(), view.toString());
                List<String> smscIds = byNumber.get(failed).stream().map(t -> t.path("id").asText()).toList();
                view.path("messageIds").forEach(m -> assertTrue(smscIds.contains(m.asText()), m + " not in " + smscIds));
                String ok = byNumber.keySet().stream().filter(n -> !n.endsWith("7")).findFirst().orElseThrow();
                JsonNode okView = json(call(heraldPort, "GET", "/v1/campaigns/" + id + "/recipients/%2B" + ok, ADMIN, null,
                        null)).path("delivery");
                assertEquals("delivered", okView.path("result").asText(), okView.toString());
                assertEquals(byNumber.get(ok).size(), okView.path("messageIds").size(), okView.toString());
                List<String> okIds = byNumber.get(ok).stream().map(t -> t.path("id").asText()).toList();
                okView.path("messageIds").forEach(m -> assertTrue(okIds.contains(m.asText()), m + " not in " + okIds));

                // replayed part reports change nothing; a part's token with its part changed is refused
                CallbackTokens tokens = CallbackTokens.open(data.resolve(Deliveries.DIR));
                int campaignNumber = campaignNumber(data, id);
                JsonNode before = json(call(heraldPort, "GET", "/v1/campaigns/" + id, ADMIN, null, null)).path("delivery");
                for (int part = 1; part <= 3; part++) { // recipient 0 (sent: this seed's directory sends it)
                    for (int type : new int[]{1, 2}) {
                        assertEquals(200, call(heraldPort, "GET", "/v1/receipts/kannel?t=" + tokens.sign("kannel", campaignNumber,
                                0, part, 3) + "&type=" + type + "&id=" + part, null, null, null).statusCode());
                    }
                }
                JsonNode after = json(call(heraldPort, "GET", "/v1/campaigns/" + id, ADMIN, null, null)).path("delivery");
                assertEquals(before, after, "replayed (and contradicting) part reports change nothing");
                byte[] raw = java.util.Base64.getUrlDecoder().decode(tokens.sign("kannel", campaignNumber, 0, 2, 3));
                raw[8] = 3;
                String altered = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
                assertEquals(403, call(heraldPort, "GET", "/v1/receipts/kannel?t=" + altered + "&type=2", null, null, null)
                        .statusCode(), "part 2's token made to say part 3");
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
