package dev.herald.dispatcher.journey;

import java.nio.file.Path;
import java.time.Duration;
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
}
