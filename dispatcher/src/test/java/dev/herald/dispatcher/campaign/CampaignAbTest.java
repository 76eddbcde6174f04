package dev.herald.dispatcher.campaign;

import static dev.herald.dispatcher.campaign.CampaignFixture.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.dispatcher.connector.ForwardingConnector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.experiment.AbTest;
import dev.herald.dispatcher.experiment.CampaignVariant;
import dev.herald.dispatcher.experiment.ExperimentState;
import dev.herald.dispatcher.experiment.WinnerDecision;
import dev.herald.dispatcher.funnel.Engagement;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

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
 * A/B tests in the campaign actor on a clock the test moves: the decision comes at its instant, not
 * before; {@code stop} records {@code expired:no-winner} for the held; an expiry or a cancel during
 * the wait ends the held like any unsent recipient; a pause across the decision time decides at the
 * resume; the clicks the engagement reports decide the winner; every audience id ends with one outcome.
 */
class CampaignAbTest {

    static final int RECIPIENTS = 20_000;
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

    /** One process: actor system, cap ledger (no caps), connector recording each text, manager. */
    private static final class Node implements AutoCloseable {
        final ActorTestKit kit = ActorTestKit.create();
        final SendLedger capLedger;
        final SimulatedConnector connector;
        final ActorRef<CampaignManager.Command> manager;
        /** Per campaign and recipient, the text sent. */
        final Map<String, String> texts = new ConcurrentHashMap<>();
        final MutableClock clock = new MutableClock(NOW);
        volatile ImmutableRoaringBitmap clicked = new MutableRoaringBitmap();

        /** The campaigns that said their test is due, in order (a coordinated node only). */
        final List<String> due = new java.util.concurrent.CopyOnWriteArrayList<>();

        Node(Path dir) throws IOException {
            this(dir, false);
        }

