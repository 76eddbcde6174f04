package dev.herald.dispatcher.service;

import dev.herald.dispatcher.api.BodyLimits;
import dev.herald.dispatcher.api.CampaignEventRoutes;
import dev.herald.dispatcher.api.CampaignInspectionRoutes;
import dev.herald.dispatcher.api.LinkRoutes;
import dev.herald.dispatcher.api.FunnelRoutes;
import dev.herald.dispatcher.api.JourneyRoutes;
import dev.herald.dispatcher.funnel.FunnelReport;
import dev.herald.dispatcher.report.OptOutAnalytics;
import dev.herald.dispatcher.api.CampaignRoutes;
import dev.herald.dispatcher.api.ConsentRoutes;
import dev.herald.dispatcher.api.ConsoleRoutes;
import dev.herald.dispatcher.api.ConversionIntake;
import dev.herald.dispatcher.api.ConversionRoutes;
import dev.herald.dispatcher.api.EventIntake;
import dev.herald.dispatcher.api.EventRoutes;
import dev.herald.dispatcher.api.Endpoint;
import dev.herald.dispatcher.api.HttpApi;
import dev.herald.dispatcher.api.KeyRoutes;
import dev.herald.dispatcher.api.PreferenceRoutes;
import dev.herald.dispatcher.api.RecipientAttributeRoutes;
import dev.herald.dispatcher.api.SegmentRoutes;
import dev.herald.dispatcher.api.SettingsRoutes;
import dev.herald.dispatcher.api.SettingsView;
import dev.herald.dispatcher.api.SuppressionRoutes;
import dev.herald.dispatcher.api.UnsubscribeRoutes;
import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.api.campaign.CampaignCompliance;
import dev.herald.dispatcher.api.campaign.CampaignIntake;
import dev.herald.dispatcher.api.campaign.CampaignValidation;
import dev.herald.dispatcher.api.campaign.CampaignViews;
import dev.herald.dispatcher.api.GatewayRoutes;
import dev.herald.dispatcher.api.campaign.SegmentAudiences;
import dev.herald.dispatcher.funnel.Attribution;
import dev.herald.dispatcher.funnel.Touches;
import dev.herald.dispatcher.metrics.HeraldMetrics;
import dev.herald.dispatcher.metrics.LiveCampaigns;
import dev.herald.dispatcher.console.ConsoleAssets;
import dev.herald.dispatcher.report.UnsubscribeReasons;
import dev.herald.dispatcher.unsubscribe.PreferenceCenter;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * The service's whole HTTP API: every route group wired to the stores and the campaign core, in
 * the order they are tried, with the endpoints each serves, sealed by {@link HttpApi} (JSON errors,
 * 404/405 for anything else, {@code /health}, {@code /metrics}).
 *
 * <pre>{@code
 * Route all = ServiceApi.route(dataDir, settings, conf, stores, core, metrics);
 * }</pre>
 */
final class ServiceApi {

    /** Campaign event streams: how often a campaign is looked at, the least time between progress events, the heartbeat. */
    private static final Duration EVENTS_POLL = Duration.ofMillis(250);
    private static final Duration EVENTS_EVERY = Duration.ofSeconds(1);
    private static final Duration EVENTS_HEARTBEAT = Duration.ofSeconds(15);

    /** One route group (or a side's few) and the endpoints it serves. */
    private record Group(List<Route> routes, List<Endpoint> endpoints) {
        Group(Route route, List<Endpoint> endpoints) {
            this(List.of(route), endpoints);
        }
    }

    private ServiceApi() {
    }

