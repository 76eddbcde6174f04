package dev.herald.dispatcher.campaign;

import static dev.herald.dispatcher.campaign.CampaignFixture.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.Priority;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
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
 * The resend of {@code unknown} recipients through the actor protocol: the operator's
 * ({@link CampaignManager.ResendUnknown}, at least once) and the campaign's own on a connector that
 * deduplicates by idempotency key. Unknowns are made as a crash makes them: ids claimed in the
 * stored ledger and never given an outcome, then the ledger reopened.
 */
class CampaignResendUnknownTest {

    private static final int RECIPIENTS = 8_000;
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

    /** One "process": actor system, cap ledger (no rules), connector, shards, store and manager. */
    private static final class Node implements AutoCloseable {
        final ActorTestKit kit = ActorTestKit.create();
        final SendLedger capLedger;
        final SimulatedConnector connector;
        final CampaignStore store;
        ActorRef<CampaignManager.Command> manager;
        final CampaignDeps deps;

        Node(Path dir, SimulatedConnectorOptions options) throws IOException {
            capLedger = SendLedger.open(dir.resolve("caps"), FrequencyCaps.of(List.of()),
                    new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 4, 1 << 16), name -> null);
            connector = SimulatedConnector.open(options);
            ThrottleShards shards = fx.shards(kit.system(), capLedger);
            store = new CampaignStore(dir.resolve("campaigns"));
            deps = fx.deps(shards, connector, dir.resolve("unused"), Clock.fixed(NOW, ZoneOffset.UTC));
        }

        void startManager() {
            manager = kit.spawn(CampaignManager.create(new Campaign.Settings(deps, store, Duration.ofMillis(50), 2,
                    Duration.ofMillis(50))));
        }

        <T> StatusReply<T> ask(Function<ActorRef<StatusReply<T>>, CampaignManager.Command> m) {
            TestProbe<StatusReply<T>> probe = kit.createTestProbe();
            manager.tell(m.apply(probe.getRef()));
            return probe.receiveMessage(WAIT);
        }

        CampaignRecord get(String id) {
            return this.<CampaignRecord>ask(p -> new CampaignManager.Get(id, p)).getValue();
        }

        CampaignRecord await(String id, Predicate<CampaignRecord> done) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            CampaignRecord r = get(id);
            while (!done.test(r)) {
                if (System.nanoTime() > deadline) {
                    fail("campaign " + id + " did not get there: " + r);
                }
                Thread.sleep(20);
                r = get(id);
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

    /** Ids of [from, to) that the campaign would send now (not suppressed, not in quiet hours). */
    private static MutableRoaringBitmap eligible(int from, int to) {
        SuppressionSnapshot snapshot = fx.index.snapshot();
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        for (int id = from; id < to; id++) {
            if (fx.expectedBeforeCaps(id, snapshot).equals("eligible")) {
                out.add(id);
            }
        }
        return out;
    }

    private static CampaignRecord record(String id, ImmutableRoaringBitmap audience) {
        return CampaignRecord.create(id, "test " + id, CampaignFixture.CHANNEL, CampaignFixture.CATEGORY,
                CampaignFixture.SENDER, "Hi {{first_name}}, spring sale!", "Reply STOP to opt out",
                audience.getLongCardinality(), NOW, null, null);
    }

    /** Stores the campaign and leaves {@code crashed} claimed without an outcome, as a killed process does. */
    private static void storeWithClaimed(CampaignStore store, String id, ImmutableRoaringBitmap audience,
                                         ImmutableRoaringBitmap crashed) throws IOException {
        store.create(record(id, audience), audience);
        try (OutcomeLedger ledger = OutcomeLedger.openExisting(store.ledgerDir(id))) {
            ledger.claim(crashed);
        }
    }

    private static MutableRoaringBitmap first(ImmutableRoaringBitmap ids, int n) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        org.roaringbitmap.IntIterator it = ids.getIntIterator();
        while (it.hasNext() && out.getCardinality() < n) {
            out.add(it.next());
        }
        return out;
    }

    private static long count(CampaignRecord r, String outcome) {
        return r.counts().getOrDefault(outcome, 0L);
    }

