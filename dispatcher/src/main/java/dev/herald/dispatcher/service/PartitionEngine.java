package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.check.DataCheck;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.UnaryOperator;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.Route;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * One partition's Herald: the stores of its folder (a data directory of its own, holding only its
 * recipients), its campaign core spawned as children of the actor that owns the partition, and the
 * whole HTTP API over them, which a cluster node routes requests to in process.
 *
 * <pre>{@code
 * PartitionEngine e = PartitionEngine.open(ctx, folder, config, settings, env);   // on ctx's thread
 * e.api();                        // the API over this partition's data, as `herald serve` answers it
 * e.stop(timeout)                 // campaigns stop and keep their place, then
 *  .thenRun(e::close);            // the stores close (locks released for the next owner)
 * }</pre>
 *
 * <p>Opening runs what {@code herald serve} runs at start, minus the port: the data check, the
 * stores (each takes its exclusive file lock, so a second opener anywhere fails), the connectors
 * and the campaign manager, which resumes every campaign that was running exactly as after a
 * restart ({@code kill -9} included: claimed but unanswered recipients become {@code unknown},
 * never resent).
 *
 * <p>Thread-safety: {@link #open} on the owner's thread; the rest from any thread.
 */
public final class PartitionEngine implements AutoCloseable {

    /**
     * Set by the cluster in a partition's configuration: the cluster's key file, which the
     * partition's API checks keys with ({@link dev.herald.dispatcher.api.ApiKeys#openShared}) instead
     * of a key file of its folder. Its changes through the API are then recorded by the node that
     * forwarded them (once per request), not by the partition.
     */
    public static final String KEYS_FILE = "herald.partition.keys-file";
    /**
     * True in a partition's configuration: its API makes a campaign's slice with none of the audience
     * when the cluster node asks ({@link dev.herald.dispatcher.api.CampaignRoutes#EMPTY_SLICE}).
     */
    public static final String SLICES = "herald.partition.slices";
    /** With {@link #KEYS_FILE}: how often, at most, a key check looks whether the file was replaced. */
    public static final String KEYS_CHECK_EVERY = "herald.partition.keys-check-every";

    private final Path folder;
    private final HeraldService.Assembled parts;

    private PartitionEngine(Path folder, HeraldService.Assembled parts) {
        this.folder = folder;
        this.parts = parts;
    }

    /**
     * @param owner    the actor that owns the partition (its children: throttle, campaigns, journeys)
     * @param folder   the partition's folder
     * @param config   the whole configuration
     * @param settings {@code herald.service} (the directory's capacity: this partition's share)
     * @param env      the environment (the admin key, the master key)
     * @param shared   the node's SMPP connectors, which the partition's campaigns send through
     * @return the open partition
     * @throws IOException if a store cannot be opened (in use by another process: its message says so)
     */
    public static PartitionEngine open(ActorContext<?> owner, Path folder, Config config, ServiceSettings settings,
                                       Map<String, String> env, SharedConnectors shared) throws IOException {
        return open(owner, folder, config, settings, env, shared, null);
    }

    /**
     * As {@link #open(ActorContext, Path, Config, ServiceSettings, Map, SharedConnectors)}, with the
     * campaigns' A/B tests decided by {@code tests} for the whole campaign (a cluster: a partition
     * never decides from its own slice's sample); null: each campaign decides its own.
     */
    public static PartitionEngine open(ActorContext<?> owner, Path folder, Config config, ServiceSettings settings,
                                       Map<String, String> env, SharedConnectors shared,
                                       dev.herald.dispatcher.campaign.TestCoordinator tests) throws IOException {
        ServiceConfig conf = ServiceConfig.read(config, env);
        DataCheck.standard().runAndLog(folder);
        HeraldService.Assembled parts = HeraldService.assemble(folder, config, conf, settings, env, UnaryOperator.identity(), shared,
                dev.herald.dispatcher.metrics.HeraldMetrics.partition(),
                (stores, sending) -> CampaignCore.spawn(owner, folder, conf, settings, stores, sending, tests));
        return new PartitionEngine(folder, parts);
    }

    /** @return campaign {@code id}'s A/B test and its figures now, as {@link CampaignManager.GetTestFigures} answers */
    public CompletionStage<dev.herald.dispatcher.campaign.Campaign.TestFigures> testFigures(String id, Duration timeout) {
        CampaignCore core = parts.core();
        return AskPattern.askWithStatus(core.manager(),
                (org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<
                        dev.herald.dispatcher.campaign.Campaign.TestFigures>> r) -> new CampaignManager.GetTestFigures(id, r),
                timeout, core.system().scheduler());
    }

    /** Applies the whole campaign's decision of campaign {@code id}'s A/B test ({@link CampaignManager.ApplyDecision}). */
    public CompletionStage<dev.herald.dispatcher.campaign.CampaignRecord> applyTestDecision(String id,
            java.util.List<dev.herald.dispatcher.experiment.VariantCounts> counts, String send, String by, Duration timeout) {
        CampaignCore core = parts.core();
        return AskPattern.askWithStatus(core.manager(),
                (org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<
                        dev.herald.dispatcher.campaign.CampaignRecord>> r) -> new CampaignManager.ApplyDecision(id, counts, send, by, r),
                timeout, core.system().scheduler());
    }

    /** @return the partition's whole HTTP API (sealed: errors as JSON, 404/405 for the rest) */
    public Route api() {
        return parts.api();
    }

    /**
     * @return the partition's metrics: its campaigns, stores, connectors and HTTP requests, without
     *         the JVM's series (the node shows those once); closed with the stores
     */
    public dev.herald.dispatcher.metrics.HeraldMetrics metrics() {
        return parts.metrics();
    }

    /**
     * @return where the peer events of the partition's messages go: ids the SMSC gave them, their
     *         receipts, and its recipients' replies (each call returns once durable, as
     *         {@link dev.herald.dispatcher.connector.PeerEvents} says)
     */
    public dev.herald.dispatcher.connector.PeerEvents peer() {
        return parts.peer();
    }

    /** @return whether message id {@code key} of {@code connector} is one of this partition's messages */
    public boolean sent(String connector, String key) {
        return parts.stores().deliveries.ids().get(connector, key).isPresent();
    }

    /**
     * @return the receipt this partition holds for message id {@code key} of {@code connector},
     *         whose id it does not know (another partition's message, its route not here yet)
     */
    public java.util.Optional<dev.herald.dispatcher.connector.PeerEvents.Receipt> heldReceipt(String connector, String key) {
        return parts.stores().deliveries.heldReceipt(connector, key);
    }

    /**
     * Receipt {@code receipt}, held for {@code key} of {@code connector}, was stored by the
     * partition that sent it (another receipt for the key that replaced it meanwhile stays held).
     */
    public void forwarded(String connector, String key, dev.herald.dispatcher.connector.PeerEvents.Receipt receipt)
            throws IOException {
        parts.stores().deliveries.forwarded(connector, key, receipt);
    }

    /**
     * Holds a receipt whose id is another partition's (its route not here yet) durably, as an early
     * receipt is held, without counting it: the partition that sent the message counts it when it
     * is handed over.
     */
    public void hold(String connector, dev.herald.dispatcher.connector.PeerEvents.Receipt receipt) throws IOException {
        parts.stores().deliveries.receipt(connector, receipt);
    }

    /** @return {@code [connector, id key]} of every receipt this partition holds for an id it does not know */
    public java.util.List<String[]> heldIds() {
        return parts.stores().deliveries.heldIds();
    }

    /**
     * The callback token of a part of this partition's message through HTTP gateway
     * {@code connector} (what the gateway's receipt callback brings back).
     *
     * @param of 0 for a JSON gateway's message token (no parts), else the message's parts
     */
    public String callbackToken(String connector, String campaignId, int recipient, int part, int of) {
        ServiceStores stores = parts.stores();
        int campaign = stores.campaignNumbers.numberOf(campaignId);
        return of == 0 ? stores.callbackTokens.sign(connector, campaign, recipient)
                : stores.callbackTokens.sign(connector, campaign, recipient, part, of);
    }

    /** @return how many recipients the partition's directory holds */
    public long recipients() {
        return parts.stores().directory.size();
    }

    /** @return the partition's RFM and lifecycle segments (a cluster recompute's partition half) */
    public dev.herald.dispatcher.segment.rfm.RfmSegments rfm() {
        return parts.stores().rfm;
    }

    /** @return the partition's folder */
    public Path folder() {
        return folder;
    }

    /**
     * One slice of a CSV upload of segment {@code name} (a header line and this partition's lines)
     * into the partition's directory. Blocking: call it off the default dispatcher.
     *
     * @param csv      the slice as CSV text, header first
     * @param listener told of each line accepted or rejected (line numbers within {@code csv})
     * @return the importer's counts
     * @throws IllegalArgumentException if the header has no phone column (its message says so)
     * @throws IOException              if the directory cannot be written
     */
    public ImportReport importCsv(String name, String csv, ImportListener listener) throws IOException {
        try (Reader reader = new java.io.StringReader(csv)) {
            return parts.stores().directory.importCsv(reader, "upload of segment " + name, listener);
        }
    }

    /**
     * Stores segment {@code name} with the ids this partition took from an upload (possibly none: a
     * campaign on the segment then has nobody here, rather than failing for an unknown segment).
     */
    public SegmentStore.Meta putSegment(String name, ImmutableRoaringBitmap ids, long lines, long rejected,
                                        java.util.List<String> fields) throws IOException {
        return parts.stores().segments.put(name, ids, lines, rejected, fields);
    }

    /**
     * Stops every campaign (each records what was answered and keeps its status), at most
     * {@code timeout}; the stores stay open until {@link #close}.
     */
    public CompletionStage<Done> stop(Duration timeout) {
        CampaignCore core = parts.core();
        return AskPattern.<CampaignManager.Command, Done>ask(core.manager(), CampaignManager.Shutdown::new, timeout,
                core.system().scheduler()).exceptionally(e -> Done.getInstance());
    }

    /** Stops the throttle shards and closes the stores, the last opened first; their locks are released. */
    @Override
    public void close() {
        parts.core().shards().stop();
        parts.stores().close();
    }
}
