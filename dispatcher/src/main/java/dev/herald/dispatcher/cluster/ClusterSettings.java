package dev.herald.dispatcher.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code herald.cluster}: whether {@code herald serve} runs as a cluster node, how many partitions
 * there are, where their folders are, this node's address and the nodes it joins through (every
 * key is documented in {@code herald-cluster.conf}).
 *
 * <pre>{@code
 * ClusterSettings s = ClusterSettings.fromConfig(config, dataDir);
 * Config pekko = s.pekkoConfig().withFallback(config);   // the actor system's configuration
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param enabled           run as a cluster node
 * @param partitions        how many partitions
 * @param storageRoot       the folder of every partition's folder
 * @param hostname          this node's remoting host
 * @param port              this node's remoting port (0: any free port, for tests)
 * @param seedNodes         "host:port" of the nodes to join through (empty: this node starts the cluster)
 * @param keepAlive         how often each partition is told to be running
 * @param openRetry         how long a partition waits before trying its lock again
 * @param askTimeout        how long a forwarded request may take
 * @param uploadTimeout     how long an upload slice or a create on every partition may take
 * @param partitionCapacity recipients each partition's directory is sized for
 * @param stableAfter       the split-brain resolver's {@code stable-after}
 * @param minMembers        members the cluster waits for before placing partitions
 * @param nodes             how many nodes the cluster is meant to run: each binds every SMPP account
 *                          with its share of the account's binds and rate ({@link #share})
 */
public record ClusterSettings(boolean enabled, int partitions, Path storageRoot, String hostname, int port,
                              List<String> seedNodes, Duration keepAlive, Duration openRetry, Duration askTimeout,
                              Duration uploadTimeout, long partitionCapacity, Duration stableAfter, int minMembers,
                              int nodes) {

    /** The actor system's name on every node (it is part of every node's address). */
    public static final String SYSTEM = "herald";

    /** @throws IllegalArgumentException naming the setting that is out of range */
    public ClusterSettings {
        if (partitions < 1 || partitions > 4096) {
            throw new IllegalArgumentException("herald.cluster.partitions must be 1-4096, got " + partitions);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("herald.cluster.port must be 0-65535, got " + port);
        }
        if (hostname == null || hostname.isBlank()) {
            throw new IllegalArgumentException("herald.cluster.hostname must not be empty");
        }
        for (String seed : seedNodes) {
            hostPort(seed);
        }
        positive("keep-alive", keepAlive);
        positive("open-retry", openRetry);
        positive("ask-timeout", askTimeout);
        positive("upload-timeout", uploadTimeout);
        positive("stable-after", stableAfter);
        if (partitionCapacity < 1) {
            throw new IllegalArgumentException("herald.cluster.partition-capacity must be >= 1, got " + partitionCapacity);
        }
        if (minMembers < 1) {
            throw new IllegalArgumentException("herald.cluster.min-members must be >= 1, got " + minMembers);
        }
        if (nodes < 1 || nodes > 1000) {
            throw new IllegalArgumentException("herald.cluster.nodes must be 1-1000, got " + nodes);
        }
        seedNodes = List.copyOf(seedNodes);
    }

    /**
     * @param config            the whole configuration
     * @param dataDir           the node's data directory (the default storage root is below it)
     * @param directoryCapacity {@code herald.service.directory-capacity} (the default partition capacity)
     * @return {@code herald.cluster}
     * @throws IllegalArgumentException naming the key that is missing, of the wrong type or out of range
     */
    public static ClusterSettings fromConfig(Config config, Path dataDir, long directoryCapacity) {
        // read by full path: a value of the wrong type is then named as the operator writes it
        String k = "herald.cluster.";
        try {
            int partitions = config.getInt(k + "partitions");
            String root = config.getString(k + "storage-root");
            long capacity = config.getLong(k + "partition-capacity");
            if (capacity < 0) {
                throw new IllegalArgumentException("herald.cluster.partition-capacity must be >= 0, got " + capacity);
            }
            if (capacity == 0) {
                capacity = Math.max(100_000, 2 * directoryCapacity / Math.max(1, partitions));
            }
            return new ClusterSettings(config.getBoolean(k + "enabled"), partitions,
                    root.isBlank() ? dataDir.resolve("partitions") : Path.of(root), config.getString(k + "hostname"),
                    config.getInt(k + "port"), config.getStringList(k + "seed-nodes"), config.getDuration(k + "keep-alive"),
                    config.getDuration(k + "open-retry"), config.getDuration(k + "ask-timeout"),
                    config.getDuration(k + "upload-timeout"), capacity, config.getDuration(k + "stable-after"),
                    config.getInt(k + "min-members"), config.getInt(k + "nodes"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    /** @return this with {@code enabled} set */
    public ClusterSettings withEnabled(boolean on) {
        return new ClusterSettings(on, partitions, storageRoot, hostname, port, seedNodes, keepAlive, openRetry, askTimeout,
                uploadTimeout, partitionCapacity, stableAfter, minMembers, nodes);
    }

    /**
     * This node's share of an SMPP account: {@code binds / nodes} binds (rounded down, at least one)
     * and {@code rate / nodes} messages a second, so that the cluster's nodes together stay within
     * what the SMSC allows the account (binds only while there are at least as many binds as nodes).
     *
     * @param account the account as configured (the whole cluster's binds and rate)
     * @return the account as this node binds it
     */
    public dev.herald.dispatcher.connector.smpp.SmppSettings share(dev.herald.dispatcher.connector.smpp.SmppSettings account) {
        int binds = Math.max(1, account.binds() / nodes);
        return account.withShare(binds, account.rate() / nodes);
    }

    /** This node's share of a Kannel gateway: {@code window / nodes} requests at once (rounded down, at least one) and {@code rate / nodes}. */
    public dev.herald.dispatcher.connector.http.KannelSettings share(dev.herald.dispatcher.connector.http.KannelSettings gateway) {
        return gateway.withShare(Math.max(1, gateway.window() / nodes), gateway.rate() / nodes);
    }

    /** This node's share of a JSON gateway: {@code window / nodes} requests at once (rounded down, at least one) and {@code rate / nodes}. */
    public dev.herald.dispatcher.connector.http.JsonGatewaySettings share(
            dev.herald.dispatcher.connector.http.JsonGatewaySettings gateway) {
        return gateway.withShare(Math.max(1, gateway.window() / nodes), gateway.rate() / nodes);
    }

    /**
     * What the actor system needs to be this node: the cluster provider, remoting on
     * {@code hostname:port}, the seed nodes, Pekko's split-brain resolver, and the JSON
     * serialization of Herald's cluster messages. Put it in front of the rest of the configuration.
     */
    public Config pekkoConfig() {
        List<String> seeds = new ArrayList<>();
        for (String s : seedNodes) {
            String[] hp = hostPort(s);
            seeds.add("\"pekko://" + SYSTEM + "@" + hp[0] + ":" + hp[1] + "\"");
        }
        if (seeds.isEmpty() && port != 0) {
            seeds.add("\"pekko://" + SYSTEM + "@" + hostname + ":" + port + "\"");
        } // port 0 and no seeds: no address to name before binding; ClusterNode joins the node to itself

        String text = String.join("\n",
                "pekko.actor.provider = cluster",
                "pekko.remote.artery.transport = tcp",
                "pekko.remote.artery.canonical.hostname = \"" + hostname + "\"",
                "pekko.remote.artery.canonical.port = " + port,
                // a forwarded request's body or an upload slice may exceed Artery's 256 KiB default
                "pekko.remote.artery.advanced.maximum-frame-size = 4 MiB",
                "pekko.remote.artery.advanced.buffer-pool-size = 32",
                "pekko.cluster.seed-nodes = [" + String.join(", ", seeds) + "]",
                "pekko.cluster.downing-provider-class = \"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"",
                "pekko.cluster.split-brain-resolver.active-strategy = keep-majority",
                "pekko.cluster.split-brain-resolver.stable-after = " + stableAfter.toMillis() + "ms",
                // Pekko waits this long after downing a node before its shards move, for the downed side
                // to have stopped (it downs itself after stable-after). Each partition's folder lock makes
                // that wait unneeded here: a new owner cannot open a partition until the old process has
                // let it go (or died), so a dead node's partitions may move at once.
                "pekko.cluster.down-removal-margin = 1s",
                // one partition per shard: shard id = partition number
                "pekko.cluster.sharding.number-of-shards = " + partitions,
                "pekko.actor.serialization-bindings { \"" + ClusterMessage.class.getName() + "\" = jackson-json }",
                // partitions never passivate: each runs its campaigns and journeys while idle
                "pekko.cluster.sharding.passivation.strategy = none",
                // a joining node takes its share of partitions in one round, not one partition per 10 s
                "pekko.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit = 20",
                "pekko.cluster.jmx.enabled = off");
        return ConfigFactory.parseString(text);
    }

    /** @return {@code [host, port]} of a "host:port" seed @throws IllegalArgumentException naming it if malformed */
    static String[] hostPort(String seed) {
        int colon = seed == null ? -1 : seed.lastIndexOf(':');
        if (colon <= 0 || colon == seed.length() - 1) {
            throw new IllegalArgumentException("herald.cluster.seed-nodes: '" + seed + "' is not host:port");
        }
        try {
            int p = Integer.parseInt(seed.substring(colon + 1));
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return new String[] {seed.substring(0, colon).toLowerCase(Locale.ROOT), Integer.toString(p)};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("herald.cluster.seed-nodes: '" + seed + "' has no port 1-65535");
        }
    }

    private static void positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("herald.cluster." + key + " must be > 0, got " + d);
        }
    }
}
