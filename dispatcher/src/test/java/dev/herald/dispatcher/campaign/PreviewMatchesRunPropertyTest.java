package dev.herald.dispatcher.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.TestPeer;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A preview's counts equal a real run's outcomes on the same directory, suppressions, cap ledger
 * and instant: random audiences (so random zones and regions), random decision instants (quiet
 * hours open in some zones, closed in others), random cap rules (drop and defer, calendar and
 * rolling windows) over a cap ledger with random earlier sends, with and without an end.
 * Both call the same {@link dev.herald.dispatcher.pipeline.DecisionCore}.
 */
class PreviewMatchesRunPropertyTest {

    private static final int RECIPIENTS = 6_000;
    private static ActorTestKit testKit;
    private static Path root;
    private static CampaignFixture fx;
    private static final AtomicInteger RUNS = new AtomicInteger();

    @BeforeContainer
    static void populate() throws IOException {
        testKit = ActorTestKit.create();
        root = Files.createTempDirectory("herald-preview-run");
        fx = new CampaignFixture(root.resolve("data"), RECIPIENTS);
    }

    @AfterContainer
    static void shutdown() throws IOException {
        testKit.shutdownTestKit();
        fx.close();
        try (var walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 12, seed = "20261206", shrinking = net.jqwik.api.ShrinkingMode.OFF)
    void shouldCountWhatARunDecides(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long seed,
                                    @ForAll @IntRange(min = 0, max = 47) int hoursAfter,
                                    @ForAll @IntRange(min = 0, max = 3) int ruleSet,
                                    @ForAll boolean withEnd) throws Exception {
        Random random = new Random(seed);
        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        double density = 0.02 + random.nextDouble() * 0.2;
        for (int id = 0; id < RECIPIENTS; id++) {
            if (random.nextDouble() < density) {
                audience.add(id);
            }
        }
        if (audience.isEmpty()) {
            audience.add(random.nextInt(RECIPIENTS));
        }
        Instant at = CampaignFixture.NOW.plus(Duration.ofHours(hoursAfter)).plusSeconds(random.nextInt(3_600));
        Instant expiresAt = withEnd ? at.plus(Duration.ofMinutes(30 + random.nextInt(24 * 60))) : null;
        String id = "c-prop-" + RUNS.incrementAndGet();
        CampaignSpec spec = new CampaignSpec(id, "prop " + id, CampaignFixture.CHANNEL, CampaignFixture.CATEGORY,
                CampaignFixture.SENDER, "Hi {{first_name}}", "Reply STOP to opt out", audience, expiresAt);
        Path dir = root.resolve(id);
        try (SendLedger caps = SendLedger.open(dir.resolve("caps"), FrequencyCaps.of(rules(ruleSet)),
                new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 4, 1 << 16), name -> null)) {
            seedEarlierSends(caps, random, at);
            ThrottleShards shards = fx.shards(testKit.system(), caps);
            try {
                CampaignDeps deps = fx.deps(shards, new AcceptAll(), dir.resolve("ledgers"), Clock.fixed(at, ZoneOffset.UTC));
                CampaignPreview.Result preview = CampaignPreview.of(deps, audience, spec.sender(), spec.channel(),
                        spec.category(), at, expiresAt);
                CampaignResult run = CampaignRun.run(testKit.system(), spec, deps).toCompletableFuture().get(60, TimeUnit.SECONDS);

                Map<String, Long> predicted = new TreeMap<>(preview.outcomes());
                Long sendNow = predicted.remove(CampaignPreview.SEND_NOW);
                if (sendNow != null) {
                    predicted.put("sent", sendNow);
                }
                Map<String, Long> decided = new TreeMap<>();
                run.counts().forEach((k, v) -> {
                    if (v > 0) {
                        decided.put(k, v);
                    }
                });
                assertEquals(predicted, decided, "seed " + seed + ", at " + at + ", rules " + ruleSet + ", end " + expiresAt
                        + ", audience " + audience.getCardinality());
            } finally {
                shards.stop();
            }
        }
    }

    /** Rule sets: none; 1 a day (drop); 2 a rolling 6 h (defer) and 1 a week (drop); 1 a day, deferring. */
    private static List<CapRule> rules(int set) {
        List<CapRule> out = new ArrayList<>();
        switch (set) {
            case 1 -> out.add(rule("daily", 1, CapWindow.calendar(CapWindow.Period.DAY), CapAction.DROP));
            case 2 -> {
                out.add(rule("six-hours", 2, CapWindow.rolling(Duration.ofHours(6)), CapAction.DEFER));
                out.add(rule("weekly", 1, CapWindow.calendar(CapWindow.Period.WEEK), CapAction.DROP));
            }
            case 3 -> out.add(rule("daily-defer", 1, CapWindow.calendar(CapWindow.Period.DAY), CapAction.DEFER));
            default -> {
            }
        }
        return out;
    }

    private static CapRule rule(String name, int limit, CapWindow window, CapAction action) {
        return new CapRule(name, limit, window, CapScope.MARKETING, Optional.empty(), action);
    }

    /** Earlier marketing sends for random recipients, at random times in the 30 hours before {@code at}. */
    private static void seedEarlierSends(SendLedger caps, Random random, Instant at) {
        for (int round = 0; round < 3; round++) {
            MutableRoaringBitmap ids = new MutableRoaringBitmap();
            for (int id = 0; id < RECIPIENTS; id++) {
                if (random.nextDouble() < 0.15) {
                    ids.add(id);
                }
            }
            Instant when = at.minus(Duration.ofMinutes(random.nextInt(30 * 60)));
            ReservationBatch b = caps.reserve(ids, CapContext.marketing(CampaignFixture.CHANNEL, CampaignFixture.CATEGORY,
                    ZoneOffset.UTC), when);
            caps.confirm(b.reserved(), b.stamp());
        }
    }

    /** A peer that accepts every message at once. */
    private static final class AcceptAll extends TestPeer {
        private final AtomicLong ids = new AtomicLong();


        AcceptAll() {
            super("accept-all", 64);
        }

        @Override
        public CompletionStage<SendResult> send(OutboundMessage message) {
            return CompletableFuture.completedFuture(new SendResult.Accepted("m-" + ids.incrementAndGet(), 0));
        }
    }
}
