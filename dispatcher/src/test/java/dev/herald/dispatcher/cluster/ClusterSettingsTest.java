package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link ClusterSettings}: the shipped defaults, every bad value refused naming its key, and the actor system's configuration. */
class ClusterSettingsTest {

    private static final Path DATA = Path.of("/var/lib/herald");

    private static ClusterSettings read(String hocon, long directoryCapacity) {
        Config config = ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve();
        return ClusterSettings.fromConfig(config, DATA, directoryCapacity);
    }

    @Test
    void shouldReadTheShippedDefaults() {
        ClusterSettings s = ClusterSettings.fromConfig(ConfigFactory.load(), DATA, 10_000_000);
        assertFalse(s.enabled());
        assertEquals(64, s.partitions());
        assertEquals(DATA.resolve("partitions"), s.storageRoot());
        assertEquals("127.0.0.1", s.hostname());
        assertEquals(25520, s.port());
        assertEquals(List.of(), s.seedNodes());
        assertEquals(Duration.ofSeconds(1), s.keepAlive());
        assertEquals(Duration.ofSeconds(1), s.openRetry());
        assertEquals(Duration.ofSeconds(10), s.askTimeout());
        assertEquals(Duration.ofSeconds(120), s.uploadTimeout());
        assertEquals(Duration.ofSeconds(7), s.stableAfter());
        assertEquals(1, s.minMembers());
        // 0: 2 x directory-capacity / partitions, at least 100,000
        assertEquals(2 * 10_000_000L / 64, s.partitionCapacity());
        assertEquals(100_000, ClusterSettings.fromConfig(ConfigFactory.load(), DATA, 1_000).partitionCapacity());
        assertTrue(s.withEnabled(true).enabled());
    }

    @Test
    void shouldReadEveryKey() {
        ClusterSettings s = read("""
                herald.cluster { enabled = true, partitions = 16, storage-root = "/srv/parts", hostname = "node-a",
                  port = 2552, seed-nodes = ["Seed-1:2552", "seed-2:2553"], keep-alive = 3s, open-retry = 250ms,
                  ask-timeout = 4s, upload-timeout = 5m, partition-capacity = 123456, stable-after = 20s, min-members = 3,
                  nodes = 3 }""",
                1_000);
        assertTrue(s.enabled());
        assertEquals(16, s.partitions());
        assertEquals(Path.of("/srv/parts"), s.storageRoot());
        assertEquals("node-a", s.hostname());
        assertEquals(2552, s.port());
        assertEquals(List.of("Seed-1:2552", "seed-2:2553"), s.seedNodes());
        assertEquals(Duration.ofSeconds(3), s.keepAlive());
        assertEquals(Duration.ofMillis(250), s.openRetry());
        assertEquals(Duration.ofSeconds(4), s.askTimeout());
        assertEquals(Duration.ofMinutes(5), s.uploadTimeout());
        assertEquals(123_456, s.partitionCapacity());
        assertEquals(Duration.ofSeconds(20), s.stableAfter());
        assertEquals(3, s.minMembers());
        assertEquals(3, s.nodes());
    }

    @Test
    void shouldGiveEachNodeItsShareOfAnSmppAccountsBindsAndRate() {
        com.typesafe.config.Config account = ConfigFactory.parseString(
                "type = smpp, host = smsc, port = 2775, system-id = acme, password = pw, binds = 4, rate = 300");
        dev.herald.dispatcher.connector.smpp.SmppSettings whole = dev.herald.dispatcher.connector.smpp.SmppSettings
                .fromConfig("acme", account, k -> null);
        dev.herald.dispatcher.connector.smpp.SmppSettings third = read("herald.cluster.nodes = 3", 1_000).share(whole);
        assertEquals(1, third.binds(), "4 binds over 3 nodes: 1 each, rounded down (never over the account's binds)");
        assertEquals(100.0, third.rate(), 1e-9);
        assertEquals(whole.systemId(), third.systemId());
        dev.herald.dispatcher.connector.smpp.SmppSettings tenth = read("herald.cluster.nodes = 10", 1_000).share(whole);
        assertEquals(1, tenth.binds(), "never fewer than one bind");
        assertEquals(30.0, tenth.rate(), 1e-9);
        assertEquals(whole, read("", 1_000).share(whole), "a cluster meant to run one node binds the whole account");
    }

