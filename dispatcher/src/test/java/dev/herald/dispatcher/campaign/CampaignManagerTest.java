package dev.herald.dispatcher.campaign;

import static dev.herald.dispatcher.campaign.CampaignFixture.NOW;
import static dev.herald.dispatcher.campaign.CampaignFixture.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.ForwardingConnector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.RateLimit;
import dev.herald.throttle.RateLimiter;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The campaign actors over a real synthetic directory: lifecycle, deferred release, restart,
 * supervision. Each test uses its own slice of ids, so opt-outs in one do not disturb another.
 */
class CampaignManagerTest {

    static final int RECIPIENTS = 40_000;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), RECIPIENTS);
    }

    @AfterAll
    static void close() {
        fx.close();
    }

    /** One "process": an actor system, cap ledger, connector, shards, store and manager. */
    private static final class Node implements AutoCloseable {
        final ActorTestKit kit = ActorTestKit.create();
        final SendLedger capLedger;
        final SimulatedConnector connector;
        final CampaignStore store;
        final ActorRef<CampaignManager.Command> manager;

        Node(Path dir, Clock clock, SimulatedConnectorOptions options, FrequencyCaps caps) throws IOException {
            this(dir, clock, options, caps, null, null);
        }

        /**
         * @param limiter the connector's shared token bucket, or null
         * @param handed  counts the messages handed to the connector, or null
         */
        Node(Path dir, Clock clock, SimulatedConnectorOptions options, FrequencyCaps caps, RateLimiter limiter,
             AtomicInteger handed) throws IOException {
            capLedger = SendLedger.open(dir.resolve("caps"), caps,
                    new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 4, 1 << 16), name -> null);
            connector = SimulatedConnector.open(options);
            ThrottleShards shards = fx.shards(kit.system(), capLedger);
            store = new CampaignStore(dir.resolve("campaigns"));
            Connector sending = handed == null ? connector : new ForwardingConnector(connector) {
                @Override
                public CompletionStage<SendResult> send(OutboundMessage m) {
                    handed.incrementAndGet();
                    return delegate().send(m);
                }
            };
            CampaignDeps deps = new CampaignDeps(fx.directory, fx.index, fx.zones, fx.policy, shards, sending, limiter,
                    dir.resolve("unused"), clock, Duration.ofSeconds(10));
            manager = kit.spawn(CampaignManager.create(new Campaign.Settings(deps, store, Duration.ofMillis(50), 2,
                    Duration.ofMillis(50))));
        }

        Node(Path dir, Clock clock, SimulatedConnectorOptions options) throws IOException {
            this(dir, clock, options, dailyCap());
        }

        CampaignRecord create(String id, ImmutableRoaringBitmap audience, Instant expiresAt) {
            return create(id, audience, expiresAt, null);
        }

        /** @param tps the campaign's own send rate, messages/s, or null */
        CampaignRecord create(String id, ImmutableRoaringBitmap audience, Instant expiresAt, Double tps) {
            CampaignRecord r = CampaignRecord.create(id, "test " + id, CampaignFixture.CHANNEL, CampaignFixture.CATEGORY,
                    CampaignFixture.SENDER, "Hi {{first_name}}, spring sale!", "Reply STOP to opt out",
                    audience.getLongCardinality(), NOW, null, expiresAt).withTps(tps);
            return ask(p -> new CampaignManager.Create(r, audience, p)).getValue();
        }

        StatusReply<CampaignRecord> ask(java.util.function.Function<ActorRef<StatusReply<CampaignRecord>>, CampaignManager.Command> m) {
            TestProbe<StatusReply<CampaignRecord>> probe = kit.createTestProbe();
            manager.tell(m.apply(probe.getRef()));
            return probe.receiveMessage(WAIT);
        }

        CampaignRecord get(String id) {
            return ask(p -> new CampaignManager.Get(id, p)).getValue();
        }

        /** Polls until the campaign's record satisfies {@code done}. */
        CampaignRecord await(String id, Predicate<CampaignRecord> done, Runnable eachPoll) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            CampaignRecord r = get(id);
            while (!done.test(r)) {
                if (System.nanoTime() > deadline) {
                    fail("campaign " + id + " did not get there: " + r);
                }
                eachPoll.run();
                Thread.sleep(20);
                r = get(id);
            }
            return r;
        }

        void shutdown() {
            TestProbe<Done> probe = kit.createTestProbe();
            manager.tell(new CampaignManager.Shutdown(probe.getRef()));
            probe.receiveMessage(WAIT);
        }

        @Override
        public void close() {
            kit.shutdownTestKit();
            connector.close();
            capLedger.close();
        }
    }

    private static FrequencyCaps dailyCap() {
        return FrequencyCaps.of(List.of(new CapRule("daily", 1, CapWindow.calendar(CapWindow.Period.DAY),
                CapScope.MARKETING, Optional.empty(), CapAction.DROP)));
    }

    private static long count(CampaignRecord r, String outcome) {
        return r.counts().getOrDefault(outcome, 0L);
    }

    /** Nothing pending or in flight: only final outcomes and deferred ids left. */
    private static boolean settled(CampaignRecord r) {
        return count(r, "pending") == 0 && count(r, "claimed") == 0;
    }

    private static ImmutableRoaringBitmap slice(int from, int to) {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        b.add((long) from, to);
        return b;
    }

    /** Expected pre-cap decision per id, from the live index, as in {@link CampaignFixture#expectedBeforeCaps}. */
    private static Map<String, List<Integer>> expected(ImmutableRoaringBitmap audience) {
        SuppressionSnapshot snapshot = fx.index.snapshot();
        Map<String, List<Integer>> out = new HashMap<>();
        audience.forEach((org.roaringbitmap.IntConsumer) id ->
                out.computeIfAbsent(fx.expectedBeforeCaps(id, snapshot), k -> new ArrayList<>()).add(id));
        return out;
    }

    private static Map<Integer, Integer> sent(SimulatedConnector connector, String campaign) throws IOException {
        return CampaignFixture.sentCounts(connector, campaign);
    }

    private static void assertNoDuplicates(Map<Integer, Integer> sent) {
        sent.forEach((id, n) -> assertEquals(1, n, "recipient " + id + " was sent " + n + " times"));
    }

    @Test
    void shouldShowACampaignWhoseOutcomeLedgerIsDamagedAsDamagedAndCarryOnWithTheOthers(@TempDir Path dir) throws Exception {
        MutableClock clock = new MutableClock(NOW);
        SimulatedConnectorOptions options = SimulatedConnectorOptions.defaults(dir.resolve("log"));
        try (Node node = new Node(dir, clock, options)) {
            node.create("c-fine", slice(0, 3_000), null);
            node.create("c-ledger", slice(3_000, 6_000), null);
            node.await("c-fine", CampaignManagerTest::settled, () -> { });
            node.await("c-ledger", CampaignManagerTest::settled, () -> { });
            assertEquals(CampaignStatus.RUNNING, node.get("c-ledger").status(), "waits for its deferred recipients");
            node.shutdown();
        }
        Path audience = dir.resolve("campaigns").resolve("c-ledger").resolve(CampaignStore.OUTCOMES).resolve("audience.rbm");
        java.nio.file.Files.write(audience, new byte[(int) java.nio.file.Files.size(audience)]); // zero-filled
        try (Node node = new Node(dir, clock, options)) {
            CampaignRecord bad = node.get("c-ledger");
            assertEquals(CampaignStatus.DAMAGED, bad.status(), bad.toString());
            assertTrue(bad.error().contains("campaigns/c-ledger/outcomes/audience.rbm"), "names the file: " + bad.error());
            assertFalse(bad.error().contains(dir.toString()), "no server path: " + bad.error());
            assertEquals("test c-ledger", bad.name(), "the record itself is fine and shown");
            for (java.util.function.Function<ActorRef<StatusReply<CampaignRecord>>, CampaignManager.Command> steer : List.<
                    java.util.function.Function<ActorRef<StatusReply<CampaignRecord>>, CampaignManager.Command>>of(
                    p -> new CampaignManager.Pause("c-ledger", p), p -> new CampaignManager.Resume("c-ledger", p),
                    p -> new CampaignManager.Cancel("c-ledger", p))) {
                StatusReply<CampaignRecord> r = node.ask(steer);
                assertTrue(r.isError(), "refused: " + r);
                assertEquals(CampaignRejection.Reason.DAMAGED, ((CampaignRejection) r.getError()).reason());
                assertTrue(r.getError().getMessage().contains("audience.rbm"), r.getError().getMessage());
            }
            TestProbe<StatusReply<List<CampaignRecord>>> list = node.kit.createTestProbe();
            node.manager.tell(new CampaignManager.ListAll(list.getRef()));
            List<CampaignRecord> all = list.receiveMessage(WAIT).getValue();
            assertEquals(List.of("c-fine", "c-ledger"), all.stream().map(CampaignRecord::id).toList());
            assertEquals(List.of(CampaignStatus.RUNNING, CampaignStatus.DAMAGED), all.stream().map(CampaignRecord::status).toList());
            // the other campaign carries on: its deferred recipients are released when due
            CampaignRecord fine = node.await("c-fine", r -> r.status() == CampaignStatus.COMPLETED,
                    () -> clock.advance(Duration.ofHours(1)));
            assertEquals(0, count(fine, "deferred"), fine.toString());
            assertEquals(CampaignStatus.DAMAGED, node.get("c-ledger").status());
        }
    }

    @Test
    void shouldRunToTheDeferredThenReleaseThemReCheckedForSuppressionAndCapsAndComplete(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap audience = slice(0, 6_000);
        Map<String, List<Integer>> expected = expected(audience);
        List<Integer> deferred = expected.get("deferred");
        assertTrue(deferred.size() > 300, "fixture: enough deferred recipients, got " + deferred.size());
        MutableClock clock = new MutableClock(NOW);
        // A weekly cap, so a send by "another campaign" while they wait counts at release.
        FrequencyCaps weekly = FrequencyCaps.of(List.of(new CapRule("weekly", 1, CapWindow.rolling(Duration.ofDays(7)),
                CapScope.MARKETING, Optional.empty(), CapAction.DROP)));
        try (Node node = new Node(dir, clock, SimulatedConnectorOptions.defaults(dir.resolve("log")), weekly)) {
            node.create("c-release", audience, null);
            CampaignRecord first = node.await("c-release", CampaignManagerTest::settled, () -> { });
            assertEquals(CampaignStatus.RUNNING, first.status(), "waits for its deferred recipients");
            assertEquals(deferred.size(), count(first, "deferred"));
            assertEquals(expected.get("eligible").size(), count(first, "sent"));

            // While they wait: 50 opt out, 50 others are sent to by another campaign.
            MutableRoaringBitmap optedOut = new MutableRoaringBitmap();
            MutableRoaringBitmap sentElsewhere = new MutableRoaringBitmap();
            for (int i = 0; i < 100; i++) {
                (i % 2 == 0 ? optedOut : sentElsewhere).add(deferred.get(i * (deferred.size() / 100)));
            }
            for (int id : optedOut.toArray()) {
                fx.index.optOut(id, fx.directory.get(id).orElseThrow().e164(), Scope.GLOBAL,
                        ConsentEvidence.of(ConsentSource.KEYWORD));
            }
            ReservationBatch b = node.capLedger.reserve(sentElsewhere,
                    CapContext.marketing(CampaignFixture.CHANNEL, CampaignFixture.CATEGORY, ZoneOffset.UTC), NOW);
            node.capLedger.confirm(b.reserved(), b.stamp());

            // Time passes an hour per poll until everyone deferred has come due and been decided.
            CampaignRecord done = node.await("c-release", r -> r.status() == CampaignStatus.COMPLETED,
                    () -> clock.advance(Duration.ofHours(1)));
            assertEquals(optedOut.getLongCardinality(), count(done, "suppressed:global") - expectedSuppressed(expected, "global"));
            assertEquals(sentElsewhere.getLongCardinality(), count(done, "capped:weekly"));
            assertEquals(0, count(done, "deferred"));
            Map<Integer, Integer> sent = sent(node.connector, "c-release");
            assertNoDuplicates(sent);
            assertEquals(count(done, "sent"), sent.size());
            optedOut.forEach((org.roaringbitmap.IntConsumer) id -> assertTrue(!sent.containsKey(id), "opted out " + id + " was sent"));
            sentElsewhere.forEach((org.roaringbitmap.IntConsumer) id -> assertTrue(!sent.containsKey(id), "capped " + id + " was sent"));
            assertEquals(expected.get("eligible").size() + deferred.size() - 100, sent.size());
            assertEquals(CampaignStatus.COMPLETED, node.store.load("c-release").orElseThrow().status(), "stored");
        }
    }

    /** Suppressed ids per scope among those the fixture already expected suppressed. */
    private static long expectedSuppressed(Map<String, List<Integer>> expected, String scope) {
        SuppressionSnapshot s = fx.index.snapshot();
        return expected.getOrDefault("suppressed", List.of()).stream()
                .filter(id -> s.isSuppressed(id, Scope.GLOBAL)).count();
    }

    @Test
    void shouldExpireWhoWouldBeDeferredPastTheCampaignsEnd(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap audience = slice(6_000, 9_000);
        Map<String, List<Integer>> expected = expected(audience);
        try (Node node = new Node(dir, Clock.fixed(NOW, ZoneOffset.UTC), SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            node.create("c-expire", audience, NOW.plus(Duration.ofMinutes(30)));
            CampaignRecord done = node.await("c-expire", r -> r.status() == CampaignStatus.COMPLETED, () -> { });
            assertEquals(expected.get("deferred").size(), count(done, "expired"));
            assertEquals(expected.get("eligible").size(), count(done, "sent"));
        }
    }

    @Test
    void shouldPauseWithoutFurtherSendsAndResumeWithoutDuplicates(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap audience = slice(9_000, 12_000);
        Map<String, List<Integer>> expected = expected(audience);
        SimulatedConnectorOptions slow = SimulatedConnectorOptions.defaults(dir.resolve("log")).withMaxRate(2_000, 50);
        try (Node node = new Node(dir, Clock.fixed(NOW, ZoneOffset.UTC), slow)) {
            node.create("c-pause", audience, null);
            node.await("c-pause", r -> count(r, "sent") > 200, () -> { });
            StatusReply<CampaignRecord> paused = node.ask(p -> new CampaignManager.Pause("c-pause", p));
            assertEquals(CampaignStatus.PAUSED, paused.getValue().status());
            CampaignRecord drained = node.await("c-pause", r -> count(r, "claimed") == 0, () -> { });
            Thread.sleep(500);
            CampaignRecord later = node.get("c-pause");
            assertEquals(count(drained, "sent"), count(later, "sent"), "no sends while paused");
            assertTrue(count(later, "pending") > 0, "paused with work left: " + later.counts());
            assertEquals(CampaignStatus.PAUSED, node.store.load("c-pause").orElseThrow().status(), "pause is stored");

            assertEquals(CampaignStatus.RUNNING, node.ask(p -> new CampaignManager.Resume("c-pause", p)).getValue().status());
            CampaignRecord done = node.await("c-pause", CampaignManagerTest::settled, () -> { });
            Map<Integer, Integer> sent = sent(node.connector, "c-pause");
            assertNoDuplicates(sent);
            assertEquals(expected.get("eligible").size(), sent.size());
            assertEquals(sent.size(), count(done, "sent"));
        }
    }

    @Test
    void shouldCancelGivingEveryoneLeftFailedCancelledAndRefuseFurtherChanges(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap audience = slice(15_000, 21_000);
        SimulatedConnectorOptions slow = SimulatedConnectorOptions.defaults(dir.resolve("log")).withMaxRate(2_000, 50);
        try (Node node = new Node(dir, Clock.fixed(NOW, ZoneOffset.UTC), slow)) {
            node.create("c-cancel", audience, null);
            node.await("c-cancel", r -> count(r, "sent") > 200, () -> { });
            assertEquals(CampaignStatus.CANCELLED, node.ask(p -> new CampaignManager.Cancel("c-cancel", p)).getValue().status());
            CampaignRecord done = node.await("c-cancel", r -> settled(r) && count(r, "deferred") == 0, () -> { });
            assertTrue(count(done, "failed:cancelled") > 1_000, "most were left: " + done.counts());
            long total = done.counts().entrySet().stream().filter(e -> !e.getKey().equals("pending") && !e.getKey().equals("claimed"))
                    .mapToLong(Map.Entry::getValue).sum();
            assertEquals(audience.getLongCardinality(), total, "everyone has one final outcome: " + done.counts());
            Map<Integer, Integer> sent = sent(node.connector, "c-cancel");
            assertNoDuplicates(sent);
            assertEquals(count(done, "sent"), sent.size());

            StatusReply<CampaignRecord> again = node.ask(p -> new CampaignManager.Resume("c-cancel", p));
            assertTrue(again.isError());
            assertEquals(CampaignRejection.Reason.CONFLICT, assertInstanceOf(CampaignRejection.class, again.getError()).reason());
        }
    }

    @Test
    void shouldResumeARunningCampaignAfterARestartWithoutSendingAnyoneTwice(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap audience = slice(21_000, 24_000);
        Map<String, List<Integer>> expected = expected(audience);
        SimulatedConnectorOptions slow = SimulatedConnectorOptions.defaults(dir.resolve("log")).withMaxRate(2_000, 50);
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        long sentBefore;
        try (Node node = new Node(dir, clock, slow)) {
            node.create("c-restart", audience, null);
            sentBefore = count(node.await("c-restart", r -> count(r, "sent") > 300, () -> { }), "sent");
            node.shutdown();
        }
        CampaignStore store = new CampaignStore(dir.resolve("campaigns"));
        CampaignRecord stored = store.load("c-restart").orElseThrow();
        assertEquals(CampaignStatus.RUNNING, stored.status(), "a graceful shutdown keeps the status");
        assertTrue(count(stored, "pending") > 0, "stopped mid-run: " + stored.counts());
        try (Node node = new Node(dir, clock, slow)) {
            CampaignRecord done = node.await("c-restart", CampaignManagerTest::settled, () -> { });
            assertTrue(count(done, "sent") > sentBefore);
            assertEquals(0, count(done, "unknown"), "a graceful shutdown leaves nothing unknown");
            Map<Integer, Integer> sent = sent(node.connector, "c-restart");
            assertNoDuplicates(sent);
            assertEquals(expected.get("eligible").size(), sent.size());
        }
    }

    @Test
    void shouldShowACampaignWhoseCheckpointIsDamagedAsDamagedAndKeepRunningTheOthers(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap a = slice(27_000, 30_000);
        ImmutableRoaringBitmap b = slice(30_000, 33_000);
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        SimulatedConnectorOptions options = SimulatedConnectorOptions.defaults(dir.resolve("log"));
        try (Node node = new Node(dir, clock, options)) {
            node.create("c-good", a, null);
            node.create("c-bad", b, null);
            node.await("c-good", CampaignManagerTest::settled, () -> { });
            node.await("c-bad", CampaignManagerTest::settled, () -> { });
            node.shutdown();
        }
        Path checkpoint = dir.resolve("campaigns/c-bad/outcomes/checkpoint");
        byte[] bytes = Files.readAllBytes(checkpoint);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(checkpoint, bytes);
        try (Node node = new Node(dir, clock, options)) {
            CampaignRecord bad = node.await("c-bad", r -> r.status() == CampaignStatus.DAMAGED, () -> { });
            assertTrue(bad.error().contains("checkpoint"), "names the damaged file: " + bad.error());
            ImmutableRoaringBitmap c = slice(33_000, 36_000);
            Map<String, List<Integer>> expected = expected(c);
            node.create("c-after", c, null);
            CampaignRecord after = node.await("c-after", CampaignManagerTest::settled, () -> { });
            assertEquals(expected.get("eligible").size(), count(after, "sent"), "other campaigns carry on");
            assertEquals(CampaignStatus.RUNNING, node.get("c-good").status());
        }
    }

    @Test
    void shouldRefuseInvalidDuplicateAndUnknownCampaignsNamingWhatIsWrong(@TempDir Path dir) throws Exception {
        try (Node node = new Node(dir, Clock.fixed(NOW, ZoneOffset.UTC), SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            ImmutableRoaringBitmap audience = slice(36_000, 36_010);
            CampaignRecord badTemplate = CampaignRecord.create("c-bad-template", "x", "sms", "marketing", "demo",
                    "Hi {{first_name", "", 10, NOW, null, null);
            StatusReply<CampaignRecord> r = node.ask(p -> new CampaignManager.Create(badTemplate, audience, p));
            CampaignRejection e = assertInstanceOf(CampaignRejection.class, r.getError());
            assertEquals(CampaignRejection.Reason.INVALID, e.reason());
            assertTrue(e.getMessage().contains("c-bad-template"), e.getMessage());
            assertTrue(Files.notExists(dir.resolve("campaigns/c-bad-template")), "nothing stored half-way");

            CampaignRecord empty = CampaignRecord.create("c-empty", "x", "sms", "marketing", "demo", "Hi", "", 0, NOW, null, null);
            StatusReply<CampaignRecord> r2 = node.ask(p -> new CampaignManager.Create(empty, new MutableRoaringBitmap(), p));
            assertTrue(r2.getError().getMessage().contains("audience is empty"), r2.getError().getMessage());

            node.create("c-once", audience, null);
            CampaignRecord twice = CampaignRecord.create("c-once", "x", "sms", "marketing", "demo", "Hi", "", 10, NOW, null, null);
            assertEquals(CampaignRejection.Reason.CONFLICT, assertInstanceOf(CampaignRejection.class,
                    node.ask(p -> new CampaignManager.Create(twice, audience, p)).getError()).reason());
            assertEquals(CampaignRejection.Reason.NOT_FOUND, assertInstanceOf(CampaignRejection.class,
                    node.ask(p -> new CampaignManager.Get("c-none", p)).getError()).reason());
            assertEquals(CampaignRejection.Reason.NOT_FOUND, assertInstanceOf(CampaignRejection.class,
                    node.ask(p -> new CampaignManager.Pause("../etc", p)).getError()).reason());
        }
    }
    @Test
    void shouldPaceACampaignWhoseTpsIsAboveItsConnectorsRateToTheConnectorsRate(@TempDir Path dir) throws Exception {
        // connector: 50/s, burst 10, 2 of them kept for transactional: 8 at once, then 8 per 160 ms
        // campaign: 1,000/s, burst 50 — alone it would send 50 at once, then 160 per 160 ms
        int sent = pace(dir, slice(37_000, 38_000), 1_000.0, 160, 5);
        assertTrue(sent <= 8 + 5 * 8, "no faster than the connector's 50/s: " + sent);
    }

    @Test
    void shouldPaceACampaignWhoseTpsIsBelowItsConnectorsRateToItsTps(@TempDir Path dir) throws Exception {
        // campaign: 20/s, burst 2: 2 at once, then 2 per 100 ms; the connector alone would allow 8, then 5 per 100 ms
        int sent = pace(dir, slice(38_000, 39_000), 20.0, 100, 5);
        assertTrue(sent <= 2 + 5 * 2, "no faster than its own 20/s: " + sent);
    }

    /**
     * Runs a campaign with {@code tps} on a connector whose shared bucket (50/s, burst 10) runs on
     * a clock only this test moves: first held still, then moved {@code steps} times by
     * {@code stepMs}, each time waiting for a further send. No timing is asserted: the buckets see
     * only the test's clock, so what they may grant is exact; the send stage only has to ask
     * again, which the test waits for (by counting the clock's reads).
     *
     * @return how many messages the connector got by the end
     */
    private static int pace(Path dir, ImmutableRoaringBitmap audience, double tps, long stepMs, int steps) throws Exception {
        AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
        AtomicLong reads = new AtomicLong();
        RateLimiter connectorBucket = new RateLimiter(RateLimit.of(50, 10), () -> {
            reads.incrementAndGet();
            return nanos.get();
        });
        int burst = tps > 50 ? 8 : (int) Math.max(2, Math.ceil(tps * 0.05));
        AtomicInteger handed = new AtomicInteger();
        try (Node node = new Node(dir, Clock.fixed(NOW, ZoneOffset.UTC), SimulatedConnectorOptions.defaults(dir.resolve("log")),
                dailyCap(), connectorBucket, handed)) {
            assertTrue(expected(audience).get("eligible").size() > burst + steps * 8, "enough to send");
            node.create("c-tps", audience, null, tps);
            awaitTrue(() -> handed.get() > 0, "the campaign sends its first burst");
            long asked = reads.get();
            awaitTrue(() -> reads.get() >= asked + 5 || handed.get() > burst, "the send stage asks the buckets again");
            assertTrue(handed.get() <= burst, "the clock stood still: only the first burst, " + burst + ", got " + handed.get());
            for (int i = 0; i < steps; i++) {
                int before = handed.get();
                nanos.addAndGet(stepMs * 1_000_000L);
                awaitTrue(() -> handed.get() > before, "a send after the clock moved " + (i + 1) + " time(s)");
            }
            long last = reads.get();
            awaitTrue(() -> reads.get() >= last + 5, "the send stage asks the buckets again");
            int sent = handed.get();
            System.out.printf("tps %.0f on a 50/s connector: %d sent after %d steps of %d ms%n", tps, sent, steps, stepMs);
            assertEquals(CampaignStatus.CANCELLED, node.ask(p -> new CampaignManager.Cancel("c-tps", p)).getValue().status());
            node.await("c-tps", CampaignManagerTest::settled, () -> { });
            return sent;
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + WAIT + " for: " + what);
            }
            Thread.sleep(5);
        }
    }
}
