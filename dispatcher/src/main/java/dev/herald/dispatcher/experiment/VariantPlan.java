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
     * plan and ids in ascending order (as a batch of a chunk is), the sample's members between the
     * first and the last id are walked alongside the ids, so an id costs a comparison and a sample
     * member a look-up of its variant (a search of the sample per id, as {@link #variantOf} does, is a
     * binary search in a container: ~30 ns, most of a test's assignment cost). Ids in any other
     * order are answered one by one.
     *
     * @param ids recipients, best ascending
     * @return at each position, the variant of the id there: {@code 0 .. count()-1}, or {@link #NONE}
     */
    public int[] variantsOf(int[] ids) {
        int n = ids.length;
        int[] out = new int[n];
        if (count == 1 || n == 0) {
            return out;
        }
        if (sample == null) {
            for (int i = 0; i < n; i++) {
                out[i] = (int) Long.remainderUnsigned(VariantAssignment.hash(key, ids[i]), count);
            }
            return out;
        }
        for (int i = 1; i < n; i++) {
            if (Integer.compareUnsigned(ids[i - 1], ids[i]) > 0) { // bitmaps order ids unsigned
                for (int j = 0; j < n; j++) {
                    out[j] = variantOf(ids[j]);
                }
                return out;
            }
        }
        java.util.Arrays.fill(out, rest);
        int last = ids[n - 1];
        PeekableIntIterator it = sampled.getIntIterator();
        it.advanceIfNeeded(ids[0]);
        int i = 0;
        while (it.hasNext()) {
            int member = it.next();
            if (Integer.compareUnsigned(member, last) > 0) {
                break;
            }
            while (Integer.compareUnsigned(ids[i], member) < 0) { // stops at the latest at n - 1: ids[n - 1] >= member
                i++;
            }
            if (ids[i] == member) {
                int v = sampledVariant(member);
                for (int j = i; j < n && ids[j] == member; j++) {
                    out[j] = v;
                }
            }
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
