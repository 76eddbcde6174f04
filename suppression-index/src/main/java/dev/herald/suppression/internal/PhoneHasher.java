package dev.herald.suppression.internal;

import java.util.function.LongUnaryOperator;

/**
 * The keyed hash under which the phone index stores a number: SipHash-2-4 (Aumasson and
 * Bernstein) of the E.164 key as one 8-byte little-endian message, keyed by the directory's
 * 128-bit hash key ({@link DirectoryKeys}). The index never holds a number, only this hash, in
 * every mode; without the key the hashes cannot be matched to numbers by trying every number of a
 * range.
 *
 * <p>{@code long h = hasher.hash(PhoneNumbers.toKey("+447400123456"));}
 *
 * <p>Written out for one long rather than called through Guava's {@code Hashing.sipHash24}: every
 * {@code idOf} hashes once, and Guava's streaming hasher allocates per call (measured +16 % on
 * {@code idOf} against the 10 % the issue allows); {@code PhoneHasherTest} checks it equals
 * Guava's on random keys and the reference test vector.
 *
 * <p>Two numbers with one hash (a 64-bit PRF: about n²/2^65 for n numbers) are refused at
 * registration. Immutable and thread-safe.
 */
public final class PhoneHasher {

    /** Tests only: replaces every hash, to force collisions; null in production. */
    static volatile LongUnaryOperator testOverride;

    private final long k0;
    private final long k1;

    /** @param k0 first half of the hash key (little-endian bytes 0-7); @param k1 second half (bytes 8-15) */
    PhoneHasher(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /** @return the keyed hash of an E.164 key */
    public long hash(long e164Key) {
        LongUnaryOperator o = testOverride;
        return o != null ? o.applyAsLong(e164Key) : sipHash24(k0, k1, e164Key);
    }

    /** SipHash-2-4 of the 8 bytes of {@code m} (little-endian) under the key {@code (k0, k1)}. */
    static long sipHash24(long k0, long k1, long m) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        long b = 8L << 56; // the last block: no bytes left, the length (8) in the top byte
        v3 ^= m;
        // rounds 0-1 compress the message word, 2-3 the last block, 4-7 finalise
        for (int r = 0; r < 8; r++) {
            if (r == 2) {
                v0 ^= m;
                v3 ^= b;
            } else if (r == 4) {
                v0 ^= b;
                v2 ^= 0xffL;
            }
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