    /**
     * @param dataDir  the data directory (the unsubscribe reasons file)
     * @param settings {@code herald.service}: limits, timeouts, the connector's name
     * @param conf     the configuration read at start (sender profiles, inbound)
     * @param stores   the open stores
     * @param core     the running campaign core
     * @param metrics  what {@code /metrics} shows; also fed every campaign's counts here
     * @param slices   whether this is a cluster partition's API ({@link PartitionEngine#SLICES})
     * @return every route, sealed
     */
    static Route route(Path dataDir, ServiceSettings settings, ServiceConfig conf, ServiceStores stores, CampaignCore core,
                       HeraldMetrics metrics, boolean slices) {
        Executor blockingIo = core.blockingIo();
        BodyLimits limits = new BodyLimits(settings.maxJsonBody(), settings.bodyTimeout());
        CampaignAsks campaigns = core.asks(settings.askTimeout());
        CampaignIntake intake = new CampaignIntake(new CampaignValidation(core.deps().routes().names(), Clock.systemUTC(),
                core.deps().quietHours().name(), core.deps().quietHours().categoryRules().keySet()),
                new CampaignCompliance(conf.senders()), new SegmentAudiences(stores.segments, stores.directory, stores.zones));
        InboundSide inbound = InboundSide.of(conf, stores, core, metrics);
        dev.herald.dispatcher.api.MessageViews messages = new dev.herald.dispatcher.api.MessageViews(
                new dev.herald.dispatcher.message.SentMessages(stores.links, stores.linkTokens, stores.deliveries::of,
                        stores.directory.cipher(dev.herald.dispatcher.message.MessageLog.PURPOSE)),
                stores.campaigns);
        CampaignViews views = new CampaignViews(core.deps().routes().defaultName(), stores.deliveries);
        PreferenceCenter center = new PreferenceCenter(stores.links, stores.preferences, stores.reasons, stores.index,
                stores.directory, stores.campaigns, conf.senders(), stores.lastSends, Clock.systemUTC());

        List<Group> groups = List.of(
                // before the segment routes: /v1/segments/rfm is not the segment named "rfm"
                new Group(new dev.herald.dispatcher.api.RfmRoutes(stores.keys, limits, stores.rfm, blockingIo).route(),
                        dev.herald.dispatcher.api.RfmRoutes.ENDPOINTS),
                new Group(new SegmentRoutes(stores.keys, settings.maxJsonBody(), settings.bodyTimeout(), settings.maxUpload(),
                        stores.segments, stores.directory, blockingIo).route(), SegmentRoutes.ENDPOINTS),
                new Group(new SuppressionRoutes(stores.keys, settings.maxJsonBody(), settings.bodyTimeout(),
                        settings.maxUpload(), stores.index, stores.directory, blockingIo).route(), SuppressionRoutes.ENDPOINTS),
                new Group(new SettingsRoutes(stores.keys, limits, SettingsView.of(conf.senders(),
                        dev.herald.dispatcher.unsubscribe.Preferences.withRules(conf.caps()),
                        java.util.Set.of(dev.herald.dispatcher.unsubscribe.Preferences.WEEKLY_RULE,
                                dev.herald.dispatcher.unsubscribe.Preferences.MONTHLY_RULE), conf.policy())).route(),
                        SettingsRoutes.ENDPOINTS),
                new Group(new CampaignRoutes(stores.keys, limits, campaigns, intake, views, slices).route(), CampaignRoutes.ENDPOINTS),
                new Group(new CampaignEventRoutes(stores.keys, campaigns, EVENTS_POLL, EVENTS_EVERY, EVENTS_HEARTBEAT, views).route(),
                        CampaignEventRoutes.ENDPOINTS),
                new Group(new CampaignInspectionRoutes(stores.keys, limits, campaigns, intake, Clock.systemUTC(), core.deps(),
                        blockingIo, stores.deliveries, stores.conversions, messages).route(), CampaignInspectionRoutes.ENDPOINTS),
                new Group(new dev.herald.dispatcher.api.MessageRoutes(stores.keys, limits, campaigns, stores.directory, messages,
                        Clock.systemUTC(), blockingIo).route(), dev.herald.dispatcher.api.MessageRoutes.ENDPOINTS),
                new Group(new ConsentRoutes(stores.keys, limits, campaigns, stores.index, stores.directory,
                        dataDir.resolve(UnsubscribeReasons.FILE), blockingIo).route(), ConsentRoutes.ENDPOINTS),
                new Group(new FunnelRoutes(stores.keys, limits, campaigns, new FunnelReport(stores.deliveries, stores.clicks,
                        stores.conversions::of, (id, sent) -> OptOutAnalytics.campaign(stores.index.ledger(), id,
                                sent, UnsubscribeReasons.read(dataDir.resolve(UnsubscribeReasons.FILE), id::equals)).optOuts()),
                        blockingIo).route(), FunnelRoutes.ENDPOINTS),
                new Group(new JourneyRoutes(stores.keys, limits, stores.journeys, journeyValidator(conf, stores), blockingIo,
                        journeyReports(core, settings.askTimeout()), stores.directory).route(),
                        JourneyRoutes.ENDPOINTS),
                new Group(new KeyRoutes(stores.keys, settings.maxJsonBody(), settings.bodyTimeout(), blockingIo).route(), KeyRoutes.ENDPOINTS),
                new Group(new dev.herald.dispatcher.api.AuditRoutes(stores.keys, limits, stores.audit, blockingIo).route(),
                        dev.herald.dispatcher.api.AuditRoutes.ENDPOINTS),
                new Group(inbound.routes(stores.keys, settings.bodyTimeout()), InboundSide.ENDPOINTS),
                new Group(new UnsubscribeRoutes(center, settings.bodyTimeout(), blockingIo).route(), UnsubscribeRoutes.ENDPOINTS),
                new Group(new LinkRoutes(stores.linkTokens, stores.clicks, id -> stores.campaigns.load(id)
                        .filter(r -> r.template() != null)
                        .map(r -> r.trackLinks() ? r.linkUrls() : java.util.List.<String>of())
                        .or(() -> dev.herald.dispatcher.journey.JourneyPlan.sendStep(stores.journeys, id)
                                .map(s -> dev.herald.dispatcher.render.Template.parse(s.template(), true).links())),
                        blockingIo).route(), LinkRoutes.ENDPOINTS),
                new Group(new PreferenceRoutes(stores.keys, center, stores.directory, blockingIo).route(),
                        PreferenceRoutes.ENDPOINTS),
                new Group(new RecipientAttributeRoutes(stores.keys, limits, stores.directory, blockingIo).route(),
                        RecipientAttributeRoutes.ENDPOINTS),
                new Group(new dev.herald.dispatcher.api.ErasureRoutes(stores.keys, limits, stores.erasure, blockingIo).route(),
                        dev.herald.dispatcher.api.ErasureRoutes.ENDPOINTS),
                new Group(new ConversionRoutes(stores.keys, limits, conversionBatchBytes(settings, conf),
                        conversionIntake(conf, stores, stores.touches), stores.conversions, blockingIo, stores.rfm::nudge).route(),
                        ConversionRoutes.ENDPOINTS),
                new Group(new EventRoutes(stores.keys, limits, eventBatchBytes(settings, conf),
                        new EventIntake(stores.directory, conf.events(), Clock.systemUTC()), stores.events, blockingIo,
                        () -> {
                            core.journeys().tell(dev.herald.dispatcher.journey.JourneyRunner.EventsStored.INSTANCE);
                            stores.rfm.nudge();
                        }).route(),
                        EventRoutes.ENDPOINTS),
                new Group(new GatewayRoutes(conf.accounts(), stores.callbackTokens, stores.deliveries,
                        InboundSide.perConnector(conf, stores, core, metrics), metrics, blockingIo).route(),
                        GatewayRoutes.ENDPOINTS),
                new Group(new ConsoleRoutes(ConsoleAssets.fromJar()).route(), ConsoleRoutes.ENDPOINTS));
        List<Route> routes = new ArrayList<>();
        List<Endpoint> endpoints = new ArrayList<>();
        for (Group g : groups) {
            routes.addAll(g.routes());
            endpoints.addAll(g.endpoints());
        }
        metrics.campaigns(new LiveCampaigns(campaigns));
        return HttpApi.sealed(routes, endpoints, () -> health(stores), stores.keys, metrics,
                stores.recordsChanges ? stores.audit : null);
    }

