package dev.herald.dispatcher.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The hash → offset table: first offset kept, hash 0 stored, growth keeps every entry. */
class HashedOffsetsTest {

    @Test
    void shouldKeepTheFirstOffsetOfAHashThroughGrowth() {
        HashedOffsets index = new HashedOffsets(4);
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
        assertNotEquals(HashedOffsets.hash("o-1"), HashedOffsets.hash("o-2"));
        assertEquals(HashedOffsets.hash("o-1"), HashedOffsets.hash(new String("o-1")));
    }
}
