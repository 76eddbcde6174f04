package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.api.JsonParsingErrorHandler;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.check.DataCheck;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.ConnectorRoutes;
import dev.herald.dispatcher.connector.http.JsonGatewayConnector;
import dev.herald.dispatcher.connector.http.JsonGatewaySettings;
import dev.herald.dispatcher.connector.http.KannelConnector;
import dev.herald.dispatcher.connector.http.KannelSettings;
import dev.herald.dispatcher.connector.smpp.SmppConnector;
import dev.herald.dispatcher.connector.smpp.SmppSettings;
import dev.herald.throttle.RateLimit;
import dev.herald.throttle.RateLimiter;
import java.util.LinkedHashMap;
import dev.herald.dispatcher.metrics.HeraldMetrics;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
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
 * HeraldService s = HeraldService.start(dataDir, ConfigFactory.load(), settings, System.getenv(), out);
 * s.whenTerminated().toCompletableFuture().join(); // until SIGTERM (or s.stop())
 * }</pre>
 *
 * <p><b>Stopping.</b> SIGTERM (or {@link #stop()}) runs Pekko's coordinated shutdown: the HTTP port
 * is unbound and open requests finish (phases {@code service-unbind}, {@code service-requests-done});
 * every running campaign stops handing messages over, records what was answered and keeps its
 * stored status ({@code service-stop}, at most {@code herald.service.shutdown-timeout}); then the
 * stores are closed ({@code before-actor-system-terminate}). The next start resumes the campaigns.
 *
 * <p><b>Composition.</b> {@link #start} reads as its steps: the configuration ({@link ServiceConfig}),
 * the data check, the stores ({@link ServiceStores}), the metrics and the connector campaigns send
 * through, the actors ({@link CampaignCore}), the HTTP API ({@link ServiceApi}, with the
 * {@link InboundSide}), the binding and the shutdown order.
 */
public final class HeraldService {

    private static final Logger LOG = LoggerFactory.getLogger(HeraldService.class);

    private final ActorSystem<Void> system;
    private final ServerBinding binding;
    private final ApiKeys keys;
    private final dev.herald.dispatcher.privacy.PersonalDataEraser eraser;

    private HeraldService(ActorSystem<Void> system, ServerBinding binding, ApiKeys keys,
                          dev.herald.dispatcher.privacy.PersonalDataEraser eraser) {
        this.eraser = eraser;
        this.system = system;
        this.binding = binding;
        this.keys = keys;
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
        return start(dataDir, config, settings, env, out, UnaryOperator.identity());
    }

    /**
     * As {@link #start(Path, Config, ServiceSettings, Map, PrintWriter)}, with {@code wrap} applied to
     * the connector campaigns and replies send through (tests observe hand-overs with it).
     */
    static HeraldService start(Path dataDir, Config config, ServiceSettings settings, Map<String, String> env,
                               PrintWriter out, UnaryOperator<Connector> wrap) throws IOException {
        // configuration first: a bad setting fails the start before anything is opened
        ServiceConfig conf = ServiceConfig.read(config, env);
        // what `herald data check` says, before any store opens a file (each refuses its own damage)
        DataCheck.standard().runAndLog(dataDir);
        Assembled a = assemble(dataDir, config, conf, settings, env, wrap, SharedConnectors.NONE, HeraldMetrics.prometheus(),
                (stores, sending) -> CampaignCore.start(dataDir, config, conf, settings, stores, sending));
        try {
            ServerBinding binding = bind(a.core().system(), settings, a.api());
            registerShutdown(a.core(), binding, settings, a.stores());
            a.stores().firstKey.ifPresent(k -> showFirstKey(out, k));
            LOG.info("herald serving on {} with data in {}", binding.localAddress(), dataDir);
            return new HeraldService(a.core().system(), binding, a.stores().keys, a.stores().eraser);
        } catch (IOException | RuntimeException e) {
            a.stores().close();
            throw e;
        }
    }

    /**
     * One data directory's open stores, its running campaign core, its whole HTTP API, where its
     * connectors' peer events go (ids of accepted messages, receipts, replies), and its metrics.
     */
    record Assembled(ServiceStores stores, CampaignCore core, Route api, dev.herald.dispatcher.connector.PeerEvents peer,
                     HeraldMetrics metrics) {
    }

    /**
     * Opens {@code dataDir}'s stores, the connectors campaigns send through, the campaign core
     * ({@code coreMaker}: its own actor system for a service, children of a partition entity in a
     * cluster) and the HTTP API over them. An SMPP account {@code shared} lends is not started here:
     * the lent connector is used, and its peer events reach {@link Assembled#peer()} through the
     * lender. {@code shown} (a new registry, owned by the stores from here on) shows the
     * directory's series. If a step fails, what was opened is closed.
     */
    static Assembled assemble(Path dataDir, Config config, ServiceConfig conf, ServiceSettings settings,
                              Map<String, String> env, UnaryOperator<Connector> wrap, SharedConnectors shared,
                              HeraldMetrics shown,
                              java.util.function.BiFunction<ServiceStores, ConnectorRoutes, CampaignCore> coreMaker)
            throws IOException {
        ServiceStores stores;
        try {
            stores = ServiceStores.open(dataDir, config, conf, settings, env);
        } catch (IOException | RuntimeException e) {
            shown.close();
            throw e;
        }
        try {
            HeraldMetrics metrics = stores.own(shown);
            PeerTraffic traffic = new PeerTraffic(metrics, stores.deliveries);
            metrics.deliveries(stores.deliveries);
            metrics.clicks(stores.clicks);
            metrics.conversions(stores.conversions);
            metrics.events(stores.events);
            CampaignCore core = coreMaker.apply(stores, connectors(conf, settings, stores, metrics, traffic, wrap, shared));
            traffic.handlers(InboundSide.perConnector(conf, stores, core, metrics));
            metrics.journeys(core.journeyEngine(), java.util.List.of(dev.herald.dispatcher.journey.JourneyEngine.DONE,
                    dev.herald.dispatcher.journey.JourneyEngine.GOAL, dev.herald.dispatcher.journey.JourneyEngine.OPTED_OUT,
                    dev.herald.dispatcher.journey.JourneyEngine.SUPPRESSED, dev.herald.dispatcher.journey.JourneyEngine.ARCHIVED));
            return new Assembled(stores, core, ServiceApi.route(dataDir, settings, conf, stores, core, metrics,
                    config.hasPath(PartitionEngine.SLICES) && config.getBoolean(PartitionEngine.SLICES)), traffic,
                    metrics);
        } catch (RuntimeException e) {
            stores.close();
            throw e;
        }
    }

    /**
     * The connectors campaigns may name: the embedded one (the default) and each configured SMPP
     * account, started here (binding in the background) and closed with the stores; each metered
     * and observed for opt-out attribution, then {@code wrap}ped. An SMPP account {@code shared}
     * lends is the lender's, not started (nor closed) here.
     */
    private static ConnectorRoutes connectors(ServiceConfig conf, ServiceSettings settings, ServiceStores stores,
                                              HeraldMetrics metrics, PeerTraffic traffic, UnaryOperator<Connector> wrap,
                                              SharedConnectors shared) {
        Map<String, ConnectorRoutes.Route> routes = new LinkedHashMap<>();
        routes.put(settings.connectorName(), new ConnectorRoutes.Route(
                wrap.apply(stores.lastSends.observe(metrics.meter(stores.connector))), null));
        for (SmppSettings account : conf.accounts().smpp()) {
            if (lend(routes, account.name(), shared, stores, metrics, wrap)) {
                continue;
            }
            RateLimiter limiter = account.rate() > 0
                    ? new RateLimiter(RateLimit.of(account.rate(), (int) Math.max(1, Math.ceil(account.rate() / 10))),
                    System::nanoTime)
                    : null;
            SmppConnector smpp = stores.own(SmppConnector.start(account, limiter, traffic));
            metrics.smpp(smpp);
            LOG.info("connector {}: SMPP to {}:{} as {}, {} bind(s) of window {}", account.name(), account.host(),
                    account.port(), account.systemId(), account.binds(), account.window());
            routes.put(account.name(), new ConnectorRoutes.Route(wrap.apply(stores.lastSends.observe(metrics.meter(smpp))),
                    limiter));
        }
        for (KannelSettings gateway : conf.accounts().kannel()) {
            if (lend(routes, gateway.name(), shared, stores, metrics, wrap)) {
                continue;
            }
            RateLimiter limiter = gateway.rate() > 0
                    ? new RateLimiter(RateLimit.of(gateway.rate(), (int) Math.max(1, Math.ceil(gateway.rate() / 10))),
                    System::nanoTime)
                    : null;
            KannelConnector kannel = stores.own(KannelConnector.start(gateway, (m, part, parts) ->
                    stores.callbackTokens.sign(gateway.name(), stores.campaignNumbers.numberOf(m.campaignId()),
                            m.recipientId(), part, parts)));
            LOG.info("connector {}: Kannel sendsms at {} as {}, window {}{}", gateway.name(), gateway.sendsms(),
                    gateway.username(), gateway.window(), gateway.callbackBase().isEmpty() ? ", no delivery reports"
                            : ", delivery reports to " + gateway.callbackBase() + "/v1/receipts/" + gateway.name());
            routes.put(gateway.name(), new ConnectorRoutes.Route(
                    wrap.apply(stores.lastSends.observe(metrics.meter(kannel))), limiter));
        }
        for (JsonGatewaySettings gateway : conf.accounts().json()) {
            if (lend(routes, gateway.name(), shared, stores, metrics, wrap)) {
                continue;
            }
            RateLimiter limiter = gateway.rate() > 0
                    ? new RateLimiter(RateLimit.of(gateway.rate(), (int) Math.max(1, Math.ceil(gateway.rate() / 10))),
                    System::nanoTime)
                    : null;
            JsonGatewayConnector json = stores.own(JsonGatewayConnector.start(gateway, limiter, m ->
                    stores.callbackTokens.sign(gateway.name(), stores.campaignNumbers.numberOf(m.campaignId()),
                            m.recipientId())));
            LOG.info("connector {}: JSON gateway at {}, window {}{}", gateway.name(), gateway.url(), gateway.window(),
                    gateway.callbackBase().isEmpty() ? ", no status callbacks"
                            : ", status callbacks to " + gateway.callbackBase() + "/v1/receipts/" + gateway.name());
            routes.put(gateway.name(), new ConnectorRoutes.Route(
                    wrap.apply(stores.lastSends.observe(metrics.meter(json))), limiter));
        }
        return ConnectorRoutes.of(settings.connectorName(), routes);
    }

    /**
     * Puts the connector {@code shared} lends for {@code name}, if it lends one, among the routes:
     * metered and observed by this data directory, within the lender's window.
     *
     * @return whether it was lent
     */
    private static boolean lend(Map<String, ConnectorRoutes.Route> routes, String name, SharedConnectors shared,
                                ServiceStores stores, HeraldMetrics metrics, UnaryOperator<Connector> wrap) {
        SharedConnectors.Shared lent = shared.lent(name);
        if (lent == null) {
            return false;
        }
        routes.put(name, new ConnectorRoutes.Route(dev.herald.dispatcher.connector.WindowedConnector.sharing(
                wrap.apply(stores.lastSends.observe(metrics.meter(lent.connector()))), lent.window()), lent.limiter()));
        return true;
    }

    /** Binds the API; if the port cannot be had, the actor system is stopped and the reason thrown. */
    private static ServerBinding bind(ActorSystem<Void> system, ServiceSettings settings, Route api) throws IOException {
        try {
            return Http.get(system).newServerAt(settings.host(), settings.port())
                    // refusals before routing answered as JSON too (in code: see herald-service.conf)
                    .adaptSettings(s -> s.withParsingErrorHandler(JsonParsingErrorHandler.class.getName()))
                    .bind(api)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
            throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    private static void showFirstKey(PrintWriter out, String key) {
        out.println("First start: an admin API key was created. It is shown only now; store it safely:");
        out.println("  " + key);
        out.flush();
    }

    /**
     * Stopping in order: the port unbound, open requests finished, every campaign stopped (at most
     * {@code shutdown-timeout}), then the shards and the stores closed.
     */
    private static void registerShutdown(CampaignCore core, ServerBinding binding, ServiceSettings settings,
                                         ServiceStores stores) {
        ActorSystem<Void> system = core.system();
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
            stores.close();
            return CompletableFuture.completedFuture(Done.getInstance());
        });
    }

    /** @return the port the API listens on */
    public int port() {
        return binding.localAddress().getPort();
    }

    /** @return the API keys */
    public ApiKeys keys() {
        return keys;
    }

    /** @return the dispatcher's side of erasing a recipient (after the directory erased the record) */
    public dev.herald.dispatcher.privacy.PersonalDataEraser eraser() {
        return eraser;
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
