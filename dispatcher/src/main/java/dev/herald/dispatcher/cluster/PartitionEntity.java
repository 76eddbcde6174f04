package dev.herald.dispatcher.cluster;

import com.typesafe.config.Config;
import dev.herald.dispatcher.service.PartitionEngine;
import dev.herald.dispatcher.service.ServiceSettings;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition, as a Cluster Sharding entity: while it runs on a node it holds the partition's
 * folder open ({@link PartitionEngine}) and answers what the node forwards to it.
 *
 * <p><b>Ownership.</b> Before anything else the entity takes {@code partition.lock} in its folder
 * (an exclusive OS file lock, as every store then takes its own). While another process holds it,
 * e.g. the node the partition is moving from, still stopping, or a node cut off from the cluster
 * that has not yet shut itself down, the entity does not open anything: it waits
 * {@code open-retry} and tries again, keeping what it is sent for afterwards. So a partition is
 * never open in two processes, whatever the cluster believes.
 *
 * <p><b>Stopping.</b> On hand-off (a rebalance, a node leaving) or the node's shutdown, sharding
 * sends {@link Stop}: the campaigns stop and keep their place, the stores close, the lock is
 * released, then the entity stops. A node killed outright releases its locks with its process;
 * the next owner recovers the folder as a restart after {@code kill -9} does.
 *
 * <p>Runs on Pekko's blocking dispatcher (opening and imports do file I/O in the actor).
 */
