package dev.herald.dispatcher.cluster;

import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;

/**
 * Which partition a recipient belongs to: a function of the number alone, so that every node
 * routes a number to the same partition without asking anyone, and the answer never changes while
 * the partition count stays the same.
 *
 * <pre>{@code
 * Partitioner p = new Partitioner(64);
 * p.of("+447400555001");     // 0..63, the same on every node and in every version
 * p.ofInput("not a number"); // Partitioner.FALLBACK: that partition answers the input's error
 * }</pre>
 *
 * <p>The number's E.164 digits as a {@code long} ({@link PhoneNumbers#toKey}) go through
 * SplitMix64's finalizer (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
 * 2014), a bijection on 64 bits whose output bits each depend on every input bit, so consecutive
 * numbers, and numbers that differ only in a country code, spread evenly; its remainder by the
 * partition count is the partition. The count is fixed when a storage root is made: changing it
 * would move recipients between partitions, and {@link ClusterSettings} refuses a root made with
 * another count.
 *
 * <p>Immutable and thread-safe.
 */
public final class Partitioner {

    /** The partition that input which is not a number is sent to: it answers the error as one node would. */
    public static final int FALLBACK = 0;

    private static final PhoneNumbers LOOKUP = PhoneNumbers.international();

    private final int partitions;

    /**
     * @param partitions how many partitions, 1 to 4,096
     * @throws IllegalArgumentException if out of range
     */
    public Partitioner(int partitions) {
        if (partitions < 1 || partitions > 4096) {
            throw new IllegalArgumentException("partitions must be 1-4096, got " + partitions);
        }
        this.partitions = partitions;
    }

    /** @return how many partitions there are */
    public int count() {
        return partitions;
    }

    /**
     * @param key a number's directory key ({@link PhoneNumbers#toKey})
     * @return its partition, {@code 0 <= p < count()}
     */
    public int ofKey(long key) {
        long z = key;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        z = z ^ (z >>> 31);
        return (int) Long.remainderUnsigned(z, partitions);
    }

    /**
     * @param e164 a number in E.164 form
     * @return its partition
     * @throws InvalidPhoneNumberException if it is not a number
     */
    public int of(String e164) {
        return ofKey(LOOKUP.lookupKey(e164));
    }

    /**
     * The partition of a number as a client wrote it (a path segment, a CSV cell): its partition if
     * it reads as a number, else {@link #FALLBACK}, whose answer names what is wrong with it.
     *
     * @param input what the client sent
     * @return a partition
     */
    public int ofInput(String input) {
        if (input == null) {
            return FALLBACK;
        }
        try {
            return ofKey(LOOKUP.lookupKey(input.strip()));
        } catch (InvalidPhoneNumberException notANumber) {
            return FALLBACK;
        }
    }
}
