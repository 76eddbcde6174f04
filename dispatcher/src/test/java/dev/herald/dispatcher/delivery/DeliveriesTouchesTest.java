package dev.herald.dispatcher.delivery;

import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.DELIVERED;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.ENROUTE;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.UNDELIVERABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;
import dev.herald.dispatcher.connector.PeerEvents.Receipt;
import dev.herald.dispatcher.delivery.Deliveries.Match;
import dev.herald.dispatcher.delivery.DeliveriesTest.SettableClock;
import dev.herald.dispatcher.funnel.TouchStore;
import dev.herald.dispatcher.funnel.Touches;
import dev.herald.dispatcher.links.DelayHistogram;

/**
 * {@link Deliveries} and the funnel: a recipient that becomes delivered is a delivery touch, at
 * its receipt's arrival, once; its ledger times it from the message's acceptance.
 */
class DeliveriesTouchesTest {

    private static final long CAPACITY = 10_000;
    private static final Instant T0 = Instant.parse("2026-12-07T01:00:00Z");

    @TempDir
    Path data;

    private CampaignNumbers numbers;
    private int spring;
    private final SettableClock clock = new SettableClock(T0);
    private final Recording touches = new Recording();

    /** The touches Deliveries reported, as {@code <recipient> <campaign> <ms>}. */
    static final class Recording implements Touches {
        final List<String> delivered = new CopyOnWriteArrayList<>();

        @Override
        public void delivered(int recipient, int campaignNumber, long atMillis) {
            delivered.add(recipient + " " + campaignNumber + " " + atMillis);
        }

        @Override
        public void clicked(int recipient, int campaignNumber, long atMillis) {
            throw new AssertionError("deliveries do not click");
        }

        @Override
        public Optional<Touch> lastDelivered(int recipient) {
            return Optional.empty();
        }

        @Override
        public Optional<Touch> lastClicked(int recipient) {
            return Optional.empty();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"));
        spring = numbers.numberOf("spring");
        Files.createDirectories(data.resolve("campaigns").resolve("spring"));
    }

    @AfterEach
    void tearDown() throws Exception {
        numbers.close();
    }

    private Deliveries open(long inlineOpenBytes, Touches t) throws Exception {
        return Deliveries.open(data, numbers, CAPACITY, Duration.ofSeconds(5), Duration.ofDays(7), clock, inlineOpenBytes, t);
    }

    private static Receipt receipt(String key, DeliveryState state) {
        return new Receipt(key, state, state == DELIVERED ? "000" : "001", "id:" + key + " stat:" + state);
    }

    private static DelayHistogram sendToDelivery(Deliveries d) throws Exception {
        return d.ledgers().withLedger("spring", DeliveryLedger::sendToDelivery);
    }

    private long at(long secondsAfterT0) {
        return T0.plusSeconds(secondsAfterT0).toEpochMilli();
    }

