package dev.herald.dispatcher.cluster;

import com.typesafe.config.Config;
import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.api.JsonParsingErrorHandler;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code herald serve --cluster}: this process as one node of a Herald cluster. It joins the Pekko
 * cluster, hosts the partitions Cluster Sharding gives it ({@link PartitionEntity}), tells every
 * partition to be running once a tick (so a dead node's partitions start again elsewhere as soon as
 * the split-brain resolver has downed it), and serves the HTTP API, routing each request to the
 * partition of its recipient or to all of them ({@link ClusterRoutes}).
 *
 * <pre>{@code
 * ClusterNode node = ClusterNode.start(dataDir, config, settings, clusterSettings, env);
 * node.whenTerminated().toCompletableFuture().join();   // until SIGTERM, or downed by the cluster
 * }</pre>
 *
 * <p><b>Stopping.</b> SIGTERM runs Pekko's coordinated shutdown: the port is unbound, the node's
 * partitions are handed off (each stops its campaigns, closes its stores and releases its lock,
 * then starts on another node) and the node leaves the cluster. A node the split-brain resolver
 * downs (cut off from the majority) runs the same shutdown and exits: it stops sending before the
 * other side can open its partitions, whose locks it holds until then.
 */
public final class ClusterNode {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

    private final ActorSystem<Void> system;
    private final ServerBinding binding;

    private ClusterNode(ActorSystem<Void> system, ServerBinding binding) {
        this.system = system;
        this.binding = binding;
    }

