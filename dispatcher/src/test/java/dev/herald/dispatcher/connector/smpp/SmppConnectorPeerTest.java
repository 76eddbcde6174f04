package dev.herald.dispatcher.connector.smpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.throttle.Priority;
import dev.herald.throttle.RateLimit;
import dev.herald.throttle.RateLimiter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SmppConnector} against an independent SMSC (node-smpp, {@link NodeSmsc}) on loopback:
 * what the SMSC took (its log) is the oracle.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SmppConnectorPeerTest {

    @TempDir
    Path dir;

    /** Records what the connector hands on. */
    static class Recorder implements PeerEvents {
        final Map<String, String> accepted = new ConcurrentHashMap<>();   // key -> recipient/part
        final List<Receipt> receipts = new CopyOnWriteArrayList<>();
        final List<Reply> replies = new CopyOnWriteArrayList<>();
        volatile boolean failReplies;

        @Override
        public void accepted(String connector, OutboundMessage m, int part, int parts, String key) {
            accepted.put(key, m.recipientId() + "/" + part + "/" + parts);
        }

        @Override
        public void receipt(String connector, Receipt r) {
            receipts.add(r);
        }

        @Override
        public void reply(String connector, Reply r) throws IOException {
            if (failReplies) {
                throw new IOException("disk full (test)");
            }
            replies.add(r);
        }
    }

    static SmppSettings settings(int port, String extra) {
        return SmppSettings.fromConfig("node", ConfigFactory.parseString("type = smpp, host = 127.0.0.1, port = " + port
                + ", system-id = herald, password = secret, window = 20, response-timeout = 3s, reconnect-initial = 200ms,"
                + " reconnect-max = 1s, enquire-link = 5s\n" + extra), k -> null);
    }

    static OutboundMessage message(int id, String to, String text) {
        return OutboundMessage.of("c1", id, to, "ACME", RenderedMessage.of(text), Priority.MARKETING, "sms");
    }

    static String number(int i) {
        return String.format("+4474%08d", i);
    }

    /** Sends with at most {@code connector.window()} unanswered, as the campaign stream does. */
    static List<SendResult> sendAll(SmppConnector c, List<OutboundMessage> messages) throws Exception {
        Semaphore window = new Semaphore(c.window());
        List<CompletableFuture<SendResult>> answers = new ArrayList<>();
        for (OutboundMessage m : messages) {
            window.acquire();
            CompletableFuture<SendResult> f = c.send(m).toCompletableFuture();
            f.whenComplete((r, e) -> window.release());
            answers.add(f);
        }
        List<SendResult> out = new ArrayList<>();
        for (CompletableFuture<SendResult> f : answers) {
            out.add(f.get(60, TimeUnit.SECONDS));
        }
        return out;
    }

    @Test
    void everyMessageReachesTheSmscOnceWithItsTextAndReceiptsComeBackForItsIds() throws Exception {
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--hex-ids", "--receipt-delay-ms", "5", "--early-receipt-every", "9")) {
            Recorder events = new Recorder();
            SmppConnector c = SmppConnector.start(settings(smsc.port(), "binds = 2, submit-id-format = hex,"
                    + " receipt-id-format = decimal"), null, events);
            try {
                assertTrue(c.awaitBound(10_000), "both binds up");
                String longGsm = "Spring sale {20% off} at ACME: €5 vouchers for everyone who shops today; "
                        + "reply STOP to opt out. ".repeat(3);
                String ucs = "Olá Ana 👋, ação de primavera: 20% de desconto — só hoje! ".repeat(2);
                List<OutboundMessage> messages = new ArrayList<>();
                Map<String, String> textByTo = new HashMap<>();
                for (int i = 0; i < 600; i++) {
                    String text = i % 3 == 0 ? "Hi " + i + ", 20% off @ ACME" : i % 3 == 1 ? longGsm : ucs;
                    messages.add(message(i, number(i), text));
                    textByTo.put(number(i).substring(1), text);
                }
                List<SendResult> results = sendAll(c, messages);
                int parts = 0;
                for (int i = 0; i < results.size(); i++) {
                    SendResult.Accepted a = assertInstanceOf(SendResult.Accepted.class, results.get(i), "message " + i);
                    assertEquals(messages.get(i).segments(), a.partIds().size(), "one id per part, message " + i);
                    parts += a.partIds().size();
                }
                // the SMSC's log: each part of each recipient exactly once, and the parts make the text
                List<JsonNode> taken = smsc.taken();
                assertEquals(parts, taken.size(), "the SMSC took each part once");
                Map<String, TreeMap<Integer, String>> byTo = new HashMap<>();
                for (JsonNode t : taken) {
                    int seq = t.path("part").isNull() ? 1 : t.path("part").path("seq").asInt();
                    TreeMap<Integer, String> partsSoFar = byTo.computeIfAbsent(t.path("to").asText(), k -> new TreeMap<>());
                    assertTrue(partsSoFar.isEmpty() || partsSoFar.lastKey() < seq,
                            "parts of the message to " + t.path("to") + " reach the SMSC in order: " + seq + " after " + partsSoFar.keySet());
                    String before = partsSoFar.put(seq, t.path("text").asText());
                    assertEquals(null, before, "part " + seq + " to " + t.path("to") + " taken twice");
                    assertEquals("ACME", t.path("from").asText());
                    assertEquals(5, t.path("sourceTon").asInt(), "alphanumeric sender");
                    assertEquals(1, t.path("destTon").asInt());
                    assertEquals(1, t.path("registeredDelivery").asInt());
                }
                assertEquals(textByTo.keySet(), byTo.keySet());
                byTo.forEach((to, partsOf) -> assertEquals(textByTo.get(to), String.join("", partsOf.values()),
                        "text to " + to + " as the SMSC decoded it"));
                // receipts: one per part, every one for an id the connector was given (hex there, decimal here)
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (events.receipts.size() < parts && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
                assertEquals(parts, events.receipts.size(), "a receipt per part");
                Set<String> receiptKeys = new HashSet<>();
                for (PeerEvents.Receipt r : events.receipts) {
                    assertEquals(PeerEvents.DeliveryState.DELIVERED, r.state());
                    receiptKeys.add(r.idKey());
                }
                assertEquals(events.accepted.keySet(), receiptKeys, "every receipt matches an accepted id");
                assertEquals(parts, c.counters().partsAccepted.sum());
            } finally {
                c.close();
            }
            JsonNode stats = smsc.stats();
            assertEquals(2, stats.path("unbinds").asInt(), "both binds unbound on close");
        }
    }

    @Test
    void throttlingAnswersAreThrottledAndSlowTheLimiterAndInvalidDestinationsFailNamed() throws Exception {
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--throttle-every", "7", "--queue-full-every", "11",
                "--invalid-prefix", "999")) {
            RateLimiter limiter = new RateLimiter(RateLimit.of(100_000, 1_000), System::nanoTime);
            double before = limiter.effectiveRate(System.nanoTime());
            SmppConnector c = SmppConnector.start(settings(smsc.port(), "receipts = false"), limiter, null);
            try {
                assertTrue(c.awaitBound(10_000));
                List<OutboundMessage> messages = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    messages.add(message(i, i % 10 == 0 ? "+999" + (1_000_000 + i) : number(i), "Hi " + i));
                }
                List<SendResult> results = sendAll(c, messages);
                long throttled = results.stream().filter(r -> r instanceof SendResult.Throttled).count();
                long invalid = results.stream().filter(r -> r instanceof SendResult.Failed f
                        && f.reason().equals("invalid-destination")).count();
                long accepted = results.stream().filter(r -> r instanceof SendResult.Accepted).count();
                assertTrue(throttled >= 200 / 7, "throttled answers: " + throttled);
                assertTrue(invalid > 0, "invalid destinations: " + invalid);
                assertEquals(200, throttled + invalid + accepted, "nothing else: " + results);
                assertEquals(accepted, smsc.taken().size(), "the SMSC took exactly the accepted ones");
                assertTrue(limiter.effectiveRate(System.nanoTime()) < before, "the limiter backed off");
            } finally {
                c.close();
            }
        }
    }

    @Test
    void aDropMidWindowLeavesTheUnansweredUnconfirmedAndNothingIsTakenTwice() throws Exception {
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--drop-at", "150", "--down-ms", "700", "--window-delay-ms", "20",
                "--receipt-delay-ms", "5")) {
            Recorder events = new Recorder();
            SmppConnector c = SmppConnector.start(settings(smsc.port(), "binds = 2"), null, events);
            try {
                assertTrue(c.awaitBound(10_000));
                List<OutboundMessage> messages = new ArrayList<>();
                for (int i = 0; i < 600; i++) {
                    messages.add(message(i, number(i), "Hello " + i));
                }
                List<SendResult> results = sendAll(c, messages);
                Set<String> accepted = new HashSet<>();
                Set<String> unconfirmed = new HashSet<>();
                for (int i = 0; i < results.size(); i++) {
                    SendResult r = results.get(i);
                    if (r instanceof SendResult.Accepted) {
                        accepted.add(number(i).substring(1));
                    } else if (r instanceof SendResult.Unconfirmed) {
                        unconfirmed.add(number(i).substring(1));
                    } else {
                        assertInstanceOf(SendResult.Throttled.class, r, "not sent while no bind was up: " + r);
                    }
                }
                assertFalse(unconfirmed.isEmpty(), "the drop left sends unanswered");
                assertTrue(unconfirmed.size() <= c.window(), "at most a window unconfirmed: " + unconfirmed.size());
                List<JsonNode> taken = smsc.taken();
                Set<String> takenTo = new HashSet<>();
                for (JsonNode t : taken) {
                    assertTrue(takenTo.add(t.path("to").asText()), "taken twice: " + t);
                }
                assertTrue(takenTo.containsAll(accepted), "every accepted one was taken");
                Set<String> takenNotAccepted = new HashSet<>(takenTo);
                takenNotAccepted.removeAll(accepted);
                assertTrue(unconfirmed.containsAll(takenNotAccepted),
                        "a message the SMSC took but never confirmed is unconfirmed, not anything else");
                assertTrue(c.counters().binds.sum() >= 3, "bound again after the drop: " + c.counters().binds.sum());
                assertTrue(accepted.size() > 300, "sending carried on after the rebind: " + accepted.size());
            } finally {
                c.close();
            }
        }
    }

    @Test
    void aSessionThatStopsAnsweringIsClosedAtItsFirstTimeoutSoOnlyItsWindowIsUnconfirmed() throws Exception {
        // the session that takes the 100th submit_sm hangs: it takes every later one and answers none,
        // though it still answers enquire_link
        // (each answer 5 ms late, so the run spans several response timeouts: without closing the hung
        // session, its senders would take new sends after each timeout and lose them too)
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--hang-at", "100", "--receipt-delay-ms", "5", "--window-delay-ms", "5")) {
            SmppConnector c = SmppConnector.start(settings(smsc.port(), "binds = 2, window = 5, response-timeout = 1s,"
                    + " reconnect-initial = 100ms, reconnect-max = 200ms"), null, new Recorder());
            try {
                assertTrue(c.awaitBound(10_000));
                List<OutboundMessage> messages = new ArrayList<>();
                for (int i = 0; i < 3_000; i++) {
                    messages.add(message(i, number(i), "Hello " + i));
                }
                long t0 = System.nanoTime();
                List<SendResult> results = sendAll(c, messages);
                assertTrue(System.nanoTime() - t0 > TimeUnit.MILLISECONDS.toNanos(2_000), "the run spans response timeouts");
                long unconfirmed = results.stream().filter(r -> r instanceof SendResult.Unconfirmed).count();
                long accepted = results.stream().filter(r -> r instanceof SendResult.Accepted).count();
                assertTrue(unconfirmed >= 1 && unconfirmed <= 5,
                        "only what the hung session held (its window of 5) is unconfirmed: " + unconfirmed);
                assertEquals(3_000, accepted + unconfirmed, "nothing else: " + results.stream()
                        .filter(r -> !(r instanceof SendResult.Accepted) && !(r instanceof SendResult.Unconfirmed)).toList());
                assertTrue(c.counters().binds.sum() >= 3, "the hung session was closed and bound again");
                Set<String> takenTo = new HashSet<>();
                smsc.taken().forEach(t -> assertTrue(takenTo.add(t.path("to").asText()), "taken twice: " + t));
            } finally {
                c.close();
            }
        }
    }

    @Test
    void repliesReceiptsForUnknownIdsAndGarbageAreHandledAndTheSessionCarriesOn() throws Exception {
        try (NodeSmsc smsc = NodeSmsc.start(dir)) {
            Recorder events = new Recorder();
            SmppConnector c = SmppConnector.start(settings(smsc.port(), "bind = \"transmitter+receiver\""), null, events);
            try {
                assertTrue(c.awaitBound(10_000));
                assertEquals(2, c.sessionsBound());
                smsc.command("{\"cmd\":\"mo\",\"from\":\"447400000001\",\"to\":\"ACME\",\"text\":\"STOP\"}");
                JsonNode resp = smsc.await(e -> e.path("event").asText().equals("mo-resp"), Duration.ofSeconds(10));
                assertEquals(0, resp.path("status").asInt());
                assertEquals(List.of(new PeerEvents.Reply("447400000001", "ACME", "STOP")), events.replies);

                smsc.command("{\"cmd\":\"bad-receipt\",\"text\":\"sub:001 dlvrd:001 stat:DELIVRD\"}");
                resp = smsc.await(e -> e.path("event").asText().equals("bad-receipt-resp"), Duration.ofSeconds(10));
                assertEquals(0, resp.path("status").asInt(), "acknowledged: sending it again would not help");
                assertEquals(1, c.counters().invalidDeliveries.sum());

                smsc.command("{\"cmd\":\"receipt\",\"id\":\"987654\",\"stat\":\"UNDELIV\"}");
                smsc.await(e -> e.path("event").asText().equals("receipt-resp"), Duration.ofSeconds(10));
                assertEquals(List.of("987654"), events.receipts.stream().map(PeerEvents.Receipt::idKey).toList(),
                        "a receipt for an id nobody gave is still handed on (the matcher counts it)");
                assertEquals(PeerEvents.DeliveryState.UNDELIVERABLE, events.receipts.get(0).state());

                events.failReplies = true;
                smsc.command("{\"cmd\":\"mo\",\"from\":\"447400000002\",\"to\":\"ACME\",\"text\":\"HELP\"}");
                resp = smsc.await(e -> e.path("event").asText().equals("mo-resp")
                        && e.path("from").asText().equals("447400000002"), Duration.ofSeconds(10));
                assertEquals(8, resp.path("status").asInt(), "not stored: refused with ESME_RSYSERR, so it comes again");
                events.failReplies = false;

                long bindsBefore = c.counters().binds.sum();
                smsc.command("{\"cmd\":\"garbage\"}");
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (c.counters().binds.sum() == bindsBefore && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
                assertTrue(c.counters().binds.sum() > bindsBefore, "a session broken by garbage is bound again");
                assertTrue(c.awaitBound(10_000));
                List<SendResult> after = sendAll(c, List.of(message(1, number(1), "still here")));
                assertInstanceOf(SendResult.Accepted.class, after.get(0));
            } finally {
                c.close();
            }
        }
    }

    @Test
    void withNoBindUpSendsAreThrottledNotLostAndCloseAnswersTheQueued() throws Exception {
        SmppConnector c = SmppConnector.start(settings(1, "response-timeout = 300ms, reconnect-max = 300ms"), null, null);
        try {
            SendResult r = c.send(message(1, number(1), "nobody listens")).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertInstanceOf(SendResult.Throttled.class, r, "not sent, so to be sent again later");
            assertEquals(0, c.sessionsBound());
            assertTrue(c.counters().unbound.sum() >= 1);
        } finally {
            c.close();
        }
    }
}
