package dev.herald.dispatcher.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.service.PartitionEngine;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The cluster's API keys: one key file in the storage root, {@code <storage-root>/cluster/api-keys.json}
 * (the format of a single node's {@code api-keys.json}), which every node and every partition checks
 * keys with, wherever it runs.
 *
 * <pre>{@code
 * ApiKeys keys = ClusterKeys.open(root, ClusterKeys.checkEvery(config), env.get("HERALD_API_KEY"));
 * Config partition = ClusterKeys.partitionConfig(root, config).withFallback(config);
 * }</pre>
 *
 * <ul>
 *   <li>A change ({@code POST /v1/keys}, {@code DELETE /v1/keys/{id}} on any node) is made under an
 *       exclusive lock of the file ({@code api-keys.json.lock}), on the keys the file holds then, and is
 *       synced before it is answered: two nodes making keys at once both keep theirs.</li>
 *   <li>A key check looks whether the file was replaced at most once per
 *       {@code herald.cluster.keys-check-every} (one {@code stat}), and at once for a key it does not
 *       know: a new key works everywhere as soon as it is made; a revoked one is refused everywhere
 *       within {@code keys-check-every} of the answer to its {@code DELETE}.</li>
 *   <li>In one process, the node and the partitions it hosts share one view of the file
 *       ({@link ApiKeys#openShared}).</li>
 *   <li>{@code HERALD_API_KEY} is an admin key everywhere: each node adds it to the file when it starts
 *       (if it is not there). The last admin key cannot be revoked.</li>
 *   <li>A damaged file stops a node from starting (the error names it); a running node keeps the keys it
 *       read last, logs the error, and refuses key changes until the file is repaired. It is never
 *       overwritten.</li>
 * </ul>
 */
final class ClusterKeys {

    /** The key file, relative to the storage root. */
    static final String FILE = "cluster/api-keys.json";
    /** The setting: how often, at most, a key check looks whether the file was replaced. */
    static final String CHECK_EVERY = "herald.cluster.keys-check-every";

    private ClusterKeys() {
    }

    /** @return the key file of storage root {@code root} */
    static Path file(Path root) {
        return root.resolve(FILE);
    }

    /**
     * @return {@code herald.cluster.keys-check-every}
     * @throws IllegalArgumentException naming it if it is missing, not a duration, or not 1 ms to 60 s
     */
    static Duration checkEvery(Config config) {
        Duration d;
        try {
            d = config.getDuration(CHECK_EVERY);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
        if (d.toMillis() < 1 || d.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new IllegalArgumentException(CHECK_EVERY + " must be 1ms-60s (how long a revoked key may still work), got "
                    + d);
        }
        return d;
    }

    /**
     * The cluster's keys, with {@code adminKey} among them as an admin key (added if missing).
     *
     * @throws IOException              if the file cannot be read (damaged: its name and what is wrong) or written
     * @throws IllegalArgumentException if {@code adminKey} is too short
     */
    static ApiKeys open(Path root, Duration checkEvery, String adminKey) throws IOException {
        ApiKeys keys;
        try {
            keys = ApiKeys.openShared(file(root), checkEvery);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + " (the cluster's API keys, which every node shares: repair the file, or"
                    + " restore it from a backup; a node does not start without them)", e);
        }
        keys.bootstrap(adminKey);
        return keys;
    }

    /** @return what a partition's configuration adds so that its API checks keys with the cluster's file */
    static Config partitionConfig(Path root, Config config) {
        return ConfigFactory.parseMap(Map.of(PartitionEngine.KEYS_FILE, file(root).toAbsolutePath().toString(),
                PartitionEngine.KEYS_CHECK_EVERY, checkEvery(config).toMillis() + "ms"));
    }
}
