package dev.herald.dispatcher.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.ProgressDisplay;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole harness in process on 20,000 recipients, K = 3, the opt-out scenario at 5,000
 * messages/s (about 2 s of sending): each scenario's invariants hold and the JSON has every key.
 * One run for all tests (it takes ~10 s).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BenchRunTest {

    static final int RECIPIENTS = 20_000;
    static final int CAMPAIGNS = 3;

    BenchReport report;
    Map<String, Object> json;
    long globalBefore;
    long globalAfter;

    @BeforeAll
    void runBench(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("data");
        BenchSpec spec = BenchSpec.defaults().withRecipients(RECIPIENTS).withCampaigns(CAMPAIGNS).withSendRate(5_000)
                .withOptOutsPerSecond(300);
        StringWriter out = new StringWriter();
        try (HeraldData data = SyntheticAudience.openData(dir, RECIPIENTS)) {
            // build first, so that the global scope can be counted before the opt-outs
            BenchRun.run(data, spec.withScenarios(EnumSet.of(Scenario.ONE_BIG_CAMPAIGN)), Clock.systemUTC(),
                    new ProgressDisplay(new PrintWriter(Writer.NULL), false), null);
            globalBefore = globalCount(data.suppression().snapshot());
            report = BenchRun.run(data, spec, Clock.systemUTC(), new ProgressDisplay(new PrintWriter(out), false),
                    new PrintWriter(out));
            globalAfter = globalCount(data.suppression().snapshot());
        }
        System.out.println(out);
        report.lines().forEach(System.out::println);
        Path file = tmp.resolve("bench.json");
        report.writeJson(file);
        json = readObject(file);
    }

    private static long globalCount(SuppressionSnapshot s) {
        long n = 0;
        for (int id = 0; id < RECIPIENTS; id++) {
            if (s.isSuppressed(id, Scope.GLOBAL)) {
                n++;
            }
        }
        return n;
    }

    private ScenarioResult scenario(Scenario s) {
        return report.scenarios().stream().filter(r -> r.name().equals(s.label())).findFirst().orElseThrow();
    }

    @Test
    void shouldRunEveryScenarioInOrder() {
        assertEquals(List.of("one-big-campaign", "overlapping-campaigns", "opt-outs-mid-send"),
                report.scenarios().stream().map(ScenarioResult::name).toList());
    }

    @Test
    void shouldGiveEveryRecipientOfOneBigCampaignOneOutcomeAndLogEachSendOnce() {
        ScenarioResult r = scenario(Scenario.ONE_BIG_CAMPAIGN);
        assertEquals(RECIPIENTS, r.outcomeTotal());
        assertTrue(r.outcomes().get("sent") > 0, "someone is sent to");
        assertEquals(r.outcomes().get("sent"), r.extraLong("acceptedMessages"));
        assertEquals(0, r.extraLong("duplicateMessages"));
        assertTrue(r.elapsedMs() > 0 && r.recipientsPerSecond() > 0 && r.peakHeapBytes() > 0);
    }

    @Test
    void shouldNeverSendTwiceToOneRecipientAcrossOverlappingCampaigns() {
        ScenarioResult r = scenario(Scenario.OVERLAPPING_CAMPAIGNS);
        assertEquals((long) CAMPAIGNS * RECIPIENTS, r.outcomeTotal());
        assertEquals(CAMPAIGNS, r.extraLong("campaignsAtOnce"));
        assertEquals(0, r.extraLong("capViolations"));
        assertEquals(r.outcomes().get("sent"), r.extraLong("acceptedMessages"));
        // the cap did the work: the sendable recipients were sent to once, and capped K - 1 times
        long sent = r.outcomes().get("sent");
        assertEquals((CAMPAIGNS - 1) * sent, r.outcomes().get("capped:daily"));
        assertEquals(scenario(Scenario.ONE_BIG_CAMPAIGN).outcomes().get("sent"), sent);
    }

    @Test
    void shouldSendNothingToAnOptedOutRecipientAfterTheOptOutReturned() {
        ScenarioResult r = scenario(Scenario.OPT_OUTS_MID_SEND);
        assertEquals(RECIPIENTS, r.outcomeTotal());
        assertEquals(0, r.extraLong("violations"));
        assertEquals(0, r.extraLong("duplicateMessages"));
        assertEquals(r.outcomes().get("sent"), r.extraLong("acceptedMessages"));
        long optOuts = r.extraLong("optOuts");
        assertTrue(optOuts >= 100, "opt-outs made while sending: " + optOuts);
        assertEquals(optOuts, r.extraLong("optedOutSentBefore") + r.extraLong("optedOutInFlight")
                + r.extraLong("optedOutNotSent") + r.extraLong("violations"));
        assertTrue(r.extraLong("optedOutNotSent") > 0, "some opt-outs stopped a message");
        LatencyStats l = (LatencyStats) r.extra().get("optOutLatencyMs");
        assertEquals(optOuts, l.count());
        assertTrue(0 < l.p50Ns() && l.p50Ns() <= l.p99Ns() && l.p99Ns() <= l.maxNs(), l.toString());
        assertTrue(r.elapsedMs() >= 1_000, "rate limited: it sends for a while, took " + r.elapsedMs() + " ms");
    }

    @Test
    void shouldUndoTheOptOutsOfTheBench() {
        assertEquals(globalBefore, globalAfter);
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldWriteJsonWithEveryKey() {
        assertEquals(RECIPIENTS, ((Number) json.get("recipients")).intValue());
        assertEquals(CAMPAIGNS, ((Number) json.get("campaigns")).intValue());
        Map<String, Object> machine = (Map<String, Object>) json.get("machine");
        for (String key : List.of("cores", "maxHeapBytes", "javaVersion")) {
            assertTrue(machine.containsKey(key), key);
        }
        List<Object> scenarios = (List<Object>) json.get("scenarios");
        assertEquals(3, scenarios.size());
        for (Object o : scenarios) {
            Map<String, Object> s = (Map<String, Object>) o;
            for (String key : List.of("name", "elapsedMs", "recipientsPerSecond", "outcomes", "peakHeapBytes")) {
                assertTrue(s.containsKey(key), s.get("name") + " lacks " + key);
            }
            long total = ((Map<String, Object>) s.get("outcomes")).values().stream()
                    .mapToLong(v -> ((Number) v).longValue()).sum();
            assertEquals(s.get("name").equals("overlapping-campaigns") ? CAMPAIGNS * RECIPIENTS : RECIPIENTS, total);
        }
        Map<String, Object> overlap = (Map<String, Object>) scenarios.get(1);
        assertEquals(0, ((Number) overlap.get("capViolations")).longValue());
        Map<String, Object> optOuts = (Map<String, Object>) scenarios.get(2);
        assertEquals(0, ((Number) optOuts.get("violations")).longValue());
        Map<String, Object> latency = (Map<String, Object>) optOuts.get("optOutLatencyMs");
        for (String key : List.of("p50", "p99", "max", "count")) {
            assertTrue(latency.get(key) instanceof Number, key);
        }
        assertFalse(((Number) latency.get("p50")).doubleValue() <= 0);
    }

    /** A JSON document as maps, lists, numbers and strings. */
    static Map<String, Object> readObject(Path file) throws IOException {
        try (JsonParser p = new JsonFactory().createParser(Files.newInputStream(file))) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) value(p);
            return m;
        }
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            Map<String, Object> m = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                m.put(name, value(p));
            }
            return m;
        }
        if (t == JsonToken.START_ARRAY) {
            List<Object> list = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                list.add(value(p));
            }
            return list;
        }
        if (t.isNumeric()) {
            return p.getNumberValue();
        }
        return p.getText();
    }

    /** Discards what is written. */
    private static final class Writer extends java.io.Writer {
        static final Writer NULL = new Writer();

        @Override
        public void write(char[] cbuf, int off, int len) {
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
