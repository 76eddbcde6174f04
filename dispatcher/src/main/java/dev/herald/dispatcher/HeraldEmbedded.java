package dev.herald.dispatcher;

import dev.herald.dispatcher.campaign.BlockingIo;
import dev.herald.dispatcher.campaign.Campaign;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import com.typesafe.config.Config;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Herald inside an application's own {@link ActorSystem}: the data directory's stores, the
 * throttle shards and the {@link CampaignManager}, to which the application sends the actor
 * protocol's typed messages (create, get, list, pause, resume, cancel, resend, look up) as the HTTP
 * API does. See {@code docs/embedding.md}.
 *
 * <pre>{@code
 * HeraldEmbedded herald = HeraldEmbedded.start(system, Path.of("herald-data"), connector);
 * CompletionStage<CampaignRecord> created = AskPattern.askWithStatus(herald.campaigns(),
 *         replyTo -> new CampaignManager.Create(record, audience, replyTo), Duration.ofSeconds(5), system.scheduler());
 * herald.stop().toCompletableFuture().join(); // before the system terminates
 * }</pre>
 *
 * <p>What it reads from the system's configuration ({@code herald.*} in HOCON, with Herald's
 * defaults from its {@code reference.conf}): the quiet-hours policy {@code default}, the
 * frequency caps and their send ledger, and {@code herald.blocking-io-dispatcher}, where the
 * manager and the campaigns do their file work. It opens the data directory as {@code herald serve}
 * does ({@code directory/}, {@code suppression/}, {@code send-ledger/}, {@code campaigns/}) and
 * carries on every campaign a previous run left unfinished; one process at a time may hold a data
 * directory. Campaigns send through the {@link Connector} given (the application owns and closes
 * it, after {@link #stop}); there is no rate limiter, and templates cannot use
 * {@code {{unsubscribe_url}}} (that is {@code herald serve}'s).
 *
 * <p>Thread-safety: the methods may be called from any thread; {@link #stop} once.
 */
public final class HeraldEmbedded implements AutoCloseable {

    /** Throttle shards started (each owns a range of recipient ids of the cap ledger). */
    public static final int THROTTLE_SHARDS = 2;
    /** How long a campaign waits for a throttle shard, and {@link #stop} for the campaigns to stop. */
    public static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

    private final ActorSystem<?> system;
    private final HeraldData data;
    private final RecipientDirectory directory;
    private final SuppressionIndex suppression;
    private final ZoneIndex zones;
    private final SendLedger capLedger;
    private final ThrottleShards shards;
    private final ActorRef<CampaignManager.Command> campaigns;
    private final CompletableFuture<Done> stopped = new CompletableFuture<>();
    private boolean stopping;

    private HeraldEmbedded(ActorSystem<?> system, HeraldData data, RecipientDirectory directory, SuppressionIndex suppression,
                           ZoneIndex zones, SendLedger capLedger, ThrottleShards shards,
                           ActorRef<CampaignManager.Command> campaigns) {
        this.system = system;
        this.data = data;
        this.directory = directory;
        this.suppression = suppression;
        this.zones = zones;
        this.capLedger = capLedger;
        this.shards = shards;
        this.campaigns = campaigns;
    }

    /**
     * Opens {@code dataDir} (creating it if needed) and starts the throttle shards and the campaign
     * manager as system actors of {@code system} ({@code herald-throttle-<i>}, {@code herald-campaigns}).
     *
     * @param system    the application's actor system; its configuration is read as described above
     * @param dataDir   Herald's data directory
     * @param connector where campaigns send their messages
     * @return the started Herald
     * @throws IOException if a store cannot be opened or is damaged (the error names the file)
     * @throws com.typesafe.config.ConfigException if a {@code herald.*} setting is wrong (naming its key)
     * @throws org.apache.pekko.actor.InvalidActorNameException if Herald already runs in this actor
     *     system (its actors' names are taken); nothing is left open
     */
    public static HeraldEmbedded start(ActorSystem<?> system, Path dataDir, Connector connector) throws IOException {
        Config config = system.settings().config();
        QuietHoursPolicy policy = QuietHoursPolicies.fromConfig(config).get("default");
        FrequencyCaps caps = FrequencyCaps.fromConfig(config);
        SendLedgerOptions ledgerOptions = SendLedgerOptions.fromConfig(config);
        HeraldData data = HeraldData.at(dataDir);
        SendLedger capLedger = null;
        ThrottleShards shards = null;
        try {
            RecipientDirectory directory = data.directory();
            SuppressionIndex suppression = data.suppression();
            ZoneIndex zones = ZoneIndex.build(directory);
            capLedger = SendLedger.open(dataDir.resolve("send-ledger"), caps, ledgerOptions, name -> null);
            shards = ThrottleShards.spawn(system, "herald-throttle", capLedger, THROTTLE_SHARDS,
                    ThrottleShards.idsPerShard(Math.max(directory.size(), 1_000_000), THROTTLE_SHARDS));
            CampaignDeps deps = new CampaignDeps(directory, suppression, zones, policy, shards, connector, null,
                    dataDir.resolve("campaigns"), Clock.systemUTC(), ASK_TIMEOUT);
            Campaign.Settings settings = Campaign.Settings.defaults(deps, new CampaignStore(dataDir.resolve("campaigns")));
            ActorRef<CampaignManager.Command> campaigns = system.systemActorOf(CampaignManager.create(settings),
                    "herald-campaigns", BlockingIo.props());
            return new HeraldEmbedded(system, data, directory, suppression, zones, capLedger, shards, campaigns);
        } catch (IOException | RuntimeException e) {
            if (shards != null) {
                shards.stop();
            }
            if (capLedger != null) {
                capLedger.close();
            }
            data.close();
            throw e;
        }
    }

    /** @return the campaign manager: send it {@link CampaignManager.Command}s */
    public ActorRef<CampaignManager.Command> campaigns() {
        return campaigns;
    }

    /** @return the recipient directory (numbers, zones, personal fields); thread-safe */
    public RecipientDirectory directory() {
        return directory;
    }

    /** @return the suppression index (opt-outs by scope, with their consent evidence); thread-safe */
    public SuppressionIndex suppression() {
        return suppression;
    }

    /**
     * Registers a recipient (or finds the one with that number) and tells quiet hours and caps its zone.
     *
     * @param phone  the number, E.164 or national with a {@code +} country code
     * @param zone   its IANA time zone, or null for the zones of its number
     * @param locale its locale tag, or null
     * @param fields its personal fields (template placeholders), may be empty
     * @return its id, for a campaign's audience
     * @throws IllegalArgumentException naming what is wrong with the number, zone or fields
     */
    public int register(String phone, String zone, String locale, Map<String, String> fields) {
        int id = directory.register(phone, zone, locale, fields).id();
        zones.update(directory);
        return id;
    }

    /**
     * Passivates every campaign (runs drain, each keeps its stored status: the next start carries
     * on), then stops the throttle shards and closes the stores. Call before the actor system terminates.
     *
     * @return completed when everything is closed
     */
    public synchronized CompletionStage<Done> stop() {
        if (stopping) {
            return stopped;
        }
        stopping = true;
        AskPattern.<CampaignManager.Command, Done>ask(campaigns, CampaignManager.Shutdown::new, ASK_TIMEOUT, system.scheduler())
                .whenCompleteAsync((done, failure) -> {
                    shards.stop();
                    try {
                        capLedger.close();
                    } finally {
                        data.close();
                    }
                    if (failure != null) {
                        stopped.completeExceptionally(failure);
                    } else {
                        stopped.complete(Done.getInstance());
                    }
                }, BlockingIo.executor(system)); // closing stores is file work too
        return stopped;
    }

    /** {@link #stop()}, waiting for it. */
    @Override
    public void close() {
        stop().toCompletableFuture().join();
    }
}
