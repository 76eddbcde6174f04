package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.ZoneIndex;
import dev.herald.throttle.QuietHoursPolicies;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A whole Herald "process" for {@link CampaignCrashTest}: opens the data directory, starts the
 * campaign manager (which resumes what the store says is running), creates campaign
 * {@value #CAMPAIGN} if it does not exist yet, and exits 0 once nothing is pending or in flight.
 * Prints {@code STARTED} when the manager runs, then {@code SENT <n>} as it goes.
 *
 * <p>Usage: {@code CampaignCrashChild <data dir> <recipients> [idempotent|plain]}: with
 * {@code idempotent} the simulated connector deduplicates by idempotency key.
 */
final class CampaignCrashChild {
    static final String CAMPAIGN = "crash";
    /** Connector rate: a run over the test's audience takes a few seconds. */
    static final int RATE = 15_000;
    /** The connector's window. */
    static final int WINDOW = 256;

    private CampaignCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int recipients = Integer.parseInt(args[1]);
        boolean idempotent = args.length > 2 && args[2].equals("idempotent");
        Clock clock = Clock.fixed(CampaignFixture.NOW, ZoneOffset.UTC);
        try (HeraldData data = SyntheticAudience.openData(root.resolve("data"), recipients);
             SendLedger capLedger = CampaignFixture.capLedger(root.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(root.resolve("log"))
                     .withMaxRate(RATE, 100).withWindow(WINDOW).withIdempotencyKeys(idempotent))) {
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "crash-child", ConfigFactory.load());
            ThrottleShards shards = ThrottleShards.spawn(system, "throttle", capLedger, 2,
                    ThrottleShards.idsPerShard(data.directory().size(), 2));
            CampaignDeps deps = new CampaignDeps(data.directory(), data.suppression(), ZoneIndex.build(data.directory()),
                    QuietHoursPolicies.fromConfig(ConfigFactory.load()).get("default"), shards, connector, null,
                    root.resolve("unused"), clock, Duration.ofSeconds(10));
            CampaignStore store = new CampaignStore(root.resolve("campaigns"));
            ActorRef<CampaignManager.Command> manager = system.systemActorOf(
                    CampaignManager.create(Campaign.Settings.defaults(deps, store)), "campaigns",
                    org.apache.pekko.actor.typed.Props.empty());
            System.out.println("STARTED");
            System.out.flush();
            if (store.load(CAMPAIGN).isEmpty()) {
                MutableRoaringBitmap audience = new MutableRoaringBitmap();
                audience.add(0L, recipients);
                CampaignRecord r = CampaignRecord.create(CAMPAIGN, "crash test", CampaignFixture.CHANNEL,
                        CampaignFixture.CATEGORY, CampaignFixture.SENDER, "Hi {{first_name}}, spring sale!",
                        "Reply STOP to opt out", recipients, CampaignFixture.NOW, null, null);
                AskPattern.<CampaignManager.Command, StatusReply<CampaignRecord>>ask(manager,
                        p -> new CampaignManager.Create(r, audience, p), Duration.ofSeconds(30), system.scheduler())
                        .toCompletableFuture().get().getValue();
            }
            while (true) {
                CampaignRecord r = AskPattern.<CampaignManager.Command, StatusReply<CampaignRecord>>ask(manager,
                        p -> new CampaignManager.Get(CAMPAIGN, p), Duration.ofSeconds(30), system.scheduler())
                        .toCompletableFuture().get().getValue();
                System.out.println("SENT " + r.counts().getOrDefault("sent", 0L));
                System.out.flush();
                if (r.counts().getOrDefault("pending", 1L) == 0 && r.counts().getOrDefault("claimed", 1L) == 0) {
                    break;
                }
                Thread.sleep(50);
            }
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get();
        }
        System.out.println("SETTLED");
    }
}
