package dev.herald.dispatcher.journey;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.ZoneIndex;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A whole Herald "process" for {@link JourneyCrashTest}: the data directory, the campaign pipeline
 * on a rate-limited simulated connector and the journey engine on the real clock. On its first
 * start it creates journey {@value #NAME} (send, delay {@value #DELAY}, send) and stores an entry
 * event per recipient; every start then runs until every instance has ended. Prints
 * {@code PROGRESS <entered> <sent first> <sent second> <accepted first> <accepted second> <waiting>} as it goes, then
 * {@code SETTLED <report as JSON>}.
 *
 * <p>Usage: {@code JourneyCrashChild <root> <recipients>}.
 */
final class JourneyCrashChild {
    static final String NAME = "crash";
    static final String DELAY = "PT3S";
    static final int RATE = 8_000;
    static final int WINDOW = 256;

    private JourneyCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int recipients = Integer.parseInt(args[1]);
        Clock clock = Clock.systemUTC();
        ExecutorService io = Executors.newFixedThreadPool(2);
        try (HeraldData data = SyntheticAudience.openData(root.resolve("data"), recipients);
             SendLedger capLedger = CampaignFixture.capLedger(root.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(root.resolve("log"))
                     .withMaxRate(RATE, 100).withWindow(WINDOW));
             JourneyStore journeys = JourneyStore.open(root.resolve("journeys"), clock);
             Events events = Events.open(root.resolve("journeys"))) {
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "journey-crash-child", ConfigFactory.load());
            ThrottleShards shards = ThrottleShards.spawn(system, "throttle", capLedger, 2,
                    ThrottleShards.idsPerShard(data.directory().size(), 2));
            ZoneIndex zones = ZoneIndex.build(data.directory());
            CampaignDeps campaignDeps = new CampaignDeps(data.directory(), data.suppression(), zones,
                    QuietHoursPolicies.fromConfig(ConfigFactory.load()).get("default"), shards, connector, null,
                    root.resolve("campaigns"), clock, Duration.ofSeconds(10));
            if (journeys.list().isEmpty()) {
                journeys.create(JourneyFixture.JSON.readValue("""
                        {"name": "crash", "entry": {"event": "go"}, "start": "first",
                         "steps": [{"id": "first", "type": "send", "channel": "sms", "category": "transactional",
                                    "sender": "demo", "template": "First {{first_name}}", "next": "wait"},
                           {"id": "wait", "type": "delay", "duration": "%s", "next": "second"},
                           {"id": "second", "type": "send", "channel": "sms", "category": "transactional",
                            "sender": "demo", "template": "Second", "next": "done"},
                           {"id": "done", "type": "exit", "reason": "done"}]}""".formatted(DELAY), JourneyDefinition.class));
                List<Event> batch = new ArrayList<>();
                long now = clock.millis();
                for (int r = 0; r < recipients; r++) {
                    batch.add(new Event("go-" + r, r, "go", now, now, Map.of()));
                    if (batch.size() == 10_000 || r == recipients - 1) {
                        events.record(batch);
                        batch.clear();
                    }
                }
            }
            String id = journeys.list().get(0).id();
            JourneyEngine engine = JourneyEngine.open(new JourneyDeps(root.resolve("journeys"), journeys, events, data.directory(),
                    zones, data.suppression(), name -> Optional.empty(), dev.herald.dispatcher.funnel.Engagement.NONE,
                    new CampaignStepSender(system, campaignDeps, root.resolve("campaigns"), io), clock));
            ActorRef<JourneyRunner.Command> runner = system.systemActorOf(JourneyRunner.create(engine, Duration.ofMillis(100)),
                    "journeys", org.apache.pekko.actor.typed.Props.empty());
            System.out.println("STARTED");
            while (true) {
                JourneyRunner.Answer<Map<String, Object>> a = AskPattern.<JourneyRunner.Command,
                        JourneyRunner.Answer<Map<String, Object>>>ask(runner, r -> new JourneyRunner.Ask<>(
                                e -> JourneyReports.report(e, id), r), Duration.ofSeconds(30), system.scheduler())
                        .toCompletableFuture().get();
                Map<String, Object> report = a.value();
                long entered = ((Number) report.get("entered")).longValue();
                long waiting = ((Number) report.get("waiting")).longValue();
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> steps = (List<Map<String, Object>>) ((List<Map<String, Object>>) report.get("versions"))
                        .get(0).get("steps");
                Map<String, Long> acc = new java.util.HashMap<>();
                SimulatedConnector.scanLog(connector.logFile(), e -> acc.merge(e.campaignId(), 1L, Long::sum));
                System.out.println("PROGRESS " + entered + " " + steps.get(0).get("sent") + " " + steps.get(2).get("sent") + " "
                        + acc.getOrDefault((String) steps.get(0).get("campaign"), 0L) + " "
                        + acc.getOrDefault((String) steps.get(2).get("campaign"), 0L) + " " + waiting);
                System.out.flush();
                if (entered == recipients && waiting == 0 && ((Number) report.get("runs")).intValue() == 0) {
                    System.out.println("SETTLED " + JourneyFixture.JSON.writeValueAsString(report));
                    break;
                }
                Thread.sleep(100);
            }
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get();
        } finally {
            io.shutdownNow();
        }
    }
}