    @Test
    void aMatchedDeliveredReceiptTouchesItsRecipientOnceAtItsArrival() throws Exception {
        try (Deliveries d = open(Ledgers.INLINE_OPEN_BYTES, touches)) {
            d.accepted("acme", "spring", 7, List.of("m7"));
            d.accepted("acme", "spring", 8, List.of("m8a", "m8b"));
            d.accepted("acme", "spring", 9, List.of("m9"));
            clock.set(T0.plusSeconds(7).plusMillis(250));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("m7", ENROUTE)));
            assertEquals(List.of(), touches.delivered, "an intermediate state is no delivery");
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("m7", DELIVERED)));
            assertEquals(List.of("7 " + spring + " " + (at(7) + 250)), touches.delivered);
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("m7", DELIVERED)), "a repeat");
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("m9", UNDELIVERABLE)));
            assertEquals(1, touches.delivered.size(), "neither a repeat nor a failure touches");

            clock.set(T0.plusSeconds(20));
            d.receipt("acme", receipt("m8b", DELIVERED));
            assertEquals(1, touches.delivered.size(), "1 of 2 parts");
            clock.set(T0.plusSeconds(90));
            d.receipt("acme", receipt("m8a", DELIVERED));
            assertEquals(List.of("7 " + spring + " " + (at(7) + 250), "8 " + spring + " " + at(90)), touches.delivered);

            DelayHistogram h = sendToDelivery(d);
            assertEquals(2, h.count());
            assertEquals(7, h.percentile(0.5), "accepted at T0, delivered 7.25 s later");
            long p100 = h.percentile(1.0);
            assertTrue(p100 > 84 && p100 <= 90, "timed by the part that completed it: 90 s, within its bucket: " + p100);
        }
        List<String> lines = Files.readAllLines(data.resolve("campaigns/spring").resolve(DeliveryLedger.FILE),
                StandardCharsets.UTF_8);
        assertTrue(lines.get(0).startsWith("7 1/1 DELIVERED 000 m7 " + (at(7) + 250) + " " + T0.getEpochSecond() + "\t"),
                lines.get(0));
    }

    @Test
    void anEarlyReceiptIsTimedFromItsFirstArrival() throws Exception {
        try (Deliveries d = open(Ledgers.INLINE_OPEN_BYTES, touches)) {
            clock.set(T0.plusSeconds(5));
            assertEquals(Match.HELD, d.receipt("acme", receipt("e1", DELIVERED)), "before its id");
            clock.set(T0.plusSeconds(6));
            d.accepted("acme", "spring", 3, List.of("e1"));
            assertEquals(0, d.held());
            assertEquals(List.of("3 " + spring + " " + at(5)), touches.delivered);
            assertEquals(0, sendToDelivery(d).percentile(1.0), "the receipt came before the acceptance: 0 s");
        }
    }

    @Test
    void aCallbackTouchesAndIsTimedOnlyWhenItsSendTimeIsKnown() throws Exception {
        try (Deliveries d = open(Ledgers.INLINE_OPEN_BYTES, touches)) {
            clock.set(T0.plusSeconds(40));
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 4, DELIVERED, "", "t4"));
            assertEquals(List.of("4 " + spring + " " + at(40)), touches.delivered);
            assertEquals(0, sendToDelivery(d).count(), "no send time known: not timed");

            d.sentTimes((campaign, recipient) -> campaign == spring && recipient == 5 ? T0.getEpochSecond() : -1);
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 5, DELIVERED, "", "t5"));
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 6, DELIVERED, "", "t6"));
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 7, UNDELIVERABLE, "001", "t7"));
            assertEquals(3, touches.delivered.size(), "4, 5, 6: not the undelivered one");
            DelayHistogram h = sendToDelivery(d);
            assertEquals(1, h.count(), "only recipient 5's send time is known");
            assertEquals(40, h.percentile(1.0));
        }
    }

    @Test
    void aCallbackHeldAcrossAStopKeepsItsSendTimeAndTouchesWhenRecorded() throws Exception {
        try (Deliveries d = open(-1, touches)) { // every ledger loads in the background
            d.ledgers().pauseLoads(new CountDownLatch(1)); // never opens: the stop comes first
            d.sentTimes((campaign, recipient) -> T0.getEpochSecond());
            clock.set(T0.plusSeconds(12));
            assertEquals(Match.HELD, d.callback("kannel", spring, 4, DELIVERED, "", "t4"));
            assertEquals(List.of(), touches.delivered, "not recorded yet: no touch");
        }
        List<String> held = Files.readAllLines(data.resolve(Deliveries.DIR).resolve(Deliveries.HELD), StandardCharsets.UTF_8);
        assertTrue(held.stream().anyMatch(l -> l.startsWith("T\tkannel\tt4\tDELIVERED\t\t" + at(12) + "\t" + spring + "\t4\t"
                + T0.getEpochSecond() + "\t")), held.toString());
        clock.set(T0.plusSeconds(100));
        try (Deliveries d = open(Ledgers.INLINE_OPEN_BYTES, touches)) {
            assertEquals(0, d.held(), "recorded at open");
            assertEquals(List.of("4 " + spring + " " + at(12)), touches.delivered, "at its arrival, not at the restart");
            assertEquals(12, sendToDelivery(d).percentile(1.0));
        }
    }

    @Test
    void aDeliveryRecordedThroughTheTouchStoreIsThereAfterAReopen() throws Exception {
        Path dir = data.resolve(TouchStore.DIR);
        try (TouchStore store = TouchStore.open(dir, 1_000);
             Deliveries d = open(Ledgers.INLINE_OPEN_BYTES, store)) {
            d.accepted("acme", "spring", 7, List.of("m7"));
            clock.set(T0.plusSeconds(3));
            d.receipt("acme", receipt("m7", DELIVERED));
            assertEquals(Optional.of(new Touches.Touch(spring, at(3))), store.lastDelivered(7));
            assertEquals(Map.of("delivered", 1L), d.counts("spring"));
        }
        try (TouchStore store = TouchStore.open(dir, 1_000)) {
            assertEquals(Optional.of(new Touches.Touch(spring, at(3))), store.lastDelivered(7));
            assertEquals(Optional.empty(), store.lastClicked(7));
        }
    }
}