    @Test
    void shouldRefuseEveryBadValueNamingItsKey() {
        String[][] bad = {
                {"partitions = 0", "herald.cluster.partitions"},
                {"partitions = 5000", "herald.cluster.partitions"},
                {"partitions = -3", "herald.cluster.partitions"},
                {"port = -1", "herald.cluster.port"},
                {"port = 65536", "herald.cluster.port"},
                {"hostname = \"\"", "herald.cluster.hostname"},
                {"seed-nodes = [\"nohost\"]", "herald.cluster.seed-nodes"},
                {"seed-nodes = [\"h:0\"]", "herald.cluster.seed-nodes"},
                {"seed-nodes = [\"h:x\"]", "herald.cluster.seed-nodes"},
                {"seed-nodes = [\"h:\"]", "herald.cluster.seed-nodes"},
                {"seed-nodes = [\":2552\"]", "herald.cluster.seed-nodes"},
                {"seed-nodes = [\"h:70000\"]", "herald.cluster.seed-nodes"},
                {"keep-alive = 0s", "herald.cluster.keep-alive"},
                {"open-retry = 0s", "herald.cluster.open-retry"},
                {"ask-timeout = -1s", "herald.cluster.ask-timeout"},
                {"upload-timeout = 0s", "herald.cluster.upload-timeout"},
                {"stable-after = 0s", "herald.cluster.stable-after"},
                {"min-members = 0", "herald.cluster.min-members"},
                {"nodes = 0", "herald.cluster.nodes"},
                {"nodes = 1001", "herald.cluster.nodes"},
                {"partition-capacity = -1", "herald.cluster.partition-capacity"},
                // of the wrong type: the key as the operator writes it, not only its last part
                {"port = \"abc\"", "herald.cluster.port"},
                {"partitions = many", "herald.cluster.partitions"},
                {"keep-alive = soon", "herald.cluster.keep-alive"},
        };
        for (String[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read("herald.cluster." + b[0], 1_000),
                    b[0]);
            assertTrue(e.getMessage().contains(b[1]), b[0] + ": the message names " + b[1] + ": " + e.getMessage());
        }
    }

    @Test
    void shouldSayWhatTheRangeIsWhenTheRecordIsMadeDirectly() {
        ClusterSettings ok = read("", 1_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClusterSettings(true, 8,
                ok.storageRoot(), ok.hostname(), 0, List.of(), ok.keepAlive(), ok.openRetry(), ok.askTimeout(),
                ok.uploadTimeout(), 0, ok.stableAfter(), 1, 1));
        assertTrue(e.getMessage().contains("herald.cluster.partition-capacity") && e.getMessage().contains(">= 1"),
                "capacity 0 is refused with the range it must be in: " + e.getMessage());
    }

    @Test
    void shouldConfigureTheActorSystemAsAClusterNode() {
        ClusterSettings s = read("herald.cluster { partitions = 16, hostname = \"10.0.0.5\", port = 2552,"
                + " seed-nodes = [\"Seed-A:2552\", \"10.0.0.6:2553\"], stable-after = 9s, min-members = 2 }", 1_000);
        Config p = s.pekkoConfig().withFallback(ConfigFactory.load()).resolve();
        assertEquals("cluster", p.getString("pekko.actor.provider"));
        assertEquals("10.0.0.5", p.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals(2552, p.getInt("pekko.remote.artery.canonical.port"));
        assertEquals(List.of("pekko://herald@seed-a:2552", "pekko://herald@10.0.0.6:2553"),
                p.getStringList("pekko.cluster.seed-nodes"));
        assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider", p.getString("pekko.cluster.downing-provider-class"));
        assertEquals("keep-majority", p.getString("pekko.cluster.split-brain-resolver.active-strategy"));
        assertEquals(Duration.ofSeconds(9), p.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
        assertEquals(16, p.getInt("pekko.cluster.sharding.number-of-shards"));
        // min-members is Herald's own wait (the keep-alive's), never Pekko's: a shard coordinator restarted
        // with fewer members than pekko.cluster.min-nr-of-members would place no partition at all
        assertEquals(1, p.getInt("pekko.cluster.min-nr-of-members"), "Pekko's default, never raised");
        assertEquals(Duration.ofSeconds(1), p.getDuration("pekko.cluster.down-removal-margin"));
        assertEquals("jackson-json", p.getConfig("pekko.actor.serialization-bindings")
                .getString("\"" + ClusterMessage.class.getName() + "\""));
        assertEquals("none", p.getString("pekko.cluster.sharding.passivation.strategy"));

        // without seeds the node is its own seed: it forms a cluster of one
        ClusterSettings first = read("herald.cluster { partitions = 4, port = 2600 }", 1_000);
        Config f = first.pekkoConfig();
        assertEquals(List.of("pekko://herald@127.0.0.1:2600"), f.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(4, f.getInt("pekko.cluster.sharding.number-of-shards"));
        // port 0 (any free port): no address to name yet; the node joins itself once bound (ClusterNode)
        Config any = read("herald.cluster { port = 0 }", 1_000).pekkoConfig();
        assertEquals(List.of(), any.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(0, any.getInt("pekko.remote.artery.canonical.port"));
    }
}
