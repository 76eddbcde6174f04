package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.time.Duration;

/**
 * The {@code herald.service} configuration (defaults and documentation in {@code herald-service.conf}).
 *
 * <pre>{@code
 * ServiceSettings s = ServiceSettings.fromConfig(ConfigFactory.load()).withAddress("0.0.0.0", 9000);
 * }</pre>
 *
 * @param host             interface to bind
 * @param port             port to bind, 0 for any free port
 * @param maxJsonBody      largest JSON request body, bytes
 * @param maxUpload        largest CSV upload, bytes
 * @param bodyTimeout      how long reading a JSON body may take
 * @param askTimeout       how long a route waits for the campaign manager
 * @param throttleShards   cap ledger shards
 * @param releasePoll      how often campaigns look for deferred recipients now due
 * @param shutdownTimeout  how long campaigns may take to stop on SIGTERM
 * @param connectorName    the embedded connector's name
 * @param latencyMin       simulated connector: shortest answer time
 * @param latencyMax       simulated connector: longest answer time
 * @param maxRate          simulated connector: peer rate per second, 0 for unlimited
 * @param window           simulated connector: most unanswered sends
 * @param idempotencyKeys  simulated connector: deduplicate by idempotency key as a peer would, so
 *                         campaigns resend their crash-unknowns by themselves
 * @param directoryCapacity recipients a new data directory is sized for (ignored once it exists)
 */
public record ServiceSettings(String host, int port, long maxJsonBody, long maxUpload, Duration bodyTimeout,
                              Duration askTimeout, int throttleShards, Duration releasePoll, Duration shutdownTimeout,
                              String connectorName, Duration latencyMin, Duration latencyMax, double maxRate, int window,
                              boolean idempotencyKeys, long directoryCapacity) {

    /** @throws IllegalArgumentException naming the first setting out of range */
    public ServiceSettings {
        check(host != null && !host.isBlank(), "herald.service.host must not be empty");
        check(port >= 0 && port <= 65_535, "herald.service.port must be 0-65535, got " + port);
        check(maxJsonBody >= 1_024, "herald.service.max-json-body must be at least 1 KiB, got " + maxJsonBody);
        check(maxUpload >= maxJsonBody, "herald.service.max-upload must be at least max-json-body, got " + maxUpload);
        check(positive(bodyTimeout), "herald.service.body-timeout must be > 0");
        check(positive(askTimeout), "herald.service.ask-timeout must be > 0");
        check(throttleShards >= 1 && throttleShards <= 64, "herald.service.throttle-shards must be 1-64, got " + throttleShards);
        check(positive(releasePoll), "herald.service.release-poll must be > 0");
        check(positive(shutdownTimeout), "herald.service.shutdown-timeout must be > 0");
        check(connectorName != null && connectorName.matches("[a-z0-9][a-z0-9-]{0,31}"),
                "herald.service.connector.name must be 1-32 of a-z 0-9 -, got " + connectorName);
        check(latencyMin != null && !latencyMin.isNegative() && latencyMax != null && latencyMax.compareTo(latencyMin) >= 0,
                "herald.service.connector latency: need 0 <= latency-min <= latency-max");
        check(maxRate >= 0, "herald.service.connector.max-rate must be >= 0 (0: unlimited), got " + maxRate);
        check(window >= 1, "herald.service.connector.window must be >= 1, got " + window);
        check(directoryCapacity >= 1_000, "herald.service.directory-capacity must be >= 1000, got " + directoryCapacity);
    }

    /**
     * @param root the whole configuration
     * @throws IllegalArgumentException naming the key that is missing, of the wrong type or out of range
     */
    public static ServiceSettings fromConfig(Config root) {
        try {
            Config c = root.getConfig("herald.service");
            Config k = c.getConfig("connector");
            return new ServiceSettings(c.getString("host"), c.getInt("port"), c.getBytes("max-json-body"),
                    c.getBytes("max-upload"), c.getDuration("body-timeout"), c.getDuration("ask-timeout"),
                    c.getInt("throttle-shards"), c.getDuration("release-poll"), c.getDuration("shutdown-timeout"),
                    k.getString("name"), k.getDuration("latency-min"), k.getDuration("latency-max"), k.getDouble("max-rate"),
                    k.getInt("window"), k.getBoolean("idempotency-keys"), c.getLong("directory-capacity"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    /** @return these settings bound to {@code host} (null: unchanged) and {@code port} (null: unchanged) */
    /** @return these settings with the directory sized for {@code capacity} recipients (a cluster partition's share) */
    public ServiceSettings withDirectoryCapacity(long capacity) {
        return new ServiceSettings(host, port, maxJsonBody, maxUpload, bodyTimeout, askTimeout, throttleShards, releasePoll,
                shutdownTimeout, connectorName, latencyMin, latencyMax, maxRate, window, idempotencyKeys, capacity);
    }

    public ServiceSettings withAddress(String newHost, Integer newPort) {
        return new ServiceSettings(newHost == null ? host : newHost, newPort == null ? port : newPort, maxJsonBody, maxUpload,
                bodyTimeout, askTimeout, throttleShards, releasePoll, shutdownTimeout, connectorName, latencyMin, latencyMax,
                maxRate, window, idempotencyKeys, directoryCapacity);
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isZero() && !d.isNegative();
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
