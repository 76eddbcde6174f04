package dev.herald.dispatcher.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.connector.smpp.NodeSmsc;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 100,000-recipient campaign through SMPP to the node SMSC (4 binds), which throttles every 97th
 * submit_sm and sends a receipt for each message it takes: every recipient ends with exactly one
 * final outcome, the SMSC's log has each sent recipient exactly once, and delivered = the receipts
 * the SMSC sent = sent. (Transactional, so that quiet hours defer nobody whatever the hour.)
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SmppHundredThousandTest {

    static final int RECIPIENTS = 100_000;
    static final String ADMIN = "test-admin-key-0123456789";

    @Test
    void everyRecipientEndsWithOneFinalOutcomeAndEachSentOneReachedTheSmscOnceAndWasDelivered(@TempDir Path dir)
            throws Exception {
        Path data = ServiceTests.dataWithEveryone(dir, RECIPIENTS, 3);
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--throttle-every", "97", "--receipt-delay-ms", "5")) {
            HeraldService service = ServiceTests.startService(data, """
                    herald.connectors.node { type = smpp, host = 127.0.0.1, port = %d, system-id = herald,
                      password = secret, binds = 4, window = 50 }
                    """.formatted(smsc.port()), 0, Map.of("HERALD_API_KEY", ADMIN));
            try {
                long t0 = System.nanoTime();
                String id = ServiceTests.createCampaign(service.port(), ADMIN, """
                        {"name": "Order updates", "channel": "sms", "category": "transactional", "sender": "acme",
                         "connector": "node", "text": "Your order ships today, {{first_name}}", "segment": "all"}""");
                JsonNode done;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
                do {
                    Thread.sleep(200);
                    done = json(call(service.port(), "GET", "/v1/campaigns/" + id, ADMIN, null, null));
                } while (!done.path("status").asText().equals("completed") && System.nanoTime() < deadline);
                double seconds = (System.nanoTime() - t0) / 1e9;
                assertEquals("completed", done.path("status").asText(), done.toString());
                JsonNode counts = done.path("counts");
                long sent = counts.path("sent").asLong();
                long finals = sent + counts.path("suppressed").asLong() + counts.path("capped").asLong()
                        + counts.path("failed").asLong() + counts.path("unknown").asLong() + counts.path("expired").asLong();
                assertEquals(RECIPIENTS, finals, "every recipient one final outcome: " + done);
                assertEquals(0, counts.path("deferred").asLong() + counts.path("pending").asLong()
                        + counts.path("inFlight").asLong(), done.toString());
                assertEquals(0, counts.path("unknown").asLong(), "nothing lost on the way: " + done);

                List<JsonNode> taken = smsc.taken();
                Map<String, Integer> perNumber = new HashMap<>(2 * taken.size());
                taken.forEach(t -> perNumber.merge(t.path("to").asText(), 1, Integer::sum));
                perNumber.forEach((n, k) -> assertEquals(1, k, "recipient " + n + " taken twice"));
                assertEquals(sent, taken.size(), "the SMSC took exactly the sent ones");
                JsonNode stats = smsc.stats();
                assertTrue(stats.path("throttled").asLong() > 0, "the SMSC throttled some: " + stats);

                long delivered = 0;
                while (System.nanoTime() < deadline) {
                    delivered = json(call(service.port(), "GET", "/v1/campaigns/" + id, ADMIN, null, null))
                            .path("delivery").path("delivered").asLong();
                    if (delivered >= sent) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertEquals(sent, delivered, "delivered = sent");
                assertEquals(sent, smsc.stats().path("receipts").asLong(), "= the receipts the SMSC sent");
                System.out.printf("SMPP 100k: %d sent through 4 binds x 50 in %.1f s (%.0f messages/s), %d throttled%n",
                        sent, seconds, sent / seconds, stats.path("throttled").asLong());
            } finally {
                service.stop().toCompletableFuture().join();
            }
        }
    }
}
