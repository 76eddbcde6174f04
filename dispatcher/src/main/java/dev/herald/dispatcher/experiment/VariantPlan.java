package dev.herald.dispatcher.experiment;

import java.util.ArrayList;
import java.util.List;

import org.roaringbitmap.IntIterator;
import org.roaringbitmap.PeekableIntIterator;
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
 * int[] vs = p.variantsOf(batch);                          // the same for a batch (ascending: cheaper)
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
        return sampled.contains(recipient) ? sampledVariant(recipient) : rest;
    }

    /**
     * {@link #variantOf} of every id of a batch: what the send stage asks per batch. For a sampled
     * plan, ids in ascending order are matched against the sample by walking it alongside them
     * (a sample lookup per id is a binary search in a container: ~30 ns, most of a test's
     * assignment cost); ids out of order are still answered, the walk starting again where they
     * go back.
     *
     * @param ids recipients, best ascending
     * @return at each position, the variant of the id there: {@code 0 .. count()-1}, or {@link #NONE}
     */
    public int[] variantsOf(int[] ids) {
        int[] out = new int[ids.length];
        if (count == 1) {
            return out;
        }
        if (sample == null) {
            for (int i = 0; i < ids.length; i++) {
                out[i] = (int) Long.remainderUnsigned(VariantAssignment.hash(key, ids[i]), count);
            }
            return out;
        }
        PeekableIntIterator it = sampled.getIntIterator();
        int previous = 0;
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (Integer.compareUnsigned(id, previous) < 0) {
                it = sampled.getIntIterator(); // went back: the walk only goes forward (bitmaps order ids unsigned)
            }
            previous = id;
            it.advanceIfNeeded(id);
            out[i] = it.hasNext() && it.peekNext() == id ? sampledVariant(id) : rest;
        }
        return out;
    }

    /** @return the variant whose sample holds {@code recipient}, a member of {@code sampled} */
    private int sampledVariant(int recipient) {
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
