package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.experiment.SampleFile;

/**
 * {@code kill -9} of a real {@code herald serve} during an A/B test's wait: after the restart the
 * sample is the one drawn before (same file, same recipients sent, nobody re-sent), the held stay
 * held, and the decision comes at the instant set before the kill — then the rest is sent once.
 */
class AbTestKillTest {

    static final String KEY = "ab-kill-admin-key-0123456789";
    static final int RECIPIENTS = 6_000;
    static final String CONFIG = """
            herald.service.ask-timeout = 30s
            herald.quiet-hours.policies.default {
              unknown-zones = [UTC]
              categories { marketing { exempt = true }, transactional { exempt = true } }
              countries {}
            }
            """;

    @Test
    void killDuringTheWaitKeepsTheSampleTheHeldAndTheDecisionTime(@TempDir Path dir) throws Exception {
        Path data = ServiceTests.dataWithEveryone(dir, RECIPIENTS, 23);
        Path config = dir.resolve("test.conf");
        Files.writeString(config, CONFIG);
        Path log = dir.resolve("child.err");
        ServeChild first = ServeChild.start(data, config, log, "256m", KEY);
        String id;
        JsonNode before;
        byte[] sampleFile;
        try {
            id = ServiceTests.createCampaign(first.port(), KEY, """
                    {"name": "kill", "channel": "sms", "category": "marketing", "sender": "demo", "segment": "all",
                     "variants": [{"text": "Demo: A"}, {"text": "Demo: B"}],
                     "test": {"sample": 0.2, "metric": "conversion", "wait": "PT20S", "minPerVariant": 1,
                              "noWinner": "send-first"}}""");
            before = awaitSampleSent(first.port(), id);
            sampleFile = Files.readAllBytes(data.resolve("campaigns").resolve(id).resolve(SampleFile.NAME));
        } finally {
            first.process().destroyForcibly(); // SIGKILL: no shutdown hook, nothing flushed
            first.process().waitFor(30, TimeUnit.SECONDS);
        }
        JsonNode test = before.path("experiment");
        long sent = before.path("counts").path("sent").asLong();
        long sample = test.path("sample").path("A").asLong() + test.path("sample").path("B").asLong();
        Instant decideAt = Instant.parse(test.path("decideAt").asText());
        assertTrue(Instant.now().isBefore(decideAt), "killed during the wait: " + test);

        ServeChild second = ServeChild.start(data, config, log, "256m", KEY);
        try {
            JsonNode after = json(call(second.port(), "GET", "/v1/campaigns/" + id, KEY, null, null));
            JsonNode t = after.path("experiment");
            assertEquals(test.path("sampledAt").asText(), t.path("sampledAt").asText(), after.toString());
            assertEquals(test.path("decideAt").asText(), t.path("decideAt").asText(), "the decision time is kept");
            assertEquals(test.path("sample"), t.path("sample"));
            assertArrayEquals(sampleFile, Files.readAllBytes(data.resolve("campaigns").resolve(id).resolve(SampleFile.NAME)),
                    "the sample is never re-drawn");
            if (Instant.now().isBefore(decideAt.minusSeconds(2))) {
                assertEquals(sent, after.path("counts").path("sent").asLong(), "the sample is not sent again");
                assertEquals(RECIPIENTS - sample, after.path("counts").path("held").asLong(), after.toString());
                assertTrue(t.path("decidedAt").isNull(), "not decided before its time: " + t);
            }
            JsonNode done = ServiceTests.awaitCompleted(second.port(), KEY, id, 90);
            JsonNode decided = done.path("experiment");
            assertFalse(Instant.parse(decided.path("decidedAt").asText()).isBefore(decideAt), decided.toString());
            assertEquals("rule", decided.path("decidedBy").asText());
            assertEquals(RECIPIENTS, done.path("counts").path("sent").asLong() + done.path("counts").path("suppressed").asLong(),
                    "everyone sent once, or suppressed (opted out): " + done);
            assertEquals(RECIPIENTS, done.path("total").asLong());
        } finally {
            second.process().destroy();
            second.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static JsonNode awaitSampleSent(int port, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode c;
        do {
            Thread.sleep(100);
            c = json(call(port, "GET", "/v1/campaigns/" + id, KEY, null, null));
            JsonNode counts = c.path("counts");
            if (!c.path("experiment").isMissingNode() && counts.path("pending").asLong() == 0
                    && counts.path("inFlight").asLong() == 0 && counts.path("sent").asLong() > 0) {
                return c;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the sample was never sent: " + c);
    }
}
