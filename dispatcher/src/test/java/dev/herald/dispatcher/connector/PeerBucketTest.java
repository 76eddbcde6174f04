package dev.herald.dispatcher.connector;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PeerBucketTest {

    private static final long MS = 1_000_000L;

    @Test
    void shouldGrantTheBurstThenOneTokenPerPeriod() {
        PeerBucket b = new PeerBucket(100, 3, 0);
        assertEquals(0, b.take(0));
        assertEquals(0, b.take(0));
        assertEquals(0, b.take(0));
        assertEquals(10 * MS, b.take(0), "next token in 1/100 s");
        assertEquals(5 * MS, b.take(5 * MS));
        assertEquals(0, b.take(10 * MS));
        assertEquals(0, b.take(1000 * MS));
        assertEquals(0, b.take(1000 * MS));
        assertEquals(0, b.take(1000 * MS));
        assertEquals(10 * MS, b.take(1000 * MS), "refill stops at the burst");
    }

    @Test
    void shouldNeverThrottleWhenUnlimited() {
        PeerBucket b = new PeerBucket(Double.POSITIVE_INFINITY, 1, 0);
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, b.take(0));
        }
    }
}