public final class PartitionEntity {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionEntity.class);

    /** The entity type of partitions; entity id = shard id = the partition's number. */
    public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "partition");

    /** Most rejected lines a slice's answer lists (all are counted). */
    static final int MAX_LISTED_ERRORS = 100;

    /** What a partition is sent. */
    public interface Command extends ClusterMessage {
    }

    /** Answer {@code call} with the partition's API. */
    public record Forward(HttpCall call, ActorRef<HttpAnswer> replyTo) implements Command {
    }

    /**
     * A slice of a CSV upload of segment {@code segment}: {@code csv} is the header and this
     * partition's rows; {@code lines} gives, for each line of {@code csv} after the header, its line
     * in the upload. The last slice (possibly with no rows) ends the upload here: with {@code store},
     * the segment is stored with every id the upload's slices gave (none: an empty segment);
     * without, nothing is stored (the upload was refused elsewhere). {@code seq} counts the slices
     * of the upload sent to this partition before this one: a partition that has not seen them all
     * (it moved to another node during the upload, and what it had gathered stayed behind) refuses
     * the slice rather than store a segment missing rows.
     */
    public record ImportSlice(String upload, String segment, String csv, List<Long> lines, boolean last, boolean store,
                              int seq, ActorRef<SliceDone> replyTo) implements Command {
    }

    /** What a slice did; {@code failure} non-null if it could not be imported at all. */
    public record SliceDone(int partition, long accepted, long created, long rejected, List<List<Object>> errors,
                            long segmentSize, String failure) implements ClusterMessage {
    }

    /** Describe yourself. */
    public record Describe(ActorRef<PartitionState> replyTo) implements Command {
    }

    /** A partition's state, for {@code GET /v1/cluster}. */
    public record PartitionState(int partition, String node, String state, long recipients, String detail)
            implements ClusterMessage {
    }

    /**
     * Routes of message ids: {@code keys.get(i)} of {@code connectors.get(i)} was sent by partition
     * {@code senders.get(i)} (this partition holds the ids that hash to it: {@link ReceiptRoutes}).
     */
    public record AddRoutes(List<String> connectors, List<String> keys, List<Integer> senders) implements Command {
    }

    /**
     * A receipt whose id hashes to this partition: matched here if this partition sent the message,
     * forwarded to the sender if its route is here, else answered {@link PeerDone#NOT_SENT}.
     */
    public record RouteReceipt(String connector, dev.herald.dispatcher.connector.PeerEvents.Receipt receipt,
                               ActorRef<PeerDone> replyTo) implements Command {
    }

    /**
     * A receipt for this partition's message: stored (matched, or held as an early receipt is);
     * with {@code onlyIfSent}, only if this partition sent the id, else {@link PeerDone#NOT_SENT}.
     */
    public record PeerReceipt(String connector, dev.herald.dispatcher.connector.PeerEvents.Receipt receipt,
                              boolean onlyIfSent, ActorRef<PeerDone> replyTo) implements Command {
    }

    /** A reply (STOP, START, HELP ...) from one of this partition's recipients, through a node's bind. */
    public record PeerReply(String connector, dev.herald.dispatcher.connector.PeerEvents.Reply reply,
                            ActorRef<PeerDone> replyTo) implements Command {
    }

    /** The SMSC accepted a part of this partition's message on a node it has moved off since. */
    public record PeerAccepted(String connector, dev.herald.dispatcher.connector.OutboundMessage message, int part,
                               int parts, String key) implements Command {
    }

    /**
     * What became of a peer event: {@link #DONE} (stored), {@link #NOT_SENT} (no message of this
     * partition has that id), or {@code failure} (not stored: the peer is refused and sends it again).
     */
    public record PeerDone(int partition, String outcome, String failure) implements ClusterMessage {
        public static final String DONE = "done";
        public static final String NOT_SENT = "not-sent";

        static PeerDone done(int partition) {
            return new PeerDone(partition, DONE, null);
        }

        static PeerDone failed(int partition, String why) {
            return new PeerDone(partition, "failed", why);
        }
    }

    /** To partition 0: campaign {@code campaign}'s A/B test is due on a partition ({@link WholeTests}). */
    public record TestDue(String campaign) implements Command {
    }

    /** Answer campaign {@code campaign}'s A/B test figures on this partition. */
    public record GetTestFigures(String campaign, ActorRef<TestFigures> replyTo) implements Command {
    }

    /**
     * The whole campaign's decision of campaign {@code campaign}'s A/B test: with figures (the
     * partitions' summed, per variant), the test's rule on them, which must send {@code send}; without,
     * an operator's pick of {@code send}. Answered once stored here.
     */
    public record ApplyTest(String campaign, List<String> variants, List<Long> exposed, List<Long> successes, String send,
                            String by, ActorRef<TestApplied> replyTo) implements Command {
    }

    /** What became of an {@link ApplyTest} on {@code partition}: {@code failure} null if it is decided so. */
    public record TestApplied(int partition, String failure) implements ClusterMessage {
    }

    /** Be running (sent by every node's keep-alive; starts the entity where sharding placed it). */
    public enum KeepAlive implements Command {
        INSTANCE
    }

    /** Stop cleanly (sharding's stop message at hand-off and shutdown). */
    public enum Stop implements Command {
        INSTANCE
    }

    private enum RetryOpen implements Command {
        INSTANCE
    }

    private record Stopped() implements Command {
    }

    private enum SweepRoutes implements Command {
        INSTANCE
    }

    private record CheckHeld(String connector, String key) implements Command {
    }

    private record HandedOver(String connector, dev.herald.dispatcher.connector.PeerEvents.Receipt receipt, boolean taken)
            implements Command {
    }

    /** What every partition of a node shares (its SMPP binds among them; the list of those open here). */
    record Env(Path storageRoot, Config config, int partitions, ServiceSettings settings, Map<String, String> env,
               Duration openRetry, String node, NodeConnectors connectors, LocalPartitions local) {
    }

    private PartitionEntity() {
    }

    /** @return partition {@code partition}'s behaviour */
    public static Behavior<Command> create(int partition, Env env) {
        return Behaviors.withStash(100_000, stash -> Behaviors.withTimers(timers -> Behaviors.setup(ctx ->
                new Opening(ctx, partition, env, stash, timers).tryOpen())));
    }

    /** @return the folder of partition {@code partition} under {@code root} */
    public static Path folder(Path root, int partition) {
        return root.resolve(String.format("partition-%03d", partition));
    }

    /** Waiting for the folder's lock, or for a store that failed to open; keeps what it is sent. */
    private static final class Opening {
        private final ActorContext<Command> ctx;
        private final int partition;
        private final Env env;
        private final StashBuffer<Command> stash;
        private final TimerScheduler<Command> timers;
        private String why = "opening";
        private int tries;

        Opening(ActorContext<Command> ctx, int partition, Env env, StashBuffer<Command> stash, TimerScheduler<Command> timers) {
            this.ctx = ctx;
            this.partition = partition;
            this.env = env;
            this.stash = stash;
            this.timers = timers;
        }

        Behavior<Command> tryOpen() {
            tries++;
            Path folder = folder(env.storageRoot(), partition);
            FileChannel channel = null;
            FileLock lock = null;
            try {
                Files.createDirectories(folder);
                channel = FileChannel.open(folder.resolve("partition.lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException sameProcess) {
                    lock = null;
                }
                if (lock == null) {
                    channel.close();
                    return waiting(folder + " is held by another process (the partition's previous owner has not let it go)");
                }
                long started = System.nanoTime();
                Config partitionConfig = ClusterKeys.partitionConfig(env.storageRoot(), env.config())
                        .withFallback(PartitionConfig.of(env.config(), env.partitions(), partition));
                // a partition never decides an A/B test from its own slice: partition 0 decides for the whole campaign
                // (told from the campaign actors' threads: the entity ref is taken here, not from ctx there)
                org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<Command> partitionZero =
                        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(ctx.getSystem()).entityRefFor(TYPE, "0");
                PartitionEngine engine = PartitionEngine.open(ctx, folder, partitionConfig, env.settings(), env.env(),
                        env.connectors(), campaign -> partitionZero.tell(new TestDue(campaign)));
                ReceiptRoutes routes = null;
                if (env.connectors().any()) {
                    try {
                        routes = ReceiptRoutes.open(folder, partitionConfig.getLong("herald.receipts.capacity"),
                                partitionConfig.getDuration("herald.receipts.wait"), java.time.Clock.systemUTC());
                    } catch (IOException | RuntimeException e) {
                        engine.close();
                        throw e;
                    }
                    timers.startTimerWithFixedDelay(SweepRoutes.INSTANCE, Duration.ofHours(1));
                }
                env.connectors().register(partition, engine.peer(), engine::callbackToken);
                // receipts held here at the last close (or kill) wait for their route again, then are offered to all
                for (String[] held : engine.heldIds()) {
                    timers.startSingleTimer("held/" + held[0] + "/" + held[1], new CheckHeld(held[0], held[1]),
                            env.connectors().routeWait());
                }
                LOG.info("partition {} open on {} after {} tries in {} ms: {} recipients", partition, env.node(), tries,
                        (System.nanoTime() - started) / 1_000_000, engine.recipients());
                return new Running(ctx, partition, env, engine, routes, channel, lock, timers).behavior(stash);
            } catch (IOException | RuntimeException e) {
                try {
                    if (lock != null) {
                        lock.release();
                    }
                    if (channel != null) {
                        channel.close();
                    }
                } catch (IOException ignored) {
                    // closing after a failed open
                }
                String reason = "cannot open: " + e.getMessage();
                if (!reason.equals(why)) { // said once, not at every retry
                    LOG.error("partition {} cannot open on {}: {}", partition, env.node(), e.toString());
                }
                return waiting(reason);
            }
        }

        private Behavior<Command> waiting(String reason) {
            if (!reason.equals(why)) {
                LOG.info("partition {} waits on {}: {}", partition, env.node(), reason);
            }
            why = reason;
            timers.startSingleTimer(RetryOpen.INSTANCE, env.openRetry());
            return Behaviors.receive(Command.class)
                    .onMessageEquals(RetryOpen.INSTANCE, this::tryOpen)
                    .onMessageEquals(KeepAlive.INSTANCE, Behaviors::same)
                    .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                    .onMessage(Describe.class, d -> {
                        d.replyTo().tell(new PartitionState(partition, env.node(), "opening", -1, why));
                        return Behaviors.same();
                    })
                    .onMessage(Command.class, m -> {
                        if (stash.isFull()) {
                            LOG.warn("partition {}: too many requests while opening; dropped one", partition);
                        } else {
                            stash.stash(m);
                        }
                        return Behaviors.same();
                    })
                    .build();
        }
    }

    /** The partition open: requests are answered by its API. */
    private static final class Running {
        private final ActorContext<Command> ctx;
        private final int partition;
        private final Env env;
        private final PartitionEngine engine;
        private final ReceiptRoutes routes;
        private final TimerScheduler<Command> timers;
        private final FileChannel lockChannel;
        private final FileLock lock;
        private final Function<HttpRequest, java.util.concurrent.CompletionStage<HttpResponse>> handler;
        private final Materializer mat;
        private final Map<String, Upload> uploads = new HashMap<>();
        private WholeTests wholeTests;
        private final PartitionRfm rfm;
        private boolean closed;

        /** What an upload has given this partition so far. */
        private static final class Upload {
            final MutableRoaringBitmap ids = new MutableRoaringBitmap();
            final List<String> fields = new ArrayList<>();
            long lines;
            long rejected;
            int slices;
        }

        Running(ActorContext<Command> ctx, int partition, Env env, PartitionEngine engine, ReceiptRoutes routes,
                FileChannel lockChannel, FileLock lock, TimerScheduler<Command> timers) {
            this.ctx = ctx;
            this.timers = timers;
            this.partition = partition;
            this.env = env;
            this.engine = engine;
            this.routes = routes;
            this.lockChannel = lockChannel;
            this.lock = lock;
            this.handler = engine.api().handler(ctx.getSystem());
            this.mat = Materializer.matFromSystem(ctx.getSystem());
            env.local().opened(partition, engine);
            this.rfm = new PartitionRfm(partition, engine.rfm(),
                    ctx.getSystem().dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()));
        }

        Behavior<Command> behavior(StashBuffer<Command> stash) {
            Behavior<Command> running = Behaviors.receive(Command.class)
                    .onMessage(Forward.class, this::forward)
                    .onMessage(ImportSlice.class, this::importSlice)
                    .onMessage(AddRoutes.class, this::addRoutes)
                    .onMessage(RouteReceipt.class, this::routeReceipt)
                    .onMessage(PeerReceipt.class, this::peerReceipt)
                    .onMessage(PeerReply.class, this::peerReply)
                    .onMessage(PeerAccepted.class, this::peerAccepted)
                    .onMessageEquals(SweepRoutes.INSTANCE, this::sweepRoutes)
                    .onMessage(CheckHeld.class, this::checkHeld)
                    .onMessage(HandedOver.class, this::handedOver)
                    .onMessage(TestDue.class, d -> {
                        tests().due(d.campaign());
                        return Behaviors.same();
                    })
                    .onMessage(GetTestFigures.class, this::testFigures)
                    .onMessage(ApplyTest.class, this::applyTest)
                    .onMessage(PartitionRfm.Step.class, step -> {
                        rfm.handle(step); // a cluster RFM recompute's step, done off the actor
                        return Behaviors.same();
                    })
                    .onMessage(Describe.class, d -> {
                        d.replyTo().tell(new PartitionState(partition, env.node(), "open", engine.recipients(), null));
                        return Behaviors.same();
                    })
                    .onMessageEquals(KeepAlive.INSTANCE, Behaviors::same)
                    .onMessageEquals(Stop.INSTANCE, this::stopping)
                    .onSignal(PostStop.class, s -> {
                        close();
                        return Behaviors.same();
                    })
                    .build();
            return stash.unstashAll(running);
        }

        private Behavior<Command> forward(Forward f) {
            long timeout = env.settings().askTimeout().toMillis() * 4;
            try {
                handler.apply(f.call().toRequest())
                        .thenCompose(r -> HttpAnswer.of(partition, r, timeout, mat))
                        .whenComplete((answer, failure) -> f.replyTo().tell(failure == null ? answer
                                : HttpAnswer.error(500, "partition_failed", "partition " + partition + " could not answer: "
                                + failure)));
            } catch (Exception e) {
                f.replyTo().tell(HttpAnswer.error(400, "invalid_request", "partition " + partition + ": " + e.getMessage()));
            }
            return Behaviors.same();
        }

        /** Partition 0's coordinator of A/B tests, made when first needed. */
        private WholeTests tests() {
            if (wholeTests == null) {
                wholeTests = new WholeTests(ctx.getSystem(), env.partitions(), env.settings().askTimeout());
            }
            return wholeTests;
        }

        private Behavior<Command> testFigures(GetTestFigures g) {
            engine.testFigures(g.campaign(), env.settings().askTimeout()).whenComplete((f, failure) ->
                    g.replyTo().tell(failure == null ? TestFigures.of(partition, f)
                            : TestFigures.failed(partition, failure.getMessage() == null ? failure.toString() : failure.getMessage())));
            return Behaviors.same();
        }

        private Behavior<Command> applyTest(ApplyTest a) {
            List<dev.herald.dispatcher.experiment.VariantCounts> counts = null;
            if (a.variants() != null) {
                counts = new ArrayList<>();
                for (int v = 0; v < a.variants().size(); v++) {
                    counts.add(new dev.herald.dispatcher.experiment.VariantCounts(a.variants().get(v), a.exposed().get(v),
                            a.successes().get(v)));
                }
            }
            engine.applyTestDecision(a.campaign(), counts, a.send(), a.by(), env.settings().askTimeout()).whenComplete((r, failure) ->
                    a.replyTo().tell(new TestApplied(partition, failure == null ? null
                            : failure.getMessage() == null ? failure.toString() : failure.getMessage())));
            return Behaviors.same();
        }

        private Behavior<Command> addRoutes(AddRoutes a) {
            if (routes == null) {
                LOG.warn("partition {}: {} message-id routes sent to a node without SMPP accounts; dropped", partition,
                        a.keys().size());
                return Behaviors.same();
            }
            for (int i = 0; i < a.keys().size(); i++) {
                String connector = a.connectors().get(i);
                String key = a.keys().get(i);
                int sender = a.senders().get(i);
                routes.put(connector, key, sender);
                // a receipt that came before its route: held here until now, stored where it was sent
                engine.heldReceipt(connector, key).ifPresent(receipt -> handOver(connector, receipt, List.of(sender)));
            }
            return Behaviors.same();
        }

        private Behavior<Command> routeReceipt(RouteReceipt r) {
            String connector = r.connector();
            String key = r.receipt().idKey();
            try {
                if (engine.sent(connector, key)) {
                    engine.peer().receipt(connector, r.receipt());
                    r.replyTo().tell(PeerDone.done(partition));
                    return Behaviors.same();
                }
                java.util.Optional<Integer> sender = routes == null ? java.util.Optional.empty() : routes.get(connector, key);
                if (sender.isPresent()) {
                    if (r.receipt().state().isFinal()) {
                        routes.reported(connector, key);
                    }
                    entity(sender.get()).tell(new PeerReceipt(connector, r.receipt(), false, r.replyTo()));
                    return Behaviors.same();
                }
                // its route has not come (a receipt ahead of its submit_sm_resp, or a route in flight):
                // held here, durably, as one node holds an early receipt; handed over when the route comes
                // (and counted by the sender then, not here)
                engine.hold(connector, r.receipt());
                r.replyTo().tell(PeerDone.done(partition));
                timers.startSingleTimer("held/" + connector + "/" + key, new CheckHeld(connector, key),
                        env.connectors().routeWait());
            } catch (IOException | RuntimeException e) {
                r.replyTo().tell(PeerDone.failed(partition, "receipt not stored: " + e.getMessage()));
            }
            return Behaviors.same();
        }

        /**
         * A receipt still held {@code route-wait} after it came, its route never arrived (lost with a
         * node that died before sending it, or the id is not Herald's): every other partition is asked
         * whether it sent the id; the one that did stores it. Else it stays held here, then unmatched.
         */
        private Behavior<Command> checkHeld(CheckHeld c) {
            engine.heldReceipt(c.connector(), c.key()).ifPresent(receipt -> {
                List<Integer> others = new ArrayList<>();
                for (int p = 0; p < env.partitions(); p++) {
                    if (p != partition) {
                        others.add(p);
                    }
                }
                handOver(c.connector(), receipt, others);
            });
            return Behaviors.same();
        }

        /** Offers a held receipt to {@code candidates} (only one that sent it takes it); taken: no longer held here. */
        private void handOver(String connector, dev.herald.dispatcher.connector.PeerEvents.Receipt receipt,
                              List<Integer> candidates) {
            boolean onlyIfSent = candidates.size() > 1;
            Duration timeout = env.settings().askTimeout();
            List<java.util.concurrent.CompletableFuture<PeerDone>> asks = new ArrayList<>();
            for (int p : candidates) {
                asks.add(entity(p).<PeerDone>ask(reply -> new PeerReceipt(connector, receipt, onlyIfSent, reply), timeout)
                        .toCompletableFuture().exceptionally(e -> PeerDone.failed(p, e.toString())));
            }
            ctx.pipeToSelf(java.util.concurrent.CompletableFuture.allOf(asks.toArray(java.util.concurrent.CompletableFuture[]::new))
                            .thenApply(v -> asks.stream().anyMatch(a -> a.join().outcome().equals(PeerDone.DONE))),
                    (taken, failure) -> new HandedOver(connector, receipt, Boolean.TRUE.equals(taken)));
        }

        private Behavior<Command> handedOver(HandedOver h) {
            if (h.taken()) {
                try {
                    engine.forwarded(h.connector(), h.receipt().idKey(), h.receipt());
                } catch (IOException e) {
                    LOG.warn("partition {}: a receipt handed over stays in its held log: {}", partition, e.toString());
                }
            }
            return Behaviors.same();
        }

        private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<Command> entity(int p) {
            return org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(ctx.getSystem())
                    .entityRefFor(TYPE, Integer.toString(p));
        }

        private Behavior<Command> peerReceipt(PeerReceipt r) {
            try {
                if (r.onlyIfSent() && !engine.sent(r.connector(), r.receipt().idKey())) {
                    r.replyTo().tell(new PeerDone(partition, PeerDone.NOT_SENT, null));
                } else {
                    engine.peer().receipt(r.connector(), r.receipt());
                    r.replyTo().tell(PeerDone.done(partition));
                }
            } catch (IOException | RuntimeException e) {
                r.replyTo().tell(PeerDone.failed(partition, "receipt not stored: " + e.getMessage()));
            }
            return Behaviors.same();
        }

        private Behavior<Command> peerReply(PeerReply r) {
            // made durable by the partition's inbound handler, which the entity's own thread must not wait for
            java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    engine.peer().reply(r.connector(), r.reply());
                    r.replyTo().tell(PeerDone.done(partition));
                } catch (IOException | RuntimeException e) {
                    r.replyTo().tell(PeerDone.failed(partition, "reply not handled: " + e.getMessage()));
                }
            }, ctx.getSystem().dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()));
            return Behaviors.same();
        }

        private Behavior<Command> peerAccepted(PeerAccepted a) {
            try {
                engine.peer().accepted(a.connector(), a.message(), a.part(), a.parts(), a.key());
            } catch (IOException | RuntimeException e) {
                LOG.warn("partition {}: message id {} of {} not recorded (its receipt will be unmatched): {}", partition,
                        a.key(), a.connector(), e.toString());
            }
            return Behaviors.same();
        }

        private Behavior<Command> sweepRoutes() {
            if (routes != null) {
                long n = routes.sweep();
                if (n > 0) {
                    LOG.info("partition {}: {} message-id route(s) forgotten", partition, n);
                }
            }
            return Behaviors.same();
        }

        private Behavior<Command> importSlice(ImportSlice s) {
            Upload u = uploads.computeIfAbsent(s.upload(), k -> new Upload());
            if (u.slices++ != s.seq()) {
                uploads.remove(s.upload());
                s.replyTo().tell(new SliceDone(partition, 0, 0, 0, List.of(), -1, "partition " + partition
                        + " does not have the upload's earlier slices (it moved to another node during the upload, or an"
                        + " earlier slice failed); nothing was stored for it"));
                return Behaviors.same();
            }
            List<List<Object>> errors = new ArrayList<>();
            long[] counts = new long[3];
            try {
                ImportReport r = engine.importCsv(s.segment(), s.csv(), new ImportListener() {
                    @Override
                    public void onHeader(List<String> columns) {
                        if (u.fields.isEmpty()) {
                            columns.stream().filter(c -> !c.equals("phone") && !c.equals("tz") && !c.equals("locale"))
                                    .forEach(u.fields::add);
                        }
                    }

                    @Override
                    public void onAccepted(long lineNumber, int id, boolean created) {
                        u.ids.add(id);
                        counts[0]++;
                        if (created) {
                            counts[1]++;
                        }
                    }

                    @Override
                    public void onRejected(long lineNumber, String reason) {
                        counts[2]++;
                        if (errors.size() < MAX_LISTED_ERRORS) {
                            errors.add(List.of(original(s.lines(), lineNumber), reason));
                        }
                    }
                });
                u.lines += r.lines();
                u.rejected += r.rejected();
                long size = -1;
                if (s.last() && !s.store()) {
                    uploads.remove(s.upload());
                } else if (s.last()) {
                    uploads.remove(s.upload());
                    size = engine.putSegment(s.segment(), u.ids, u.lines, u.rejected, u.fields).size();
                }
                s.replyTo().tell(new SliceDone(partition, counts[0], counts[1], counts[2], errors, size, null));
            } catch (IOException | RuntimeException e) {
                uploads.remove(s.upload());
                LOG.warn("partition {}: a slice of the upload of segment {} failed: {}", partition, s.segment(), e.toString());
                s.replyTo().tell(new SliceDone(partition, 0, 0, 0, List.of(), -1, e.getMessage() == null
                        ? e.toString() : e.getMessage()));
            }
            return Behaviors.same();
        }

        /**
         * A slice's line number back to the upload's: the slice is the header (line 1) then one row
         * per line, so row k (from 0) is line k + 2, unless a quoted field spans lines; then the row
         * whose first line is nearest below is taken.
         */
        private static long original(List<Long> lines, long sliceLine) {
            int k = (int) (sliceLine - 2);
            if (k < 0) {
                return sliceLine;
            }
            return lines.get(Math.min(k, lines.size() - 1));
        }

        private Behavior<Command> stopping() {
            LOG.info("partition {} stopping on {}", partition, env.node());
            ctx.pipeToSelf(engine.stop(env.settings().shutdownTimeout()), (done, failure) -> new Stopped());
            return Behaviors.receive(Command.class)
                    .onMessage(Stopped.class, s -> {
                        close();
                        return Behaviors.stopped();
                    })
                    .onMessage(Forward.class, f -> {
                        f.replyTo().tell(HttpAnswer.error(503, "moving", "partition " + partition
                                + " is moving to another node; try again"));
                        return Behaviors.same();
                    })
                    .onMessage(ImportSlice.class, s -> {
                        s.replyTo().tell(new SliceDone(partition, 0, 0, 0, List.of(), -1, "partition " + partition
                                + " is moving to another node"));
                        return Behaviors.same();
                    })
                    // its stores are open until it stopped: what the SMSC says of its messages is still kept
                    .onMessage(AddRoutes.class, this::addRoutes)
                    .onMessage(PeerAccepted.class, this::peerAccepted)
                    .onMessage(RouteReceipt.class, r -> {
                        r.replyTo().tell(PeerDone.failed(partition, "partition " + partition + " is moving to another node"));
                        return Behaviors.same();
                    })
                    .onMessage(PeerReceipt.class, r -> {
                        r.replyTo().tell(PeerDone.failed(partition, "partition " + partition + " is moving to another node"));
                        return Behaviors.same();
                    })
                    .onMessage(PeerReply.class, r -> {
                        r.replyTo().tell(PeerDone.failed(partition, "partition " + partition + " is moving to another node"));
                        return Behaviors.same();
                    })
                    .onMessage(GetTestFigures.class, g -> {
                        g.replyTo().tell(TestFigures.failed(partition, "partition " + partition + " is moving to another node"));
                        return Behaviors.same();
                    })
                    .onMessage(ApplyTest.class, a -> {
                        a.replyTo().tell(new TestApplied(partition, "partition " + partition + " is moving to another node"));
                        return Behaviors.same();
                    })
                    .onSignal(PostStop.class, s -> {
                        close();
                        return Behaviors.same();
                    })
                    .onMessage(Command.class, m -> Behaviors.same())
                    .build();
        }

        private void close() {
            if (closed) {
                return;
            }
            closed = true;
            env.local().closing(partition);
            env.connectors().unregister(partition);
            rfm.close(env.settings().shutdownTimeout()); // no RFM step may write into the folder once its lock is let go
            engine.close();
            if (routes != null) {
                try {
                    routes.close();
                } catch (IOException e) {
                    LOG.warn("partition {}: closing its message-id routes: {}", partition, e.toString());
                }
            }
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                LOG.warn("partition {}: releasing its lock: {}", partition, e.toString());
            }
            LOG.info("partition {} closed on {}", partition, env.node());
        }
    }
}
