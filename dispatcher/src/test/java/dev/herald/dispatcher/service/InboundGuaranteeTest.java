package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.ForwardingConnector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.throttle.Priority;

/**
 * Issue 6's guarantee: once the inbound request for a STOP has returned, no marketing message
 * reaches that recipient, including from a campaign already running. A 1,000,000-recipient
 * campaign runs at a limited rate while 2,000 STOP / STOPALL replies arrive over HTTP from four
 * clients; the connector notes when each recipient's marketing message is handed to it, each client
 * when its STOP was answered. Not one hand-over may come after the answer.
 */
class InboundGuaranteeTest {

    static final int RECIPIENTS = 1_000_000;
    static final int STOPS = 2_000;
    static final String ADMIN = "test-admin-key-0123456789";
    static final String SECRET = "inbound-secret-0123456789";

    @TempDir
    Path dir;

    @Test
    void noMarketingMessageAfterTheStopWasAnswered() throws Exception {
        Path data = dir.resolve("data");
        String[] phones = new String[RECIPIENTS];
        try (HeraldData d = SyntheticAudience.openData(data, RECIPIENTS)) {
            SyntheticAudience.of(AudienceSpec.defaults().withRecipients(RECIPIENTS).withSeed(3).withSuppression(0, Map.of()))
                    .populate(d, (p, x, t) -> { });
            for (int i = 0; i < RECIPIENTS; i++) {
                phones[i] = d.directory().get(i).orElseThrow().e164();
            }
        }
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        SegmentStore.open(data).put("all", all, RECIPIENTS, 0);

        AtomicLongArray handedAt = new AtomicLongArray(RECIPIENTS); // nanoTime of the marketing hand-over, 0 = none
        AtomicInteger confirmations = new AtomicInteger();
        java.util.function.UnaryOperator<Connector> observe = c -> new ForwardingConnector(c) {
            @Override
            public CompletionStage<SendResult> send(OutboundMessage m) {
                if (m.priority() == Priority.MARKETING) {
                    handedAt.compareAndSet(m.recipientId(), 0, System.nanoTime());
                } else {
                    confirmations.incrementAndGet();
                }
                return delegate().send(m);
            }
        };
        Config config = InboundWebhookTest.allHoursOpen(ConfigFactory.load()).resolve();
        HeraldService service = HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", SECRET), new PrintWriter(new StringWriter(), true), observe);
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            HttpResponse<String> created = ServiceTests.call(service.port(), "POST", "/v1/campaigns", ADMIN, "application/json", """
                    {"name": "Big sale", "channel": "sms", "category": "marketing", "sender": "demo",
                     "text": "Big sale today!", "segment": "all", "tps": 60000}""");
            assertEquals(201, created.statusCode(), created.body());
            String id = json(created).path("id").asText();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (countHanded(handedAt, 1_000) < 1_000) { // the campaign is sending
                assertTrue(System.nanoTime() < deadline, "the campaign did not start sending");
                Thread.sleep(10);
            }

            // 2,000 distinct recipients, in random order, answered while the campaign runs
            Random random = new Random(42);
            List<Integer> targets = new ArrayList<>();
            java.util.BitSet chosen = new java.util.BitSet();
            while (targets.size() < STOPS) {
                int r = random.nextInt(RECIPIENTS);
                if (!chosen.get(r)) {
                    chosen.set(r);
                    targets.add(r);
                }
            }
            long[] answeredAt = new long[RECIPIENTS];
            HttpClient http = HttpClient.newHttpClient();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int client = t;
                done.add(clients.submit(() -> {
                    for (int i = client; i < STOPS; i += 4) {
                        int r = targets.get(i);
                        String text = i % 10 == 0 ? "STOPALL" : (i % 3 == 0 ? "Stop." : "STOP");
                        String body = "{\"from\":\"" + phones[r] + "\",\"to\":\"60600\",\"text\":\"" + text + "\",\"id\":\"g" + i + "\"}";
                        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/v1/inbound/sms"))
                                .header("Content-Type", "application/json").header("X-Herald-Signature", InboundWebhookTest.sign(body))
                                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
                        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                        answeredAt[r] = System.nanoTime();
                        if (resp.statusCode() != 200 || !resp.body().contains("\"opt-out\"")) {
                            throw new AssertionError("STOP " + i + " answered " + resp.statusCode() + " " + resp.body());
                        }
                        Thread.sleep(3); // about 1,000 replies a second over the four clients
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }

            JsonNode c;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            do {
                Thread.sleep(200);
                c = json(ServiceTests.call(service.port(), "GET", "/v1/campaigns/" + id, ADMIN, null, null));
                assertTrue(System.nanoTime() < deadline, "the campaign did not finish: " + c);
            } while (!c.path("status").asText().equals("completed"));

            int violations = 0;
            int stoppedInTime = 0;
            for (int r : targets) {
                long h = handedAt.get(r);
                if (h != 0 && h - answeredAt[r] > 0) {
                    violations++;
                }
                if (h == 0) {
                    stoppedInTime++;
                }
            }
            assertEquals(0, violations, "marketing messages handed over after the recipient's STOP was answered");
            // not vacuous: many STOPs came before the recipient's turn, and the campaign suppressed them
            assertTrue(stoppedInTime >= STOPS / 10, "only " + stoppedInTime + " STOPs came before the recipient's turn");
            long suppressed = c.path("counts").path("suppressed").asLong();
            assertEquals(stoppedInTime, suppressed, "every STOP before its turn suppressed the recipient: " + c);
            assertEquals(RECIPIENTS - stoppedInTime, c.path("counts").path("sent").asLong(), c.toString());
            long deadlineReplies = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (confirmations.get() < STOPS && System.nanoTime() < deadlineReplies) {
                Thread.sleep(20);
            }
            assertEquals(STOPS, confirmations.get(), "one confirmation per STOP");
        } finally {
            clients.shutdownNow();
            service.stop().toCompletableFuture().join();
        }
    }

    private static int countHanded(AtomicLongArray handedAt, int enough) {
        int n = 0;
        for (int i = 0; i < handedAt.length() && n < enough; i++) {
            if (handedAt.get(i) != 0) {
                n++;
            }
        }
        return n;
    }
}
