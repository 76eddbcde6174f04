package dev.herald.throttle.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class SendLedgerSlotCodecTest {
    private static final long SEED = 0x5eed4e4a1dL;

    private static long randomSlot(SplittableRandom r) {
        return SendLedgerSlots.reserved(r.nextLong(SendLedgerSlots.MAX_SECOND + 1), 1 + r.nextInt(255), 1 + r.nextInt(255),
                r.nextBoolean()) | (r.nextBoolean() ? 0 : SendLedgerSlots.CONFIRMED ^ SendLedgerSlots.RESERVED);
    }

    @Test
    void shouldDecodeWhatItEncodedAndWriteAnEmptySlotAsNonZero() {
        System.out.println("seed " + Long.toHexString(SEED));
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 100_000; i++) {
            long slot = randomSlot(r);
            long word = SendLedgerSlotCodec.encode(slot);
            assertTrue(SendLedgerSlotCodec.valid(word));
            assertEquals(slot, SendLedgerSlotCodec.decode(word));
        }
        assertEquals(SendLedgerSlotCodec.EMPTY_WORD, SendLedgerSlotCodec.encode(SendLedgerSlots.EMPTY));
        assertEquals(SendLedgerSlots.EMPTY, SendLedgerSlotCodec.decode(SendLedgerSlotCodec.EMPTY_WORD));
        assertFalse(SendLedgerSlotCodec.valid(0L), "a zero-filled word is never a valid slot");
    }

    @Test
    void shouldDetectEveryChangeConfinedToOneByte() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 2_000; i++) {
            long word = SendLedgerSlotCodec.encode(i == 0 ? SendLedgerSlots.EMPTY : randomSlot(r));
            for (int b = 0; b < 8; b++) {
                for (int delta = 1; delta < 256; delta++) {
                    assertFalse(SendLedgerSlotCodec.valid(word ^ ((long) delta << (8 * b))), "byte " + b + " ^ " + delta);
                }
            }
        }
    }
}
