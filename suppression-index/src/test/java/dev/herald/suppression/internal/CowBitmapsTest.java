package dev.herald.suppression.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.TreeSet;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

class CowBitmapsTest {

    @Property(seed = "42", tries = 300)
    void shouldMatchPlainSetAlgebraAndNeverTouchTheOriginal(
            @ForAll @Size(max = 3000) int[] oldIds,
            @ForAll @Size(max = 200) int[] changes,
            @ForAll @IntRange(min = 0, max = 4) int spreadShift) {
        MutableRoaringBitmap old = new MutableRoaringBitmap();
        for (int id : oldIds) {
            old.add(Math.abs(id % 400_000) << spreadShift);
        }
        old.runOptimize();
        MutableRoaringBitmap before = old.clone();
        TreeSet<Integer> plus = new TreeSet<>();
        TreeSet<Integer> minus = new TreeSet<>();
        for (int i = 0; i < changes.length; i++) {
            int id = Math.abs(changes[i] % 400_000) << spreadShift;
            if (i % 2 == 0 && !minus.contains(id)) {
                plus.add(id);
            } else if (!plus.contains(id)) {
                minus.add(id);
            }
        }
        int[] p = plus.stream().mapToInt(Integer::intValue).toArray();
        int[] m = minus.stream().mapToInt(Integer::intValue).toArray();
        MutableRoaringBitmap result = CowBitmaps.apply(old, p, p.length, m, m.length);

        MutableRoaringBitmap expected = old.clone();
        expected.add(p);
        for (int id : m) {
            expected.remove(id);
        }
        assertEquals(expected, result, "result");
        assertEquals(before, old, "the published original was mutated");
        assertEquals(expected.getLongCardinality(), result.getLongCardinality());
        // and the result can itself be the original of another change
        MutableRoaringBitmap again = CowBitmaps.apply(result, m, m.length, new int[0], 0);
        MutableRoaringBitmap expected2 = expected.clone();
        expected2.add(m);
        assertEquals(expected2, again);
        assertEquals(expected, result, "the second change mutated the first result");
        assertEquals(0, Arrays.stream(p).filter(minus::contains).count());
    }
}
