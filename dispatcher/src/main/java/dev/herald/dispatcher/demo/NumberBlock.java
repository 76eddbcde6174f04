package dev.herald.dispatcher.demo;

import dev.herald.dispatcher.demo.AudienceMix.Country;
import dev.herald.dispatcher.demo.AudienceMix.Segment;
import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;

import java.math.BigInteger;
import java.time.ZoneId;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The numbers of one {@link Segment}, handed out distinct without remembering them: the
 * {@code c}-th number is {@code prefix/suffix} of {@code (a * c + b) mod capacity}, with {@code a}
 * coprime to the capacity, so the map is a permutation of the segment's number space and
 * {@code c < capacity} numbers are always distinct. Memory is constant whatever the count.
 *
 * <p>Not thread-safe: owned by the one thread that generates the audience.
 */
final class NumberBlock {

    /** Largest space for which {@code a * c + b} cannot overflow: about sqrt(Long.MAX_VALUE). */
    private static final long SMALL_SPACE = 3_037_000_499L;

    final Country country;
    final Segment segment;
    /** The zone written for explicit recipients: the segment's zone, canonical. */
    final String zone;
    /** Whether the number alone does not imply the zone, so the zone must always be written. */
    final boolean zoneAlwaysExplicit;
    private final char[] head;
    private final char[][] prefixes;
    private final int freeDigits;
    private final long space;
    private final long suffixes;
    private final long a;
    private final long b;
    private long next;

    NumberBlock(Country country, Segment segment, SplittableRandom seeded) {
        this.country = country;
        this.segment = segment;
        this.zone = ZoneId.of(segment.zone()).getId();
        this.head = ("+" + country.callingCode()).toCharArray();
        List<String> p = segment.prefixes();
        this.prefixes = new char[p.size()][];
        for (int i = 0; i < prefixes.length; i++) {
            prefixes[i] = p.get(i).toCharArray();
        }
        this.freeDigits = segment.freeDigits();
        this.suffixes = AudienceMix.pow10(freeDigits);
        this.space = segment.capacity();
        long multiplier;
        do {
            multiplier = space / 3 + seeded.nextLong(Math.max(1, space - space / 3));
        } while (gcd(multiplier, space) != 1);
        this.a = multiplier;
        this.b = seeded.nextLong(space);
        this.zoneAlwaysExplicit = !impliesZone(this.zone);
    }

    /**
     * Appends the next number of this segment in E.164 form.
     *
     * @throws IllegalStateException if the segment's number space is used up
     */
    void appendNext(StringBuilder out) {
        if (next >= space) {
            throw new IllegalStateException(country.region() + "/" + zone + " has no numbers left after " + space
                    + ": add prefixes to the segment or lower its weight");
        }
        append(out, permute(next++));
    }

    /** @return the E.164 number at position {@code p} of the (unpermuted) number space */
    String numberAt(long p) {
        StringBuilder sb = new StringBuilder(16);
        append(sb, p);
        return sb.toString();
    }

    /**
     * Validates the extremes and a seeded sample of every prefix against the numbering plan.
     *
     * @throws IllegalArgumentException naming the first number that is invalid or of another region
     */
    void verify(SplittableRandom sample, int perPrefix) {
        for (int i = 0; i < prefixes.length; i++) {
            for (int k = 0; k < perPrefix; k++) {
                long suffix = k == 0 ? 0 : k == 1 ? suffixes - 1 : sample.nextLong(suffixes);
                String e164 = numberAt(i * suffixes + suffix);
                String region;
                try {
                    region = PhoneNumbers.international().normalize(e164).region();
                } catch (InvalidPhoneNumberException e) {
                    throw new IllegalArgumentException(country.region() + "/" + zone + ": generated number " + e164
                            + " is not valid: " + e.getMessage(), e);
                }
                if (!region.equals(country.region())) {
                    throw new IllegalArgumentException(country.region() + "/" + zone + ": generated number " + e164
                            + " belongs to " + region);
                }
            }
        }
    }

    /** {@code (a * c + b) mod space}; exact in {@code long} while {@code space^2} fits, else via BigInteger. */
    private long permute(long c) {
        if (space <= SMALL_SPACE) {
            return (a * c + b) % space;
        }
        return BigInteger.valueOf(a).multiply(BigInteger.valueOf(c)).add(BigInteger.valueOf(b))
                .mod(BigInteger.valueOf(space)).longValueExact();
    }

    /** True if every prefix's numbers map to zones with exactly this zone's rules. */
    private boolean impliesZone(String zoneId) {
        var rules = ZoneId.of(zoneId).getRules();
        for (int i = 0; i < prefixes.length; i++) {
            List<String> derived = PhoneNumbers.zonesOf(numberAt(i * suffixes));
            if (derived.isEmpty() || !derived.stream().allMatch(z -> ZoneId.of(z).getRules().equals(rules))) {
                return false;
            }
        }
        return true;
    }

    private void append(StringBuilder out, long p) {
        out.append(head).append(prefixes[(int) (p / suffixes)]);
        long suffix = p % suffixes;
        int start = out.length();
        for (int i = 0; i < freeDigits; i++) {
            out.append('0');
        }
        for (int i = out.length() - 1; i >= start && suffix > 0; i--) {
            out.setCharAt(i, (char) ('0' + suffix % 10));
            suffix /= 10;
        }
    }

    private static long gcd(long x, long y) {
        while (y != 0) {
            long t = x % y;
            x = y;
            y = t;
        }
        return x;
    }
}
