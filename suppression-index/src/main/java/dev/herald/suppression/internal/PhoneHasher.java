package dev.herald.suppression.internal;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;

import java.util.function.LongUnaryOperator;

/**
 * The keyed hash under which the phone index stores a number: SipHash-2-4 (Guava's) of the
 * E.164 key, keyed by the directory's 128-bit hash key ({@link DirectoryKeys}). The index never
 * holds a number, only this hash, in every mode; without the key the hashes cannot be matched to
 * numbers by trying every number of a range.
 *
 * <p>{@code long h = hasher.hash(PhoneNumbers.toKey("+447400123456"));}
 *
 * <p>Two numbers with one hash (a 64-bit PRF: about n²/2^65 for n numbers) are refused at
 * registration. Immutable and thread-safe.
 */
public final class PhoneHasher {

    /** Tests only: replaces every hash, to force collisions; null in production. */
    static volatile LongUnaryOperator testOverride;

    private final HashFunction sip;

    /** @param k0 first half of the hash key; @param k1 second half */
    PhoneHasher(long k0, long k1) {
        this.sip = Hashing.sipHash24(k0, k1);
    }

    /** @return the keyed hash of an E.164 key */
    public long hash(long e164Key) {
        LongUnaryOperator o = testOverride;
        return o != null ? o.applyAsLong(e164Key) : sip.hashLong(e164Key).asLong();
    }
}