    /**
     * @param dataDir  the node's own folder (its API key file; the partitions are under the storage root)
     * @param config   the whole configuration
     * @param settings {@code herald.service} (the HTTP address; each partition's stores)
     * @param cluster  {@code herald.cluster}
     * @param env      the environment: {@code HERALD_API_KEY} is required (every partition's admin key)
     * @return the running node
     * @throws IOException              if the storage root or the node's folder cannot be used, or the port bound
     * @throws IllegalArgumentException if a setting is wrong or {@code HERALD_API_KEY} is missing
     */
    public static ClusterNode start(Path dataDir, Config config, ServiceSettings settings, ClusterSettings cluster,
                                    Map<String, String> env, PrintWriter out) throws IOException {
        String adminKey = env.get("HERALD_API_KEY");
        if (adminKey == null || adminKey.isBlank()) {
            throw new IllegalArgumentException("a cluster node needs HERALD_API_KEY in its environment: the same admin key on"
                    + " every node (each partition, wherever it runs, takes it as its admin key)");
        }
        dev.herald.dispatcher.connector.ConnectorAccounts accounts = dev.herald.dispatcher.connector.ConnectorAccounts
                .fromConfig(config, settings.connectorName(), env::get);
        StorageRoot.claim(cluster.storageRoot(), cluster.partitions());
        Files.createDirectories(dataDir);
        // the cluster's keys, shared by every node and partition (a damaged file: the node does not start)
        ApiKeys keys = ClusterKeys.open(cluster.storageRoot(), ClusterKeys.checkEvery(config), adminKey);
        Config full = cluster.pekkoConfig().withFallback(config);
        String node = cluster.hostname() + ":" + cluster.port();
        NodeConnectors connectors = NodeConnectors.start(accounts, cluster, routeWait(config));
        LocalPartitions local = new LocalPartitions();
        NodeMetrics metrics = new NodeMetrics(connectors, local);
        PartitionEntity.Env partitionEnv = new PartitionEntity.Env(cluster.storageRoot(), config, cluster.partitions(),
                settings.withDirectoryCapacity(cluster.partitionCapacity()), env, cluster.openRetry(), node, connectors, local);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
            ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
            connectors.attach(ctx.getSystem(), sharding);
            sharding.init(Entity.of(PartitionEntity.TYPE,
                            e -> PartitionEntity.create(Integer.parseInt(e.getEntityId()), partitionEnv))
                    .withMessageExtractor(new OnePartitionPerShard())
                    .withStopMessage(PartitionEntity.Stop.INSTANCE)
                    .withEntityProps(DispatcherSelector.blocking()));
            // the scheduled RFM recompute, cluster-wide: one coordinator in the cluster (a singleton)
            RfmSchedule.init(ctx.getSystem(), new ClusterRfm(sharding, cluster, java.time.Clock.systemUTC()),
                    dev.herald.dispatcher.segment.rfm.RfmSettings.fromConfig(config).recomputeEvery());
            ctx.spawn(KeepAlive.create(sharding, cluster.partitions(), cluster.keepAlive(), cluster.minMembers()),
                    "keep-alive");
            return Behaviors.empty();
        }), ClusterSettings.SYSTEM, full);
        if (cluster.seedNodes().isEmpty() && cluster.port() == 0) {
            // its own seed, known only now that it is bound (pekkoConfig names no seed for port 0)
            Cluster c = Cluster.get(system);
            c.manager().tell(org.apache.pekko.cluster.typed.Join.create(c.selfMember().address()));
        }
        ClusterAudit audit = null;
        try {
            ClusterRoutes routes = new ClusterRoutes(keys, settings, cluster, system, config, metrics);
            audit = ClusterAudit.open(cluster.storageRoot(), cluster.hostname() + ":"
                    + Cluster.get(system).selfMember().address().getPort().orElse(cluster.port()));
            ClusterAudit changes = audit;
            // the keys, the audit log and the settings answered here; every change a key makes recorded once, here
            org.apache.pekko.http.javadsl.server.Route api = audit.recording(keys, new ClusterAdminRoutes(keys, settings, audit,
                    routes, cluster, system.dispatchers().lookup(DispatcherSelector.blocking())).route(routes.route()));
            ServerBinding binding = Http.get(system).newServerAt(settings.host(), settings.port())
                    .adaptSettings(s -> s.withParsingErrorHandler(JsonParsingErrorHandler.class.getName()))
                    .bind(api)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            CoordinatedShutdown cs = CoordinatedShutdown.get(system);
            cs.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "herald-downed-notice", () -> {
                if (cs.getShutdownReason().filter(r -> r instanceof CoordinatedShutdown.ClusterDowningReason$).isPresent()) {
                    LOG.error("this node was downed by the cluster (cut off from the majority, or downed by an operator):"
                            + " its partitions stop here and run on the other nodes; the node stops");
                }
                return done();
            });
            cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind",
                    () -> binding.unbind().thenApply(x -> Done.getInstance()));
            cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "http-requests-done",
                    () -> binding.terminate(Duration.ofSeconds(5)).thenApply(x -> Done.getInstance()));
            // after the partitions were handed off (cluster-sharding-shutdown-region): nothing sends any more
            cs.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "smpp-unbind", () -> {
                connectors.close();
                metrics.close();
                return done();
            });
            cs.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "audit-close", () -> {
                try {
                    changes.close();
                } catch (IOException e) {
                    LOG.warn("the audit log could not be closed: {}", e.toString());
                }
                return done();
            });
            LOG.info("herald cluster node {} (partitions {} under {}) serving on {}", Cluster.get(system).selfMember().address(),
                    cluster.partitions(), cluster.storageRoot(), binding.localAddress());
            return new ClusterNode(system, binding);
        } catch (Exception e) {
            connectors.close();
            if (audit != null) {
                audit.close();
            }
            metrics.close();
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
            throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    /**
     * How long a receipt held for its route waits before every partition is asked whether it sent
     * it: a fifth of the early wait, at most 5 s (a route normally arrives within
     * {@value NodeConnectors#FLUSH_MS} ms of its id).
     */
    private static Duration routeWait(Config config) {
        Duration fifth = config.getDuration("herald.receipts.early-wait").dividedBy(5);
        return fifth.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : fifth;
    }

    /** @return the node's actor system (for tests in this package) */
    ActorSystem<Void> system() {
        return system;
    }

    /** @return the port the API listens on */
    public int port() {
        return binding.localAddress().getPort();
    }

    /** Leaves the cluster as on SIGTERM (partitions handed off); completes when the node has stopped. */
    public CompletionStage<Done> stop() {
        return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    }

    /** @return whether the node stopped because the cluster downed it (not a SIGTERM or {@link #stop()}) */
    public boolean downed() {
        return CoordinatedShutdown.get(system).getShutdownReason()
                .filter(r -> r instanceof CoordinatedShutdown.ClusterDowningReason$).isPresent();
    }

    /** @return completes once the node has stopped (left, or downed by the cluster) */
    public CompletionStage<?> whenTerminated() {
        return system.getWhenTerminated();
    }

    /** Entity id = shard id = the partition's number: one partition per shard, each moved on its own. */
    private static final class OnePartitionPerShard
            extends ShardingMessageExtractor<ShardingEnvelope<PartitionEntity.Command>, PartitionEntity.Command> {
        @Override
        public String entityId(ShardingEnvelope<PartitionEntity.Command> envelope) {
            return envelope.entityId();
        }

        @Override
        public String shardId(String entityId) {
            return entityId;
        }

        @Override
        public PartitionEntity.Command unwrapMessage(ShardingEnvelope<PartitionEntity.Command> envelope) {
            return envelope.message();
        }
    }

    /**
     * Tells every partition to be running, once a tick, until the node starts shutting down: a
     * region shutting down keeps what it is sent for partitions it no longer hosts, and only stops
     * once it holds nothing, so ticks during the shutdown held every node's stop until Pekko's
     * region timeout (10 s).
     */
    private static final class KeepAlive {
        private enum Tick { INSTANCE }

        static org.apache.pekko.actor.typed.Behavior<Tick> create(ClusterSharding sharding, int partitions, Duration every,
                                                                  int minMembers) {
            return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
                timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ZERO, every);
                CoordinatedShutdown shutdown = CoordinatedShutdown.get(ctx.getSystem());
                Cluster cluster = Cluster.get(ctx.getSystem());
                boolean[] started = {false};
                return Behaviors.receiveMessage(t -> {
                    if (shutdown.getShutdownReason().isPresent()) {
                        return Behaviors.stopped();
                    }
                    // the first ticks wait for min-members members Up, so that a cluster started together
                    // opens each partition once, where it stays; after that a partition is started
                    // wherever sharding puts it, however few members are left (Pekko's own
                    // min-nr-of-members is not used: a shard coordinator restarted with fewer members
                    // than that would place no partition at all)
                    if (!started[0]) {
                        long up = 0;
                        for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
                            if (m.status() == org.apache.pekko.cluster.MemberStatus.up()) {
                                up++;
                            }
                        }
                        if (up < minMembers) {
                            return Behaviors.same();
                        }
                        started[0] = true;
                    }
                    for (int p = 0; p < partitions; p++) {
                        sharding.entityRefFor(PartitionEntity.TYPE, Integer.toString(p)).tell(PartitionEntity.KeepAlive.INSTANCE);
                    }
                    return Behaviors.same();
                });
            }));
        }
    }

    static CompletableFuture<Done> done() {
        return CompletableFuture.completedFuture(Done.getInstance());
    }
}
