package dev.herald.dispatcher.experiment;

import dev.herald.throttle.ZoneBuckets;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Which variant of an A/B test a recipient gets: a deterministic hash of (campaign, recipient), so
 * a restart never reshuffles anyone and no table is kept.
 *
 * <pre>{@code
 * long key = VariantAssignment.campaignKey("c-42");
 * int v = VariantAssignment.variantOf(key, recipient, 3);              // no test sample: 0, 1 or 2
 * Split s = VariantAssignment.split(key, audience, zones.snapshot(), 0.05, 3);
 * s.variants().get(1);  // the sample's recipients of variant 1;  s.held(): the rest, until the decision
 * }</pre>
 *
 * <p>The test sample is drawn <b>stratified by time zone</b>: in every zone bucket (recipients who share
 * zones and region) the {@code round(sample × n)} recipients with the smallest hashes, so the sample
 * has each zone's share of the audience (not only the people who are awake now), and within each
 * bucket they are dealt to the variants in hash order (the deal going on from one bucket to the
 * next), so each variant gets an equal share (±1) of every zone and of the whole sample. Only the campaign, the audience and its zone buckets decide it; a campaign keeps the
 * split it made (zones may change later).
 *
 * <p>Thread-safe (stateless).
 */
public final class VariantAssignment {

    /** At least this many variants. */
    public static final int MIN_VARIANTS = 2;
    /** At most this many variants. */
    public static final int MAX_VARIANTS = 8;

    private VariantAssignment() {
    }

    /** @return the 64-bit key of a campaign id (the first 8 bytes of its SHA-256): the seed of its recipients' hashes */
    public static long campaignKey(String campaignId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(campaignId.getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) {
                k = (k << 8) | (h[i] & 0xff);
            }
            return k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return a well-mixed 64-bit hash of (campaign key, recipient): SplitMix64's finalizer over both */
    public static long hash(long campaignKey, int recipient) {
        long z = campaignKey + 0x9E3779B97F4A7C15L * ((recipient & 0xffffffffL) + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * @return the variant ({@code 0 .. variants-1}) of {@code recipient} when the campaign has no test
     *     sample: uniform over the variants
     * @throws IllegalArgumentException if {@code variants} is not 2–8
     */
    public static int variantOf(long campaignKey, int recipient, int variants) {
        checkVariants(variants);
        return (int) Long.remainderUnsigned(hash(campaignKey, recipient), variants);
    }

    /**
     * A test's split of an audience.
     *
     * @param variants per variant, the sample's recipients who get it
     * @param held     the rest of the audience, held until the decision
     */
    public record Split(List<MutableRoaringBitmap> variants, MutableRoaringBitmap held) {

        /** @return the sample: every variant's recipients */
        public MutableRoaringBitmap sample() {
            MutableRoaringBitmap all = new MutableRoaringBitmap();
            variants.forEach(all::or);
            return all;
        }
    }

    /**
     * Draws the test sample, stratified by zone bucket, and deals it to the variants.
     *
     * @param campaignKey {@link #campaignKey} of the campaign
     * @param audience    the campaign's audience
     * @param zones       its zone buckets (recipients they do not hold form one more stratum)
     * @param sample      the sample's share of the audience, in (0, 1]
     * @param variants    2–8
     * @return the split; every audience id is in exactly one variant or held
     * @throws IllegalArgumentException for a sample outside (0, 1] or a variant count outside 2–8
     */
    public static Split split(long campaignKey, ImmutableRoaringBitmap audience, ZoneBuckets zones, double sample, int variants) {
        checkVariants(variants);
        if (!(sample > 0 && sample <= 1)) {
            throw new IllegalArgumentException("sample must be in (0, 1], got " + sample);
        }
        List<MutableRoaringBitmap> out = new ArrayList<>();
        for (int v = 0; v < variants; v++) {
            out.add(new MutableRoaringBitmap());
        }
        SortedMap<Integer, MutableRoaringBitmap> strata = zones.split(audience);
        long dealt = 0; // dealing goes on from one stratum to the next: many small strata do not all start at variant 0
        for (MutableRoaringBitmap stratum : strata.values()) {
            int n = stratum.getCardinality();
            int take = (int) Math.min(n, Math.round(sample * n));
            if (take == 0) {
                continue;
            }
            // (top 32 bits of the hash, id) in one long: sorted, the ids in hash order
            long[] keyed = new long[n];
            int i = 0;
            for (org.roaringbitmap.IntIterator it = stratum.getIntIterator(); it.hasNext(); ) {
                int id = it.next();
                keyed[i++] = (hash(campaignKey, id) & 0xffffffff00000000L) | (id & 0xffffffffL);
            }
            Arrays.sort(keyed); // signed order: a fixed order all the same, as deterministic as any
            for (int k = 0; k < take; k++) {
                out.get((int) (dealt++ % variants)).add((int) keyed[k]);
            }
        }
        MutableRoaringBitmap held = audience.toMutableRoaringBitmap();
        out.forEach(held::andNot);
        return new Split(List.copyOf(out), held);
    }

    private static void checkVariants(int variants) {
        if (variants < MIN_VARIANTS || variants > MAX_VARIANTS) {
            throw new IllegalArgumentException("a test has 2 to 8 variants, got " + variants);
        }
    }
}
