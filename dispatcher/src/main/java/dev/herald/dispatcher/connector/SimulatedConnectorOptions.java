package dev.herald.dispatcher.connector;

import dev.herald.throttle.RateLimiter;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * How a {@link SimulatedConnector} behaves: latency, peer rate, failure and throttling rates.
 *
 * <pre>{@code
 * SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dataDir.resolve("sim"))
 *         .withLatency(Duration.ofMillis(5), Duration.ofMillis(20))
 *         .withMaxRate(500, 100)
 *         .withFailureRate(0.01).withThrottleRate(0.001).withSeed(7);
 * }</pre>
 *
 * <p>Each message draws, in this order: the peer's token bucket (empty → throttled with the
 * time until the next token as Retry-After), then one seeded uniform number {@code u}:
 * {@code u < throttleRate} → throttled without Retry-After; then {@code failureRate} → permanent
 * failure; then {@code transientFailureRate} → transient failure; else accepted. Latency is drawn
 * uniformly in {@code [latencyMin, latencyMax]} from the same generator. With one sending thread
 * the answers are therefore a function of the seed.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name                 connector name, 1–64 of {@code [a-z0-9._-]}; also names the log file
 * @param logDirectory         where {@code <name>-accepted.tsv} is appended to
 * @param latencyMin           shortest answer time, ≥ 0
 * @param latencyMax           longest answer time, ≥ latencyMin
 * @param maxRatePerSecond     peer rate, messages/s, &gt; 0 ({@link Double#POSITIVE_INFINITY}: unlimited)
 * @param burst                peer bucket size, messages, ≥ 1
 * @param throttleRate         share answered throttled at random, in [0, 1]
 * @param failureRate          share failed for good, in [0, 1]
 * @param transientFailureRate share failed for now, in [0, 1]; the three rates sum to ≤ 1
 * @param seed                 seed of the generator
 * @param window               most unanswered sends, ≥ 1
 * @param fsync                force the log to the device after each written batch (survives a power
 *                             loss, not only a process kill; much slower)
 * @param rateLimiter          told about every throttled answer, or null
 * @param idempotencyKeys      deduplicate by {@link OutboundMessage#idempotencyKey()} as a peer
 *                             that supports it does: a message whose key was accepted before (in this
 *                             log, across restarts) is answered accepted again with the first message
 *                             id and not logged twice; off by default
 */
public record SimulatedConnectorOptions(String name, Path logDirectory, Duration latencyMin, Duration latencyMax,
                                        double maxRatePerSecond, int burst, double throttleRate, double failureRate,
                                        double transientFailureRate, long seed, int window, boolean fsync,
                                        RateLimiter rateLimiter, boolean idempotencyKeys) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /** @throws IllegalArgumentException naming the first component out of range */
    public SimulatedConnectorOptions {
        check(name != null && NAME.matcher(name).matches(), "name must be 1-64 characters of a-z, 0-9, '.', '_', '-': " + name);
        check(logDirectory != null, "log directory is missing");
        check(latencyMin != null && !latencyMin.isNegative(), "latency min must be >= 0: " + latencyMin);
        check(latencyMax != null && latencyMax.compareTo(latencyMin) >= 0, "latency max must be >= min: " + latencyMax);
        check(maxRatePerSecond > 0, "max rate must be > 0 messages/s: " + maxRatePerSecond);
        check(burst >= 1, "burst must be >= 1: " + burst);
        check(rate(throttleRate) && rate(failureRate) && rate(transientFailureRate)
                && throttleRate + failureRate + transientFailureRate <= 1.0 + 1e-9,
                "throttle, failure and transient failure rates must be in [0, 1] and sum to <= 1: "
                        + throttleRate + ", " + failureRate + ", " + transientFailureRate);
        check(window >= 1, "window must be >= 1: " + window);
    }

    /**
     * @param logDirectory where the accepted log goes
     * @return name {@code simulated}, no latency, unlimited rate, no failures, seed 42, window 1024, no fsync
     */
    public static SimulatedConnectorOptions defaults(Path logDirectory) {
        return new SimulatedConnectorOptions("simulated", logDirectory, Duration.ZERO, Duration.ZERO,
                Double.POSITIVE_INFINITY, 1, 0, 0, 0, 42, 1024, false, null, false);
    }

    /** @return a copy with this name */
    public SimulatedConnectorOptions withName(String n) {
        return new SimulatedConnectorOptions(n, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                throttleRate, failureRate, transientFailureRate, seed, window, fsync, rateLimiter, idempotencyKeys);
    }

    /** @return a copy with a fixed latency */
    public SimulatedConnectorOptions withLatency(Duration fixed) {
        return withLatency(fixed, fixed);
    }

    /** @return a copy with a latency drawn uniformly in [min, max] */
    public SimulatedConnectorOptions withLatency(Duration min, Duration max) {
        return new SimulatedConnectorOptions(name, logDirectory, min, max, maxRatePerSecond, burst,
                throttleRate, failureRate, transientFailureRate, seed, window, fsync, rateLimiter, idempotencyKeys);
    }

    /** @return a copy with this peer rate (messages/s) and bucket size (messages) */
    public SimulatedConnectorOptions withMaxRate(double perSecond, int burstSize) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, perSecond, burstSize,
                throttleRate, failureRate, transientFailureRate, seed, window, fsync, rateLimiter, idempotencyKeys);
    }

    /** @return a copy with this random throttling share */
    public SimulatedConnectorOptions withThrottleRate(double share) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                share, failureRate, transientFailureRate, seed, window, fsync, rateLimiter, idempotencyKeys);
    }

    /** @return a copy with this permanent failure share */
    public SimulatedConnectorOptions withFailureRate(double share) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                throttleRate, share, transientFailureRate, seed, window, fsync, rateLimiter, idempotencyKeys);
    }

    /** @return a copy with this transient failure share */
    public SimulatedConnectorOptions withTransientFailureRate(double share) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                throttleRate, failureRate, share, seed, window, fsync, rateLimiter, idempotencyKeys);
    }

    /** @return a copy with this seed */
    public SimulatedConnectorOptions withSeed(long s) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                throttleRate, failureRate, transientFailureRate, s, window, fsync, rateLimiter, idempotencyKeys);
    }

    /** @return a copy with this window */
    public SimulatedConnectorOptions withWindow(int w) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                throttleRate, failureRate, transientFailureRate, seed, w, fsync, rateLimiter, idempotencyKeys);
    }

    /** @return a copy that forces (or not) the log to the device after each batch */
    public SimulatedConnectorOptions withFsync(boolean f) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                throttleRate, failureRate, transientFailureRate, seed, window, f, rateLimiter, idempotencyKeys);
    }

    /** @return a copy that reports throttled answers to this limiter (null: none) */
    public SimulatedConnectorOptions withRateLimiter(RateLimiter limiter) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                throttleRate, failureRate, transientFailureRate, seed, window, fsync, limiter, idempotencyKeys);
    }

    /** @return a copy that deduplicates by idempotency key (or not); see {@link #idempotencyKeys()} */
    public SimulatedConnectorOptions withIdempotencyKeys(boolean on) {
        return new SimulatedConnectorOptions(name, logDirectory, latencyMin, latencyMax, maxRatePerSecond, burst,
                throttleRate, failureRate, transientFailureRate, seed, window, fsync, rateLimiter, on);
    }

    /** @return the log file, {@code <logDirectory>/<name>-accepted.tsv} */
    public Path logFile() {
        return logDirectory.resolve(name + "-accepted.tsv");
    }

    private static boolean rate(double r) {
        return r >= 0 && r <= 1;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
