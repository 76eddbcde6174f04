package dev.herald.dispatcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.connector.AcceptedLogEntry;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code herald demo} in process, on a small audience: summary, JSON and accepted log agree. */
class DemoCommandTest {

    static final int RECIPIENTS = 20_000;

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
    }

    private Result demo(String... extra) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new java.util.ArrayList<>(List.of("--data-dir", tmp.resolve("data").toString(), "demo",
                "--recipients", String.valueOf(RECIPIENTS)));
        args.addAll(List.of(extra));
        int code = HeraldCommand.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(args.toArray(String[]::new));
        System.out.println(out);
        return new Result(code, out.toString(), err.toString());
    }

    /** The top-level numbers of the JSON summary, and its outcomes under {@code outcomes.<name>}. */
    private static Map<String, Double> readJson(Path file) throws IOException {
        Map<String, Double> values = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(file.toFile())) {
            String prefix = "";
            String field = null;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME) {
                    field = p.currentName();
                } else if (t == JsonToken.START_OBJECT && field != null) {
                    prefix = field + ".";
                } else if (t == JsonToken.END_OBJECT) {
                    prefix = "";
                } else if (t.isNumeric()) {
                    values.put(prefix + field, p.getDoubleValue());
                }
            }
        }
        return values;
    }

    private Map<Integer, Integer> sentLog(String campaign) throws IOException {
        Map<Integer, Integer> sent = new HashMap<>();
        Path log = SimulatedConnectorOptions.defaults(tmp.resolve("data").resolve("connector")).logFile();
        for (AcceptedLogEntry e : SimulatedConnector.readLog(log)) {
            if (e.campaignId().equals(campaign)) {
                sent.merge(e.recipientId(), 1, Integer::sum);
            }
        }
        return sent;
    }

    private static String campaignId(String out) {
        String line = out.lines().filter(l -> l.startsWith("campaign demo-")).findFirst().orElseThrow();
        return line.substring("campaign ".length(), line.indexOf(':'));
    }

    @Test
    void shouldRunOneCampaignAndWriteASummaryThatMatchesTheAcceptedLog() throws IOException {
        Path json = tmp.resolve("demo.json");
        Result r = demo("--json", json.toString());
        assertEquals(0, r.code(), r.err());
        for (String label : List.of("directory build:", "pipeline time:", "throughput:", "peak heap:", "  sent ")) {
            assertTrue(r.out().contains(label), "summary line " + label + " in\n" + r.out());
        }
        // not a terminal: no in-place redraws; plain progress lines only every 2 s, each one line
        assertFalse(r.out().contains("\r"), "no carriage returns off a terminal");
        r.out().lines().filter(l -> l.startsWith("sending: ") || l.startsWith("building directory: "))
                .forEach(l -> assertTrue(l.matches("[a-z ]+: [0-9,]+ / [0-9,]+ .*/s"), l));

        Map<String, Double> v = readJson(json);
        for (String key : List.of("recipients", "elapsedMs", "recipientsPerSecond", "peakHeapBytes")) {
            assertTrue(v.containsKey(key), key + " in " + v);
        }
        assertEquals(RECIPIENTS, v.get("recipients").intValue());
        long outcomeSum = v.entrySet().stream().filter(e -> e.getKey().startsWith("outcomes."))
                .mapToLong(e -> e.getValue().longValue()).sum();
        assertEquals(RECIPIENTS, outcomeSum, "every recipient has exactly one outcome: " + v);
        assertTrue(v.getOrDefault("outcomes.suppressed:global", 0.0) > 0, "some are suppressed: " + v);

        Map<Integer, Integer> sent = sentLog(campaignId(r.out()));
        assertEquals(v.getOrDefault("outcomes.sent", 0.0).intValue(), sent.size(), "sent = distinct recipients in the log");
        assertTrue(sent.values().stream().allMatch(n -> n == 1), "nobody twice in the log");
    }

    @Test
    void shouldReuseTheDirectoryAndCapEveryoneSentToOnASecondRunTheSameDay() throws IOException {
        Result first = demo();
        assertEquals(0, first.code(), first.err());
        Result second = demo();
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().contains("(0 new recipients)"), second.out());
        String id = campaignId(second.out());
        assertFalse(id.equals(campaignId(first.out())), "a new campaign per run");
        int firstSent = sentLog(campaignId(first.out())).size();
        assertTrue(firstSent > 0, "the first run sent something");
        // may send to a few whose zone opened between the runs, never to anyone the first run reached
        Map<Integer, Integer> again = sentLog(id);
        assertTrue(again.keySet().stream().noneMatch(sentLog(campaignId(first.out()))::containsKey),
                "the daily cap holds across runs");
        assertTrue(second.out().contains("capped:daily"), second.out());
    }
}
