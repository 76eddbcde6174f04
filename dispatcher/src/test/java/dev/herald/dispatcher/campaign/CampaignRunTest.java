package dev.herald.dispatcher.campaign;

import dev.herald.throttle.ZoneSet;
import dev.herald.suppression.Recipient;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.Connector;
import static dev.herald.dispatcher.campaign.CampaignFixture.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.outcome.RecipientOutcome;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.time.Instant;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

class CampaignRunTest {

    static final int DIRECTORY = 200_000;
    static final int AUDIENCE = 50_000;

    private static final ActorTestKit testKit = ActorTestKit.create();
    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        long t = System.nanoTime();
        fx = new CampaignFixture(shared.resolve("data"), DIRECTORY);
        System.out.printf("synthetic audience of %,d in %d ms%n", DIRECTORY, (System.nanoTime() - t) / 1_000_000);
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        fx.close();
    }

    @Test
    void shouldSendExactlyToAudienceMinusSuppressedCappedAndDeferred(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap audience = range(AUDIENCE);
        MutableRoaringBitmap seeded = new MutableRoaringBitmap();
        for (int id = 0; id < AUDIENCE; id += 11) {
            seeded.add(id);
        }
        CampaignSpec spec = CampaignFixture.spec("c-e2e", audience);
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            CampaignFixture.seedSends(capLedger, seeded);
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            CampaignResult result = CampaignRun.run(testKit.system(), spec, fx.deps(shards, connector, dir.resolve("ledgers")))
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            shards.stop();
            connector.close();

            SuppressionSnapshot snapshot = fx.index.snapshot();
            Map<String, Integer> expectedCounts = new HashMap<>();
            Set<Integer> expectedSent = new HashSet<>();
            Map<Integer, String> expected = new HashMap<>();
            for (int id = 0; id < AUDIENCE; id++) {
                String e = fx.expectedBeforeCaps(id, snapshot);
                if (e.equals("eligible")) {
                    e = seeded.contains(id) ? "capped:daily" : Outcomes.SENT;
                }
                expected.put(id, e);
                expectedCounts.merge(e, 1, Integer::sum);
                if (e.equals(Outcomes.SENT)) {
                    expectedSent.add(id);
                }
            }
            System.out.println("expected " + expectedCounts + ", got " + result.counts());
            assertTrue(expectedCounts.getOrDefault("deferred", 0) > 1_000, "the time must close some zones");
            assertTrue(expectedCounts.getOrDefault("capped:daily", 0) > 1_000, "some eligible recipients must be capped");
            assertTrue(expectedCounts.getOrDefault("suppressed", 0) > 1_000, "some recipients must be suppressed");

            Map<Integer, Integer> sent = CampaignFixture.sentCounts(connector, spec.id());
            assertEquals(expectedSent, sent.keySet(), "sent log = audience - suppressed - capped - deferred");
            assertTrue(sent.values().stream().allMatch(n -> n == 1), "nobody twice in the sent log");

            Map<Integer, RecipientOutcome> outcomes = CampaignFixture.outcomes(dir.resolve("ledgers"), spec);
            assertEquals(AUDIENCE, outcomes.size(), "every audience id has an outcome");
            for (int id = 0; id < AUDIENCE; id++) {
                String got = outcomes.get(id).outcome();
                String want = expected.get(id);
                assertTrue(want.equals("suppressed") ? got.startsWith(Outcomes.SUPPRESSED_PREFIX) : want.equals(got),
                        "recipient " + id + ": expected " + want + ", ledger says " + got);
                if (want.equals("deferred")) {
                    assertTrue(outcomes.get(id).deferredUntil().isAfter(CampaignFixture.NOW), "deferred to a later instant");
                }
            }
            long total = result.counts().entrySet().stream()
                    .filter(e -> !e.getKey().equals("claimed") && !e.getKey().equals("pending"))
                    .mapToLong(Map.Entry::getValue).sum();
            assertEquals(AUDIENCE, total, "counts add up to the audience");
            assertEquals(0L, result.counts().getOrDefault("claimed", 0L));
            assertEquals(0L, result.counts().getOrDefault("pending", 0L));
            assertEquals((long) expectedSent.size(), result.counts().get(Outcomes.SENT));
        }
    }

    @Test
    void shouldNotHandOverAMessageWhoseWindowClosedWhileItWaitedForASlowConnector(@TempDir Path dir) throws Exception {
        // 18:40 UTC, then a minute of campaign time per 50 ms of real time: windows close (Europe at
        // 21:00 local) while a rate-limited connector still holds claimed recipients.
        MutableClock clock = new MutableClock(Instant.parse("2026-06-10T18:40:00Z"));
        CampaignSpec spec = CampaignFixture.spec("c-late-window", range(6_000));
        Map<Integer, Instant> handedAt = new ConcurrentHashMap<>();
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector simulated = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir.resolve("log"))
                     .withMaxRate(1_000, 20).withWindow(64))) {
            Connector recording = new Connector() {
                public String name() { return simulated.name(); }
                public double maxRatePerSecond() { return simulated.maxRatePerSecond(); }
                public int window() { return simulated.window(); }
                public CompletionStage<SendResult> send(OutboundMessage m) {
                    handedAt.put(m.recipientId(), clock.instant());
                    return simulated.send(m);
                }
                public void close() { }
            };
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
            ticker.scheduleAtFixedRate(() -> clock.advance(Duration.ofMinutes(1)), 50, 50, TimeUnit.MILLISECONDS);
            CampaignResult result;
            try {
                result = CampaignRun.run(testKit.system(), spec, fx.deps(shards, recording, dir.resolve("ledgers"), clock))
                        .toCompletableFuture().get(120, TimeUnit.SECONDS);
            } finally {
                ticker.shutdownNow();
                shards.stop();
            }
            System.out.println("late-window run: " + result.counts());
            assertTrue(result.counts().getOrDefault("deferred", 0L) > 1_000, "windows closed during the run");
            int checked = 0;
            for (Map.Entry<Integer, Instant> e : handedAt.entrySet()) {
                Recipient r = fx.directory.get(e.getKey()).orElseThrow();
                ZoneSet zs = fx.policy.zonesFor(ZoneSet.forRecipient(r));
                assertTrue(fx.policy.rule(CampaignFixture.CATEGORY, r.region()).isOpen(e.getValue(), zs),
                        "recipient " + e.getKey() + " (" + zs + ") was handed over at " + e.getValue() + ", in quiet hours");
                checked++;
            }
            assertTrue(checked > 1_000, "enough messages went out: " + checked);
        }
    }

    @Test
    void shouldNeverSendTwiceToOneRecipientWhenTwoCampaignsShareADailyCapOfOne(@TempDir Path dir) throws Exception {
        // overlapping ranges of several chunks each, so the two streams interleave their reservations
        MutableRoaringBitmap audienceB = new MutableRoaringBitmap();
        audienceB.add(60_000L, DIRECTORY);
        CampaignSpec a = CampaignFixture.spec("c-overlap-a", range(140_000));
        CampaignSpec b = CampaignFixture.spec("c-overlap-b", audienceB);
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            CampaignDeps deps = fx.deps(shards, connector, dir.resolve("ledgers"));
            CompletableFuture<CampaignResult> ra = CampaignRun.run(testKit.system(), a, deps).toCompletableFuture();
            CompletableFuture<CampaignResult> rb = CampaignRun.run(testKit.system(), b, deps).toCompletableFuture();
            List<CampaignResult> results = List.of(ra.get(60, TimeUnit.SECONDS), rb.get(60, TimeUnit.SECONDS));
            shards.stop();
            connector.close();
            System.out.println("overlapping campaigns: " + results);

            Map<Integer, Integer> sent = CampaignFixture.sentCounts(connector, null);
            assertTrue(sent.values().stream().allMatch(n -> n == 1), "no recipient twice in the sent log");
            SuppressionSnapshot snapshot = fx.index.snapshot();
            Set<Integer> eligible = new HashSet<>();
            long overlapEligible = 0;
            for (int id = 0; id < DIRECTORY; id++) {
                if (fx.expectedBeforeCaps(id, snapshot).equals("eligible")) {
                    eligible.add(id);
                    overlapEligible += id >= 60_000 && id < 140_000 ? 1 : 0;
                }
            }
            assertEquals(eligible, sent.keySet(), "every eligible recipient got exactly one of the two");
            long capped = results.stream().mapToLong(r -> r.counts().getOrDefault("capped:daily", 0L)).sum();
            assertEquals(overlapEligible, capped, "one campaign capped each eligible recipient of the overlap");
            // which campaign wins each overlap chunk depends on timing: printed, not asserted
            System.out.println("capped per campaign: " + results.stream()
                    .map(r -> r.campaignId() + "=" + r.counts().getOrDefault("capped:daily", 0L)).toList());
        }
    }

    @Test
    void shouldReportRecipientsPerSecondForTwoHundredThousand(@TempDir Path dir) throws Exception {
        CampaignSpec spec = CampaignFixture.spec("c-speed", range(DIRECTORY));
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            CampaignResult r = CampaignRun.run(testKit.system(), spec, fx.deps(shards, connector, dir.resolve("ledgers")))
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            shards.stop();
            System.out.printf("%,d recipients end to end in %d ms: %,.0f recipients/s; %s%n", r.processed(),
                    r.elapsed().toMillis(), r.recipientsPerSecond(), r.counts());
            assertEquals(DIRECTORY, r.processed());
        }
    }
}
