package dev.herald.suppression.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.common.hash.Hashing;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The written-out SipHash-2-4 of one long is Guava's, and the reference implementation's. */
class PhoneHasherTest {

    @Test
    void equalsTheReferenceTestVector() {
        // key 00 01 .. 0f, message 00 01 .. 07 (little-endian words): vectors_sip64[8] = 62 24 93 9a 79 f5 f5 93
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        assertEquals(0x93f5f5799a932462L, PhoneHasher.sipHash24(k0, k1, 0x0706050403020100L));
    }

    @Test
    void equalsGuavasSipHash24OnRandomKeysAndNumbers() {
        SplittableRandom rnd = new SplittableRandom(19);
        for (int i = 0; i < 20_000; i++) {
            long k0 = rnd.nextLong();
            long k1 = rnd.nextLong();
            long m = i % 2 == 0 ? rnd.nextLong() : 447_400_000_000L + rnd.nextLong(1_000_000_000L);
            assertEquals(Hashing.sipHash24(k0, k1).hashLong(m).asLong(), new PhoneHasher(k0, k1).hash(m),
                    "k0=" + k0 + " k1=" + k1 + " m=" + m);
        }
    }

    @Test
    void anotherKeyGivesAnotherHash() {
        long m = 447_400_123_456L;
        assertNotEquals(new PhoneHasher(1, 2).hash(m), new PhoneHasher(1, 3).hash(m));
    }
}