    /** The journey engine's reports, asked of its runner (which owns the engine's state). */
    private static JourneyRoutes.Reports journeyReports(CampaignCore core, java.time.Duration timeout) {
        return new JourneyRoutes.Reports() {
            @Override
            public java.util.concurrent.CompletionStage<Map<String, Object>> report(String journeyId, int flowDays,
                                                                                    java.time.ZoneId zone) {
                return ask(e -> dev.herald.dispatcher.journey.JourneyReports.report(e, journeyId, flowDays, zone));
            }

            @Override
            public java.util.concurrent.CompletionStage<Map<String, Map<String, Long>>> counts() {
                return ask(dev.herald.dispatcher.journey.JourneyReports::counts);
            }

            @Override
            public java.util.concurrent.CompletionStage<Map<String, Object>> recipient(String journeyId, int recipient) {
                // where it is, on the runner; its history from the log, off it
                return ask(e -> dev.herald.dispatcher.journey.JourneyReports.where(e, journeyId, recipient))
                        .thenApplyAsync(dev.herald.dispatcher.journey.JourneyReports::withHistory, core.blockingIo());
            }

            private <T> java.util.concurrent.CompletionStage<T> ask(
                    java.util.function.Function<dev.herald.dispatcher.journey.JourneyEngine, T> q) {
                return org.apache.pekko.actor.typed.javadsl.AskPattern.<dev.herald.dispatcher.journey.JourneyRunner.Command,
                                dev.herald.dispatcher.journey.JourneyRunner.Answer<T>>ask(core.journeys(),
                                r -> new dev.herald.dispatcher.journey.JourneyRunner.Ask<>(q, r), timeout, core.system().scheduler())
                        .thenApply(a -> {
                            if (a.failure() != null) {
                                throw a.failure();
                            }
                            return a.value();
                        });
            }
        };
    }

