package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.connector.AcceptedLogEntry;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Journeys end to end on a test clock: events in, messages out through the campaign pipeline and a simulated connector. */
class JourneyEngineTest {

    private static final ActorTestKit kit = ActorTestKit.create();
    /** Wednesday 10:00 UTC, 11:00 in London: marketing hours. */
    static final Instant T0 = Instant.parse("2026-06-10T10:00:00Z");
    static final List<String[]> PEOPLE = List.of(
            new String[] {"+447911123451", "Europe/London"},
            new String[] {"+447911123452", "Europe/London"},
            new String[] {"+447911123453", "Europe/London"});

    @TempDir
    Path dir;

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    private static Map<Integer, Long> to(List<AcceptedLogEntry> sent, String campaign) {
        return sent.stream().filter(e -> e.campaignId().equals(campaign))
                .collect(Collectors.groupingBy(AcceptedLogEntry::recipientId, Collectors.counting()));
    }

    @Test
    void abandonedCartRemindsAtOneHourOffersAtADayAndAnOrderEndsItAtOnce() throws Exception {
        try (JourneyFixture fx = new JourneyFixture(kit, dir, T0, PEOPLE)) {
            JourneyStore.Journey j = fx.create("abandoned-cart.json");
            String reminder = JourneyPlan.campaignId(j.id(), 1, 1);
            String offer = JourneyPlan.campaignId(j.id(), 1, 3);
            fx.event(0, "cart_abandoned", Map.of("cartId", "A"));
            fx.event(1, "cart_abandoned", Map.of("cartId", "B"));
            fx.event(0, "cart_abandoned", Map.of("cartId", "C")); // a second cart: a second, keyed instance
            fx.event(0, "cart_abandoned", Map.of("cartId", "A")); // the same cart again: once per key
            fx.settle();
            assertEquals(3L, (long) fx.<Long>ask(e -> e.journey(j.id()).orElseThrow().state.entered));

            fx.advance(Duration.ofMinutes(30));
            fx.event(1, "order_placed", Map.of("orderId", "o1", "cartId", "B"));
            fx.settle();
            assertEquals(Map.of("goal", 1L), fx.ask(e -> Map.copyOf(e.journey(j.id()).orElseThrow().state.exited)));

            fx.advance(Duration.ofMinutes(29));
            assertEquals(0, fx.sent().size(), "nothing before the hour");
            fx.advance(Duration.ofMinutes(1).plusSeconds(1));
            assertEquals(Map.of(0, 2L), to(fx.sent(), reminder), "a reminder per cart of recipient 0, none for the order");

            fx.advance(Duration.ofMinutes(30));
            fx.event(0, "order_placed", Map.of("orderId", "o2", "cartId", "A"));
            fx.settle();
            fx.advance(Duration.ofHours(22).plusMinutes(29));
            assertEquals(Map.of(), to(fx.sent(), offer), "no offer before 24 h");
            fx.advance(Duration.ofMinutes(2));
            assertEquals(Map.of(0, 1L), to(fx.sent(), offer), "the offer for cart C only");
            assertEquals(3, fx.sent().size());
            Map<String, Long> exited = fx.ask(e -> Map.copyOf(e.journey(j.id()).orElseThrow().state.exited));
            assertEquals(Map.of("goal", 2L, "done", 1L), exited);
            assertEquals(0L, (long) fx.<Long>ask(e -> e.journey(j.id()).orElseThrow().state.waiting()));
            assertTrue(fx.<Boolean>ask(e -> e.journey(j.id()).orElseThrow().state.runs.isEmpty()), "every run done");
        }
    }
}
