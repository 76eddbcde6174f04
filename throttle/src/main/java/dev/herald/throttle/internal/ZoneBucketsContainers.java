package dev.herald.throttle.internal;

import java.nio.CharBuffer;
import java.nio.LongBuffer;

import org.roaringbitmap.PeekableCharIterator;
import org.roaringbitmap.buffer.MappeableArrayContainer;
import org.roaringbitmap.buffer.MappeableBitmapContainer;
import org.roaringbitmap.buffer.MappeableContainer;
import org.roaringbitmap.buffer.MappeableRunContainer;

/**
 * Container-level helpers for splitting a chunk by zone bucket: one Roaring container holds the
 * ids of one chunk (65,536 ids); bucket ids of a chunk are kept as sorted {@code char} arrays of
 * their low 16 bits, which plain loops read faster than buffer-backed containers.
 *
 * <p>Stateless and thread-safe; arrays and containers passed in are never modified unless the
 * method says so.
 */
public final class ZoneBucketsContainers {
    /** Words of a bitmap container: 65,536 bits. */
    public static final int WORDS = 1024;
    /** Most values an array container holds (Roaring's own threshold). */
    public static final int ARRAY_MAX = 4096;

    private ZoneBucketsContainers() {
    }

    /** @return the container's values, ascending */
    public static char[] values(MappeableContainer c) {
        char[] out = new char[c.getCardinality()];
        PeekableCharIterator it = c.getCharIterator();
        for (int n = 0; it.hasNext(); n++) {
            out[n] = it.next();
        }
        return out;
    }

    /** Sets the bits of {@code values} in {@code words}. */
    public static void orInto(char[] values, long[] words) {
        for (char v : values) {
            words[v >>> 6] |= 1L << v;
        }
    }

    /** Clears the bits of {@code values} in {@code words}. */
    public static void removeFrom(char[] values, long[] words) {
        for (char v : values) {
            words[v >>> 6] &= ~(1L << v);
        }
    }

    /**
     * Merges disjoint ascending arrays.
     *
     * @param arrays the arrays; {@code arrays[order[j]]} for {@code j} in {@code [from, to)} are merged
     * @param total  the sum of their lengths
     * @return a new ascending array of {@code total} values
     */
    public static char[] merge(char[][] arrays, int[] order, int from, int to, int total) {
        char[] acc = arrays[order[from]].clone();
        int n = acc.length;
        char[] out = new char[total];
        char[] spare = new char[total];
        for (int j = from + 1; j < to; j++) {
            char[] b = arrays[order[j]];
            int i = 0;
            int k = 0;
            int m = 0;
            while (i < n && k < b.length) {
                out[m++] = acc[i] < b[k] ? acc[i++] : b[k++];
            }
            while (i < n) {
                out[m++] = acc[i++];
            }
            while (k < b.length) {
                out[m++] = b[k++];
            }
            n = m;
            char[] t = acc.length == total ? acc : spare;
            acc = out;
            out = t;
        }
        return acc.length == n ? acc : java.util.Arrays.copyOf(acc, n);
    }

    /**
     * @param values ascending values, owned by the result from now on
     * @return a container of them (array, or bitmap when there are more than {@value #ARRAY_MAX})
     */
    public static MappeableContainer fromSorted(char[] values) {
        if (values.length <= ARRAY_MAX) {
            return new MappeableArrayContainer(CharBuffer.wrap(values), values.length);
        }
        long[] words = new long[WORDS];
        orInto(values, words);
        return new MappeableBitmapContainer(LongBuffer.wrap(words), values.length);
    }

    /** @return a new container, {@code a AND b}, or null when empty */
    public static MappeableContainer and(MappeableContainer a, MappeableContainer b) {
        MappeableContainer r;
        if (b instanceof MappeableArrayContainer x) {
            r = a.and(x);
        } else if (b instanceof MappeableBitmapContainer x) {
            r = a.and(x);
        } else {
            r = a.and((MappeableRunContainer) b);
        }
        return r.isEmpty() ? null : r;
    }

    /**
     * @param words 1,024 words of bits; read, not kept
     * @return a new container of the set bits (array or bitmap, whichever Roaring would choose),
     *     or null when none is set
     */
    public static MappeableContainer fromWords(long[] words) {
        int card = 0;
        for (long w : words) {
            card += Long.bitCount(w);
        }
        if (card == 0) {
            return null;
        }
        if (card > ARRAY_MAX) {
            return new MappeableBitmapContainer(LongBuffer.wrap(words.clone()), card);
        }
        char[] values = new char[card];
        int n = 0;
        for (int i = 0; i < WORDS; i++) {
            long w = words[i];
            while (w != 0) {
                values[n++] = (char) ((i << 6) + Long.numberOfTrailingZeros(w));
                w &= w - 1;
            }
        }
        return new MappeableArrayContainer(CharBuffer.wrap(values), card);
    }
}
