package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.TestPeer;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.dispatcher.render.Template;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.Priority;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The send stage gives every id exactly one answer: accepted (with the peer's message id),
 * refused for good, retried after throttling or a transient failure until accepted, suppressed
 * at the last check; with just-in-time claims it writes the claimed ids' answers itself.
 */
class SendStageTest {

    /** A 1 ms scheduler tick (10 ms by default), so that a thousand backoffs of 1 ms take about a second. */
    private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("pekko.scheduler.tick-duration = 1ms")
            .withFallback(ActorTestKit.applicationTestConfig()));
    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 2_000);
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        fx.close();
    }

    @Test
    void shouldAnswerEveryIdOnceRetryingWhatThePeerDidNotTake(@TempDir Path dir) throws Exception {
        SuppressionSnapshot snapshot = fx.index.snapshot();
        MutableRoaringBitmap ids = new MutableRoaringBitmap();
        int suppressed = -1;
        for (int id = 0; id < 2_000 && ids.getCardinality() < 300; id++) {
            if (!snapshot.isSuppressed(id, CampaignFixture.SCOPES)) {
                ids.add(id);
            } else if (suppressed < 0) {
                suppressed = id;
                ids.add(id); // suppressed before the stage: caught by its check before the hand-over
            }
        }
        int[] all = ids.toArray();
        long[] stamps = new long[all.length];
        java.util.Arrays.fill(stamps, 42L);
        Moody peer = new Moody();
        ExecutorService io = Executors.newSingleThreadExecutor();
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, ids)) {
            JustInTimeClaims claims = new JustInTimeClaims(ledger, io);
            SendStage.Settings s = new SendStage.Settings(CampaignFixture.spec("c-send", ids), fx.directory, fx.index,
                    CampaignFixture.SCOPES, new Renderer(Template.parse("Hi {{first_name}}"), null), peer, null,
                    Priority.MARKETING, new SendStage.Retry(Duration.ofMillis(1), Duration.ofMillis(5), 5, 5), () -> false, null,
                    claims);
            List<Delivery> out = Source.single(new Claimed(all, stamps)).via(SendStage.flow(testKit.system(), s))
                    .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);

            Map<Integer, Delivery> byId = new HashMap<>();
            out.forEach(d -> assertEquals(null, byId.put(d.recipientId(), d), "one answer per id: " + d));
            assertEquals(all.length, byId.size());
            for (int id : all) {
                Delivery d = byId.get(id);
                assertEquals(42L, d.stamp());
                if (id == suppressed) {
                    assertTrue(d.outcome() instanceof Outcome.Suppressed, d.toString());
                    assertTrue(!d.claimed(), "checked before its group's claim");
                } else if (id % 10 == 3) {
                    assertEquals(new Outcome.Failed("barred"), d.outcome());
                    assertTrue(d.recorded(), "claimed: written before its slot was freed");
                } else {
                    assertEquals(new Outcome.Sent("m-" + id), d.outcome(), "accepted, throttled or transient first: " + id);
                    assertTrue(d.recorded());
                }
            }
            assertEquals(all.length - 1 - countEndingIn3(all, suppressed), peer.accepted.size(), "each accepted once");
            assertEquals(0, ledger.claimed().getLongCardinality(), "every claimed id has its answer in the ledger");
            assertTrue(peer.retried.size() > 0);
        } finally {
            io.shutdown();
        }
    }

    @Test
    void shouldRetryAPeerThatThrottlesAtOnceThousandsOfTimesWithAZeroBackoff() throws Exception {
        // Each retry must not run inside the one before it: thousands of sends deep, the stack overflows.
        assertEveryIdSentAfterThrottles(8, 3_000, Duration.ZERO);
    }

    @Test
    void shouldFinishAGroupThrottledAsOftenAsTheDefaultRetryAllowsWithABackoff() throws Exception {
        // A group retried after a wait completes when its retry does, and that one when its own retry
        // does: 1,000 waits deep, finishing the last must not finish all the others on one stack.
        assertEveryIdSentAfterThrottles(4, SendStage.Retry.defaults().throttledAttempts() - 1, Duration.ofMillis(1));
    }

    /**
     * Sends {@code count} ids to a peer that answers each of them throttled {@code throttles} times
     * (answers complete when returned), with a fixed {@code backoff}: each must come out sent, once,
     * after {@code throttles + 1} sends.
     */
    private static void assertEveryIdSentAfterThrottles(int count, int throttles, Duration backoff) throws Exception {
        SuppressionSnapshot snapshot = fx.index.snapshot();
        MutableRoaringBitmap ids = new MutableRoaringBitmap();
        for (int id = 0; id < 2_000 && ids.getCardinality() < count; id++) {
            if (!snapshot.isSuppressed(id, CampaignFixture.SCOPES)) {
                ids.add(id);
            }
        }
        int[] all = ids.toArray();
        long[] stamps = new long[all.length];
        Stubborn peer = new Stubborn(throttles);
        SendStage.Settings s = new SendStage.Settings(CampaignFixture.spec("c-stubborn", ids), fx.directory, fx.index,
                CampaignFixture.SCOPES, new Renderer(Template.parse("Hi {{first_name}}"), null), peer, null,
                Priority.MARKETING, new SendStage.Retry(backoff, backoff, 1, throttles + 1));
        List<Delivery> out = Source.single(new Claimed(all, stamps)).via(SendStage.flow(testKit.system(), s))
                .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);

        assertEquals(all.length, out.size());
        for (Delivery d : out) {
            assertEquals(new Outcome.Sent("m-" + d.recipientId()), d.outcome(), d.toString());
            assertEquals(throttles + 1, peer.sends.get(d.recipientId()).get(), "sends of " + d.recipientId());
        }
    }

    /** Answers at once (window 4): throttles each id's first {@code throttles} sends, then accepts with id {@code m-<id>}. */
    private static final class Stubborn extends TestPeer {
        private final int throttles;
        final Map<Integer, AtomicInteger> sends = new ConcurrentHashMap<>();

        Stubborn(int throttles) {
            super("stubborn", 4);
            this.throttles = throttles;
        }

        @Override
        public CompletionStage<SendResult> send(OutboundMessage m) {
            int n = sends.computeIfAbsent(m.recipientId(), id -> new AtomicInteger()).incrementAndGet();
            return CompletableFuture.completedFuture(n <= throttles ? new SendResult.Throttled(-1)
                    : new SendResult.Accepted("m-" + m.recipientId(), 0));
        }
    }

    private static int countEndingIn3(int[] ids, int except) {
        int n = 0;
        for (int id : ids) {
            if (id != except && id % 10 == 3) {
                n++;
            }
        }
        return n;
    }

    /** Accepts with id {@code m-<id>}; refuses ids ending in 3; throttles ending in 5 and fails ending in 7 once. */
    private static final class Moody extends TestPeer {
        final Set<Integer> accepted = ConcurrentHashMap.newKeySet();
        final Set<Integer> retried = ConcurrentHashMap.newKeySet();


        Moody() {
            super("moody", 32);
        }

        @Override
        public CompletionStage<SendResult> send(OutboundMessage m) {
            int id = m.recipientId();
            SendResult r;
            if (id % 10 == 3) {
                r = new SendResult.Failed("barred");
            } else if ((id % 10 == 5 || id % 10 == 7) && retried.add(id)) {
                r = id % 10 == 5 ? new SendResult.Throttled(-1) : new SendResult.TransientFailure("timeout");
            } else {
                if (!accepted.add(id)) {
                    throw new AssertionError("accepted twice: " + id);
                }
                r = new SendResult.Accepted("m-" + id, 0);
            }
            return CompletableFuture.supplyAsync(() -> r);
        }
    }
}
