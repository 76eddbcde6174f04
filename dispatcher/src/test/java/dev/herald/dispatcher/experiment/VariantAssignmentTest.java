package dev.herald.dispatcher.experiment;

import dev.herald.throttle.ZoneBuckets;
import dev.herald.throttle.ZoneIndex;
import dev.herald.throttle.ZoneSet;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Variants by hash: uniform, deterministic, and a test sample stratified by zone with equal shares. */
class VariantAssignmentTest {

    private static final List<String> ZONES = List.of("Europe/London", "Asia/Tokyo", "America/New_York",
            "Australia/Sydney", "Europe/Paris", "Asia/Kolkata", "America/Sao_Paulo");

    /** Recipients 0..n-1 in zones: a skewed mix (zone i holds about twice zone i+1), some with none. */
    private static ZoneBuckets zones(int n) {
        ZoneIndex index = new ZoneIndex();
        for (int id = 0; id < n; id++) {
            int h = Integer.numberOfTrailingZeros(id | 0x80) ; // 0..7: half, a quarter, ...
            if (h < ZONES.size()) {
                index.put(id, ZoneSet.of(ZONES.get(h)), null);
            }
        }
        return index.snapshot();
    }

    private static MutableRoaringBitmap range(int n) {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        b.add(0L, n);
        return b;
    }

    @Test
    void variantsAreUniformAndTheSameEveryTime() {
        long key = VariantAssignment.campaignKey("c-20261207-spring");
        int n = 1_000_000;
        for (int variants = 2; variants <= 8; variants++) {
            long[] counts = new long[variants];
            for (int id = 0; id < n; id++) {
                counts[VariantAssignment.variantOf(key, id, variants)]++;
            }
            double expected = (double) n / variants;
            double chi2 = 0;
            for (long c : counts) {
                chi2 += (c - expected) * (c - expected) / expected;
            }
            // chi-squared, variants-1 degrees of freedom: 99.9th percentile is below 27 for up to 7 df
            assertTrue(chi2 < 27, variants + " variants: counts " + java.util.Arrays.toString(counts) + ", chi2 " + chi2);
        }
        assertEquals(VariantAssignment.variantOf(key, 42, 3), VariantAssignment.variantOf(
                VariantAssignment.campaignKey("c-20261207-spring"), 42, 3), "a restart gets the same variant");
    }

    @Test
    void twoCampaignsAssignIndependently() {
        long a = VariantAssignment.campaignKey("c-a");
        long b = VariantAssignment.campaignKey("c-b");
        int same = 0;
        int n = 200_000;
        for (int id = 0; id < n; id++) {
            same += VariantAssignment.variantOf(a, id, 2) == VariantAssignment.variantOf(b, id, 2) ? 1 : 0;
        }
        // independent: about half agree (binomial sd = sqrt(n)/2 ≈ 224; 5 sd)
        assertTrue(Math.abs(same - n / 2) < 5 * Math.sqrt(n) / 2, same + " of " + n + " agree");
    }

    @Test
    void badArgumentsAreRefusedNamingThem() {
        ZoneBuckets z = zones(10);
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class,
                () -> VariantAssignment.split(1, range(10), z, 0.1, 9));
        assertTrue(v.getMessage().contains("2 to 8 variants"), v.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> VariantAssignment.split(1, range(10), z, 0, 2));
        assertTrue(s.getMessage().contains("sample"), s.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VariantAssignment.variantOf(1, 1, 1));
    }

    @Property(tries = 40)
    void theSampleIsEachZonesShareDealtEquallyAndEveryoneIsSomewhereOnce(@ForAll @IntRange(min = 1, max = 40_000) int n,
                                                                          @ForAll @DoubleRange(min = 0.001, max = 1.0) @net.jqwik.api.constraints.Scale(4) double sample,
                                                                          @ForAll @IntRange(min = 2, max = 8) int variants,
                                                                          @ForAll long campaignKey) {
        ZoneBuckets zones = zones(n);
        MutableRoaringBitmap audience = range(n);
        VariantAssignment.Split split = VariantAssignment.split(campaignKey, audience, zones, sample, variants);

        MutableRoaringBitmap all = split.held().clone();
        long total = split.held().getLongCardinality();
        for (MutableRoaringBitmap v : split.variants()) {
            total += v.getLongCardinality();
            all.or(v);
        }
        assertEquals(audience, all, "everyone is in a variant or held");
        assertEquals(n, total, "and only once");

        Map<Integer, MutableRoaringBitmap> strata = new TreeMap<>(zones.split(audience));
        MutableRoaringBitmap drawn = split.sample();
        for (Map.Entry<Integer, MutableRoaringBitmap> s : strata.entrySet()) {
            long size = s.getValue().getLongCardinality();
            long in = ImmutableRoaringBitmap.andCardinality(drawn, s.getValue());
            assertEquals(Math.round(sample * size), in, "zone bucket " + s.getKey() + " of " + size + ": its share");
        }
        long min = Long.MAX_VALUE;
        long max = 0;
        for (MutableRoaringBitmap v : split.variants()) {
            min = Math.min(min, v.getLongCardinality());
            max = Math.max(max, v.getLongCardinality());
        }
        assertTrue(max - min <= 1, "equal shares: " + min + ".." + max);
        VariantAssignment.Split again = VariantAssignment.split(campaignKey, audience, zones, sample, variants);
        assertEquals(split, again, "the same split every time");
    }

    @Test
    void eachVariantGetsItsShareOfEveryZone() {
        int n = 200_000;
        ZoneBuckets zones = zones(n);
        MutableRoaringBitmap audience = range(n);
        VariantAssignment.Split split = VariantAssignment.split(VariantAssignment.campaignKey("c-zones"), audience, zones,
                0.05, 3);
        for (MutableRoaringBitmap stratum : zones.split(audience).values()) {
            long min = Long.MAX_VALUE;
            long max = 0;
            for (MutableRoaringBitmap v : split.variants()) {
                long c = ImmutableRoaringBitmap.andCardinality(v, stratum);
                min = Math.min(min, c);
                max = Math.max(max, c);
            }
            assertTrue(max - min <= 1, "a zone's sample dealt equally: " + min + ".." + max);
        }
    }
}
