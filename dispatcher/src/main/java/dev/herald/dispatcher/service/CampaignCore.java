package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.campaign.Campaign;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.connector.ConnectorRoutes;
import dev.herald.dispatcher.throttle.ThrottleShards;

import dev.herald.dispatcher.journey.CampaignStepSender;
import dev.herald.dispatcher.journey.Events;
import dev.herald.dispatcher.journey.JourneyDeps;
import dev.herald.dispatcher.journey.JourneyEngine;
import dev.herald.dispatcher.journey.JourneyRunner;
import dev.herald.dispatcher.segment.SegmentStore;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * The service's actor system and what its guardian spawns: the throttle shards that own the cap
 * ledger and the campaign manager (which resumes every campaign not finished), with the services
 * campaigns share.
 *
 * <pre>{@code
 * CampaignCore core = CampaignCore.start(dataDir, config, settings, stores, sending);
 * CampaignAsks campaigns = core.asks(settings.askTimeout());
 * }</pre>
 *
 * @param system  the actor system ({@code herald})
 * @param shards  the throttle shards
 * @param manager the campaign manager
 * @param deps    the campaigns' shared services
 * @param journeys      the journey engine's runner (which owns it)
 * @param journeyEngine the engine: only its {@link JourneyEngine#totals()} is read outside the runner
 */
record CampaignCore(ActorSystem<Void> system, ThrottleShards shards, ActorRef<CampaignManager.Command> manager,
                    CampaignDeps deps, ActorRef<JourneyRunner.Command> journeys, JourneyEngine journeyEngine) {

    /** How often the journey engine looks at what is due. */
    static final Duration JOURNEY_TICK = Duration.ofSeconds(1);

    /** The parts the guardian makes. */
    private record Spawned(ThrottleShards shards, ActorRef<CampaignManager.Command> manager, CampaignDeps deps,
                           ActorRef<JourneyRunner.Command> journeys, JourneyEngine engine) {
    }

    /**
     * @param dataDir  the data directory (the campaigns' files)
     * @param config   the whole configuration (Pekko's)
     * @param conf     the configuration read before (the quiet-hours policy)
     * @param settings {@code herald.service}
     * @param stores   the open stores
     * @param sending  the connectors campaigns send through (a campaign names one, or uses the default)
     * @return the started core
     */
    static CampaignCore start(Path dataDir, Config config, ServiceConfig conf, ServiceSettings settings, ServiceStores stores,
                              ConnectorRoutes sending) {
        CompletableFuture<Spawned> spawned = new CompletableFuture<>();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
            try {
                spawned.complete(spawnParts(ctx, dataDir, conf, settings, stores, sending, null));
            } catch (IOException e) {
                spawned.completeExceptionally(e);
            }
            return Behaviors.empty();
        }), "herald", config);
        Spawned s;
        try {
            s = spawned.join();
        } catch (java.util.concurrent.CompletionException e) {
            system.terminate();
            throw journeysFailed(e.getCause());
        }
        return new CampaignCore(system, s.shards(), s.manager(), s.deps(), s.journeys(), s.engine());
    }

    /**
     * The same parts, spawned as children of {@code parent} in a running actor system: a partition
     * of a cluster node ({@code dev.herald.dispatcher.cluster}) holds one core per partition it owns.
     * Called on {@code parent}'s thread.
     *
     * @param tests who decides the campaigns' A/B tests for the whole campaign (a cluster's
     *              coordinator); null: each campaign decides its own
     *
     * @throws java.io.UncheckedIOException if the journeys' state cannot be opened
     */
    static CampaignCore spawn(ActorContext<?> parent, Path dataDir, ServiceConfig conf, ServiceSettings settings,
                              ServiceStores stores, ConnectorRoutes sending, dev.herald.dispatcher.campaign.TestCoordinator tests) {
        try {
            Spawned s = spawnParts(parent, dataDir, conf, settings, stores, sending, tests);
            @SuppressWarnings("unchecked")
            ActorSystem<Void> system = (ActorSystem<Void>) (ActorSystem<?>) parent.getSystem();
            return new CampaignCore(system, s.shards(), s.manager(), s.deps(), s.journeys(),
                    s.engine());
        } catch (IOException e) {
            throw journeysFailed(e);
        }
    }

    private static java.io.UncheckedIOException journeysFailed(Throwable cause) {
        return new java.io.UncheckedIOException("the journeys cannot start: " + cause.getMessage(),
                cause instanceof IOException io ? io : new IOException(cause));
    }

    /** The throttle shards, the campaign manager and the journeys' runner, as children of {@code ctx}. */
    private static Spawned spawnParts(ActorContext<?> ctx, Path dataDir, ServiceConfig conf, ServiceSettings settings,
                                      ServiceStores stores, ConnectorRoutes sending,
                                      dev.herald.dispatcher.campaign.TestCoordinator tests) throws IOException {
        ThrottleShards shards = ThrottleShards.spawn(ctx, "throttle", stores.capLedger, settings.throttleShards(),
                ThrottleShards.idsPerShard(Math.max(stores.directory.size(), 1_000_000), settings.throttleShards()));
        CampaignDeps deps = CampaignDeps.withRoutes(stores.directory, stores.index, stores.zones, conf.policy(), shards,
                sending, dataDir.resolve("campaigns"), Clock.systemUTC(), settings.askTimeout(), stores.links)
                .withLinkTokens(stores.linkTokens);
        Campaign.Settings campaignSettings = new Campaign.Settings(deps, stores.campaigns, settings.releasePoll(), 3,
                Duration.ofSeconds(1), engagement(stores)).withTests(tests);
        ActorRef<CampaignManager.Command> manager = ctx.spawn(CampaignManager.create(campaignSettings), "campaigns",
                dev.herald.dispatcher.campaign.BlockingIo.props());
        JourneyEngine engine;
        try {
            engine = journeyEngine(ctx.getSystem(), dataDir, stores, deps);
        } catch (IOException e) {
            ctx.stop(manager);
            shards.stop();
            throw e;
        }
        ActorRef<JourneyRunner.Command> journeys = ctx.spawn(JourneyRunner.create(engine, JOURNEY_TICK), "journeys",
                dev.herald.dispatcher.campaign.BlockingIo.props());
        return new Spawned(shards, manager, deps, journeys, engine);
    }

    /**
     * The journey engine, on the campaigns' services: its send steps go through the same pipeline,
     * its branches read the funnel's stores.
     */
    private static JourneyEngine journeyEngine(ActorSystem<?> system, Path dataDir, ServiceStores stores, CampaignDeps deps)
            throws IOException {
        Executor io = system.dispatchers().lookup(DispatcherSelector.blocking());
        dev.herald.dispatcher.funnel.Engagement engagement = engagement(stores);
        return JourneyEngine.open(new JourneyDeps(dataDir.resolve(Events.DIR), stores.journeys, stores.events,
                stores.directory, stores.zones, stores.index, name -> {
                    try {
                        return stores.segments.get(name).map(SegmentStore.Segment::ids);
                    } catch (dev.herald.dispatcher.segment.SegmentExpression.UnknownSegmentsException notComputed) {
                        return java.util.Optional.empty(); // e.g. lifecycle:new before the first recompute: nobody enters yet
                    }
                },
                engagement, new CampaignStepSender(system, deps, dataDir.resolve("campaigns"), io), Clock.systemUTC()));
    }

    /** The funnel's stores as bitmaps: what journey branches and A/B tests read. */
    private static dev.herald.dispatcher.funnel.Engagement engagement(ServiceStores stores) {
        return new dev.herald.dispatcher.funnel.Engagement() {
            @Override
            public ImmutableRoaringBitmap delivered(String campaignId) throws IOException {
                return stores.deliveries.delivered(campaignId);
            }

            @Override
            public ImmutableRoaringBitmap clicked(String campaignId) throws IOException {
                return stores.clicks.summary(campaignId).humans();
            }

            @Override
            public ImmutableRoaringBitmap converted(String campaignId) {
                return stores.conversions.of(campaignId).recipients();
            }
        };
    }

    /** @return how routes and metrics ask the manager, waiting at most {@code timeout} */
    CampaignAsks asks(Duration timeout) {
        return new CampaignAsks(manager, system, timeout);
    }

    /** @return Pekko's dispatcher for blocking work (file reads, ledger scans, previews) */
    Executor blockingIo() {
        return system.dispatchers().lookup(DispatcherSelector.blocking());
    }
}
