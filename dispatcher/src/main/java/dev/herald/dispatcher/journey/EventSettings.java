package dev.herald.dispatcher.journey;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.time.Duration;

/**
 * {@code herald.journeys.events}: which events {@code POST /v1/events} takes (documented key by key
 * in {@code herald-journeys.conf}).
 *
 * <pre>{@code
 * EventSettings s = EventSettings.fromConfig(ConfigFactory.load());
 * }</pre>
 *
 * @param maxAge             an event whose {@code at} is longer ago than this is refused
 * @param futureSkew         an event whose {@code at} is later than now plus this is refused (clocks differ)
 * @param maxBatchLines      the most lines of one NDJSON batch
 * @param maxProperties      the most keys of an event's {@code properties}
 * @param maxPropertiesBytes the most bytes of an event's {@code properties} as compact JSON (UTF-8)
 */
public record EventSettings(Duration maxAge, Duration futureSkew, int maxBatchLines, int maxProperties, int maxPropertiesBytes) {

    /** The defaults: 30 days old at most, 5 minutes of skew, 10,000 lines, 32 properties in 4 KiB. */
    public static final EventSettings DEFAULTS = new EventSettings(Duration.ofDays(30), Duration.ofMinutes(5), 10_000, 32, 4096);

    /** The largest {@code max-properties-bytes} (a stored record must stay within the log's frame limit). */
    public static final int MAX_PROPERTIES_BYTES = 16 * 1024;

    /** @throws IllegalArgumentException naming the key that is out of range */
    public EventSettings {
        check(maxAge, Duration.ofMinutes(1), Duration.ofDays(3650), "max-age");
        check(futureSkew, Duration.ZERO, Duration.ofHours(1), "future-skew");
        range(maxBatchLines, 1, 100_000, "max-batch-lines");
        range(maxProperties, 0, 256, "max-properties");
        range(maxPropertiesBytes, 2, MAX_PROPERTIES_BYTES, "max-properties-bytes");
    }

    private static void check(Duration d, Duration min, Duration max, String key) {
        if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException("herald.journeys.events." + key + " must be between " + min + " and " + max
                    + ", got " + d);
        }
    }

    private static void range(int v, int min, int max, String key) {
        if (v < min || v > max) {
            throw new IllegalArgumentException("herald.journeys.events." + key + " must be " + min + "-" + max + ", got " + v);
        }
    }

    /**
     * @param root the whole configuration
     * @return the settings
     * @throws IllegalArgumentException naming the key that is missing, of the wrong type or out of range
     */
    public static EventSettings fromConfig(Config root) {
        try {
            // full paths, so that a wrong type is reported as herald.journeys.events.<key>
            return new EventSettings(root.getDuration("herald.journeys.events.max-age"),
                    root.getDuration("herald.journeys.events.future-skew"),
                    root.getInt("herald.journeys.events.max-batch-lines"),
                    root.getInt("herald.journeys.events.max-properties"),
                    root.getInt("herald.journeys.events.max-properties-bytes"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }
}
