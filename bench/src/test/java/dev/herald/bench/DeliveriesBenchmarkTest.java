package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.herald.dispatcher.delivery.Deliveries;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** Runs {@link DeliveriesBenchmark} at a small size and checks that each call is a first, matched receipt. */
class DeliveriesBenchmarkTest {

    @Test
    void shouldMatchEachReceiptOnceAndCountItsRecipientDelivered() throws Exception {
        DeliveriesBenchmark b = new DeliveriesBenchmark();
        b.messages = 1_000;
        b.setUp();
        try {
            assertEquals(1_000, b.deliveries.ids().size(), "every message's id stored at setup");
            for (int i = 0; i < 600; i++) {
                assertEquals(Deliveries.Match.MATCHED, b.receipt(), "receipt " + i);
            }
            assertEquals(600, b.deliveries.matched());
            assertEquals(Map.of("delivered", 600L), b.deliveries.counts(DeliveriesBenchmark.CAMPAIGN));
            assertEquals(0, b.deliveries.unmatched());
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldFailAtTearDownWhenAReceiptWasNotMatched() throws Exception {
        DeliveriesBenchmark b = new DeliveriesBenchmark();
        b.messages = 10;
        b.setUp();
        b.receipt();
        b.deliveries.receipt(DeliveriesBenchmark.CONNECTOR, DeliveriesBenchmark.receiptOf(1_000)); // no such message: held
        b.next.incrementAndGet();
        assertThrows(IllegalStateException.class, b::tearDown);
    }
}
