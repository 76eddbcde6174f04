package dev.herald.dispatcher.funnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The hash → offset table: first offset kept, hash 0 stored, growth keeps every entry. */
class OrderIndexTest {

    @Test
    void shouldKeepTheFirstOffsetOfAHashThroughGrowth() {
        OrderIndex index = new OrderIndex(4);
        assertTrue(index.putIfAbsent(0, 10), "hash 0 is a key like any other");
        assertFalse(index.putIfAbsent(0, 11));
        assertEquals(10, index.get(0));
        for (long h = 1; h <= 100_000; h++) {
            assertTrue(index.putIfAbsent(h * 0x632BE59BD9B4E019L, h));
        }
        for (long h = 1; h <= 100_000; h++) {
            assertEquals(h, index.get(h * 0x632BE59BD9B4E019L));
        }
        assertEquals(-1, index.get(12345));
        // hash 0 is stored under a stand-in key: a hash equal to the stand-in is the same key (the caller reads the record back)
        assertFalse(index.putIfAbsent(0x9E3779B97F4A7C15L, 12));
        assertEquals(100_001, index.size());
    }

    @Test
    void shouldHashOrderIdsApart() {
        assertNotEquals(OrderIndex.hash("o-1"), OrderIndex.hash("o-2"));
        assertEquals(OrderIndex.hash("o-1"), OrderIndex.hash(new String("o-1")));
    }
}
