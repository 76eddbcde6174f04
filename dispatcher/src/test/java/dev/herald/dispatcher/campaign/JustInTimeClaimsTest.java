package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.pipeline.JustInTimeClaims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.TestPeer;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Claims made just in time: a group is claimed only right before its hand-over, given back (not
 * left unknown) when the run ends first, and not held claimed while the peer has refused it
 * (throttled) and it waits for its retry; and claimed ids without a recorded answer (what a crash
 * turns unknown) never outnumber the connector's window.
 */
class JustInTimeClaimsTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    /** The first window's throttled answers' Retry-After: longer than the test needs to look at the ledger. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(10);
    /** The later windows' Retry-After: they are only counted at the end, so they need not wait long. */
    private static final Duration LATER_RETRY_AFTER = Duration.ofMillis(50);
    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 6_000);
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        fx.close();
    }

    @Test
    void shouldGiveAClaimedGroupToExactlyOneOfItsHandOverAndTheRunsEnd(@TempDir Path dir) throws Exception {
        ExecutorService io = Executors.newSingleThreadExecutor();
        try (OutcomeLedger ledger = OutcomeLedger.open(dir.resolve("ledger"), CampaignFixture.range(100))) {
            JustInTimeClaims claims = new JustInTimeClaims(ledger, io);
            MutableRoaringBitmap handed = MutableRoaringBitmap.bitmapOf(1, 2, 3);
            MutableRoaringBitmap abandoned = MutableRoaringBitmap.bitmapOf(10, 11);
            long first = claims.claim(handed).toCompletableFuture().get(10, TimeUnit.SECONDS);
            long second = claims.claim(abandoned).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(5, ledger.claimed().getLongCardinality(), "durably claimed before the hand-over");

            assertTrue(claims.take(first), "the first group's hand-over begins");
            assertEquals(abandoned, claims.abandonAll(), "the run ends: only the group not handed over comes back");
            assertFalse(claims.take(second), "a group given back is never handed over");
            assertFalse(claims.take(first), "taken once");
            assertTrue(claims.abandonAll().isEmpty());
        } finally {
            io.shutdown();
        }
    }

    @Test
    void shouldNeverHoldMoreClaimedRecipientsWithoutARecordedAnswerThanTheWindow(@TempDir Path dir) throws Exception {
        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        SuppressionSnapshot snapshot = fx.index.snapshot();
        for (int id = 0; id < 6_000 && audience.getCardinality() < 2_000; id++) {
            if (fx.expectedBeforeCaps(id, snapshot).equals("eligible")) {
                audience.add(id);
            }
        }
        CampaignSpec spec = CampaignFixture.spec("c-bounded", audience);
        ExecutorService peer = Executors.newFixedThreadPool(2);
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             OutcomeLedger ledger = OutcomeLedger.open(dir.resolve("ledger"), audience)) {
            WatchClaims connector = new WatchClaims(ledger, peer);
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            CampaignResult r = CampaignRun.run(testKit.system(), spec, fx.deps(shards, connector, dir.resolve("unused")),
                    ledger, new CampaignRun.Control(), new LongAdder()).toCompletableFuture().get(60, TimeUnit.SECONDS);
            shards.stop();
            assertEquals(audience.getLongCardinality(), r.counts().get(Outcomes.SENT), r.counts().toString());
            assertTrue(connector.transientFailures.get() > 0, "some sends failed transiently and were retried");
            // Answers are written before their window slots are freed, and a transient failure keeps
            // its slot through its backoff: claimed-without-answer stays within the window.
            assertTrue(connector.mostClaimed.get() <= connector.window(),
                    "claimed without a recorded answer at a hand-over: " + connector.mostClaimed.get()
                            + ", window " + connector.window());
            assertTrue(connector.mostClaimed.get() > 0, "the watch saw claims");
        } finally {
            peer.shutdown();
        }
    }

    /**
     * Answers from its own threads, like a peer; every 7th recipient's first send fails
     * transiently; notes, at every hand-over, how many recipients the ledger holds claimed.
     */
    private static final class WatchClaims extends TestPeer {
        private final OutcomeLedger ledger;
        private final ExecutorService peer;
        final Set<Integer> failedOnce = ConcurrentHashMap.newKeySet();
        final AtomicLong transientFailures = new AtomicLong();
        final AtomicLong mostClaimed = new AtomicLong();
        private final AtomicLong accepted = new AtomicLong();

        WatchClaims(OutcomeLedger ledger, ExecutorService peer) {
            super("watch-claims", 64);
            this.ledger = ledger;
            this.peer = peer;
        }

        @Override
        public CompletionStage<SendResult> send(OutboundMessage message) {
            mostClaimed.accumulateAndGet(ledger.claimed().getLongCardinality(), Math::max);
            boolean fail = message.recipientId() % 7 == 0 && failedOnce.add(message.recipientId());
            return CompletableFuture.supplyAsync(() -> {
                if (fail) {
                    transientFailures.incrementAndGet();
                    return new SendResult.TransientFailure("timeout");
                }
                return new SendResult.Accepted("m-" + accepted.incrementAndGet(), 0);
            }, peer);
        }
    }

    /**
     * Throttles every recipient's first send, the first window's with a long Retry-After, the
     * later ones' with a short one; accepts every later send.
     */
    private static final class ThrottleFirst extends TestPeer {
        final Set<Integer> throttled = ConcurrentHashMap.newKeySet();
        final AtomicLong accepted = new AtomicLong();
        final CountDownLatch sawThrottles = new CountDownLatch(1);


        ThrottleFirst() {
            super("throttle-first", 64);
        }

        @Override
        public CompletionStage<SendResult> send(OutboundMessage message) {
            if (throttled.add(message.recipientId())) {
                sawThrottles.countDown();
                Duration after = throttled.size() <= window() ? RETRY_AFTER : LATER_RETRY_AFTER;
                return CompletableFuture.completedFuture(new SendResult.Throttled(after.toNanos()));
            }
            return CompletableFuture.completedFuture(new SendResult.Accepted("m-" + accepted.incrementAndGet(), 0));
        }
    }

    @Test
    void shouldNotKeepARecipientClaimedWhileItWaitsToRetryAThrottledSend(@TempDir Path dir) throws Exception {
        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        SuppressionSnapshot snapshot = fx.index.snapshot();
        for (int id = 0; id < 3_000 && audience.getCardinality() < 200; id++) {
            if (fx.expectedBeforeCaps(id, snapshot).equals("eligible")) {
                audience.add(id);
            }
        }
        CampaignSpec spec = CampaignFixture.spec("c-throttled", audience);
        ThrottleFirst connector = new ThrottleFirst();
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             OutcomeLedger ledger = OutcomeLedger.open(dir.resolve("ledger"), audience)) {
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            CompletionStage<CampaignResult> run = CampaignRun.run(testKit.system(), spec,
                    fx.deps(shards, connector, dir.resolve("unused")), ledger, new CampaignRun.Control(), new LongAdder());
            assertTrue(connector.sawThrottles.await(30, TimeUnit.SECONDS));
            // A window of recipients is handed over and answered throttled (not accepted): while they
            // wait for their retry, a crash must find them pending, not claimed (then unknown).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            while (ledger.pending().getLongCardinality() < audience.getLongCardinality() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, connector.accepted.get(), "no retry yet (Retry-After " + RETRY_AFTER + ")");
            // (the send stage holds at most a window of ids: the rest are not even claimed yet)
            assertEquals(connector.window(), connector.throttled.size(), "a window was handed over and refused");
            assertEquals(0, ledger.claimed().getLongCardinality(), "throttled recipients stay claimed while waiting");
            assertEquals(audience.getLongCardinality(), ledger.pending().getLongCardinality());
            CampaignResult r = run.toCompletableFuture().get(60, TimeUnit.SECONDS);
            shards.stop();
            assertEquals(audience.getLongCardinality(), r.counts().get(Outcomes.SENT), r.counts().toString());
            assertEquals(audience.getLongCardinality(), connector.accepted.get(), "each sent once on its retry");
            assertEquals(0L, r.counts().get("claimed"));
        }
    }
}
