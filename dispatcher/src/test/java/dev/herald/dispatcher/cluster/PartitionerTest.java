package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link Partitioner}: the partition of a number never changes (pinned values, and an independent
 * SplitMix64 finalizer), spreads evenly, sends what is not a number to the fallback partition, and
 * is the same whether asked with the number or its key.
 */
class PartitionerTest {

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    /**
     * Pinned once from the implementation: a change of the function moves recipients of existing
     * storage roots to other partitions, so it must fail here.
     */
    private static final Map<String, Integer> PINNED_64 = Map.of(
            "+447400555001", 56,
            "+447400555002", 60,
            "+14155550123", 11,
            "+33612345678", 10,
            "+819012345678", 57,
            "+4915112345678", 42,
            "+61412345678", 59,
            "+12025550199", 55);

    @Test
    void shouldKeepEveryNumbersPartition() {
        Partitioner p = new Partitioner(64);
        PINNED_64.forEach((number, partition) -> {
            assertEquals(partition, p.of(number), number);
            assertEquals(partition, reference(PhoneNumbers.toKey(number), 64), number + " (independent finalizer)");
        });
    }

    @Test
    void shouldBeSplitMix64sFinalizer() {
        // SplitMix64 seeded with 0 first returns mix(GOLDEN_GAMMA) = 0xe220a8397b1dcdaf (Vigna's splitmix64.c);
        // with 4096 partitions the partition is its low 12 bits
        assertEquals(0xdaf, new Partitioner(4096).ofKey(GOLDEN_GAMMA));
        assertEquals(0xe220a8397b1dcdafL, mixBig(GOLDEN_GAMMA));
        SplittableRandom seeds = new SplittableRandom(20261207L);
        for (int i = 0; i < 10_000; i++) {
            long key = i < 5_000 ? seeds.nextLong() : seeds.nextLong(1, 1_000_000_000_000_000L);
            int partitions = 1 + seeds.nextInt(4096);
            assertEquals(reference(key, partitions), new Partitioner(partitions).ofKey(key), "key " + key + " of " + partitions);
        }
    }

    @Test
    void shouldSpreadConsecutiveNumbersEvenly() {
        Partitioner p = new Partitioner(64);
        int[] counts = new int[64];
        for (int i = 0; i < 1_000_000; i++) {
            counts[p.of("+44740" + String.format("%07d", i))]++;
        }
        assertEven(counts, "1,000,000 consecutive numbers +447400000000...");
    }

    @Test
    void shouldSpreadNumbersThatDifferOnlyInTheirCountryCode() {
        Partitioner p = new Partitioner(64);
        List<Integer> codes = new ArrayList<>(new TreeSet<>(PhoneNumberUtil.getInstance().getSupportedCallingCodes()));
        assertTrue(codes.size() > 200, "calling codes: " + codes.size());
        int[] counts = new int[64];
        int perCode = 1_000_000 / codes.size() + 1;
        for (int n = 0; n < perCode; n++) {
            Set<Integer> ofThisNumber = new HashSet<>();
            for (int cc : codes) {
                int partition = p.of("+" + cc + (612_000_000 + n));
                counts[partition]++;
                ofThisNumber.add(partition);
            }
            // one national number in ~215 countries: they must not cluster on a few partitions
            assertTrue(ofThisNumber.size() > 40, "national number " + (612_000_000 + n) + " in " + codes.size()
                    + " countries lands on only " + ofThisNumber.size() + " partitions");
        }
        assertEven(counts, perCode + " national numbers in each of " + codes.size() + " country codes");
    }

