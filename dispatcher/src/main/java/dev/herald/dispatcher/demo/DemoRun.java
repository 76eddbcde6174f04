package dev.herald.dispatcher.demo;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.campaign.CampaignRun;
import dev.herald.dispatcher.campaign.CampaignSpec;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The work of {@code herald demo}: builds (or re-checks) a synthetic audience in a data directory,
 * then runs one marketing campaign to it through the whole {@link CampaignRun} graph to a
 * {@link SimulatedConnector} (no latency, unlimited rate), under the shipped {@code default}
 * quiet-hours policy and the cap {@link #caps()}.
 *
 * <pre>{@code
 * try (HeraldData data = SyntheticAudience.openData(dir, 1_000_000)) {
 *     DemoSummary s = DemoRun.run(data, 1_000_000, "demo-1", Clock.systemUTC(), display);
 * }
 * }</pre>
 *
 * <p>Layout inside the data directory: {@code send-ledger/} (the cap ledger, kept across runs, so
 * a second run on the same day finds everyone already sent to capped), {@code campaigns/<id>/}
 * (outcome ledgers), {@code connector/simulated-accepted.tsv} (the accepted log, appended to).
 *
 * <p>The audience is ids {@code [0, recipients)}: the synthetic lines, deterministic for the seed,
 * get those ids in a directory that only demo runs have written to.
 *
 * <p>Thread-safety: stateless; one run per data directory at a time (its stores are single writer).
 */
public final class DemoRun {
    /** Channel of the demo campaign. */
    public static final String CHANNEL = "sms";
    /** Category of the demo campaign: marketing, so quiet hours and caps apply. */
    public static final String CATEGORY = "marketing";
    /** Sender of the demo campaign (the synthetic audience opts some out of this sender). */
    public static final String SENDER = "demo";
    /** Name of the demo's cap rule, as in the outcome {@code capped:daily}. */
    public static final String CAP_RULE = "daily";

    private static final int SHARDS = 2;
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

    private DemoRun() {
    }

    /** @return the demo's cap: at most 1 marketing message per recipient per local calendar day, excess dropped */
    public static FrequencyCaps caps() {
        return FrequencyCaps.of(List.of(new CapRule(CAP_RULE, 1, CapWindow.calendar(CapWindow.Period.DAY),
                CapScope.MARKETING, Optional.empty(), CapAction.DROP)));
    }

    /**
     * @param data       the data directory, opened with room for {@code recipients}
     * @param recipients audience size, {@code >= 1}
     * @param campaignId a campaign id not used before in {@code data} (else the run resumes it)
     * @param clock      decision time for quiet hours and caps
     * @param display    shows the build, then the sending as recipients decided (any outcome) of {@code recipients}
     * @return what the run did
     * @throws IllegalArgumentException if {@code recipients < 1} or the campaign id is blank
     * @throws IOException              if a store cannot be opened, read or written
     * @throws ExecutionException       if the campaign's stream failed
     * @throws TimeoutException         if the actor system does not terminate within 30 s
     * @throws InterruptedException     if interrupted while waiting
     */
    public static DemoSummary run(HeraldData data, int recipients, String campaignId, Clock clock, ProgressDisplay display)
            throws IOException, ExecutionException, TimeoutException, InterruptedException {
        AudienceSpec audienceSpec = AudienceSpec.defaults().withRecipients(recipients);
        AtomicLong imported = new AtomicLong();
        long buildStart = System.nanoTime();
        AudienceSummary audience;
        try (ProgressDisplay.Phase p = display.start("building directory", "recipients", recipients, imported::get)) {
            audience = SyntheticAudience.of(audienceSpec).populate(data, (phase, done, total) -> {
                if (phase.equals("import")) {
                    imported.set(done);
                }
            });
        }
        long buildMs = (System.nanoTime() - buildStart) / 1_000_000;

        Config config = ConfigFactory.load();
        RecipientDirectory directory = data.directory();
        ZoneIndex zones = ZoneIndex.build(directory);
        QuietHoursPolicy policy = QuietHoursPolicies.fromConfig(config).get("default");
        MutableRoaringBitmap ids = new MutableRoaringBitmap();
        ids.add(0L, recipients);
        CampaignSpec spec = new CampaignSpec(campaignId, "Herald demo " + campaignId, CHANNEL, CATEGORY, SENDER,
                "Hi {{first_name}}, our spring sale starts today!", "Reply STOP to opt out", ids);
        Path root = data.root();
        try (SendLedger capLedger = SendLedger.open(root.resolve("send-ledger"), caps(), SendLedgerOptions.defaults(),
                name -> null);
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(root.resolve("connector")))) {
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "herald-demo", config);
            CampaignResult result;
            try {
                ThrottleShards shards = ThrottleShards.spawn(system, "demo-throttle", capLedger, SHARDS,
                        ThrottleShards.idsPerShard(directory.size(), SHARDS));
                CampaignDeps deps = new CampaignDeps(directory, data.suppression(), zones, policy, shards, connector, null,
                        root.resolve("campaigns"), clock, ASK_TIMEOUT);
                LongAdder decided = new LongAdder();
                try (ProgressDisplay.Phase p = display.start("sending", "decided", recipients, decided::sum)) {
                    result = CampaignRun.run(system, spec, deps, decided).toCompletableFuture().get();
                } finally {
                    shards.stop();
                }
            } finally {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            long elapsedMs = Math.max(1, result.elapsed().toMillis());
            Map<String, Long> outcomes = result.counts().entrySet().stream()
                    .filter(e -> e.getValue() != 0)
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
            return new DemoSummary(campaignId, result.audience(), buildMs, elapsedMs,
                    result.audience() * 1000.0 / elapsedMs, outcomes, peakHeapBytes(), audience, connector.logFile());
        }
    }

    /** @return the sum over heap pools of their peak usage since the JVM started (or the last reset), bytes */
    public static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
