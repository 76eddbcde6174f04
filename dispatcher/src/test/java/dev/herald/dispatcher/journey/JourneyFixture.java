package dev.herald.dispatcher.journey;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.connector.AcceptedLogEntry;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A data directory, the campaign pipeline on a simulated connector, and a journey engine in its
 * runner actor, all on a clock the test moves: a week of journey runs in seconds. The
 * connector's accepted log is the oracle of what was sent.
 */
final class JourneyFixture implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger NAMES = new AtomicInteger();

    final Path root;
    final dev.herald.dispatcher.campaign.MutableClock clock;
    final HeraldData data;
    final RecipientDirectory directory;
    final SuppressionIndex index;
    final ZoneIndex zones;
    final SendLedger caps;
    final SimulatedConnector connector;
    final ThrottleShards shards;
    final JourneyStore journeys;
    final Events events;
    final ExecutorService io = Executors.newFixedThreadPool(2);
    final ActorTestKit kit;
    JourneyEngine engine;
    /** Segments by name, as the engine sees them (a test changes them). */
    final Map<String, org.roaringbitmap.buffer.ImmutableRoaringBitmap> segments = new java.util.concurrent.ConcurrentHashMap<>();
    /** What the engine's branches read as delivered / clicked / converted (NONE unless a test sets it). */
    volatile dev.herald.dispatcher.funnel.Engagement engagement = dev.herald.dispatcher.funnel.Engagement.NONE;
    ActorRef<JourneyRunner.Command> runner;
    private int eventNo;
    /** Wraps the connector the pipeline sends through (a test's gate); identity by default. */
    private final java.util.function.UnaryOperator<dev.herald.dispatcher.connector.Connector> wrap;

    /**
     * @param recipients phone → IANA zone, registered in this order (ids 0, 1, …)
     */
    JourneyFixture(ActorTestKit kit, Path root, Instant start, List<String[]> recipients) throws IOException {
        this(kit, root, start, recipients, c -> c);
    }

    JourneyFixture(ActorTestKit kit, Path root, Instant start, List<String[]> recipients,
                   java.util.function.UnaryOperator<dev.herald.dispatcher.connector.Connector> wrap) throws IOException {
        this.wrap = wrap;
        this.kit = kit;
        this.root = root;
        this.clock = new dev.herald.dispatcher.campaign.MutableClock(start);
        data = HeraldData.at(root);
        directory = data.directory();
        for (String[] r : recipients) {
            directory.register(r[0], r[1], "en-GB", r.length > 2 ? Map.of("birthday", r[2], "first_name", "Ann")
                    : Map.of("first_name", "Ann"));
        }
        index = data.suppression();
        zones = ZoneIndex.build(directory);
        caps = SendLedger.open(root.resolve("caps"), FrequencyCaps.of(List.of()),
                new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 4, 1 << 16), name -> null);
        connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(root.resolve("sent")).withLatency(Duration.ZERO));
        shards = ThrottleShards.spawn(kit.system(), "journey-throttle-" + NAMES.incrementAndGet(), caps, 2,
                ThrottleShards.idsPerShard(Math.max(directory.size(), 1000), 2));
        journeys = JourneyStore.open(root.resolve("journeys"), clock);
        events = Events.open(root.resolve("journeys"));
        start();
    }

    /** Opens the engine (replaying its logs) and spawns its runner. */
    void start() throws IOException {
        CampaignDeps campaignDeps = new CampaignDeps(directory, index, zones,
                QuietHoursPolicies.fromConfig(ConfigFactory.load()).get("default"), shards, wrap.apply(connector), null,
                root.resolve("campaigns"), clock, Duration.ofSeconds(10));
        JourneyDeps deps = new JourneyDeps(root.resolve("journeys"), journeys, events, directory, zones, index,
                name -> Optional.ofNullable(segments.get(name)), new dev.herald.dispatcher.funnel.Engagement() {
                    @Override
                    public org.roaringbitmap.buffer.ImmutableRoaringBitmap delivered(String campaignId) throws IOException {
                        return engagement.delivered(campaignId);
                    }

                    @Override
                    public org.roaringbitmap.buffer.ImmutableRoaringBitmap clicked(String campaignId) throws IOException {
                        return engagement.clicked(campaignId);
                    }

                    @Override
                    public org.roaringbitmap.buffer.ImmutableRoaringBitmap converted(String campaignId) throws IOException {
                        return engagement.converted(campaignId);
                    }
                },
                new CampaignStepSender(kit.system(), campaignDeps, root.resolve("campaigns"), io), clock);
        engine = JourneyEngine.open(deps);
        runner = kit.spawn(JourneyRunner.create(engine, Duration.ofDays(1)), "journeys-" + NAMES.incrementAndGet());
    }

    /** Stops the runner (closing the engine). */
    void stop() {
        kit.stop(runner, Duration.ofSeconds(10));
    }

    JourneyStore.Journey create(String exampleFile) throws IOException {
        JourneyDefinition d = JSON.readValue(Files.readString(Path.of("..", "examples", "journeys", exampleFile)),
                JourneyDefinition.class);
        return journeys.create(d);
    }

    JourneyStore.Journey create(JourneyDefinition d) throws IOException {
        return journeys.create(d);
    }

    /** Stores one event now. */
    void event(int recipient, String name, Map<String, Object> props) throws IOException {
        long now = clock.millis();
        events.record(List.of(new Event("e" + (eventNo++), recipient, name, now, now, props)));
    }

    /** Applies events, moves what is due, and waits until every run started has ended. */
    void settle() {
        Optional<String> error = AskPattern.<JourneyRunner.Command, Optional<String>>ask(runner, JourneyRunner.Settle::new,
                Duration.ofSeconds(60), kit.scheduler()).toCompletableFuture().join();
        if (error.isPresent()) {
            throw new AssertionError("the runner reported: " + error.get());
        }
    }

    /** Moves the clock and settles. */
    void advance(Duration d) {
        clock.advance(d);
        settle();
    }

    <T> T ask(java.util.function.Function<JourneyEngine, T> q) {
        JourneyRunner.Answer<T> a = AskPattern.<JourneyRunner.Command, JourneyRunner.Answer<T>>ask(runner,
                r -> new JourneyRunner.Ask<>(q, r), Duration.ofSeconds(30), kit.scheduler()).toCompletableFuture().join();
        if (a.failure() != null) {
            throw a.failure();
        }
        return a.value();
    }

    /** @return what the connector accepted so far, in order */
    List<AcceptedLogEntry> sent() throws IOException {
        return new ArrayList<>(SimulatedConnector.readLog(connector.logFile()));
    }

    @Override
    public void close() throws Exception {
        stop();
        shards.stop();
        connector.close();
        events.close();
        journeys.close();
        caps.close();
        io.shutdownNow();
        data.close();
    }
}
