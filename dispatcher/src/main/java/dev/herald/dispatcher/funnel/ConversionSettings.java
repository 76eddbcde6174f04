package dev.herald.dispatcher.funnel;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.time.Duration;

/**
 * {@code herald.funnel.attribution} and {@code herald.funnel.conversions}: how conversions are
 * attributed and which are taken (documented key by key in {@code herald-funnel.conf}).
 *
 * <pre>{@code
 * ConversionSettings s = ConversionSettings.fromConfig(ConfigFactory.load());
 * new Attribution(s.clickWindow(), s.deliveryWindow(), touches, campaignNumbers::campaignOf);
 * }</pre>
 *
 * @param clickWindow    a human click at most this long before a conversion is its last touch
 * @param deliveryWindow else, a delivery at most this long before it
 * @param maxAge         a conversion that occurred longer ago than this is refused
 * @param futureSkew     a conversion that occurred later than now plus this is refused (clocks differ)
 * @param maxBatchLines  the most lines of one NDJSON batch
 */
public record ConversionSettings(Duration clickWindow, Duration deliveryWindow, Duration maxAge, Duration futureSkew,
                                 int maxBatchLines) {

    /** The defaults: a click within 5 days, else a delivery within 24 h; 90 days old at most; 5 minutes of skew; 10,000 lines. */
    public static final ConversionSettings DEFAULTS = new ConversionSettings(Duration.ofDays(5), Duration.ofHours(24),
            Duration.ofDays(90), Duration.ofMinutes(5), 10_000);

    /** @throws IllegalArgumentException naming the key that is out of range */
    public ConversionSettings {
        check(clickWindow, Duration.ZERO, Duration.ofDays(365), "herald.funnel.attribution.click-window");
        check(deliveryWindow, Duration.ZERO, Duration.ofDays(365), "herald.funnel.attribution.delivery-window");
        check(maxAge, Duration.ofMinutes(1), Duration.ofDays(3650), "herald.funnel.conversions.max-age");
        check(futureSkew, Duration.ZERO, Duration.ofHours(1), "herald.funnel.conversions.future-skew");
        if (maxBatchLines < 1 || maxBatchLines > 100_000) {
            throw new IllegalArgumentException("herald.funnel.conversions.max-batch-lines must be 1-100000, got " + maxBatchLines);
        }
    }

    private static void check(Duration d, Duration min, Duration max, String key) {
        if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + d);
        }
    }

    /**
     * @param root the whole configuration
     * @return the settings
     * @throws IllegalArgumentException naming the key that is missing, of the wrong type or out of range
     */
    public static ConversionSettings fromConfig(Config root) {
        try {
            // full paths, so that a wrong type is reported as herald.funnel.<...>.<key>
            return new ConversionSettings(root.getDuration("herald.funnel.attribution.click-window"),
                    root.getDuration("herald.funnel.attribution.delivery-window"),
                    root.getDuration("herald.funnel.conversions.max-age"),
                    root.getDuration("herald.funnel.conversions.future-skew"),
                    root.getInt("herald.funnel.conversions.max-batch-lines"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }
}
