package dev.herald.dispatcher.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.connector.smpp.NodeSmsc;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.nio.file.Files;
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
 * {@code kill -9} of a {@code herald serve} sending over SMPP to the node SMSC, then a restart: the
 * campaign carries on and ends with every recipient sent or unknown, the SMSC took nobody twice,
 * and the receipts the SMSC kept while Herald was down match the messages sent before the crash
 * (through the durable message-id map): delivered = sent.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SmppKillTest {

    static final int RECIPIENTS = 4_000;
    static final String KEY = "test-admin-key-0123456789";

    private static long unmatched(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("herald_receipts_unmatched_total"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aKilledServiceCarriesOnAndReceiptsForMessagesSentBeforeTheCrashStillMatch(@TempDir Path dir) throws Exception {
        Path data = ServiceTests.dataWithEveryone(dir, RECIPIENTS, 5);
        // receipts come 2 s after each answer: those of the last messages before the kill wait at the SMSC
        try (NodeSmsc smsc = NodeSmsc.start(dir, "--receipt-delay-ms", "2000", "--window-delay-ms", "2")) {
            Path config = dir.resolve("herald.conf");
            // The receipts of the unknown ones (taken, their id lost with the killed process) come with
            // no id to match: held for early-wait, then counted unmatched. 5 s, not the default 30 s:
            // here a receipt never comes before its message's id otherwise (it comes 2 s after it).
            Files.writeString(config, """
                    herald.connectors.node { type = smpp, host = 127.0.0.1, port = %d, system-id = herald,
                      password = secret, binds = 2, window = 20, rate = 1500 }
                    herald.receipts.early-wait = 5s
                    """.formatted(smsc.port()));
            Path log = dir.resolve("serve.log");
            ServeChild first = ServeChild.start(data, config, log, "512m", KEY);
            String id;
            try {
                var created = call(first.port(), "POST", "/v1/campaigns", KEY, "application/json", """
                        {"name": "Kill", "channel": "sms", "category": "transactional", "sender": "acme", "connector": "node",
                         "text": "Hi {{first_name}}", "footer": "Reply STOP to opt out", "segment": "all"}""");
                assertEquals(201, created.statusCode(), created.body());
                id = json(created).path("id").asText();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (smsc.taken().size() < 1_000 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(smsc.taken().size() >= 1_000, "sending was under way before the kill");
            } finally {
                first.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9
            }
            int takenAtKill = smsc.taken().size();

            ServeChild second = ServeChild.start(data, config, log, "512m", KEY);
            try {
                JsonNode done = ServiceTests.awaitDecided(second.port(), KEY, id);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (!done.path("status").asText().equals("completed") && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    done = json(call(second.port(), "GET", "/v1/campaigns/" + id, KEY, null, null));
                }
                assertEquals("completed", done.path("status").asText(), "transactional: nobody waits for quiet hours");
                JsonNode counts = done.path("counts");
                long sent = counts.path("sent").asLong();
                long unknown = counts.path("unknown").asLong();
                assertTrue(unknown <= 40, "at most the window (2 binds x 20) unknown: " + done);
                List<JsonNode> taken = smsc.taken();
                assertTrue(taken.size() > takenAtKill, "it carried on after the restart");
                Map<String, Integer> perNumber = new HashMap<>();
                taken.forEach(t -> perNumber.merge(t.path("to").asText(), 1, Integer::sum));
                perNumber.forEach((n, k) -> assertEquals(1, k, "recipient " + n + " taken twice"));
                assertTrue(taken.size() >= sent && taken.size() <= sent + unknown,
                        "the SMSC took each sent one, and of the unknown ones at most all: " + taken.size() + ", " + done);
                // receipts: one per message the SMSC took, kept while Herald was down; each matches its
                // recipient through the durable id map (those sent before the crash included), except the
                // unknown ones whose id never came back before the kill
                long delivered;
                long unmatched;
                do {
                    Thread.sleep(100);
                    delivered = json(call(second.port(), "GET", "/v1/campaigns/" + id, KEY, null, null))
                            .path("delivery").path("delivered").asLong();
                    unmatched = unmatched(call(second.port(), "GET", "/metrics", KEY, null, null).body());
                } while (delivered + unmatched < taken.size() && System.nanoTime() < deadline);
                assertEquals(taken.size(), delivered + unmatched, "every receipt matched or counted unmatched");
                assertTrue(delivered >= sent, "every sent recipient delivered (" + delivered + " of " + sent + ")");
                assertTrue(unmatched <= unknown, "only receipts of unknown ones can match nothing: " + unmatched);
            } finally {
                second.process().destroy();
                second.process().waitFor(60, TimeUnit.SECONDS);
            }
        }
    }
}
