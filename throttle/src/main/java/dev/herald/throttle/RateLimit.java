package dev.herald.throttle;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.time.Duration;

/**
 * The configured send rate of one connector and how its {@link RateLimiter} reacts to throttling.
 *
 * <pre>{@code
 * RateLimit smpp = RateLimit.fromConfig(ConfigFactory.load(), "smpp-main"); // herald.rate-limits
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param ratePerSecond        sustained rate, messages/s, &gt; 0
 * @param burst                bucket size, messages, ≥ 1
 * @param transactionalReserve share of the burst marketing must leave in the bucket, in [0, 1)
 * @param initialBackoff       pause after a throttling answer without Retry-After, &gt; 0
 * @param maxBackoff           cap of the doubling pause on repeated throttling, ≥ initialBackoff
 * @param decreaseFactor       the effective rate is multiplied by this on each throttling answer, in (0, 1)
 * @param recoveryPerSecond    after a pause the effective rate grows by this share of
 *                             {@code ratePerSecond} each second, in (0, 1]
 * @param minRateShare         the effective rate never drops below this share of {@code ratePerSecond}, in (0, 1]
 */
public record RateLimit(double ratePerSecond, int burst, double transactionalReserve, Duration initialBackoff,
                        Duration maxBackoff, double decreaseFactor, double recoveryPerSecond, double minRateShare) {

    /** Configuration path of the defaults every connector inherits. */
    public static final String DEFAULT_PATH = "herald.rate-limits.default";
    /** Configuration path of the per-connector overrides. */
    public static final String CONNECTORS_PATH = "herald.rate-limits.connectors";

    /**
     * @throws IllegalArgumentException if a value is outside its documented range
     */
    public RateLimit {
        check(ratePerSecond > 0 && Double.isFinite(ratePerSecond), "rate", ratePerSecond);
        check(burst >= 1, "burst", burst);
        check(transactionalReserve >= 0 && transactionalReserve < 1, "transactional-reserve", transactionalReserve);
        check(initialBackoff != null && initialBackoff.toNanos() > 0, "initial-backoff", initialBackoff);
        check(maxBackoff != null && maxBackoff.compareTo(initialBackoff) >= 0, "max-backoff", maxBackoff);
        check(decreaseFactor > 0 && decreaseFactor < 1, "decrease-factor", decreaseFactor);
        check(recoveryPerSecond > 0 && recoveryPerSecond <= 1, "recovery-per-second", recoveryPerSecond);
        check(minRateShare > 0 && minRateShare <= 1, "min-rate-share", minRateShare);
    }

    /**
     * @param ratePerSecond messages/s
     * @param burst         messages
     * @return a limit with the reference defaults for everything else (20% reserve, 1 s–60 s
     *     backoff, halve on throttling, recover 10% of the rate per second, floor 5%)
     * @throws IllegalArgumentException if a value is out of range
     */
    public static RateLimit of(double ratePerSecond, int burst) {
        return new RateLimit(ratePerSecond, burst, 0.2, Duration.ofSeconds(1), Duration.ofSeconds(60), 0.5, 0.1, 0.05);
    }

    /**
     * Reads {@code herald.rate-limits.connectors.<connector>} over {@code herald.rate-limits.default}.
     *
     * @param root      the application configuration
     * @param connector connector name
     * @return its limit
     * @throws ConfigException naming the full key path of a missing or bad value
     */
    public static RateLimit fromConfig(Config root, String connector) {
        String own = CONNECTORS_PATH + ".\"" + connector + "\".";
        java.util.function.Function<String, String> at = key -> root.hasPath(own + key) ? own + key : DEFAULT_PATH + "." + key;
        double rate = root.getDouble(at.apply("rate"));
        int burst = root.getInt(at.apply("burst"));
        double reserve = root.getDouble(at.apply("transactional-reserve"));
        Duration initial = root.getDuration(at.apply("initial-backoff"));
        Duration max = root.getDuration(at.apply("max-backoff"));
        double decrease = root.getDouble(at.apply("decrease-factor"));
        double recovery = root.getDouble(at.apply("recovery-per-second"));
        double floor = root.getDouble(at.apply("min-rate-share"));
        try {
            return new RateLimit(rate, burst, reserve, initial, max, decrease, recovery, floor);
        } catch (IllegalArgumentException e) {
            String key = at.apply(e.getMessage().substring(0, e.getMessage().indexOf(' ')));
            throw new ConfigException.BadValue(root.getValue(key).origin(), key, e.getMessage());
        }
    }

    private static void check(boolean ok, String key, Object value) {
        if (!ok) {
            throw new IllegalArgumentException(key + " is out of range: " + value);
        }
    }

    /** @return the tokens marketing must leave in the bucket */
    public int reserveTokens() {
        return (int) Math.floor(transactionalReserve * burst);
    }
}
