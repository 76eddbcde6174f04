package dev.herald.dispatcher.experiment;

import java.util.ArrayList;
import java.util.List;

import org.roaringbitmap.IntIterator;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Which variant each recipient of one run gets: one message for all; a hash of (campaign,
 * recipient) over the variants (no test); or an A/B test's drawn sample, the rest getting the
 * variant the decision sends.
 *
 * <pre>{@code
 * VariantPlan p = VariantPlan.hashed("c-42", 3);
 * int v = p.variantOf(recipient);                         // 0, 1 or 2, the same after any restart
 * VariantPlan t = VariantPlan.sampled(sample, winnerIndex);  // the sample's own, the rest the winner
 * }</pre>
 *
 * <p>Immutable and thread-safe (the sample's bitmaps are not mutated).
 */
public final class VariantPlan {

    /** The variant of a recipient that has none yet: held by an undecided test. */
    public static final int NONE = -1;

    private static final VariantPlan SINGLE = new VariantPlan(1, 0L, null, null, 0);

    private final int count;
    private final long key;
    private final List<ImmutableRoaringBitmap> sample;
    private final MutableRoaringBitmap sampled;
    private final int rest;

    private VariantPlan(int count, long key, List<ImmutableRoaringBitmap> sample, MutableRoaringBitmap sampled, int rest) {
        this.count = count;
        this.key = key;
        this.sample = sample;
        this.sampled = sampled;
        this.rest = rest;
    }

    /** @return the plan of a campaign with one message */
    public static VariantPlan single() {
        return SINGLE;
    }

    /** @return each recipient's variant by {@link VariantAssignment#variantOf} over {@code variants} (2–8) */
    public static VariantPlan hashed(String campaignId, int variants) {
        VariantAssignment.variantOf(0, 0, variants); // checks the count
        return new VariantPlan(variants, VariantAssignment.campaignKey(campaignId), null, null, 0);
    }

    /**
     * @param sample per variant, the test's sample recipients it was given
     * @param rest   the variant everyone else gets, or {@link #NONE} while the test is undecided (or stopped)
     * @return the plan of an A/B test's campaign
     */
    public static VariantPlan sampled(List<? extends ImmutableRoaringBitmap> sample, int rest) {
        if (rest < NONE || rest >= sample.size()) {
            throw new IllegalArgumentException("the rest's variant " + rest + " is not one of " + sample.size());
        }
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        sample.forEach(all::or);
        return new VariantPlan(sample.size(), 0L, List.copyOf(sample), all, rest);
    }

    /** @return how many variants there are (1: one message) */
    public int count() {
        return count;
    }

    /** @return the variant of {@code recipient}: {@code 0 .. count()-1}, or {@link #NONE} */
    public int variantOf(int recipient) {
        if (count == 1) {
            return 0;
        }
        if (sample == null) {
            return (int) Long.remainderUnsigned(VariantAssignment.hash(key, recipient), count);
        }
        if (!sampled.contains(recipient)) {
            return rest;
        }
        for (int v = 0; v < count; v++) {
            if (sample.get(v).contains(recipient)) {
                return v;
            }
        }
        return NONE; // unreachable: sampled is the union
    }

    /**
     * @param ids some recipients
     * @return per variant, those of {@code ids} it gives that variant (those without one are in none)
     */
    public List<MutableRoaringBitmap> split(ImmutableRoaringBitmap ids) {
        List<MutableRoaringBitmap> out = new ArrayList<>(count);
        if (count == 1) {
            out.add(ids.toMutableRoaringBitmap());
            return out;
        }
        if (sample != null) {
            for (int v = 0; v < count; v++) {
                MutableRoaringBitmap mine = ImmutableRoaringBitmap.and(ids, sample.get(v));
                if (v == rest) {
                    mine.or(ImmutableRoaringBitmap.andNot(ids, sampled));
                }
                out.add(mine);
            }
            return out;
        }
        for (int v = 0; v < count; v++) {
            out.add(new MutableRoaringBitmap());
        }
        for (IntIterator it = ids.getIntIterator(); it.hasNext(); ) {
            int id = it.next();
            out.get(variantOf(id)).add(id);
        }
        return out;
    }
}
