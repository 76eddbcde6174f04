package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.inbound.LastSends;
import dev.herald.dispatcher.inbound.ReplayGuard;
import dev.herald.dispatcher.inbound.ReviewQueue;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.dispatcher.unsubscribe.Preferences;
import dev.herald.dispatcher.unsubscribe.ReasonLog;
import dev.herald.dispatcher.unsubscribe.UnsubscribeLinks;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a service holds open in its data directory, opened in one order and closed in the
 * reverse: the recipient directory and suppression index, the unsubscribe side, the campaigns'
 * records and numbers, the cap ledger, the embedded connector, the recipients' touches, the
 * receipts' deliveries, the clicks on tracked links, the inbound side's stores, the last
 * sends, the segments and the API keys (the first admin key is made last, once all else opened).
 *
 * <pre>{@code
 * ServiceStores stores = ServiceStores.open(dataDir, config, conf, settings, env);
 * stores.own(metrics);                 // closed with them, first
 * ...
 * stores.close();                      // at shutdown: the last opened first
 * }</pre>
 *
 * <p>Thread-safety: the fields are final; each store states its own. {@link #own} and {@link #close}
 * are called from the starting thread, then once from the shutdown.
 */
final class ServiceStores implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceStores.class);

    private final List<AutoCloseable> opened = new ArrayList<>();

    final RecipientDirectory directory;
    final SuppressionIndex index;
    final ZoneIndex zones;
    final CampaignNumbers campaignNumbers;
    final UnsubscribeLinks links;
    /** Signs the tracked links of campaigns with {@code trackLinks}. */
    final dev.herald.dispatcher.links.LinkTokens linkTokens;
    /** Records the clicks on tracked links. */
    final dev.herald.dispatcher.links.Clicks clicks;
    final CampaignStore campaigns;
    final Preferences preferences;
    final ReasonLog reasons;
    final SendLedger capLedger;
    final SimulatedConnector connector;
    /** Each recipient's latest delivery and human click across campaigns ({@code funnel/touches.dat}). */
    final dev.herald.dispatcher.funnel.TouchStore touches;
    /** Receipts matched to recipients: the message-id map and each campaign's delivery ledger. */
    final dev.herald.dispatcher.delivery.Deliveries deliveries;
    /** Signs the tokens of HTTP gateways' delivery-report callbacks. */
    final dev.herald.dispatcher.delivery.CallbackTokens callbackTokens;
    final ReplayGuard replayKeys;
    final ReviewQueue reviewQueue;
    final LastSends lastSends;
    final SegmentStore segments;
    /** The RFM and lifecycle segments ({@code rfm/}), served through {@link #segments} as {@code rfm:<tier>}, {@code lifecycle:<stage>}. */
    final dev.herald.dispatcher.segment.rfm.RfmSegments rfm;
    /** The journeys' definitions ({@code journeys/definitions.log}). */
    final dev.herald.dispatcher.journey.JourneyStore journeys;
    /** The conversions posted to {@code POST /v1/conversions}, with what each campaign converted. */
    final dev.herald.dispatcher.funnel.Conversions conversions;
    /** The events posted to {@code POST /v1/events}, for the journeys. */
    final dev.herald.dispatcher.journey.Events events;
    final ApiKeys keys;
    /** Every change made through the API by a key ({@code audit/audit.log}). */
    final dev.herald.dispatcher.api.AuditLog audit;
    /** Whether the API records its changes in {@link #audit} (a cluster's partition: no, its node does). */
    final boolean recordsChanges;
    /** The erasures of recipients ({@code privacy/erasures.log}). */
    final dev.herald.dispatcher.privacy.Erasures erasures;
    /** Erases a recipient's data from the stores held here (what goes at once; the rest at the next compaction). */
    final dev.herald.dispatcher.privacy.PersonalDataEraser eraser;
    /** Erasing a person across the stores ({@code DELETE /v1/recipients/{phone}}). */
    final dev.herald.dispatcher.privacy.RecipientErasure erasure;
    /** The admin key made by this start (a first start), to be shown once. */
    final Optional<String> firstKey;

    /**
     * Opens (creating if needed) every store of {@code dataDir}; if one cannot be opened, those
     * already open are closed and the error is thrown.
     *
     * @param dataDir  the data directory
     * @param config   the whole configuration (the unsubscribe links' key settings)
     * @param conf     the configuration read before
     * @param settings {@code herald.service}
     * @param env      the environment ({@code HERALD_API_KEY} for the first admin key)
     * @return the open stores
     * @throws IOException if a store cannot be opened
     */
    static ServiceStores open(Path dataDir, Config config, ServiceConfig conf, ServiceSettings settings,
                              Map<String, String> env) throws IOException {
        return new ServiceStores(dataDir, config, conf, settings, env);
    }

    private ServiceStores(Path dataDir, Config config, ServiceConfig conf, ServiceSettings settings, Map<String, String> env)
            throws IOException {
        try {
            dev.herald.dispatcher.MasterKeySource masterKey = dev.herald.dispatcher.MasterKeySource.resolve(null, env, config);
            HeraldData data = own(HeraldData.at(dataDir, DirectoryOptions.defaults().withCapacity(settings.directoryCapacity())
                    .withMasterKey(masterKey.key().orElse(null)), IndexOptions.defaults(), true));
            directory = data.directory();
            if (directory.encrypted()) {
                LOG.info("personal data is encrypted at rest (AES-256-GCM); master key {} from {}",
                        masterKey.key().get().fingerprint(), masterKey.source());
            } else {
                LOG.warn("{}", dev.herald.dispatcher.MasterKeySource.UNENCRYPTED_WARNING);
            }
            index = data.suppression();
            zones = ZoneIndex.build(directory);
            // recipients the policy can never reach get expired:never-open in campaigns: say so once, at load
            conf.policy().neverOpen(zones.snapshot(), Clock.systemUTC().instant()).forEach(w -> LOG.warn("{}", w));
            Path unsubscribeDir = dataDir.resolve("unsubscribe");
            campaignNumbers = own(CampaignNumbers.open(dataDir.resolve("campaign-numbers.log")));
            links = own(UnsubscribeLinks.open(unsubscribeDir, config, campaignNumbers));
            campaigns = new CampaignStore(dataDir.resolve("campaigns"));
            linkTokens = dev.herald.dispatcher.links.LinkTokens.open(dataDir.resolve("links"), config, campaignNumbers);
            preferences = own(Preferences.open(unsubscribeDir));
            reasons = own(ReasonLog.open(unsubscribeDir, directory.cipher(ReasonLog.PURPOSE)));
            // before the cap ledger: segment-scoped cap rules name uploaded and computed segments
            segments = SegmentStore.open(dataDir);
            rfm = own(dev.herald.dispatcher.segment.rfm.RfmSegments.open(dataDir, conf.rfm(), Clock.systemUTC(),
                    () -> (int) Math.min(Integer.MAX_VALUE, directory.size())));
            segments.computed(rfm);
            checkCapSegments(conf.caps(), segments, rfm);
            // the recipients' frequency preferences are two cap rules beyond the configured ones
            capLedger = own(SendLedger.open(dataDir.resolve("send-ledger"), Preferences.withRules(conf.caps()), conf.ledger(),
                    preferences.segments(new dev.herald.dispatcher.segment.CapSegments(segments))));
            connector = own(SimulatedConnector.open(connectorOptions(dataDir, settings)));
            touches = own(dev.herald.dispatcher.funnel.TouchStore.open(dataDir.resolve(dev.herald.dispatcher.funnel.TouchStore.DIR),
                    touchesCapacity(config, settings.directoryCapacity())));
            deliveries = own(dev.herald.dispatcher.delivery.Deliveries.open(dataDir, campaignNumbers,
                    conf.receipts().capacity(), conf.receipts().earlyWait(), conf.receipts().receiptWait(), Clock.systemUTC(),
                    touches));
            // after the touches and deliveries: closed before them (its writer times clicks from the touches)
            clicks = own(dev.herald.dispatcher.links.Clicks.open(dataDir.resolve("campaigns"),
                    dev.herald.dispatcher.links.ClickRules.fromConfig(config.getConfig("herald.links.classify")),
                    config.getInt("herald.links.queue-capacity"),
                    dev.herald.dispatcher.funnel.TouchStore.deliveredAt(touches, campaignNumbers), Clock.systemUTC(),
                    humanClicksAlsoTo(touches, rfm)));
            deliveries.startSweeping(java.time.Duration.ofHours(1));
            deliveries.untracked(conf.inbound().replyCampaign()); // confirmations to replies
            callbackTokens = dev.herald.dispatcher.delivery.CallbackTokens.open(dataDir.resolve(
                    dev.herald.dispatcher.delivery.Deliveries.DIR));
            replayKeys = own(ReplayGuard.open(dataDir.resolve("inbound"), conf.inbound().replayWindow(), Clock.systemUTC()));
            reviewQueue = own(ReviewQueue.open(dataDir.resolve("inbound")));
            lastSends = own(LastSends.open(dataDir.resolve("last-sends"),
                    (int) Math.min(Integer.MAX_VALUE, settings.directoryCapacity()), campaignNumbers, this::senderOf));
            // HTTP gateways' callbacks name no message-id map entry: their send time is the recipient's last send
            deliveries.sentTimes((campaign, recipient) -> lastSends.of(recipient)
                    .filter(m -> campaignNumbers.existing(m.campaignId()).orElse(-1) == campaign)
                    .map(m -> m.at().getEpochSecond()).orElse(-1L));
            journeys = own(dev.herald.dispatcher.journey.JourneyStore.open(dataDir.resolve("journeys"), Clock.systemUTC()));
            conversions = own(dev.herald.dispatcher.funnel.Conversions.open(dataDir.resolve(
                    dev.herald.dispatcher.funnel.Conversions.DIR)));
            events = own(dev.herald.dispatcher.journey.Events.open(dataDir.resolve(dev.herald.dispatcher.journey.Events.DIR)));
            rfm.follow(conversions, events); // what is new since the last start is copied now
            rfm.schedule();
            if (config.hasPath(PartitionEngine.KEYS_FILE)) {
                // a cluster's partition: the cluster's keys, whose admin key each node adds when it starts
                keys = ApiKeys.openShared(Path.of(config.getString(PartitionEngine.KEYS_FILE)),
                        config.getDuration(PartitionEngine.KEYS_CHECK_EVERY));
                firstKey = Optional.empty();
            } else {
                keys = ApiKeys.open(dataDir);
                firstKey = keys.bootstrap(env.get("HERALD_API_KEY"));
            }
            recordsChanges = !config.hasPath(PartitionEngine.KEYS_FILE);
            audit = own(dev.herald.dispatcher.api.AuditLog.open(dataDir));
            erasures = own(dev.herald.dispatcher.privacy.Erasures.open(dataDir));
            eraser = new dev.herald.dispatcher.privacy.PersonalDataEraser(erasures, touches, preferences, reviewQueue, reasons);
            erasure = new dev.herald.dispatcher.privacy.RecipientErasure(directory, index, eraser, Clock.systemUTC());
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * {@code herald.funnel.touches-capacity}; 0: {@code directoryCapacity}.
     *
     * @throws IllegalArgumentException naming the key if it is missing, not a number or negative
     */
    static long touchesCapacity(Config config, long directoryCapacity) {
        long c;
        try {
            c = config.getLong("herald.funnel.touches-capacity");
        } catch (com.typesafe.config.ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
        if (c < 0) {
            throw new IllegalArgumentException("herald.funnel.touches-capacity must be >= 0 (0: the directory's capacity), got " + c);
        }
        return c == 0 ? directoryCapacity : c;
    }

    /** {@code touches}, also telling the RFM segments of each human click (activity, for the lifecycle stages). */
    private static dev.herald.dispatcher.funnel.Touches humanClicksAlsoTo(dev.herald.dispatcher.funnel.Touches touches,
                                                                          dev.herald.dispatcher.segment.rfm.RfmSegments rfm) {
        return new dev.herald.dispatcher.funnel.Touches() {
            @Override
            public void delivered(int recipient, int campaignNumber, long atMillis) throws IOException {
                touches.delivered(recipient, campaignNumber, atMillis);
            }

            @Override
            public void clicked(int recipient, int campaignNumber, long atMillis) throws IOException {
                touches.clicked(recipient, campaignNumber, atMillis);
                rfm.clicked(recipient, atMillis);
            }

            @Override
            public Optional<dev.herald.dispatcher.funnel.Touches.Touch> lastDelivered(int recipient) {
                return touches.lastDelivered(recipient);
            }

            @Override
            public Optional<dev.herald.dispatcher.funnel.Touches.Touch> lastClicked(int recipient) {
                return touches.lastClicked(recipient);
            }
        };
    }

    /**
     * A cap rule naming an RFM tier or lifecycle stage that is not configured fails the start (naming
     * the rule and the tiers there are); one naming an uploaded segment not stored yet is warned
     * about (the ledger refuses reservations naming it until it is uploaded).
     *
     * @throws IllegalArgumentException naming the rule and the segment
     */
    static void checkCapSegments(dev.herald.throttle.FrequencyCaps caps, SegmentStore segments,
                                 dev.herald.dispatcher.segment.rfm.RfmSegments rfm) throws IOException {
        for (dev.herald.throttle.CapRule rule : caps.rules()) {
            if (rule.segment().isEmpty()) {
                continue;
            }
            String name = rule.segment().get();
            String key = dev.herald.throttle.FrequencyCaps.RULES_PATH + "." + rule.name() + ".segment";
            if (!SegmentStore.isValidName(name)) {
                throw new IllegalArgumentException(key + ": '" + name + "' is not a segment name");
            }
            if (SegmentStore.isComputedName(name)) {
                try {
                    if (!rfm.check(name)) {
                        throw new IllegalArgumentException(key + ": unknown segment '" + name + "': computed segments are "
                                + dev.herald.dispatcher.segment.rfm.RfmSegments.TIERS + "<tier> and "
                                + dev.herald.dispatcher.segment.rfm.RfmSegments.STAGES + "<stage>");
                    }
                } catch (dev.herald.dispatcher.segment.SegmentExpression.UnknownSegmentsException e) {
                    throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
                }
            } else if (segments.meta(name).isEmpty()) {
                LOG.warn("{}: no segment '{}' is stored yet; campaigns the rule applies to are refused by the caps until it is"
                        + " uploaded", key, name);
            }
        }
    }

    private static SimulatedConnectorOptions connectorOptions(Path dataDir, ServiceSettings settings) {
        SimulatedConnectorOptions options = SimulatedConnectorOptions.defaults(dataDir.resolve("connector"))
                .withName(settings.connectorName()).withLatency(settings.latencyMin(), settings.latencyMax())
                .withWindow(settings.window()).withIdempotencyKeys(settings.idempotencyKeys());
        if (settings.maxRate() > 0) {
            options = options.withMaxRate(settings.maxRate(), (int) Math.max(1, settings.maxRate() / 10));
        }
        return options;
    }

    /** A campaign's sender, for opt-out attribution: from its record, or the identity kept beside a damaged one. */
    private Optional<String> senderOf(String campaignId) {
        try {
            return campaigns.load(campaignId).map(CampaignRecord::sender);
        } catch (IOException e) {
            LOG.warn("campaign {} could not be read for opt-out attribution: {}", campaignId, e.toString());
            return campaigns.identity(campaignId).map(CampaignStore.Identity::sender); // kept beside a damaged record
        }
    }

    /** @return {@code resource}, now closed with the stores (before those opened earlier) */
    <T extends AutoCloseable> T own(T resource) {
        opened.add(resource);
        return resource;
    }

    /** Closes everything opened, the last first; a failure to close one is logged and the rest are closed. */
    @Override
    public void close() {
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", opened.get(i), e.toString());
            }
        }
        opened.clear();
    }
}