        /** @param coordinated whether tests are decided by a coordinator ({@link #due}), as a cluster's partitions' are */
        Node(Path dir, boolean coordinated) throws IOException {
            capLedger = SendLedger.open(dir.resolve("caps"), FrequencyCaps.of(List.of()),
                    new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 4, 1 << 16), name -> null);
            connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir.resolve("log")));
            ThrottleShards shards = fx.shards(kit.system(), capLedger);
            ForwardingConnector recording = new ForwardingConnector(connector) {
                @Override
                public CompletionStage<SendResult> send(OutboundMessage m) {
                    String before = texts.put(m.campaignId() + "/" + m.recipientId(), m.text());
                    if (before != null) {
                        throw new AssertionError("recipient " + m.recipientId() + " sent twice");
                    }
                    return delegate().send(m);
                }
            };
            CampaignDeps deps = new CampaignDeps(fx.directory, fx.index, fx.zones, fx.policy, shards, recording, null,
                    dir.resolve("unused"), clock, Duration.ofSeconds(10));
            Engagement engagement = new Engagement() {
                @Override
                public ImmutableRoaringBitmap delivered(String campaignId) {
                    return new MutableRoaringBitmap();
                }

                @Override
                public ImmutableRoaringBitmap clicked(String campaignId) {
                    return clicked;
                }

                @Override
                public ImmutableRoaringBitmap converted(String campaignId) {
                    return new MutableRoaringBitmap();
                }
            };
            manager = kit.spawn(CampaignManager.create(new Campaign.Settings(deps, new CampaignStore(dir.resolve("campaigns")),
                    Duration.ofMillis(50), 2, Duration.ofMillis(50), engagement).withTests(coordinated ? due::add : null)));
        }

        CampaignRecord create(String id, AbTest test, Instant expiresAt, String localTimeOfB) {
            return create(id, test, expiresAt, localTimeOfB, null);
        }

        CampaignRecord create(String id, AbTest test, Instant expiresAt, String localTimeOfB, Instant startAt) {
            List<CampaignVariant> variants = List.of(new CampaignVariant("A", "Variant A for {{first_name}}", null, null, ""),
                    new CampaignVariant("B", "Variant B for {{first_name}}", null, localTimeOfB, ""));
            CampaignRecord r = CampaignRecord.create(id, "ab " + id, CampaignFixture.CHANNEL, CampaignFixture.CATEGORY,
                    CampaignFixture.SENDER, variants.get(0).text(), "", RECIPIENTS, NOW, startAt, expiresAt)
                    .withVariants(variants, test);
            MutableRoaringBitmap audience = new MutableRoaringBitmap();
            audience.add(0L, RECIPIENTS);
            return ask(p -> new CampaignManager.Create(r, audience, p)).getValue();
        }

        StatusReply<CampaignRecord> ask(java.util.function.Function<ActorRef<StatusReply<CampaignRecord>>, CampaignManager.Command> m) {
            TestProbe<StatusReply<CampaignRecord>> probe = kit.createTestProbe();
            manager.tell(m.apply(probe.getRef()));
            return probe.receiveMessage(WAIT);
        }

        CampaignRecord await(String id, Predicate<CampaignRecord> done) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            CampaignRecord r = ask(p -> new CampaignManager.Get(id, p)).getValue();
            while (!done.test(r)) {
                if (System.nanoTime() > deadline) {
                    fail("campaign " + id + " did not get there: " + r);
                }
                Thread.sleep(20);
                r = ask(p -> new CampaignManager.Get(id, p)).getValue();
            }
            return r;
        }

        @Override
        public void close() {
            kit.shutdownTestKit();
            connector.close();
            capLedger.close();
        }
    }

    private static AbTest test(WinnerDecision.NoWinnerPolicy noWinner) {
        return new AbTest(0.1, AbTest.Metric.HUMAN_CLICK, "PT1H", 0.05, 100, noWinner);
    }

    private static long count(CampaignRecord r, String outcome) {
        return r.counts().getOrDefault(outcome, 0L);
    }

    /** The sample is decided (nothing pending or in flight) and the rest held. */
    private static boolean sampled(CampaignRecord r) {
        return r.experiment() != null && count(r, "pending") == 0 && count(r, "claimed") == 0 && count(r, Outcomes.HELD) > 0;
    }

    private static long sampleSize(CampaignRecord r) {
        return r.experiment().sample().values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void decidesOnTheClicksAtItsInstantNotBeforeAndSendsTheRestTheWinnerOnce(@TempDir Path dir) throws Exception {
        try (Node node = new Node(dir)) {
            node.create("ab-clicks", test(WinnerDecision.NoWinnerPolicy.SEND_FIRST), null, null);
            CampaignRecord r = node.await("ab-clicks", CampaignAbTest::sampled);
            assertEquals(RECIPIENTS - sampleSize(r), count(r, Outcomes.HELD), r.toString());
            assertEquals(NOW.plus(Duration.ofHours(1)), r.experiment().decideAt());
            // a third of B's sent recipients clicked, a twentieth of A's
            MutableRoaringBitmap clicks = new MutableRoaringBitmap();
            int a = 0;
            int b = 0;
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(node.texts).entrySet()) {
                if (e.getValue().startsWith("Variant B") && b++ % 3 == 0 || e.getValue().startsWith("Variant A") && a++ % 20 == 0) {
                    clicks.add(Integer.parseInt(e.getKey().substring(e.getKey().indexOf('/') + 1)));
                }
            }
            node.clicked = clicks;
            node.clock.advance(Duration.ofMinutes(59));
            Thread.sleep(300);
            assertNull(node.ask(p -> new CampaignManager.Get("ab-clicks", p)).getValue().experiment().decidedAt(),
                    "not decided before its time");
            node.clock.advance(Duration.ofMinutes(1));
            CampaignRecord done = node.await("ab-clicks", x -> x.experiment().isDecided() && count(x, "pending") == 0
                    && count(x, "claimed") == 0);
            ExperimentState t = done.experiment();
            assertEquals("B", t.send(), t.toString());
            assertEquals(WinnerDecision.Reason.SIGNIFICANT, t.decision().reason());
            assertEquals(ExperimentState.BY_RULE, t.decidedBy());
            assertEquals(0, count(done, Outcomes.HELD));
            // every id has one outcome; the sent ones after the decision got B
            long total = done.counts().entrySet().stream().filter(e -> !e.getKey().equals("pending") && !e.getKey().equals("claimed"))
                    .mapToLong(Map.Entry::getValue).sum();
            assertEquals(RECIPIENTS, total, done.counts().toString());
            long aTexts = node.texts.values().stream().filter(x -> x.startsWith("Variant A")).count();
            long bTexts = node.texts.values().stream().filter(x -> x.startsWith("Variant B")).count();
            // only A's sample got A (some of it deferred by quiet hours, sent A later, after the decision)
            assertTrue(aTexts >= a && aTexts <= done.experiment().sample().get("A"), aTexts + " A texts");
            assertEquals(count(done, "sent"), aTexts + bTexts, "the rest got B");
        }
    }

    @Test
    void stopRecordsNoWinnerForTheHeldAndACancelOrAnExpiryEndsThemLikeAnyUnsent(@TempDir Path dir) throws Exception {
        try (Node node = new Node(dir)) {
            node.create("ab-stop", test(WinnerDecision.NoWinnerPolicy.STOP), null, null);
            node.create("ab-cancel", test(WinnerDecision.NoWinnerPolicy.SEND_BEST), null, null);
            node.create("ab-expire", test(WinnerDecision.NoWinnerPolicy.SEND_BEST), NOW.plus(Duration.ofMinutes(30)), null);
            long heldStop = count(node.await("ab-stop", CampaignAbTest::sampled), Outcomes.HELD);
            long heldCancel = count(node.await("ab-cancel", CampaignAbTest::sampled), Outcomes.HELD);
            long heldExpire = count(node.await("ab-expire", CampaignAbTest::sampled), Outcomes.HELD);

            CampaignRecord cancelled = node.ask(p -> new CampaignManager.Cancel("ab-cancel", p)).getValue();
            cancelled = node.await("ab-cancel", x -> x.status() == CampaignStatus.CANCELLED && count(x, Outcomes.HELD) == 0);
            assertTrue(count(cancelled, "failed:cancelled") >= heldCancel, cancelled.toString());

            node.clock.advance(Duration.ofMinutes(31)); // past ab-expire's end, before the decisions
            CampaignRecord expired = node.await("ab-expire", x -> count(x, Outcomes.HELD) == 0);
            assertTrue(count(expired, Outcomes.EXPIRED) >= heldExpire, expired.toString());
            assertNull(expired.experiment().decidedAt(), "an expired campaign decides nothing");

            node.clock.advance(Duration.ofMinutes(30));
            CampaignRecord stopped = node.await("ab-stop", x -> x.experiment().isDecided() && count(x, Outcomes.HELD) == 0);
            assertNull(stopped.experiment().send());
            assertEquals(heldStop, count(stopped, Outcomes.NO_WINNER), stopped.toString());
        }
    }

    @Test
    void aPauseAcrossTheDecisionTimeDecidesAtTheResumeAndAVariantsLocalTimeDefersItsRecipients(@TempDir Path dir)
            throws Exception {
        try (Node node = new Node(dir)) {
            node.create("ab-pause", test(WinnerDecision.NoWinnerPolicy.SEND_FIRST), null, "03:00");
            CampaignRecord r = node.await("ab-pause", CampaignAbTest::sampled);
            assertTrue(node.texts.values().stream().noneMatch(t -> t.startsWith("Variant B")),
                    "B's recipients wait for 03:00 in their own zone");
            assertTrue(count(r, "deferred") >= r.experiment().sample().get("B") - count(r, "suppressed"), r.toString());
            // the wait starts once the last of the sample is due (B's 03:00 in the last zone)
            Instant decideAt = r.experiment().decideAt();
            assertTrue(decideAt.isAfter(NOW.plus(Duration.ofHours(1))), r.experiment().toString());
            node.ask(p -> new CampaignManager.Pause("ab-pause", p));
            node.clock.set(decideAt.plus(Duration.ofHours(1)));
            Thread.sleep(300);
            assertNull(node.ask(p -> new CampaignManager.Get("ab-pause", p)).getValue().experiment().decidedAt(),
                    "a paused campaign decides nothing");
            node.ask(p -> new CampaignManager.Resume("ab-pause", p));
            CampaignRecord decided = node.await("ab-pause", x -> x.experiment().isDecided());
            assertEquals("A", decided.experiment().send(), "no clicks: not significant, send-first");
            assertTrue(!decided.experiment().decidedAt().isBefore(decideAt.plus(Duration.ofHours(1))));

            // paused before it started: the resume draws the sample all the same
            CampaignRecord later = node.create("ab-later", test(WinnerDecision.NoWinnerPolicy.SEND_FIRST), null, null,
                    node.clock.instant().plus(Duration.ofHours(1)));
            assertEquals(CampaignStatus.SCHEDULED, later.status());
            node.ask(p -> new CampaignManager.Pause("ab-later", p));
            node.ask(p -> new CampaignManager.Resume("ab-later", p));
            CampaignRecord sampled = node.await("ab-later", CampaignAbTest::sampled);
            assertEquals(RECIPIENTS - sampleSize(sampled), count(sampled, Outcomes.HELD), sampled.toString());
        }
    }

    @Test
    void aDecisionStoredBeforeACrashReleasedNobodyIsCarriedOutAtTheRestart(@TempDir Path dir) throws Exception {
        long sentBefore;
        try (Node node = new Node(dir)) {
            node.create("ab-crash", test(WinnerDecision.NoWinnerPolicy.SEND_FIRST), null, null);
            sentBefore = count(node.await("ab-crash", CampaignAbTest::sampled), "sent");
            TestProbe<org.apache.pekko.Done> down = node.kit.createTestProbe();
            node.manager.tell(new CampaignManager.Shutdown(down.getRef()));
            down.receiveMessage(WAIT);
        }
        // as if the process died right after the decision was stored, before the held were released
        CampaignStore store = new CampaignStore(dir.resolve("campaigns"));
        CampaignRecord r = store.load("ab-crash").orElseThrow();
        store.save(r.withExperiment(r.experiment().decided(null, "B", NOW, ExperimentState.BY_OPERATOR)));
        try (Node node = new Node(dir)) {
            CampaignRecord done = node.await("ab-crash", x -> count(x, Outcomes.HELD) == 0 && count(x, "pending") == 0
                    && count(x, "claimed") == 0);
            long b = node.texts.values().stream().filter(t -> t.startsWith("Variant B")).count();
            assertTrue(b > 0, done.toString());
            assertEquals(count(done, "sent") - sentBefore, node.texts.size(), "every send after the restart is in the ledger");
            assertTrue(node.texts.values().stream().noneMatch(t -> t.startsWith("Variant A")), "the held got B, A's sample"
                    + " nothing again");
        }
    }

    @Test
    void aCoordinatedTestNeverDecidesAloneAndTakesTheWholeCampaignsDecisionOnce(@TempDir Path dir) throws Exception {
        try (Node node = new Node(dir, true)) {
            node.create("ab-whole", test(WinnerDecision.NoWinnerPolicy.SEND_FIRST), null, null);
            CampaignRecord r = node.await("ab-whole", CampaignAbTest::sampled);
            MutableRoaringBitmap clicks = new MutableRoaringBitmap();
            int b = 0;
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(node.texts).entrySet()) {
                if (e.getValue().startsWith("Variant B") && b++ % 3 == 0) {
                    clicks.add(Integer.parseInt(e.getKey().substring(e.getKey().indexOf('/') + 1)));
                }
            }
            node.clicked = clicks;
            node.clock.advance(Duration.ofMinutes(59));
            Thread.sleep(300);
            assertTrue(node.due.isEmpty(), "not due before its time: " + node.due);
            node.clock.advance(Duration.ofMinutes(1));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (node.due.size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(node.due.size() >= 3 && node.due.stream().allMatch("ab-whole"::equals),
                    "said due, and again while undecided: " + node.due);
            assertNull(node.ask(p -> new CampaignManager.Get("ab-whole", p)).getValue().experiment().decidedAt(),
                    "a coordinated test never decides alone");

            // its figures: the sample's sent recipients per variant, and the clicks among them
            TestProbe<StatusReply<Campaign.TestFigures>> fp = node.kit.createTestProbe();
            node.manager.tell(new CampaignManager.GetTestFigures("ab-whole", fp.getRef()));
            Campaign.TestFigures f = fp.receiveMessage(WAIT).getValue();
            assertEquals(List.of("A", "B"), f.counts().stream().map(dev.herald.dispatcher.experiment.VariantCounts::variant).toList());
            assertEquals(node.texts.values().stream().filter(t -> t.startsWith("Variant A")).count(), f.counts().get(0).exposed());
            assertEquals(node.texts.values().stream().filter(t -> t.startsWith("Variant B")).count(), f.counts().get(1).exposed());
            assertEquals(0, f.counts().get(0).successes());
            assertEquals(clicks.getLongCardinality(), f.counts().get(1).successes());

            // the whole campaign's figures (here: ten times these) decide; figures that decide otherwise are refused
            List<dev.herald.dispatcher.experiment.VariantCounts> whole = List.of(
                    new dev.herald.dispatcher.experiment.VariantCounts("A", 10 * f.counts().get(0).exposed(), 10),
                    new dev.herald.dispatcher.experiment.VariantCounts("B", 10 * f.counts().get(1).exposed(),
                            10 * f.counts().get(1).successes()));
            WinnerDecision.Decision expected = r.test().rule().decide(whole);
            assertEquals("B", expected.send());
            StatusReply<CampaignRecord> wrong = node.ask(p -> new CampaignManager.ApplyDecision("ab-whole", whole, "A",
                    ExperimentState.BY_RULE, p));
            assertTrue(wrong.isError() && wrong.getError().getMessage().contains("sends B, not A"), wrong.toString());
            StatusReply<CampaignRecord> renamed = node.ask(p -> new CampaignManager.ApplyDecision("ab-whole",
                    List.of(new dev.herald.dispatcher.experiment.VariantCounts("X", 1, 0), whole.get(1)), "B", ExperimentState.BY_RULE, p));
            assertTrue(renamed.isError() && renamed.getError().getMessage().contains("[X, B]"), renamed.toString());
            StatusReply<CampaignRecord> applied = node.ask(p -> new CampaignManager.ApplyDecision("ab-whole", whole, "B",
                    ExperimentState.BY_RULE, p));
            assertTrue(applied.isSuccess(), applied.toString());
            assertEquals(expected, applied.getValue().experiment().decision(), "the whole campaign's decision, stored as is");
            assertEquals(ExperimentState.BY_RULE, applied.getValue().experiment().decidedBy());
            CampaignRecord done = node.await("ab-whole", x -> count(x, Outcomes.HELD) == 0 && count(x, "pending") == 0
                    && count(x, "claimed") == 0);
            assertTrue(node.texts.values().stream().filter(t -> t.startsWith("Variant A")).count() <= r.experiment().sample().get("A"),
                    "the held were not sent A: " + done);
            assertTrue(node.texts.values().stream().filter(t -> t.startsWith("Variant B")).count()
                    > f.counts().get(1).exposed(), "the held were sent B: " + done);
            // given again (a retry): done already; another variant: refused
            assertTrue(node.ask(p -> new CampaignManager.ApplyDecision("ab-whole", whole, "B", ExperimentState.BY_RULE, p))
                    .isSuccess());
            StatusReply<CampaignRecord> other = node.ask(p -> new CampaignManager.ApplyDecision("ab-whole", null, "A",
                    ExperimentState.BY_OPERATOR, p));
            assertTrue(other.isError() && ((CampaignRejection) other.getError()).reason() == CampaignRejection.Reason.CONFLICT,
                    other.toString());
        }
    }
}
