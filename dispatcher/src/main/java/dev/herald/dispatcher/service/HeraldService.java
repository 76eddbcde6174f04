package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.api.Endpoint;
import dev.herald.dispatcher.api.SegmentRoutes;
import dev.herald.dispatcher.api.SuppressionRoutes;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.dispatcher.api.CampaignEventRoutes;
import dev.herald.dispatcher.api.CampaignInspectionRoutes;
import dev.herald.dispatcher.api.CampaignRoutes;
import dev.herald.dispatcher.api.HttpApi;
import dev.herald.dispatcher.api.KeyRoutes;
import dev.herald.dispatcher.api.PreferenceRoutes;
import dev.herald.dispatcher.api.UnsubscribeRoutes;
import dev.herald.dispatcher.sender.SenderProfiles;
import dev.herald.dispatcher.unsubscribe.PreferenceCenter;
import dev.herald.dispatcher.unsubscribe.Preferences;
import dev.herald.dispatcher.unsubscribe.ReasonLog;
import dev.herald.dispatcher.unsubscribe.UnsubscribeLinks;
import dev.herald.dispatcher.campaign.Campaign;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.metrics.CampaignTotals;
import dev.herald.dispatcher.metrics.HeraldMetrics;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.dispatcher.api.InboundRoutes;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.inbound.InboundHandler;
import dev.herald.dispatcher.inbound.InboundSettings;
import dev.herald.dispatcher.inbound.KeywordRules;
import dev.herald.dispatcher.inbound.LastSends;
import dev.herald.dispatcher.inbound.ReplayGuard;
import dev.herald.dispatcher.sender.SenderProfiles;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Herald as a service ({@code herald serve}): the data directory's stores, the throttle shards,
 * the campaign manager and the HTTP API, started together and stopped in order.
 *
 * <pre>{@code
 * HeraldService s = HeraldService.start(dataDir, ConfigFactory.load(), settings, System.getenv(), out, audiences);
 * s.whenTerminated().toCompletableFuture().join(); // until SIGTERM (or s.stop())
 * }</pre>
 *
 * <p><b>Stopping.</b> SIGTERM (or {@link #stop()}) runs Pekko's coordinated shutdown: the HTTP port
 * is unbound and open requests finish (phases {@code service-unbind}, {@code service-requests-done});
 * every running campaign stops handing messages over, records what was answered and keeps its
 * stored status ({@code service-stop}, at most {@code herald.service.shutdown-timeout}); then the
 * stores are closed ({@code before-actor-system-terminate}). The next start resumes the campaigns.
 */
public final class HeraldService {

    private static final Logger LOG = LoggerFactory.getLogger(HeraldService.class);

    private final ActorSystem<Void> system;
    private final ServerBinding binding;
    private final ApiKeys keys;

    private HeraldService(ActorSystem<Void> system, ServerBinding binding, ApiKeys keys) {
        this.system = system;
        this.binding = binding;
        this.keys = keys;
    }

    /** The parts the guardian actor makes. */
    private record Core(ThrottleShards shards, ActorRef<CampaignManager.Command> manager, CampaignDeps deps) {
    }

    /**
     * Opens the data directory (creating it if needed), starts the campaign manager (which resumes
     * every campaign not finished) and binds the HTTP API.
     *
     * @param dataDir   the data directory
     * @param config    the whole configuration (Pekko's and {@code herald.*})
     * @param settings  {@code herald.service}, possibly overridden from the command line
     * @param env       the environment ({@code HERALD_API_KEY})
     * @param out       where the first-start admin key is printed (once)
     * @return the running service
     * @throws IOException if a store cannot be opened, or the port cannot be bound
     */
    public static HeraldService start(Path dataDir, Config config, ServiceSettings settings, Map<String, String> env,
                                      PrintWriter out) throws IOException {
        return start(dataDir, config, settings, env, out, java.util.function.UnaryOperator.identity());
    }

    /**
     * As {@link #start(Path, Config, ServiceSettings, Map, PrintWriter)}, with {@code wrap} applied to
     * the connector campaigns and replies send through (tests observe hand-overs with it).
     */
    static HeraldService start(Path dataDir, Config config, ServiceSettings settings, Map<String, String> env,
                               PrintWriter out, java.util.function.UnaryOperator<dev.herald.dispatcher.connector.Connector> wrap)
            throws IOException {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            // configuration first: a bad sender profile fails the start before anything is opened
            SenderProfiles senders = SenderProfiles.fromConfig(config);
            // what `herald data check` says, before any store opens a file (each refuses its own damage)
            dev.herald.dispatcher.check.DataCheck.standard().runAndLog(dataDir);
            HeraldData data = HeraldData.at(dataDir, DirectoryOptions.defaults().withCapacity(settings.directoryCapacity()),
                    IndexOptions.defaults(), true);
            opened.add(data);
            RecipientDirectory directory = data.directory();
            SuppressionIndex index = data.suppression();
            ZoneIndex zones = ZoneIndex.build(directory);
            QuietHoursPolicy policy = QuietHoursPolicies.fromConfig(config).get("default");
            // recipients the policy can never reach get expired:never-open in campaigns: say so once, at load
            policy.neverOpen(zones.snapshot(), Clock.systemUTC().instant()).forEach(w -> LOG.warn("{}", w));
            Path unsubscribeDir = dataDir.resolve("unsubscribe");
            CampaignNumbers campaignNumbers = CampaignNumbers.open(dataDir.resolve("campaign-numbers.log"));
            opened.add(campaignNumbers);
            UnsubscribeLinks links = UnsubscribeLinks.open(unsubscribeDir, config, campaignNumbers);
            opened.add(links);
            CampaignStore campaignStore = new CampaignStore(dataDir.resolve("campaigns"));
            Preferences preferences = Preferences.open(unsubscribeDir);
            opened.add(preferences);
            ReasonLog reasons = ReasonLog.open(unsubscribeDir);
            opened.add(reasons);
            // the recipients' frequency preferences are two cap rules beyond the configured ones
            SendLedger capLedger = SendLedger.open(dataDir.resolve("send-ledger"),
                    Preferences.withRules(FrequencyCaps.fromConfig(config)), SendLedgerOptions.fromConfig(config),
                    preferences.segments(name -> null));
            opened.add(capLedger);
            SimulatedConnectorOptions connectorOptions = SimulatedConnectorOptions.defaults(dataDir.resolve("connector"))
                    .withName(settings.connectorName()).withLatency(settings.latencyMin(), settings.latencyMax())
                    .withWindow(settings.window()).withIdempotencyKeys(settings.idempotencyKeys());
            if (settings.maxRate() > 0) {
                connectorOptions = connectorOptions.withMaxRate(settings.maxRate(), (int) Math.max(1, settings.maxRate() / 10));
            }
            SimulatedConnector connector = SimulatedConnector.open(connectorOptions);
            opened.add(connector);
            HeraldMetrics metrics = HeraldMetrics.prometheus();
            opened.add(metrics);
            KeywordRules keywords = KeywordRules.fromConfig(config);
            InboundSettings inbound = InboundSettings.fromConfig(config, env);
            ReplayGuard replayKeys = ReplayGuard.open(dataDir.resolve("inbound"), inbound.replayWindow(), Clock.systemUTC());
            opened.add(replayKeys);
            dev.herald.dispatcher.inbound.IntentPhrases intents = dev.herald.dispatcher.inbound.IntentPhrases.fromConfig(config);
            dev.herald.dispatcher.inbound.ReviewQueue reviewQueue = dev.herald.dispatcher.inbound.ReviewQueue.open(
                    dataDir.resolve("inbound"));
            opened.add(reviewQueue);
            LastSends lastSends = LastSends.open(dataDir.resolve("last-sends"),
                    (int) Math.min(Integer.MAX_VALUE, settings.directoryCapacity()), campaignNumbers, id -> {
                        try {
                            return campaignStore.load(id).map(CampaignRecord::sender);
                        } catch (IOException e) {
                            LOG.warn("campaign {} could not be read for opt-out attribution: {}", id, e.toString());
                            return campaignStore.identity(id).map(CampaignStore.Identity::sender); // kept beside a damaged record
                        }
                    });
            opened.add(lastSends);
            dev.herald.dispatcher.connector.Connector sending = wrap.apply(lastSends.observe(metrics.meter(connector)));
            SegmentStore segments = SegmentStore.open(dataDir);
            ApiKeys keys = ApiKeys.open(dataDir);
            Optional<String> firstKey = keys.bootstrap(env.get("HERALD_API_KEY"));

            CompletableFuture<Core> core = new CompletableFuture<>();
            ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
                ThrottleShards shards = ThrottleShards.spawn(ctx, "throttle", capLedger, settings.throttleShards(),
                        ThrottleShards.idsPerShard(Math.max(directory.size(), 1_000_000), settings.throttleShards()));
                CampaignDeps deps = new CampaignDeps(directory, index, zones, policy, shards, sending, null,
                        dataDir.resolve("campaigns"), Clock.systemUTC(), settings.askTimeout(), links);
                Campaign.Settings campaignSettings = new Campaign.Settings(deps, campaignStore,
                        settings.releasePoll(), 3, Duration.ofSeconds(1));
                core.complete(new Core(shards, ctx.spawn(CampaignManager.create(campaignSettings), "campaigns"), deps));
                return Behaviors.empty();
            }), "herald", config);
            Core c = core.join();

            java.util.concurrent.Executor blockingIo = system.dispatchers().lookup(
                    org.apache.pekko.actor.typed.DispatcherSelector.blocking());
            CampaignRoutes.Audiences audiences = audiences(segments, directory, zones);
            List<Route> groups = new ArrayList<>();
            groups.add(new SegmentRoutes(keys, settings.maxJsonBody(), settings.bodyTimeout(), settings.maxUpload(), segments,
                    directory, blockingIo).route());
            groups.add(new SuppressionRoutes(keys, settings.maxJsonBody(), settings.bodyTimeout(), settings.maxUpload(), index,
                    directory, blockingIo).route());
            groups.add(new CampaignRoutes(keys, settings.maxJsonBody(), settings.bodyTimeout(), settings.askTimeout(), system,
                    c.manager(), audiences, settings.connectorName(), Clock.systemUTC(), senders).route());
            groups.add(new CampaignEventRoutes(keys, settings.askTimeout(), system, c.manager(), Duration.ofMillis(250),
                    Duration.ofSeconds(1), Duration.ofSeconds(15)).route());
            groups.add(new CampaignInspectionRoutes(keys, settings.maxJsonBody(), settings.bodyTimeout(), settings.askTimeout(),
                    system, c.manager(), audiences, settings.connectorName(), Clock.systemUTC(), c.deps(), blockingIo, senders).route());
            groups.add(new dev.herald.dispatcher.api.ConsentRoutes(keys, settings.maxJsonBody(), settings.bodyTimeout(),
                    settings.askTimeout(), system, c.manager(), index, directory,
                    dataDir.resolve(dev.herald.dispatcher.report.UnsubscribeReasons.FILE), blockingIo).route());
            groups.add(new KeyRoutes(keys, settings.maxJsonBody(), settings.bodyTimeout()).route());
            InboundHandler replies = new InboundHandler(keywords, intents, reviewQueue, senders, inbound, directory, index,
                    lastSends, c.deps().connector(), c.deps().rateLimiter(), metrics, Clock.systemUTC(), blockingIo);
            groups.add(new InboundRoutes(keys, settings.bodyTimeout(), replies, inbound, replayKeys, metrics, Clock.systemUTC())
                    .route());
            groups.add(new dev.herald.dispatcher.api.ReviewRoutes(keys, settings.bodyTimeout(), replies, reviewQueue, blockingIo)
                    .route());
            PreferenceCenter center = new PreferenceCenter(links, preferences, reasons, index, directory,
                    campaignStore, senders, lastSends, Clock.systemUTC());
            groups.add(new UnsubscribeRoutes(center, settings.bodyTimeout(), blockingIo).route());
            groups.add(new PreferenceRoutes(keys, center, directory, blockingIo).route());
            List<Endpoint> endpoints = new ArrayList<>();
            endpoints.addAll(SegmentRoutes.ENDPOINTS);
            endpoints.addAll(SuppressionRoutes.ENDPOINTS);
            endpoints.addAll(CampaignRoutes.ENDPOINTS);
            endpoints.addAll(CampaignEventRoutes.ENDPOINTS);
            endpoints.addAll(CampaignInspectionRoutes.ENDPOINTS);
            endpoints.addAll(dev.herald.dispatcher.api.ConsentRoutes.ENDPOINTS);
            endpoints.addAll(KeyRoutes.ENDPOINTS);
            endpoints.addAll(InboundRoutes.ENDPOINTS);
            endpoints.addAll(dev.herald.dispatcher.api.ReviewRoutes.ENDPOINTS);
            endpoints.addAll(UnsubscribeRoutes.ENDPOINTS);
            endpoints.addAll(PreferenceRoutes.ENDPOINTS);
            metrics.campaigns(() -> campaignsForMetrics(system, c.manager(), settings.askTimeout()));
            Route all = HttpApi.sealed(groups, endpoints, () -> health(directory, index), keys, metrics);

            ServerBinding binding;
            try {
                binding = Http.get(system).newServerAt(settings.host(), settings.port())
                        // refusals before routing answered as JSON too (in code: see herald-service.conf)
                        .adaptSettings(s -> s.withParsingErrorHandler(dev.herald.dispatcher.api.JsonParsingErrorHandler.class.getName()))
                        .bind(all)
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().join();
                throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + ": "
                        + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
            }
            registerShutdown(system, binding, c, settings, opened);
            HeraldService service = new HeraldService(system, binding, keys);
            firstKey.ifPresent(k -> {
                out.println("First start: an admin API key was created. It is shown only now; store it safely:");
                out.println("  " + k);
                out.flush();
            });
            LOG.info("herald serving on {} with data in {}", binding.localAddress(), dataDir);
            return service;
        } catch (IOException | RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /**
     * A campaign's recipients: a stored segment by name, or an expression over segments. The zone
     * index learns the recipients uploads added first, so that quiet hours and caps know their zones.
     */
    static CampaignRoutes.Audiences audiences(SegmentStore segments, RecipientDirectory directory, ZoneIndex zones) {
        return new CampaignRoutes.Audiences() {
            @Override
            public org.roaringbitmap.buffer.ImmutableRoaringBitmap resolve(String segment, String expression) {
                try {
                    zones.update(directory);
                    if (segment != null) {
                        checkSegmentName(segment);
                        return segments.get(segment).map(SegmentStore.Segment::ids).orElseThrow(() -> ApiError.badRequest(
                                "unknown_segment", "no segment named '" + segment + "'", "segment"));
                    }
                    return SegmentRoutes.audience(expression, segments, directory);
                } catch (dev.herald.dispatcher.segment.DamagedSegmentException e) {
                    throw SegmentRoutes.damaged(e); // that segment only: campaigns on the others are created as usual
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("segments could not be read", e);
                }
            }

            @Override
            public Optional<java.util.Set<String>> fields(String segment, String expression) {
                try {
                    java.util.Collection<String> names = segment != null ? List.of(segment)
                            : dev.herald.dispatcher.segment.SegmentExpression.parse(expression).names();
                    java.util.Set<String> fields = new java.util.TreeSet<>();
                    for (String name : names) {
                        Optional<SegmentStore.Meta> meta = segments.meta(name);
                        if (meta.isEmpty() || meta.get().fields() == null) {
                            return Optional.empty(); // not recorded: the template is not checked
                        }
                        fields.addAll(meta.get().fields());
                    }
                    return Optional.of(fields);
                } catch (IOException | RuntimeException e) {
                    return Optional.empty();
                }
            }
        };
    }

    private static void checkSegmentName(String segment) {
        if (!SegmentStore.isValidName(segment)) {
            throw ApiError.badRequest("invalid_value", "invalid segment name '" + segment + "'", "segment");
        }
    }

    /**
     * Every campaign for the metrics: stored records, with live counts from the actors of those
     * not completed or failed (a campaign that cannot be asked keeps its stored counts).
     */
    private static CompletionStage<List<CampaignTotals.Campaign>> campaignsForMetrics(
            ActorSystem<?> system, ActorRef<CampaignManager.Command> manager, Duration timeout) {
        CompletionStage<List<CampaignRecord>> all = AskPattern.askWithStatus(manager, CampaignManager.ListAll::new, timeout,
                system.scheduler());
        return all.thenCompose(records -> {
            List<CompletableFuture<CampaignRecord>> live = new ArrayList<>();
            for (CampaignRecord r : records) {
                boolean settled = r.status() == CampaignStatus.COMPLETED || r.status() == CampaignStatus.FAILED;
                live.add(settled ? CompletableFuture.completedFuture(r)
                        : AskPattern.<CampaignManager.Command, CampaignRecord>askWithStatus(manager,
                                reply -> new CampaignManager.Get(r.id(), reply), timeout, system.scheduler())
                        .exceptionally(e -> r).toCompletableFuture());
            }
            return CompletableFuture.allOf(live.toArray(CompletableFuture[]::new)).thenApply(x -> live.stream()
                    .map(CompletableFuture::join)
                    .map(r -> new CampaignTotals.Campaign(r.status(), CampaignRoutes.view(r).counts()))
                    .toList());
        });
    }

    private static Map<String, Object> health(RecipientDirectory directory, SuppressionIndex index) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recipients", directory.size());
        return m;
    }

    private static void registerShutdown(ActorSystem<Void> system, ServerBinding binding, Core core, ServiceSettings settings,
                                         List<AutoCloseable> opened) {
        CoordinatedShutdown cs = CoordinatedShutdown.get(system);
        cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind", () -> binding.unbind().thenApply(x -> Done.getInstance()));
        cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "http-requests-done",
                () -> binding.terminate(Duration.ofSeconds(5)).thenApply(x -> Done.getInstance()));
        cs.addTask(CoordinatedShutdown.PhaseServiceStop(), "campaigns-stop", () -> {
            CompletionStage<Done> done = AskPattern.ask(core.manager(), CampaignManager.Shutdown::new,
                    settings.shutdownTimeout(), system.scheduler());
            return done.exceptionally(e -> {
                LOG.warn("campaigns did not all stop within {}: {}", settings.shutdownTimeout(), e.toString());
                return Done.getInstance();
            });
        });
        cs.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "stores-close", () -> {
            core.shards().stop();
            closeAll(opened);
            return CompletableFuture.completedFuture(Done.getInstance());
        });
    }

    private static void closeAll(List<AutoCloseable> opened) {
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", opened.get(i), e.toString());
            }
        }
        opened.clear();
    }

    /** @return the port the API listens on */
    public int port() {
        return binding.localAddress().getPort();
    }

    /** @return the API keys */
    public ApiKeys keys() {
        return keys;
    }

    /** Stops as on SIGTERM; completes when everything is closed. */
    public CompletionStage<Done> stop() {
        return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    }

    /** @return completes once the service has stopped */
    public CompletionStage<?> whenTerminated() {
        return system.getWhenTerminated();
    }

}