    @Test
    void shouldSendTheUnknownRecipientsOfACompletedCampaignAgainWhenTheOperatorAsks(@TempDir Path dir) throws Exception {
        MutableRoaringBitmap audience = eligible(0, 2_000);
        MutableRoaringBitmap crashed = first(audience, 40);
        try (Node node = new Node(dir, SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            storeWithClaimed(node.store, "c-resend", audience, crashed);
            node.startManager();
            CampaignRecord done = node.await("c-resend", r -> r.status() == CampaignStatus.COMPLETED);
            assertEquals(crashed.getLongCardinality(), count(done, Outcomes.UNKNOWN), "the crash's claims are unknown: " + done);
            assertEquals(audience.getLongCardinality() - crashed.getLongCardinality(), count(done, Outcomes.SENT));

            StatusReply<Campaign.Resent> resent = node.ask(p -> new CampaignManager.ResendUnknown("c-resend", p));
            assertEquals(crashed.getLongCardinality(), resent.getValue().queued());
            assertEquals(0, count(resent.getValue().campaign(), Outcomes.UNKNOWN));
            CampaignRecord again = node.await("c-resend", r -> r.status() == CampaignStatus.COMPLETED && count(r, "pending") == 0);
            assertEquals(0, count(again, Outcomes.UNKNOWN), again.toString());
            assertEquals(audience.getLongCardinality(), count(again, Outcomes.SENT), again.toString());
            Map<Integer, Integer> sent = CampaignFixture.sentCounts(node.connector, "c-resend");
            assertEquals(audience.getLongCardinality(), sent.size());
            crashed.forEach((org.roaringbitmap.IntConsumer) id -> assertEquals(1, sent.get(id), "resent recipient " + id));

            // Nothing left to resend: 0 queued, the campaign stays completed.
            StatusReply<Campaign.Resent> none = node.ask(p -> new CampaignManager.ResendUnknown("c-resend", p));
            assertEquals(0, none.getValue().queued());
            assertEquals(CampaignStatus.COMPLETED, none.getValue().campaign().status());
        }
    }

    @Test
    void shouldRefuseAResendOfAnUnknownOrCancelledOrScheduledCampaign(@TempDir Path dir) throws Exception {
        MutableRoaringBitmap audience = eligible(2_000, 2_500);
        try (Node node = new Node(dir, SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            node.startManager();
            StatusReply<Campaign.Resent> missing = node.ask(p -> new CampaignManager.ResendUnknown("no-such", p));
            assertEquals(CampaignRejection.Reason.NOT_FOUND, assertInstanceOf(CampaignRejection.class, missing.getError()).reason());

            CampaignRecord later = CampaignRecord.create("c-later", "later", CampaignFixture.CHANNEL, CampaignFixture.CATEGORY,
                    CampaignFixture.SENDER, "Hi {{first_name}}", "Reply STOP to opt out", audience.getLongCardinality(), NOW,
                    NOW.plus(Duration.ofDays(1)), null);
            node.<CampaignRecord>ask(p -> new CampaignManager.Create(later, audience, p)).getValue();
            StatusReply<Campaign.Resent> scheduled = node.ask(p -> new CampaignManager.ResendUnknown("c-later", p));
            assertEquals(CampaignRejection.Reason.CONFLICT, assertInstanceOf(CampaignRejection.class, scheduled.getError()).reason());

            node.<CampaignRecord>ask(p -> new CampaignManager.Cancel("c-later", p)).getValue();
            StatusReply<Campaign.Resent> cancelled = node.ask(p -> new CampaignManager.ResendUnknown("c-later", p));
            assertEquals(CampaignRejection.Reason.CONFLICT, assertInstanceOf(CampaignRejection.class, cancelled.getError()).reason());
        }
    }

    @Test
    void shouldResendCrashUnknownsByItselfWhenTheConnectorDeduplicatesByIdempotencyKey(@TempDir Path dir) throws Exception {
        MutableRoaringBitmap audience = eligible(3_000, 5_000);
        MutableRoaringBitmap crashed = first(audience, 60);
        MutableRoaringBitmap reachedPeer = first(crashed, 25);
        SimulatedConnectorOptions options = SimulatedConnectorOptions.defaults(dir.resolve("log")).withIdempotencyKeys(true);
        // The killed process had handed 25 of its 60 claimed recipients over; the peer accepted them.
        try (SimulatedConnector before = SimulatedConnector.open(options)) {
            for (int id : reachedPeer.toArray()) {
                SendResult r = before.send(new OutboundMessage("c-idem", id, fx.directory.get(id).orElseThrow().e164(),
                        CampaignFixture.SENDER, "Hi", Encoding.GSM_7, 1, Priority.MARKETING, CampaignFixture.CHANNEL))
                        .toCompletableFuture().join();
                assertInstanceOf(SendResult.Accepted.class, r);
            }
        }
        try (Node node = new Node(dir, options)) {
            assertTrue(node.connector.supportsIdempotencyKey());
            storeWithClaimed(node.store, "c-idem", audience, crashed);
            node.startManager();
            CampaignRecord done = node.await("c-idem", r -> r.status() == CampaignStatus.COMPLETED);
            assertEquals(0, count(done, Outcomes.UNKNOWN), "resent by the campaign itself: " + done);
            assertEquals(audience.getLongCardinality(), count(done, Outcomes.SENT), done.toString());
            Map<Integer, Integer> sent = CampaignFixture.sentCounts(node.connector, "c-idem");
            assertEquals(audience.getLongCardinality(), sent.size());
            sent.forEach((id, n) -> assertEquals(1, n, "recipient " + id + " is in the accepted log " + n + " times"));
        }
    }
}
