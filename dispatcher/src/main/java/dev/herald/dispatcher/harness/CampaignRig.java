package dev.herald.dispatcher.harness;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.campaign.CampaignRun;
import dev.herald.dispatcher.campaign.CampaignSpec;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.demo.DemoRun;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.RateLimiter;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The wiring every bench scenario shares, as {@code herald demo} wires its one campaign: the data
 * directory's recipient directory and suppression index, its zone index, the shipped
 * {@code default} quiet-hours policy, {@link DemoRun#caps() the demo's cap} (1 marketing message
 * per recipient per local calendar day) and one actor system.
 *
 * <pre>{@code
 * try (CampaignRig rig = CampaignRig.open(data, 1_000_000, Clock.systemUTC());
 *      CampaignRig.Workspace ws = rig.workspace("one-big-campaign",
 *              dir -> SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir)), null)) {
 *     CampaignResult r = ws.run(CampaignRig.spec("bench-1", rig.audience()), new LongAdder()).toCompletableFuture().get();
 * }
 * }</pre>
 *
 * <p>Each scenario works in a {@link Workspace} of its own under {@code <data-dir>/bench-work/<name>}:
 * a fresh cap ledger, fresh outcome ledgers and the scenario's connector log, so scenarios do not
 * see each other's sends; the workspace is deleted when closed. The directory and the suppression
 * index are shared (and kept).
 *
 * <p>Thread-safety: {@link #spec} and the getters are safe from any thread; one workspace at a time.
 */
public final class CampaignRig implements AutoCloseable {

    /** Channel of every bench campaign. */
    public static final String CHANNEL = DemoRun.CHANNEL;
    /** Category of every bench campaign: marketing, so quiet hours, caps and all opt-out scopes apply. */
    public static final String CATEGORY = DemoRun.CATEGORY;
    /** Sender of every bench campaign (the synthetic audience opts some out of this sender). */
    public static final String SENDER = DemoRun.SENDER;

    private static final int SHARDS = 2;
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

    private final HeraldData data;
    private final int recipients;
    private final Clock clock;
    private final Config config;
    private final ZoneIndex zones;
    private final QuietHoursPolicy policy;
    private final ActorSystem<Void> system;
    private final AtomicInteger workspaces = new AtomicInteger();

    private CampaignRig(HeraldData data, int recipients, Clock clock) throws IOException {
        this.data = data;
        this.recipients = recipients;
        this.clock = clock;
        this.config = ConfigFactory.load();
        this.zones = ZoneIndex.build(data.directory());
        this.policy = QuietHoursPolicies.fromConfig(config).get("default");
        this.system = ActorSystem.create(Behaviors.empty(), "herald-bench", config);
    }

    /**
     * @param data       the data directory, its synthetic audience already built (ids {@code [0, recipients)})
     * @param recipients audience size, {@code >= 1}
     * @param clock      decision time for quiet hours and caps
     * @return the rig; the caller closes it (not {@code data})
     * @throws IllegalArgumentException if {@code recipients < 1} or the directory holds fewer
     * @throws IOException              if a store cannot be opened
     */
    public static CampaignRig open(HeraldData data, int recipients, Clock clock) throws IOException {
        if (recipients < 1) {
            throw new IllegalArgumentException("recipients must be at least 1, got " + recipients);
        }
        if (data.directory().size() < recipients) {
            throw new IllegalArgumentException("the directory holds " + data.directory().size()
                    + " recipients, fewer than " + recipients);
        }
        return new CampaignRig(data, recipients, clock);
    }

    /** @return the audience size N; the audience is ids {@code [0, N)} */
    public int recipients() {
        return recipients;
    }

    /** @return every id of the audience, {@code [0, N)} */
    public ImmutableRoaringBitmap audience() {
        MutableRoaringBitmap ids = new MutableRoaringBitmap();
        ids.add(0L, recipients);
        return ids;
    }

    /** @return the recipient directory */
    public RecipientDirectory directory() throws IOException {
        return data.directory();
    }

    /** @return the suppression index (shared with every campaign) */
    public SuppressionIndex suppression() throws IOException {
        return data.suppression();
    }

    /** @return the suppression scopes of every bench campaign's message, {@code global} first */
    public static List<Scope> scopes() {
        return Scope.forMessage(SENDER, CHANNEL, CATEGORY);
    }

    /**
     * @param id       campaign id, unique within a workspace
     * @param audience the recipients
     * @return a marketing SMS campaign of {@link #SENDER} with a personalised template and footer
     */
    public static CampaignSpec spec(String id, ImmutableRoaringBitmap audience) {
        return new CampaignSpec(id, "Herald bench " + id, CHANNEL, CATEGORY, SENDER,
                "Hi {{first_name}}, our spring sale starts today!", "Reply STOP to opt out", audience);
    }

    /**
     * Opens a fresh workspace: deletes {@code <data-dir>/bench-work/<name>} if a crashed run left
     * it, then opens a new cap ledger there and spawns throttle shards over it.
     *
     * @param name        scenario name, a directory name
     * @param connectors  opens the scenario's connector in {@code <workspace>/connector} (closed with the workspace)
     * @param rateLimiter the connector's shared token bucket, or null
     * @return the workspace; the caller closes it
     * @throws IOException if the connector or the cap ledger cannot be opened
     */
    public Workspace workspace(String name, ConnectorFactory connectors, RateLimiter rateLimiter) throws IOException {
        Path dir = workDir(name);
        deleteTree(dir);
        Files.createDirectories(dir);
        Connector connector = connectors.open(dir.resolve("connector"));
        SendLedger capLedger = SendLedger.open(dir.resolve("send-ledger"), DemoRun.caps(), SendLedgerOptions.defaults(),
                segment -> null);
        ThrottleShards shards = ThrottleShards.spawn(system, "bench-throttle-" + workspaces.incrementAndGet(), capLedger,
                SHARDS, ThrottleShards.idsPerShard(data.directory().size(), SHARDS));
        CampaignDeps deps = new CampaignDeps(data.directory(), data.suppression(), zones, policy, shards, connector,
                rateLimiter, dir.resolve("campaigns"), clock, ASK_TIMEOUT);
        return new Workspace(dir, capLedger, shards, connector, deps);
    }

    /** @return where the workspace {@code name} lives, {@code <data-dir>/bench-work/<name>} */
    public Path workDir(String name) {
        return data.root().resolve("bench-work").resolve(name);
    }

    /** Terminates the actor system, waiting at most 30 s. */
    @Override
    public void close() throws InterruptedException, ExecutionException, TimeoutException {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * One scenario's cap ledger, throttle shards, connector and outcome ledgers, sharing one
     * {@link CampaignDeps} (so campaigns run at once share the connector's window and the caps).
     * Closing stops the shards, closes the connector and the cap ledger, and deletes the directory.
     */
    public final class Workspace implements AutoCloseable {
        private final Path dir;
        private final SendLedger capLedger;
        private final ThrottleShards shards;
        private final Connector connector;
        private final CampaignDeps deps;

        private Workspace(Path dir, SendLedger capLedger, ThrottleShards shards, Connector connector, CampaignDeps deps) {
            this.dir = dir;
            this.capLedger = capLedger;
            this.shards = shards;
            this.connector = connector;
            this.deps = deps;
        }

        /** @return the workspace directory */
        public Path dir() {
            return dir;
        }

        /**
         * @param spec    the campaign; its id not used before in this workspace
         * @param decided incremented as recipients get their outcome
         * @return completes with the campaign's result when every recipient has an outcome
         */
        public CompletionStage<CampaignResult> run(CampaignSpec spec, LongAdder decided) {
            return CampaignRun.run(system, spec, deps, decided);
        }

        @Override
        public void close() throws IOException {
            try {
                shards.stop();
                connector.close();
                capLedger.close();
            } finally {
                deleteTree(dir);
            }
        }
    }

    /** Opens a scenario's connector. */
    @FunctionalInterface
    public interface ConnectorFactory {
        /**
         * @param dir the directory for its files (the accepted log)
         * @return the connector, open
         * @throws IOException if it cannot be opened
         */
        Connector open(Path dir) throws IOException;
    }

    /** Deletes {@code dir} and everything under it, if it exists. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
