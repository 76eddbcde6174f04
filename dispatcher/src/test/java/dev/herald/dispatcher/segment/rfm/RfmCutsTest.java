package dev.herald.dispatcher.segment.rfm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The quintile cut points found by selection are those of the sorted values, whatever the ties. */
class RfmCutsTest {

    static long[] bySorting(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        long[] cuts = new long[4];
        for (int k = 1; k <= 4; k++) {
            cuts[k - 1] = sorted[(int) Math.max(0, Math.ceil(k * (double) sorted.length / 5) - 1)];
        }
        return cuts;
    }

    @Test
    void shouldFindTheCutsASortFinds() {
        long seed = 20261207L;
        System.out.println("RfmCutsTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int t = 0; t < 2_000; t++) {
            int n = 1 + rnd.nextInt(t < 1_000 ? 12 : 5_000);
            int spread = switch (rnd.nextInt(4)) {
                case 0 -> 1;          // all equal
                case 1 -> 3;          // purchase counts: mostly ties
                case 2 -> 1_000;
                default -> Integer.MAX_VALUE;
            };
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
                v[i] = rnd.nextInt(spread) - (spread == Integer.MAX_VALUE ? rnd.nextLong() : 0);
            }
            if (rnd.nextInt(5) == 0) {
                Arrays.sort(v); // already sorted, and reversed below
                if (rnd.nextBoolean()) {
                    for (int i = 0; i < n / 2; i++) {
                        long x = v[i];
                        v[i] = v[n - 1 - i];
                        v[n - 1 - i] = x;
                    }
                }
            }
            long[] before = v.clone();
            assertArrayEquals(bySorting(v), RfmModel.cuts(v), "values " + Arrays.toString(v.length < 40 ? v : new long[0]));
            assertArrayEquals(before, v, "the values are not changed");
        }
    }
}
