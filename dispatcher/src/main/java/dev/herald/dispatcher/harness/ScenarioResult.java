package dev.herald.dispatcher.harness;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one bench scenario measured: its time, throughput, outcome counts and peak heap, plus the
 * keys only it has ({@code capViolations}, {@code optOutLatencyMs}, {@code violations}, ...).
 *
 * <p>{@code result.extra().get("capViolations")}
 *
 * <p>Immutable.
 *
 * @param name                the scenario's name, e.g. {@code one-big-campaign}
 * @param elapsedMs           wall time from the first campaign's start to the last one's end, ms
 * @param recipientsPerSecond recipients decided (an outcome each, summed over campaigns) per second of {@code elapsedMs}
 * @param outcomes            outcome → recipients, summed over the scenario's campaigns, by name
 * @param peakHeapBytes       peak heap during the scenario ({@link HeapPeaks}), bytes
 * @param extra               scenario-specific keys in report order; values are {@link Number}s,
 *                            {@link String}s, {@link LatencyStats} or maps of those
 */
public record ScenarioResult(String name, long elapsedMs, double recipientsPerSecond, Map<String, Long> outcomes,
                             long peakHeapBytes, Map<String, Object> extra) {

    /** Copies the maps; outcomes sorted by name, extras in insertion order. */
    public ScenarioResult {
        outcomes = Collections.unmodifiableMap(new TreeMap<>(outcomes));
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /** @return the recipients counted in {@link #outcomes()} */
    public long outcomeTotal() {
        return outcomes.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * @param key an extra key holding a number
     * @return its value as a long
     * @throws IllegalArgumentException if there is no such numeric key
     */
    public long extraLong(String key) {
        if (!(extra.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("scenario " + name + " has no numeric key " + key);
        }
        return n.longValue();
    }
}
