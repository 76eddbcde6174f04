package dev.herald.dispatcher.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/**
 * What one {@code herald demo} did: the campaign's outcome counts, its pipeline time and
 * throughput, the time to build the synthetic directory, and the process's peak heap.
 *
 * <p>{@code summary.lines().forEach(out::println); summary.writeJson(Path.of("demo.json"));}
 *
 * <p>Immutable.
 *
 * @param campaignId          the campaign that ran
 * @param recipients          recipients in the campaign's audience
 * @param buildMs             time to build (or re-check) the synthetic directory, ms
 * @param elapsedMs           pipeline time of the campaign, ms (audience to last recorded outcome)
 * @param recipientsPerSecond recipients over the pipeline time, per second
 * @param outcomes            outcome ({@code sent}, {@code suppressed:<scope>}, ...) → recipients, by name
 * @param peakHeapBytes       sum over heap pools of their peak usage since the JVM started, bytes
 *                            (an upper bound: pools may peak at different moments)
 * @param audience            what building the directory did
 * @param acceptedLog         the simulated connector's accepted log
 */
public record DemoSummary(String campaignId, long recipients, long buildMs, long elapsedMs, double recipientsPerSecond,
                          Map<String, Long> outcomes, long peakHeapBytes, AudienceSummary audience, Path acceptedLog) {

    /** Copies the outcomes, sorted by name. */
    public DemoSummary {
        outcomes = Collections.unmodifiableMap(new TreeMap<>(outcomes));
    }

    /** @return the recipients counted in {@link #outcomes()} */
    public long outcomeTotal() {
        return outcomes.values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return the human-readable summary, one line each */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "campaign %s: %,d recipients", campaignId, recipients));
        outcomes.forEach((outcome, n) -> lines.add(String.format(Locale.ROOT, "  %-28s %,12d  %5.1f%%", outcome, n,
                100.0 * n / Math.max(1, recipients))));
        lines.add(String.format(Locale.ROOT, "directory build: %,d ms (%,d new recipients)", buildMs, audience.created()));
        lines.add(String.format(Locale.ROOT, "pipeline time:   %,d ms", elapsedMs));
        lines.add(String.format(Locale.ROOT, "throughput:      %,.0f recipients/s", recipientsPerSecond));
        lines.add(String.format(Locale.ROOT, "peak heap:       %,d MiB", peakHeapBytes >> 20));
        lines.add("accepted log:    " + acceptedLog);
        return lines;
    }

    /**
     * Writes {@code recipients}, {@code elapsedMs}, {@code recipientsPerSecond}, {@code outcomes}
     * and {@code peakHeapBytes} as one JSON object, replacing {@code file}.
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
            g.writeNumberField("elapsedMs", elapsedMs);
            g.writeNumberField("recipientsPerSecond", Math.round(recipientsPerSecond * 10) / 10.0);
            g.writeObjectFieldStart("outcomes");
            for (Map.Entry<String, Long> e : outcomes.entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeNumberField("peakHeapBytes", peakHeapBytes);
            g.writeEndObject();
        }
    }
}
