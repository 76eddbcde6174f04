package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.connector.WindowedConnector;
import static dev.herald.dispatcher.campaign.CampaignFixture.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.outcome.RecipientOutcome;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CampaignRunFaultTest {

    static final int AUDIENCE = 10_000;

    private static final ActorTestKit testKit = ActorTestKit.create();
    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 20_000);
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        fx.close();
    }

    private static List<Integer> eligible() {
        SuppressionSnapshot snapshot = fx.index.snapshot();
        List<Integer> out = new ArrayList<>();
        for (int id = 0; id < AUDIENCE; id++) {
            if (fx.expectedBeforeCaps(id, snapshot).equals("eligible")) {
                out.add(id);
            }
        }
        return out;
    }

    @Test
    void shouldRetryThrottledAndTransientSendsWithoutLossOrDuplicatesAndSayWhyOthersFailed(@TempDir Path dir) throws Exception {
        CampaignSpec spec = CampaignFixture.spec("c-faults", range(AUDIENCE));
        Set<Integer> eligible = new HashSet<>(eligible());
        SimulatedConnectorOptions options = SimulatedConnectorOptions.defaults(dir.resolve("log"))
                .withThrottleRate(0.10).withFailureRate(0.03).withTransientFailureRate(0.05).withSeed(7);
        System.out.println("connector seed 7: throttle 10%, failure 3%, transient 5%");
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(options)) {
            Map<Integer, Long> handedOver = new ConcurrentHashMap<>();
            AtomicLong calls = new AtomicLong();
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            CampaignResult r = CampaignRun.run(testKit.system(), spec,
                            fx.deps(shards, new RecordingConnector(connector, handedOver, calls), dir.resolve("ledgers")))
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            shards.stop();
            connector.close();
            System.out.println("faulty connector: " + r.counts());

            Map<Integer, Integer> sent = CampaignFixture.sentCounts(connector, spec.id());
            assertTrue(sent.values().stream().allMatch(n -> n == 1), "nobody twice in the sent log");
            Map<Integer, RecipientOutcome> outcomes = CampaignFixture.outcomes(dir.resolve("ledgers"), spec);
            assertEquals(AUDIENCE, outcomes.size(), "every audience id has an outcome");
            long failed = 0;
            for (int id : eligible) {
                String o = outcomes.get(id).outcome();
                if (sent.containsKey(id)) {
                    assertEquals(Outcomes.SENT, o, "accepted recipient " + id);
                } else {
                    assertTrue(o.startsWith(Outcomes.FAILED_PREFIX) && o.length() > Outcomes.FAILED_PREFIX.length(),
                            "recipient " + id + " neither sent nor failed with a reason: " + o);
                    assertFalse(o.equals(Outcomes.failed("throttled")), "throttled sends are retried until accepted");
                    failed++;
                }
            }
            assertTrue(sent.keySet().stream().allMatch(eligible::contains), "only eligible recipients were sent");
            assertTrue(failed > 0, "the connector's permanent failures show as failed:<reason>");
            assertTrue(sent.size() > eligible.size() * 0.9, "throttled and transient ones were sent on retry");
            assertTrue(calls.get() > handedOver.size() + eligible.size() / 20, "retries happened: " + calls + " sends for "
                    + handedOver.size() + " recipients");
        }
    }

    @Test
    void shouldNotHandOverAMessageToARecipientAfterTheirOptOutReturned(@TempDir Path dir) throws Exception {
        CampaignSpec spec = CampaignFixture.spec("c-optout", range(AUDIENCE));
        List<Integer> eligible = eligible();
        List<Integer> victims = new ArrayList<>();
        for (int i = eligible.size() / 20; i < eligible.size(); i += 25) {
            victims.add(eligible.get(i));
        }
        SimulatedConnectorOptions options = SimulatedConnectorOptions.defaults(dir.resolve("log"))
                .withLatency(Duration.ofMillis(2)).withWindow(16);
        Map<Integer, Long> handedOver = new ConcurrentHashMap<>();
        Map<Integer, Long> optOutReturned = new ConcurrentHashMap<>();
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector simulated = SimulatedConnector.open(options)) {
            Connector recording = new RecordingConnector(simulated, handedOver, new AtomicLong());
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            CompletableFuture<CampaignResult> run = CampaignRun.run(testKit.system(), spec,
                    fx.deps(shards, recording, dir.resolve("ledgers"))).toCompletableFuture();
            Thread optOuts = new Thread(() -> {
                try {
                    for (int id : victims) {
                        fx.index.optOut(id, fx.directory.get(id).orElseThrow().e164(), Scope.sender(CampaignFixture.SENDER),
                                ConsentEvidence.of(ConsentSource.KEYWORD));
                        optOutReturned.put(id, System.nanoTime());
                        Thread.sleep(2);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "opt-outs");
            optOuts.start();
            CampaignResult r = run.get(60, TimeUnit.SECONDS);
            optOuts.join();
            shards.stop();
            simulated.close();
            System.out.println("opt-outs mid-campaign: " + victims.size() + " opt-outs, " + r.counts());

            Map<Integer, Integer> sent = CampaignFixture.sentCounts(simulated, spec.id());
            assertTrue(sent.values().stream().allMatch(n -> n == 1), "nobody twice in the sent log");
            Map<Integer, RecipientOutcome> outcomes = CampaignFixture.outcomes(dir.resolve("ledgers"), spec);
            assertEquals(AUDIENCE, outcomes.size(), "every audience id has an outcome");
            int caught = 0;
            for (int id : victims) {
                Long handed = handedOver.get(id);
                if (handed != null) {
                    // The check right before hand-over may pass a moment before the opt-out returns, and the
                    // hand-over be stamped a moment after: allow that scheduling gap (20 ms). A missing
                    // re-check would show up far later (the campaign runs for about a second).
                    assertTrue(handed < optOutReturned.get(id) + HANDOVER_GAP_NANOS, "recipient " + id
                            + " was handed to the connector " + (handed - optOutReturned.get(id)) / 1000
                            + " µs after their opt-out returned");
                } else {
                    assertEquals(Outcomes.suppressed("sender:demo"), outcomes.get(id).outcome());
                    caught++;
                }
            }
            System.out.println(caught + " of " + victims.size() + " opt-outs caught mid-campaign by the last check");
            assertTrue(caught > 0, "some opt-outs must land before their recipient's send, or the test proves nothing");
        }
    }

    /**
     * A campaign shares its connector with other sends that fill the connector's window, so its
     * first messages pass every check and then wait for a window slot. Their recipients opt out
     * while they wait. When the window frees, none of them may be handed over: the last check must
     * come after the wait, not before it.
     */
    @Test
    void shouldNotHandOverAMessageThatWaitedForASharedWindowAfterItsRecipientOptedOut(@TempDir Path dir) throws Exception {
        List<Integer> eligible = eligible();
        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        for (int i = 0; i < 100; i++) {
            audience.add(eligible.get(eligible.size() - 1 - i));
        }
        GateConnector gate = new GateConnector(8);
        WindowedConnector shared = WindowedConnector.wrap(gate);
        // Another campaign's sends, unanswered: they hold the whole window.
        List<OutboundMessage> other = new ArrayList<>();
        for (int i = 0; i < gate.window(); i++) {
            other.add(new OutboundMessage("c-other", i, "+447400100" + (100 + i), "demo", "hello",
                    dev.herald.dispatcher.render.Encoding.GSM_7, 1, dev.herald.throttle.Priority.MARKETING, "sms"));
        }
        CompletableFuture<List<SendResult>> otherAnswers = shared.sendAll(other).toCompletableFuture();
        assertEquals(gate.window(), gate.handedOver("c-other").size(), "the other sends hold the window");
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"))) {
            ThrottleShards shards = fx.shards(testKit.system(), capLedger);
            CampaignSpec spec = CampaignFixture.spec("c-window", audience);
            CompletableFuture<CampaignResult> run = CampaignRun.run(testKit.system(), spec,
                    fx.deps(shards, shared, dir.resolve("ledgers"))).toCompletableFuture();
            await(() -> shared.waitingAcquisitions() > 0, "the campaign waits for a window slot");
            assertEquals(List.of(), gate.handedOver(spec.id()), "nothing handed over while the window was full");

            audience.forEach((org.roaringbitmap.IntConsumer) id -> optOut(id));
            gate.open();
            CampaignResult r = run.get(60, TimeUnit.SECONDS);
            shards.stop();
            System.out.println("shared window: " + r.counts());

            assertEquals(gate.window(), otherAnswers.get(10, TimeUnit.SECONDS).size(), "the other sends were answered");
            assertEquals(List.of(), gate.handedOver(spec.id()), "every recipient opted out before the campaign's first hand-over");
            Map<Integer, RecipientOutcome> outcomes = CampaignFixture.outcomes(dir.resolve("ledgers"), spec);
            assertEquals(audience.getCardinality(), outcomes.size(), "every recipient has an outcome");
            outcomes.forEach((id, o) -> assertEquals(Outcomes.suppressed("sender:demo"), o.outcome(), "recipient " + id));
        }
    }

    private static void optOut(int id) {
        try {
            fx.index.optOut(id, fx.directory.get(id).orElseThrow().e164(), Scope.sender(CampaignFixture.SENDER),
                    ConsentEvidence.of(ConsentSource.KEYWORD));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        await(condition, () -> what);
    }

    private static void await(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what.get());
            }
            Thread.sleep(5);
        }
    }

    /**
     * A connector that holds every answer until {@link #open()}, then accepts everything at once;
     * it records each hand-over (campaign, recipient) as it is made.
     */
    private static final class GateConnector implements Connector {
        private final int window;
        private final List<CompletableFuture<SendResult>> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<OutboundMessage> handed = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean open;

        GateConnector(int window) {
            this.window = window;
        }

        List<Integer> handedOver(String campaign) {
            return handed.stream().filter(m -> m.campaignId().equals(campaign)).map(OutboundMessage::recipientId).toList();
        }

        void open() {
            open = true;
            held.forEach(f -> f.complete(new SendResult.Accepted("gate", System.currentTimeMillis())));
        }

        public String name() {
            return "gate";
        }

        public double maxRatePerSecond() {
            return Double.POSITIVE_INFINITY;
        }

        public int window() {
            return window;
        }

        public CompletionStage<SendResult> send(OutboundMessage message) {
            handed.add(message);
            if (open) {
                return CompletableFuture.completedFuture(new SendResult.Accepted("gate", System.currentTimeMillis()));
            }
            CompletableFuture<SendResult> answer = new CompletableFuture<>();
            held.add(answer);
            if (open) {
                answer.complete(new SendResult.Accepted("gate", System.currentTimeMillis()));
            }
            return answer;
        }

        public void close() {
        }
    }

    private static final long HANDOVER_GAP_NANOS = 20_000_000L;

    /** Records when each recipient's message was last handed to the connector (ns, before the send call). */
    private record RecordingConnector(Connector delegate, Map<Integer, Long> handedOver, AtomicLong calls) implements Connector {
        public String name() {
            return delegate.name();
        }

        public double maxRatePerSecond() {
            return delegate.maxRatePerSecond();
        }

        public int window() {
            return delegate.window();
        }

        public CompletionStage<SendResult> send(OutboundMessage message) {
            handedOver.merge(message.recipientId(), System.nanoTime(), Math::max);
            calls.incrementAndGet();
            return delegate.send(message);
        }

        public void close() {
        }
    }

}