    /**
     * Journeys are checked against the fields of every uploaded segment (when every upload says its
     * fields), the stored segments, and the senders' marketing compliance, as campaigns are.
     */
    private static dev.herald.dispatcher.journey.JourneyValidator journeyValidator(ServiceConfig conf, ServiceStores stores) {
        return new dev.herald.dispatcher.journey.JourneyValidator(() -> {
            try {
                java.util.Set<String> fields = new java.util.TreeSet<>();
                for (dev.herald.dispatcher.segment.SegmentStore.Meta m : stores.segments.list()) {
                    if (m.fields() == null || m.fields().isEmpty()) {
                        return null; // an upload whose fields are not known: templates are not checked against fields
                    }
                    fields.addAll(m.fields());
                }
                return fields.isEmpty() ? null : fields;
            } catch (java.io.IOException e) {
                return null;
            }
        }, name -> {
            try {
                if (dev.herald.dispatcher.segment.SegmentStore.isComputedName(name)) {
                    return stores.rfm.check(name); // a configured tier or a stage, computed yet or not
                }
                return stores.segments.meta(name).isPresent();
            } catch (java.io.IOException | RuntimeException e) {
                return false;
            }
        }, (sender, category, template, footer) -> {
            dev.herald.dispatcher.sender.MarketingCompliance.Result r = dev.herald.dispatcher.sender.MarketingCompliance.check(
                    conf.senders().profile(sender), category, template, footer);
            if (r.missingPrefix()) {
                return r.warnings().get(0).message();
            }
            if (r.refuseWords() && !r.flaggedWords().isEmpty()) {
                return "words the sender's policy refuses: " + String.join(", ", r.flaggedWords());
            }
            return null;
        });
    }

    private static ConversionIntake conversionIntake(ServiceConfig conf, ServiceStores stores, Touches touches) {
        // a campaign's own windows, read from its record once (they never change after create)
        Map<String, java.util.Optional<Attribution.Windows>> windows = new java.util.concurrent.ConcurrentHashMap<>();
        Attribution attribution = new Attribution(conf.conversions().clickWindow(), conf.conversions().deliveryWindow(), touches,
                stores.campaignNumbers::campaignOf, id -> {
                    java.util.Optional<Attribution.Windows> known = windows.get(id);
                    if (known != null) {
                        return known;
                    }
                    try {
                        java.util.Optional<Attribution.Windows> w = stores.campaigns.load(id)
                                .map(dev.herald.dispatcher.campaign.CampaignRecord::attribution)
                                .map(a -> new Attribution.Windows(a.click(), a.delivery()));
                        windows.put(id, w);
                        return w;
                    } catch (java.io.IOException | RuntimeException e) {
                        return java.util.Optional.empty(); // unreadable now: the configured windows, and asked again next time
                    }
                });
        return new ConversionIntake(stores.directory, stores.linkTokens, id -> {
            try {
                return stores.campaigns.load(id).isPresent();
            } catch (dev.herald.suppression.CorruptIndexException damaged) {
                return true; // it exists, damaged: its conversions still count
            }
        }, attribution, conf.conversions(), Clock.systemUTC());
    }

    /** An NDJSON batch: about 1 KiB a line at most, within the upload limit. */
    private static long conversionBatchBytes(ServiceSettings settings, ServiceConfig conf) {
        return Math.max(settings.maxJsonBody(), Math.min(settings.maxUpload(), conf.conversions().maxBatchLines() * 1024L));
    }

    /** An NDJSON batch of events: their properties' limit plus 512 bytes a line at most, within the upload limit. */
    private static long eventBatchBytes(ServiceSettings settings, ServiceConfig conf) {
        return Math.max(settings.maxJsonBody(), Math.min(settings.maxUpload(),
                conf.events().maxBatchLines() * (conf.events().maxPropertiesBytes() + 512L)));
    }

    private static Map<String, Object> health(ServiceStores stores) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recipients", stores.directory.size());
        return m;
    }
}
