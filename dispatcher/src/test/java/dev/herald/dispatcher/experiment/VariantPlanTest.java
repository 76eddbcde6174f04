package dev.herald.dispatcher.experiment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A batch's variants ({@link VariantPlan#variantsOf}) are each id's {@link VariantPlan#variantOf}, in any order. */
class VariantPlanTest {

    private static final long SEED = 0x5eed17L;

    /** Three samples of a 5 % draw over ids below {@code universe}, dealt in turn; some past 2^31 (negative ints). */
    private static List<MutableRoaringBitmap> sample(SplittableRandom rnd, int universe) {
        List<MutableRoaringBitmap> out = List.of(new MutableRoaringBitmap(), new MutableRoaringBitmap(), new MutableRoaringBitmap());
        int dealt = 0;
        for (int id = 0; id < universe; id++) {
            if (rnd.nextInt(20) == 0) {
                out.get(dealt++ % 3).add(id);
            }
        }
        out.get(1).add(-5); // unsigned: after every non-negative id
        return out;
    }

    /** Batches: ascending runs, shuffled, with duplicates, going back, empty, and ids outside the sample's range. */
    private static List<int[]> batches(SplittableRandom rnd, int universe) {
        List<int[]> out = new ArrayList<>();
        out.add(new int[0]);
        for (int b = 0; b < 200; b++) {
            int n = 1 + rnd.nextInt(600);
            int[] ids = new int[n];
            int start = rnd.nextInt(universe);
            for (int i = 0; i < n; i++) {
                ids[i] = switch (b % 5) {
                    case 0 -> start + i;                                 // a run
                    case 1 -> start + rnd.nextInt(3 * n);                // sorted below, duplicates
                    case 2 -> rnd.nextInt(universe + 70_000);            // any order, past the end too
                    default -> rnd.nextInt(8) == 0 ? -5 - rnd.nextInt(2) : start + rnd.nextInt(n); // negatives
                };
            }
            if (b % 5 == 1) {
                Arrays.sort(ids);
            }
            if (b % 5 == 4) { // ascending as bitmaps order them: unsigned, the negatives last
                ids = Arrays.stream(ids).mapToLong(Integer::toUnsignedLong).sorted().mapToInt(x -> (int) x).toArray();
            }
            out.add(ids);
        }
        return out;
    }

    private static void assertSameAsOneByOne(VariantPlan plan, List<int[]> batches) {
        for (int[] ids : batches) {
            int[] expected = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                expected[i] = plan.variantOf(ids[i]);
            }
            assertArrayEquals(expected, plan.variantsOf(ids), () -> "batch " + Arrays.toString(ids));
        }
    }

    @Test
    void shouldGiveEachIdOfABatchItsOwnVariantInEveryKindOfPlan() {
        System.out.printf("VariantPlanTest seed %#x%n", SEED);
        SplittableRandom rnd = new SplittableRandom(SEED);
        int universe = 300_000; // five 65,536-id containers
        List<MutableRoaringBitmap> sample = sample(rnd, universe);
        List<int[]> batches = batches(rnd, universe);
        assertSameAsOneByOne(VariantPlan.single(), batches);
        assertSameAsOneByOne(VariantPlan.hashed("c-42", 3), batches);
        assertSameAsOneByOne(VariantPlan.hashed("c-43", 8), batches);
        assertSameAsOneByOne(VariantPlan.sampled(sample, 1), batches);
        assertSameAsOneByOne(VariantPlan.sampled(sample, 0), batches);
        assertSameAsOneByOne(VariantPlan.sampled(sample, VariantPlan.NONE), batches);
    }

    @Test
    void shouldGiveTheSampleTheirOwnAndTheRestTheDecidedVariant() {
        List<MutableRoaringBitmap> sample = List.of(MutableRoaringBitmap.bitmapOf(3, 70_000),
                MutableRoaringBitmap.bitmapOf(4), MutableRoaringBitmap.bitmapOf(5, 200_000));
        int[] ids = {0, 3, 4, 5, 6, 70_000, 199_999, 200_000, 4};
        assertArrayEquals(new int[]{2, 0, 1, 2, 2, 0, 2, 2, 1}, VariantPlan.sampled(sample, 2).variantsOf(ids));
        assertArrayEquals(new int[]{-1, 0, 1, 2, -1, 0, -1, 2, 1}, VariantPlan.sampled(sample, VariantPlan.NONE).variantsOf(ids));
        int[] ascending = {0, 3, 3, 4, 5, 6, 70_000, 199_999, 200_000, 200_001};
        assertArrayEquals(new int[]{2, 0, 0, 1, 2, 2, 0, 2, 2, 2}, VariantPlan.sampled(sample, 2).variantsOf(ascending));
        assertEquals(3, VariantPlan.sampled(sample, 2).count());
    }
}
