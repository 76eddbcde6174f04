package dev.herald.dispatcher.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/**
 * The results of one {@code herald bench}: the sizes, the machine, and one {@link ScenarioResult}
 * per scenario run, as lines for people and as a JSON document.
 *
 * <p>{@code report.lines().forEach(out::println); report.writeJson(Path.of("bench.json"));}
 *
 * <p>JSON: {@code {"recipients", "campaigns", "machine": {...}, "scenarios": [{"name", "elapsedMs",
 * "recipientsPerSecond", "outcomes": {...}, "peakHeapBytes", ...extra keys}]}}; a
 * {@link LatencyStats} is written as {@code {"p50", "p99", "max"} in ms, "count"}.
 *
 * <p>Immutable.
 *
 * @param recipients the audience size N
 * @param campaigns  K, the campaigns of {@code overlapping-campaigns}
 * @param machine    where it ran
 * @param scenarios  the results, in run order
 */
public record BenchReport(int recipients, int campaigns, Machine machine, List<ScenarioResult> scenarios) {

    /** Copies the list. */
    public BenchReport {
        scenarios = List.copyOf(scenarios);
    }

    /** @return the human-readable report, one line each */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "machine: %d cores, max heap %,d MiB, Java %s", machine.cores(),
                machine.maxHeapBytes() >> 20, machine.javaVersion()));
        for (ScenarioResult s : scenarios) {
            lines.add(String.format(Locale.ROOT, "%s: %,d recipient decisions in %,d ms, %,.0f recipients/s, peak heap %,d MiB",
                    s.name(), s.outcomeTotal(), s.elapsedMs(), s.recipientsPerSecond(), s.peakHeapBytes() >> 20));
            s.outcomes().forEach((outcome, n) -> lines.add(String.format(Locale.ROOT, "  %-28s %,12d", outcome, n)));
            s.extra().forEach((key, value) -> lines.add(String.format(Locale.ROOT, "  %-28s %s", key, text(value))));
        }
        return lines;
    }

    private static String text(Object value) {
        if (value instanceof LatencyStats l) {
            return String.format(Locale.ROOT, "p50 %.3f ms, p99 %.3f ms, max %.3f ms (%,d samples)",
                    l.p50Ms(), l.p99Ms(), l.maxMs(), l.count());
        }
        if (value instanceof Long || value instanceof Integer) {
            return String.format(Locale.ROOT, "%,d", ((Number) value).longValue());
        }
        if (value instanceof Double d) {
            return String.format(Locale.ROOT, "%,.1f", d);
        }
        return String.valueOf(value);
    }

    /**
     * Writes the report as one JSON document, replacing {@code file}.
     *
     * @param file where to write
     * @throws IOException if it cannot be written
     */
    public void writeJson(Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
             JsonGenerator g = new JsonFactory().createGenerator(os, JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("recipients", recipients);
            g.writeNumberField("campaigns", campaigns);
            g.writeObjectFieldStart("machine");
            g.writeNumberField("cores", machine.cores());
            g.writeNumberField("maxHeapBytes", machine.maxHeapBytes());
            g.writeNumberField("physicalMemoryBytes", machine.physicalMemoryBytes());
            g.writeStringField("javaVersion", machine.javaVersion());
            g.writeStringField("vm", machine.vm());
            g.writeStringField("os", machine.os());
            writeStrings(g, "garbageCollectors", machine.garbageCollectors());
            writeStrings(g, "jvmArguments", machine.jvmArguments());
            g.writeEndObject();
            g.writeArrayFieldStart("scenarios");
            for (ScenarioResult s : scenarios) {
                g.writeStartObject();
                g.writeStringField("name", s.name());
                g.writeNumberField("elapsedMs", s.elapsedMs());
                g.writeNumberField("recipientsPerSecond", round(s.recipientsPerSecond(), 10));
                g.writeObjectFieldStart("outcomes");
                for (Map.Entry<String, Long> e : s.outcomes().entrySet()) {
                    g.writeNumberField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
                g.writeNumberField("peakHeapBytes", s.peakHeapBytes());
                for (Map.Entry<String, Object> e : s.extra().entrySet()) {
                    g.writeFieldName(e.getKey());
                    writeValue(g, e.getValue());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    private static void writeValue(JsonGenerator g, Object value) throws IOException {
        if (value instanceof LatencyStats l) {
            g.writeStartObject();
            g.writeNumberField("p50", round(l.p50Ms(), 1000));
            g.writeNumberField("p99", round(l.p99Ms(), 1000));
            g.writeNumberField("max", round(l.maxMs(), 1000));
            g.writeNumberField("count", l.count());
            g.writeEndObject();
        } else if (value instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof Double d) {
            g.writeNumber(round(d, 1000));
        } else if (value instanceof Long || value instanceof Integer) {
            g.writeNumber(((Number) value).longValue());
        } else {
            g.writeString(String.valueOf(value));
        }
    }

    private static double round(double v, int per) {
        return Math.round(v * per) / (double) per;
    }
}
