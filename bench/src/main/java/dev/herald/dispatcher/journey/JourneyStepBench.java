package dev.herald.dispatcher.journey;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.campaign.CampaignRun;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.DemoRun;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.harness.AcceptedTally;
import dev.herald.dispatcher.harness.CampaignRig;
import dev.herald.dispatcher.harness.HeapPeaks;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneIndex;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Issue 16's "a step due for 1,000,000 recipients decided at campaign speed (≥ 500,000/s)": a
 * journey's send step whose run holds the whole synthetic audience of {@code herald bench}
 * ({@code --recipients}, ids {@code [0, N)}), sent by {@link CampaignStepSender} — what the journey
 * runner calls with the {@link StepRun} a tick returns — through the campaign pipeline to the
 * simulated connector (no latency, no rate limit), on the same wiring as {@link CampaignRig}'s
 * scenarios (the demo's cap, the {@code default} quiet hours, 2 throttle shards). The same message
 * (template, footer, channel, category, sender) as {@code one-big-campaign}, which is run the same
 * way for comparison: {@code --order step,campaign,…} runs each in turn in one JVM, each in a fresh
 * workspace (fresh cap ledger, outcome ledger and connector log), so the first run is the cold one.
 *
 * <p>A run is timed from the call to the completion of its future (the step: its outcome ledger
 * opened, every id through the graph, the result read back; the campaign: {@code CampaignRun.run}'s
 * own). Decided = every id has an outcome (sent, suppressed, deferred by quiet hours, capped); the
 * bench checks that from the outcome ledger reopened, and {@code sent} against the connector's
 * accepted log.
 *
 * <pre>{@code
 * FLAGS="$(unzip -p bench/target/benchmarks.jar herald-jvm.flags)"
 * java $FLAGS -cp bench/target/benchmarks.jar dev.herald.dispatcher.journey.JourneyStepBench \
 *     --data-dir /tmp/jstep1m --recipients 1000000 --order step,campaign,step,campaign,step,campaign
 * }</pre>
 */
public final class JourneyStepBench {

    static final ObjectMapper JSON = new ObjectMapper();

    private JourneyStepBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = 1_000_000;
        Path dataDir = null;
        String[] order = {"step", "campaign", "step", "campaign", "step", "campaign"};
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option without a value: " + args[args.length - 1]);
        }
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--recipients" -> n = Integer.parseInt(args[i + 1]);
                case "--data-dir" -> dataDir = Path.of(args[i + 1]);
                case "--order" -> order = args[i + 1].split(",");
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--recipients, --data-dir, --order)");
            }
        }
        for (String o : order) {
            if (!o.equals("step") && !o.equals("campaign")) {
                throw new IllegalArgumentException("--order lists step and campaign, got " + o);
            }
        }
        if (dataDir == null) {
            throw new IllegalArgumentException("--data-dir is required (the synthetic audience is built there once)");
        }
        Clock clock = Clock.systemUTC();
        try (HeraldData data = SyntheticAudience.openData(dataDir, n)) {
            long t0 = System.nanoTime();
            SyntheticAudience.of(AudienceSpec.defaults().withRecipients(n)).populate(data, (phase, done, total) -> {
            });
            System.out.printf(Locale.ROOT, "audience of %,d ready in %.1f s (built or checked)%n", n, (System.nanoTime() - t0) / 1e9);
            Config config = ConfigFactory.load();
            ZoneIndex zones = ZoneIndex.build(data.directory());
            var policy = QuietHoursPolicies.fromConfig(config).get("default");
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "journey-step-bench", config);
            ExecutorService io = Executors.newFixedThreadPool(2);
            MutableRoaringBitmap audience = new MutableRoaringBitmap();
            audience.add(0L, n);
            JourneyPlan plan = JourneyPlan.of("j-bench", 1, definition());
            try {
                for (int i = 0; i < order.length; i++) {
                    Path ws = dataDir.resolve("jbench-work").resolve(order[i] + "-" + i);
                    JourneyWaitingBench.deleteTree(ws);
                    Files.createDirectories(ws);
                    SimulatedConnectorOptions copts = SimulatedConnectorOptions.defaults(ws.resolve("connector"));
                    SimulatedConnector connector = SimulatedConnector.open(copts);
                    SendLedger caps = SendLedger.open(ws.resolve("send-ledger"), DemoRun.caps(), SendLedgerOptions.defaults(),
                            segment -> null);
                    ThrottleShards shards = ThrottleShards.spawn(system, "jbench-throttle-" + i, caps, 2,
                            ThrottleShards.idsPerShard(data.directory().size(), 2));
                    CampaignDeps deps = new CampaignDeps(data.directory(), data.suppression(), zones, policy, shards, connector,
                            null, ws.resolve("campaigns"), clock, Duration.ofSeconds(30));
                    String campaignId;
                    Map<String, Long> counts;
                    long elapsedNs;
                    long inner = -1;
                    HeapPeaks.reset();
                    if (order[i].equals("step")) {
                        StepRun run = new StepRun("j-bench", 1, plan, 0, audience, new MutableRoaringBitmap(),
                                ws.resolve("journeys").resolve(JourneyEngine.RUNS).resolve("j-bench").resolve("1"));
                        campaignId = run.campaignId();
                        CampaignStepSender sender = new CampaignStepSender(system, deps, ws.resolve("campaigns"), io);
                        long a = System.nanoTime();
                        StepRun.Result result = sender.run(run).toCompletableFuture().get();
                        elapsedNs = System.nanoTime() - a;
                        try (OutcomeLedger ledger = OutcomeLedger.openExisting(run.ledgerDir())) {
                            counts = new TreeMap<>(ledger.counts());
                            long settled = result.settled().values().stream().mapToLong(b -> b.getLongCardinality()).sum();
                            long deferred = ledger.ids(Outcomes.DEFERRED).getLongCardinality();
                            if (settled + deferred != n || ledger.pending().getLongCardinality() != 0) {
                                throw new IllegalStateException("step run: " + settled + " settled + " + deferred + " deferred of " + n
                                        + ", " + ledger.pending().getLongCardinality() + " pending: " + counts);
                            }
                        }
                    } else {
                        campaignId = "bench-one-big-" + i;
                        long a = System.nanoTime();
                        CampaignResult r = CampaignRun.run(system, CampaignRig.spec(campaignId, audience), deps, new LongAdder())
                                .toCompletableFuture().get();
                        elapsedNs = System.nanoTime() - a;
                        inner = r.elapsed().toMillis();
                        counts = new TreeMap<>(r.counts());
                        if (r.audience() != n || counts.getOrDefault("pending", 0L) != 0) {
                            throw new IllegalStateException("campaign: " + counts);
                        }
                    }
                    long peak = HeapPeaks.read();
                    shards.stop();
                    connector.close();
                    caps.close();
                    AcceptedTally t = AcceptedTally.read(copts.logFile(), Set.of(campaignId));
                    long sent = counts.getOrDefault(Outcomes.SENT, 0L);
                    if (t.accepted() != sent || t.repeated() != 0) {
                        throw new IllegalStateException(order[i] + ": accepted log " + t.accepted() + " (" + t.repeated()
                                + " repeated), sent " + sent);
                    }
                    counts.values().removeIf(v -> v == 0);
                    System.out.printf(Locale.ROOT, "%d %-8s %,d decided in %,d ms = %,.0f decisions/s%s; peak heap %d MiB;"
                                    + " accepted log = sent = %,d; %s%n", i + 1, order[i], n, elapsedNs / 1_000_000,
                            n / (elapsedNs / 1e9), inner >= 0 ? " (CampaignResult.elapsed " + inner + " ms = "
                                    + String.format(Locale.ROOT, "%,.0f/s", n * 1000.0 / Math.max(1, inner)) + ")" : "",
                            peak >> 20, t.accepted(), counts);
                    JourneyWaitingBench.deleteTree(ws);
                }
            } finally {
                io.shutdown();
                io.awaitTermination(10, TimeUnit.SECONDS);
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** One send step with the message of {@code herald bench}'s campaigns ({@link CampaignRig#spec}). */
    static JourneyDefinition definition() throws java.io.IOException {
        String json = "{\"name\": \"Step bench\", \"entry\": {\"event\": \"signed_up\"}, \"reentry\": {\"policy\": \"once\"},"
                + " \"start\": \"hello\", \"steps\": [{\"id\": \"hello\", \"type\": \"send\", \"channel\": \"" + CampaignRig.CHANNEL
                + "\", \"category\": \"" + CampaignRig.CATEGORY + "\", \"sender\": \"" + CampaignRig.SENDER + "\","
                + " \"template\": \"Hi {{first_name}}, our spring sale starts today!\", \"footer\": \"Reply STOP to opt out\"}]}";
        return JSON.readValue(json, JourneyDefinition.class);
    }
}
