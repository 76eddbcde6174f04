package dev.herald.dispatcher.journey;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Review findings (issue 16): failing tests for defects of the journey engine. */
class JourneyReviewTest {

    private static final ActorTestKit kit = ActorTestKit.create();

    @TempDir
    Path dir;

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    /**
     * A journey created today must not enter everyone whose entry event is in the events log from
     * before it existed (up to max-age, 30 days): a new journey's cursor starts at 0, so the first
     * events() after creation replays the whole log into it and sends a welcome to old sign-ups.
     */
    @Test
    void eventsStoredBeforeAJourneyExistedDoNotEnterIt() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, JourneyEngineTest.T0, JourneyEngineTest.PEOPLE)) {
            fx.event(0, "signed_up", Map.of());
            fx.event(1, "signed_up", Map.of());
            fx.settle();
            fx.advance(Duration.ofDays(3));
            JourneyStore.Journey j = fx.create("welcome.json");
            fx.settle();
            fx.advance(Duration.ofMinutes(1));
            assertEquals(0L, (long) fx.<Long>ask(e -> e.journey(j.id()).orElseThrow().state.entered),
                    "sign-ups from 3 days before the journey was created entered it");
            assertEquals(0, fx.sent().size(), "old sign-ups were sent the welcome (and, 2 days being past, the tips)");
        }
    }

    /** The same through a second journey: the first one's cursor is at the end, the new one scans from 0. */
    @Test
    void aSecondJourneyCreatedLaterDoesNotReplayTheLogEither() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, JourneyEngineTest.T0, JourneyEngineTest.PEOPLE)) {
            fx.create("abandoned-cart.json");
            fx.event(2, "signed_up", Map.of());
            fx.settle();
            fx.advance(Duration.ofHours(1));
            JourneyStore.Journey j = fx.create("welcome.json");
            fx.settle();
            assertEquals(0L, (long) fx.<Long>ask(e -> e.journey(j.id()).orElseThrow().state.entered));
        }
    }

    private static void settleIgnoringErrors(JourneyFixture fx) {
        org.apache.pekko.actor.typed.javadsl.AskPattern.<JourneyRunner.Command, java.util.Optional<String>>ask(fx.runner,
                JourneyRunner.Settle::new, Duration.ofSeconds(60), kit.scheduler()).toCompletableFuture().join();
    }

    /**
     * events() applies every journey's changes in memory first and writes them afterwards: when one
     * journey's log cannot be written, the journeys after it keep changes (an entry, its cursor) that
     * are in no log, yet they go on running; their next frames (a Run) are logged. After a restart the
     * entry is gone and the cursor is back, so the event enters again and the step is sent twice.
     */
    @Test
    void aLogFailureOfOneJourneyDuringEventsDoesNotMakeAnotherSendTwice() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, JourneyEngineTest.T0, JourneyEngineTest.PEOPLE)) {
            JourneyStore.Journey first = fx.create("abandoned-cart.json");
            JourneyStore.Journey welcome = fx.create("welcome.json");
            fx.settle();
            fx.ask(e -> {
                try {
                    e.journey(first.id()).orElseThrow().log.close(); // its next append fails, as on a full or failing disk
                } catch (java.io.IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
                return null;
            });
            fx.event(0, "signed_up", Map.of());
            settleIgnoringErrors(fx);
            String hello = JourneyPlan.campaignId(welcome.id(), 1, 0);
            assertEquals(1L, fx.sent().stream().filter(x -> x.campaignId().equals(hello)).count(), "the welcome, once");
            fx.stop();
            fx.start();
            settleIgnoringErrors(fx);
            fx.clock.advance(Duration.ofMinutes(1));
            settleIgnoringErrors(fx);
            assertEquals(1L, fx.sent().stream().filter(x -> x.campaignId().equals(hello)).count(),
                    "the welcome step was sent twice after a restart");
        }
    }

    private static long staleIds(JourneyEngine e, String id) {
        long n = 0;
        for (Map<Integer, JourneyState.Lane> byLane : e.journey(id).orElseThrow().state.versions.values()) {
            for (JourneyState.Lane l : byLane.values()) {
                for (var b : l.stale) {
                    n += b.getLongCardinality();
                }
            }
        }
        return n;
    }

    /**
     * takeDue (outside apply) clears the due buckets; the At/End that moves the ids on then marks them
     * stale at the delay though no bucket holds them any more, so live they stay stale for ever (memory
     * that grows with every instance ever delayed, and an O(buckets) scrub when one arrives there again),
     * while a replay keeps the buckets and its first tick drops them: live and replayed state differ.
     */
    @Test
    void anInstanceMovedOnByItsDueTimeLeavesNoStaleMarkLiveOrReplayed() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, JourneyEngineTest.T0, JourneyEngineTest.PEOPLE)) {
            JourneyStore.Journey j = fx.create("abandoned-cart.json");
            fx.event(0, "cart_abandoned", Map.of("cartId", "A"));
            fx.settle();
            fx.advance(Duration.ofHours(1).plusSeconds(1));
            fx.advance(Duration.ofHours(23).plusMinutes(1));
            assertEquals(0L, (long) fx.<Long>ask(e -> e.journey(j.id()).orElseThrow().state.waiting()));
            long live = fx.<Long>ask(e -> staleIds(e, j.id()));
            fx.stop();
            fx.start();
            fx.settle();
            long replayed = fx.<Long>ask(e -> staleIds(e, j.id()));
            assertEquals(replayed, live, "stale marks live vs after a replay and a tick");
            assertEquals(0L, live, "no instance waits, no bucket is left, yet ids stay marked stale");
        }
    }

    /** Holds the first message it is given until released; window 1, so nothing else is handed over meanwhile. */
    static final class Gate extends dev.herald.dispatcher.connector.ForwardingConnector {
        final java.util.concurrent.CompletableFuture<Integer> first = new java.util.concurrent.CompletableFuture<>();
        final java.util.concurrent.CompletableFuture<Void> open = new java.util.concurrent.CompletableFuture<>();
        private final java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean();

        Gate(dev.herald.dispatcher.connector.Connector inner) {
            super(inner);
        }

        @Override
        public int window() {
            return 1;
        }

        @Override
        public java.util.concurrent.CompletionStage<dev.herald.dispatcher.connector.SendResult> send(
                dev.herald.dispatcher.connector.OutboundMessage m) {
            if (held.compareAndSet(false, true)) {
                first.complete(m.recipientId());
                return open.thenCompose(v -> delegate().send(m));
            }
            return delegate().send(m);
        }

        @Override
        public void close() {
            // the fixture closes the connector it wraps
        }
    }

    /**
     * "Exits take effect at once": an order placed while the reminder's run is streaming (its batch
     * handed to the pipeline, one message in flight, the other not yet handed over) must stop the
     * other one. The engine gives CampaignRun a fresh Control it never stops and the run's cancelled
     * set is a copy taken at its start, so the exited instance's reminder still goes out.
     */
    @Test
    void anExitWhileTheStepsRunIsStreamingStopsTheMessagesNotYetHandedOver() throws Exception {
        Gate[] gate = new Gate[1];
        try (JourneyFixture fx = new JourneyFixture(kit, dir, JourneyEngineTest.T0, JourneyEngineTest.PEOPLE,
                c -> gate[0] = new Gate(c))) {
            JourneyStore.Journey j = fx.create("abandoned-cart.json");
            String reminder = JourneyPlan.campaignId(j.id(), 1, 1);
            fx.event(0, "cart_abandoned", Map.of("cartId", "A"));
            fx.event(1, "cart_abandoned", Map.of("cartId", "B"));
            fx.settle();
            fx.clock.advance(Duration.ofHours(1).plusSeconds(1));
            fx.runner.tell(JourneyRunner.Tick.INSTANCE); // starts one run with both; the first message is held
            int first = gate[0].first.join();
            int other = 1 - first;
            fx.event(other, "order_placed", Map.of("orderId", "o", "cartId", other == 0 ? "A" : "B"));
            fx.runner.tell(JourneyRunner.EventsStored.INSTANCE);
            assertEquals(Map.of("goal", 1L), fx.ask(e -> Map.copyOf(e.journey(j.id()).orElseThrow().state.exited)),
                    "the order ended the other's instance at once");
            gate[0].open.complete(null);
            fx.settle();
            assertEquals(List.of(first), fx.sent().stream().filter(x -> x.campaignId().equals(reminder))
                    .map(dev.herald.dispatcher.connector.AcceptedLogEntry::recipientId).toList(),
                    "a reminder went to the recipient whose order had ended the instance");
        }
    }

    /**
     * tick() marks a run running and adds it to the list it returns, journey by journey; when a later
     * journey's log write throws, the list is lost: the run is never started, stays "running" for ever
     * (its instances never get the step until a restart) and Settle never answers. Fails by the ask
     * timing out (the runner never answers), not by a wall-clock wait in the happy path.
     */
    @Test
    void aLogFailureOfOneJourneyInATickDoesNotStrandAnotherJourneysRun() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, JourneyEngineTest.T0, JourneyEngineTest.PEOPLE)) {
            JourneyStore.Journey welcome = fx.create("welcome.json");
            JourneyStore.Journey later = fx.create(JourneyFixture.JSON.readValue("""
                    {"name": "Later", "entry": {"event": "signed_up"}, "start": "wait",
                     "steps": [{"id": "wait", "type": "delay", "duration": "P2D", "next": "done"},
                       {"id": "done", "type": "exit", "reason": "done"}]}""", JourneyDefinition.class));
            fx.event(0, "signed_up", Map.of());
            fx.settle();
            fx.ask(e -> {
                try {
                    e.journey(later.id()).orElseThrow().log.close(); // its next append fails
                } catch (java.io.IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
                return null;
            });
            fx.clock.advance(Duration.ofDays(2).plusMinutes(1)); // welcome's tips and Later's delay fall due in one tick
            org.apache.pekko.actor.typed.javadsl.AskPattern.<JourneyRunner.Command, java.util.Optional<String>>ask(fx.runner,
                    JourneyRunner.Settle::new, Duration.ofSeconds(20), kit.scheduler()).toCompletableFuture().join();
            assertEquals(1L, fx.sent().stream().filter(x -> x.campaignId().equals(JourneyPlan.campaignId(welcome.id(), 1, 2))).count(),
                    "welcome's tips");
        }
    }
}