    @Test
    void shouldSendWhatIsNotANumberToTheFallbackPartition() {
        for (int partitions : new int[] {1, 7, 64, 4096}) {
            Partitioner p = new Partitioner(partitions);
            for (String garbage : new String[] {null, "", "   ", "abc", "+", "+0123456789", "0",
                    "1234567890123456789012", "+999999999999999999", "+44"}) {
                assertEquals(Partitioner.FALLBACK, p.ofInput(garbage), "'" + garbage + "' of " + partitions);
            }
            // a number written with spaces around it is still the number
            assertEquals(p.of("+447400555001"), p.ofInput("  +447400555001 "));
        }
        assertThrows(InvalidPhoneNumberException.class, () -> new Partitioner(64).of("not a number"));
    }

    @Test
    void shouldRefuseAPartitionCountOutOfRange() {
        for (int bad : new int[] {0, -1, 4097, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Partitioner(bad));
            assertTrue(e.getMessage().contains(Integer.toString(bad)), e.getMessage());
        }
        assertEquals(0, new Partitioner(1).of("+447400555001"));
        assertEquals(4096, new Partitioner(4096).count());
    }

    @Property(tries = 2_000, seed = "20261207")
    void ofANumberIsOfItsKeyAndInRange(@ForAll("e164") String e164, @ForAll @IntRange(min = 1, max = 4096) int partitions) {
        Partitioner p = new Partitioner(partitions);
        int of = p.of(e164);
        assertEquals(p.ofKey(PhoneNumbers.toKey(e164)), of, e164);
        assertEquals(of, p.ofInput(e164), e164);
        assertTrue(of >= 0 && of < partitions, e164 + " -> " + of + " of " + partitions);
    }

    @Property(tries = 2_000, seed = "20261207")
    void everyKeyIsInRange(@ForAll long key, @ForAll @IntRange(min = 1, max = 4096) int partitions) {
        int of = new Partitioner(partitions).ofKey(key);
        assertTrue(of >= 0 && of < partitions, key + " -> " + of + " of " + partitions);
        assertEquals(reference(key, partitions), of, "key " + key);
    }

    /** E.164 numbers: +, a non-zero digit, then 7 to 14 digits (8 to 15 in all, the canonical form). */
    @Provide
    Arbitrary<String> e164() {
        return Combinators.combine(Arbitraries.integers().between(1, 9), Arbitraries.strings().numeric().ofMinLength(7)
                .ofMaxLength(14)).as((first, rest) -> "+" + first + rest);
    }

    /** Each partition within 5 % of the mean. */
    private static void assertEven(int[] counts, String what) {
        long total = 0;
        for (int c : counts) {
            total += c;
        }
        double mean = (double) total / counts.length;
        for (int i = 0; i < counts.length; i++) {
            assertTrue(Math.abs(counts[i] - mean) <= 0.05 * mean, what + ": partition " + i + " has " + counts[i]
                    + ", mean " + mean + " (all: " + java.util.Arrays.toString(counts) + ")");
        }
    }

    /**
     * The partition by a second implementation: the JDK's own SplitMix64 ({@link SplittableRandom}
     * returns mix64(seed + gamma)), checked against a BigInteger version of the finalizer, and the
     * unsigned remainder in BigInteger.
     */
    private static int reference(long key, int partitions) {
        long mixed = new SplittableRandom(key - GOLDEN_GAMMA).nextLong();
        assertEquals(mixBig(key), mixed, "SplittableRandom and the BigInteger finalizer agree on " + key);
        return new BigInteger(Long.toUnsignedString(mixed)).mod(BigInteger.valueOf(partitions)).intValueExact();
    }

    /** SplitMix64's finalizer with arbitrary-precision arithmetic reduced mod 2^64. */
    private static long mixBig(long key) {
        BigInteger z = new BigInteger(Long.toUnsignedString(key));
        z = z.xor(z.shiftRight(30)).multiply(new BigInteger("bf58476d1ce4e5b9", 16)).mod(TWO_64);
        z = z.xor(z.shiftRight(27)).multiply(new BigInteger("94d049bb133111eb", 16)).mod(TWO_64);
        z = z.xor(z.shiftRight(31));
        return z.longValue();
    }
}
