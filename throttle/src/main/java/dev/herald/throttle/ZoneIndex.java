package dev.herald.throttle;

import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Recipient id → zone bucket (zone set, region), with one bitmap of ids per bucket, so that
 * quiet hours are decided per bucket and a chunk is split by bitmap algebra, never recipient by
 * recipient. Built by scanning a {@link RecipientDirectory} once, then kept current with
 * {@link #put} (new registrations, changed zones).
 *
 * <pre>{@code
 * ZoneIndex index = ZoneIndex.build(directory);
 * ZoneBuckets snapshot = index.snapshot();   // share it with the deciding threads
 * }</pre>
 *
 * <p>Thread-safety: every method synchronises on the index, so writers never interleave and a
 * snapshot is always consistent; the intended use is one writer (the directory's import path)
 * and readers that work on immutable {@link #snapshot() snapshots}. A snapshot copies the ids
 * (2 bytes per id: ~20 MB and 20-50 ms for 10M ids); it is cached until the next
 * change. Memory of the index itself: 2 bytes per id for the reverse map plus the bucket bitmaps.
 */
public final class ZoneIndex {
    /** Buckets are numbered in a {@code char}; 0 in {@link #bucketOf} means none. */
    private static final int MAX_BUCKETS = Character.MAX_VALUE - 1;

    private record Key(ZoneSet zones, String region) {
    }

    private final Map<Key, Integer> bucketIndex = new HashMap<>();
    private final List<ZoneBuckets.Bucket> buckets = new ArrayList<>();
    private final List<MutableRoaringBitmap> bitmaps = new ArrayList<>();
    private char[] bucketOf = new char[1024];
    private ZoneBuckets snapshot;

    /** An empty index. */
    public ZoneIndex() {
    }

    /**
     * Builds the index of ids {@code 0 .. directory.size() - 1}, resolving each recipient's zones
     * with {@link ZoneSet#forRecipient}.
     *
     * @throws IllegalStateException if the directory is closed, a record is corrupt, or there are
     *                               more than 65,534 distinct buckets
     */
    public static ZoneIndex build(RecipientDirectory directory) {
        ZoneIndex index = new ZoneIndex();
        index.update(directory);
        return index;
    }

    /**
     * Adds the ids the directory handed out since the index last saw it (ids
     * {@code maxId + 1 .. directory.size() - 1}).
     *
     * @return the number of ids added
     * @throws IllegalStateException as for {@link #build}
     */
    public synchronized int update(RecipientDirectory directory) {
        int from = highestId() + 1;
        int to = directory.size();
        for (int id = from; id < to; id++) {
            Optional<Recipient> r = directory.get(id);
            if (r.isPresent()) {
                put(r.get());
            }
        }
        return Math.max(0, to - from);
    }

    /** Puts a recipient under its zones ({@link ZoneSet#forRecipient}) and region. */
    public synchronized void put(Recipient recipient) {
        put(recipient.id(), ZoneSet.forRecipient(recipient), recipient.region());
    }

    /**
     * Puts {@code id} in the bucket (zones, region), moving it out of its previous bucket.
     *
     * @param id     a recipient id, {@code >= 0}
     * @param zones  its zones; {@link ZoneSet#EMPTY} when unknown
     * @param region its ISO region, or null when unknown
     * @throws IllegalArgumentException if {@code id} is negative
     * @throws IllegalStateException    if this would be bucket number 65,535
     */
    public synchronized void put(int id, ZoneSet zones, String region) {
        if (id < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + id);
        }
        int bucket = bucketFor(Objects.requireNonNull(zones, "zones"), region);
        if (id >= bucketOf.length) {
            bucketOf = Arrays.copyOf(bucketOf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(id + 1L, bucketOf.length * 2L)));
        }
        int previous = bucketOf[id] - 1;
        if (previous == bucket) {
            return;
        }
        if (previous >= 0) {
            bitmaps.get(previous).remove(id);
        }
        bitmaps.get(bucket).add(id);
        bucketOf[id] = (char) (bucket + 1);
        snapshot = null;
    }

    /**
     * @param id a recipient id
     * @return its bucket, if the index holds it
     */
    public synchronized Optional<ZoneBuckets.Bucket> bucket(int id) {
        return id < 0 || id >= bucketOf.length || bucketOf[id] == 0 ? Optional.empty()
                : Optional.of(buckets.get(bucketOf[id] - 1));
    }

    /** @return a consistent, immutable snapshot; the same object until the next change */
    public synchronized ZoneBuckets snapshot() {
        if (snapshot == null) {
            snapshot = ZoneBuckets.copyOf(buckets, bitmaps);
        }
        return snapshot;
    }

    private int highestId() {
        int max = -1;
        for (MutableRoaringBitmap b : bitmaps) {
            if (!b.isEmpty()) {
                max = Math.max(max, b.last());
            }
        }
        return max;
    }

    private int bucketFor(ZoneSet zones, String region) {
        Key key = new Key(zones, region);
        Integer existing = bucketIndex.get(key);
        if (existing != null) {
            return existing;
        }
        if (buckets.size() == MAX_BUCKETS) {
            throw new IllegalStateException("zone index is full: " + MAX_BUCKETS + " distinct (zones, region) buckets");
        }
        int index = buckets.size();
        buckets.add(new ZoneBuckets.Bucket(index, zones, region));
        bitmaps.add(new MutableRoaringBitmap());
        bucketIndex.put(key, index);
        return index;
    }

    @Override
    public synchronized String toString() {
        return "ZoneIndex[" + buckets.size() + " buckets]";
    }
}
