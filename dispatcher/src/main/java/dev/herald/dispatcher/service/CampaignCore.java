package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.campaign.Campaign;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.connector.ConnectorRoutes;
import dev.herald.dispatcher.throttle.ThrottleShards;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

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
 */
record CampaignCore(ActorSystem<Void> system, ThrottleShards shards, ActorRef<CampaignManager.Command> manager,
                    CampaignDeps deps) {

    /** The parts the guardian makes. */
    private record Spawned(ThrottleShards shards, ActorRef<CampaignManager.Command> manager, CampaignDeps deps) {
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
            ThrottleShards shards = ThrottleShards.spawn(ctx, "throttle", stores.capLedger, settings.throttleShards(),
                    ThrottleShards.idsPerShard(Math.max(stores.directory.size(), 1_000_000), settings.throttleShards()));
            CampaignDeps deps = CampaignDeps.withRoutes(stores.directory, stores.index, stores.zones, conf.policy(), shards,
                    sending, dataDir.resolve("campaigns"), Clock.systemUTC(), settings.askTimeout(), stores.links)
                    .withLinkTokens(stores.linkTokens);
            Campaign.Settings campaignSettings = new Campaign.Settings(deps, stores.campaigns, settings.releasePoll(), 3,
                    Duration.ofSeconds(1));
            spawned.complete(new Spawned(shards, ctx.spawn(CampaignManager.create(campaignSettings), "campaigns",
                    dev.herald.dispatcher.campaign.BlockingIo.props()), deps));
            return Behaviors.empty();
        }), "herald", config);
        Spawned s = spawned.join();
        return new CampaignCore(system, s.shards(), s.manager(), s.deps());
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
