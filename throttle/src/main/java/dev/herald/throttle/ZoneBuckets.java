package dev.herald.throttle;

import dev.herald.throttle.internal.ZoneBucketsContainers;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MappeableContainerPointer;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A consistent, immutable snapshot of a {@link ZoneIndex}: the zone buckets — recipients grouped by
 * (zone set, region) — with the ids of each, laid out for splitting chunks fast. For every chunk key
 * (upper 16 bits of an id) it lists the buckets that have ids there and their ids' low 16 bits as
 * sorted {@code char} arrays, so splitting a chunk touches only those buckets, in tight loops.
 * Memory: 2 bytes per id.
 *
 * <p>{@code QuietHoursDecision d = QuietHoursPlan.of(policy, index.snapshot(), "marketing", now).decide(chunk);}
 *
 * <p>Immutable and thread-safe: share one snapshot between any number of readers. It never sees
 * changes made to the index after it was taken.
 */
public final class ZoneBuckets {
    /**
     * A bucket: recipients that share their zones and region, and so every quiet-hours answer.
     *
     * @param index  position in {@link #buckets()}, {@code >= 0}
     * @param zones  the zones, possibly {@link ZoneSet#EMPTY} (unknown)
     * @param region ISO region of the numbers, e.g. {@code FR}; null when unknown
     */
    public record Bucket(int index, ZoneSet zones, String region) {
        /** @throws NullPointerException if {@code zones} is null */
        public Bucket {
            Objects.requireNonNull(zones, "zones");
        }
    }

    private final List<Bucket> buckets;
    private final char[] keys;
    private final int[][] bucketsAt;
    /** Per chunk key, per bucket there: the low 16 bits of its ids, ascending. */
    private final char[][][] valuesAt;
    private final long size;

    private ZoneBuckets(List<Bucket> buckets, List<? extends ImmutableRoaringBitmap> ids) {
        this.buckets = List.copyOf(buckets);
        int[] counts = new int[1 << 16];
        long total = 0;
        for (ImmutableRoaringBitmap b : ids) {
            total += b.getLongCardinality();
            for (MappeableContainerPointer p = b.getContainerPointer(); p.hasContainer(); p.advance()) {
                counts[p.key()]++;
            }
        }
        this.size = total;
        int distinct = 0;
        for (int c : counts) {
            distinct += c == 0 ? 0 : 1;
        }
        keys = new char[distinct];
        bucketsAt = new int[distinct][];
        valuesAt = new char[distinct][][];
        int[] slot = new int[1 << 16];
        for (int k = 0, i = 0; k < counts.length; k++) {
            if (counts[k] != 0) {
                keys[i] = (char) k;
                bucketsAt[i] = new int[counts[k]];
                valuesAt[i] = new char[counts[k]][];
                slot[k] = i++;
            }
        }
        int[] filled = new int[distinct];
        for (int b = 0; b < ids.size(); b++) {
            for (MappeableContainerPointer p = ids.get(b).getContainerPointer(); p.hasContainer(); p.advance()) {
                int i = slot[p.key()];
                bucketsAt[i][filled[i]] = b;
                valuesAt[i][filled[i]++] = ZoneBucketsContainers.values(p.getContainer());
            }
        }
    }

    /** Copies the bitmaps (read, not kept): the snapshot owns its data. */
    static ZoneBuckets copyOf(List<Bucket> buckets, List<MutableRoaringBitmap> bitmaps) {
        return new ZoneBuckets(buckets, bitmaps);
    }

    /** @return the buckets, indexed by {@link Bucket#index()} */
    public List<Bucket> buckets() {
        return buckets;
    }

    /**
     * @param bucket a bucket index
     * @return a new bitmap of the ids in the bucket (built on each call, for diagnostics)
     * @throws IndexOutOfBoundsException if there is no such bucket
     */
    public ImmutableRoaringBitmap ids(int bucket) {
        Objects.checkIndex(bucket, buckets.size());
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        for (int i = 0; i < keys.length; i++) {
            for (int j = 0; j < bucketsAt[i].length; j++) {
                if (bucketsAt[i][j] == bucket) {
                    int high = keys[i] << 16;
                    for (char low : valuesAt[i][j]) {
                        out.add(high | low);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Splits {@code ids} by bucket, touching only the buckets present in each of their chunk keys.
     * Cost: per chunk key of {@code ids}, one pass over the ids the snapshot holds there.
     *
     * <pre>{@code
     * buckets.split(chunk).forEach((bucket, part) -> ...); // bucket -1: ids the snapshot does not hold
     * }</pre>
     *
     * @param ids any ids
     * @return bucket index → the ids of {@code ids} in it (non-empty), in ascending bucket order;
     *     ids in no bucket under key -1
     */
    public java.util.SortedMap<Integer, MutableRoaringBitmap> split(ImmutableRoaringBitmap ids) {
        java.util.TreeMap<Integer, MutableRoaringBitmap> out = new java.util.TreeMap<>();
        long[] words = new long[ZoneBucketsContainers.WORDS];
        int[] buffer = new int[1 << 16];
        for (MappeableContainerPointer p = ids.getContainerPointer(); p.hasContainer(); p.advance()) {
            char key = p.key();
            int high = key << 16;
            char[] values = ZoneBucketsContainers.values(p.getContainer());
            int ki = keyIndex(key);
            if (ki >= 0) {
                ZoneBucketsContainers.orInto(values, words);
                int[] bs = bucketsAt[ki];
                char[][] vs = valuesAt[ki];
                for (int j = 0; j < bs.length; j++) {
                    int n = 0;
                    for (char v : vs[j]) {
                        long bit = 1L << v;
                        if ((words[v >>> 6] & bit) != 0) {
                            words[v >>> 6] &= ~bit;
                            buffer[n++] = high | v;
                        }
                    }
                    if (n > 0) {
                        out.computeIfAbsent(bs[j], b -> new MutableRoaringBitmap()).addN(buffer, 0, n);
                    }
                }
            }
            int n = 0;
            for (char v : values) {
                if (ki < 0 || (words[v >>> 6] & (1L << v)) != 0) {
                    buffer[n++] = high | v;
                }
            }
            if (n > 0) {
                out.computeIfAbsent(-1, b -> new MutableRoaringBitmap()).addN(buffer, 0, n);
            }
            if (ki >= 0) {
                Arrays.fill(words, 0L);
            }
        }
        return out;
    }

    /** @return the number of ids in all buckets */
    public long size() {
        return size;
    }

    /**
     * @param id a recipient id
     * @return its bucket index, or -1 if the snapshot does not hold it
     */
    public int bucketOf(int id) {
        int i = keyIndex((char) (id >>> 16));
        if (i >= 0) {
            char low = (char) id;
            for (int j = 0; j < bucketsAt[i].length; j++) {
                if (Arrays.binarySearch(valuesAt[i][j], low) >= 0) {
                    return bucketsAt[i][j];
                }
            }
        }
        return -1;
    }

    /** @return the position of a chunk key in the per-key lists, or a negative number */
    int keyIndex(char key) {
        return Arrays.binarySearch(keys, key);
    }

    /** @return the bucket indexes with ids at the key position (do not modify) */
    int[] bucketsAt(int keyIndex) {
        return bucketsAt[keyIndex];
    }

    /** @return the low 16 bits of those buckets' ids there, ascending, same order (do not modify) */
    char[][] valuesAt(int keyIndex) {
        return valuesAt[keyIndex];
    }

    @Override
    public String toString() {
        return "ZoneBuckets[" + buckets.size() + " buckets, " + size + " ids, " + keys.length + " chunk keys]";
    }
}
