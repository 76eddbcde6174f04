package dev.herald.dispatcher.store;

/**
 * 64-bit hashes of ids (a conversion's order id, an event's id) to the offset of their record in a
 * log: an open-addressing table of two {@code long} arrays (about 27 bytes per id at its fill
 * limit, not the ids themselves), what a log that must take each id once keeps in memory. A hash
 * names an id only probably: the caller reads the record at the offset and compares the id (two
 * ids with one hash are kept apart by the caller, see {@code funnel.Conversions} and
 * {@code journey.Events}).
 *
 * <p>Not thread-safe: its owner's single writer mutates it under the owner's lock.
 */
public final class HashedOffsets {
    /** Absent: a hash equal to it is stored as {@link #ZERO_KEY} (so those two hashes are one key, as any collision). */
    private static final long EMPTY = 0;
    private static final long ZERO_KEY = 0x9E3779B97F4A7C15L;
    private static final double FILL = 0.6;

    private long[] keys;
    private long[] values;
    private int size;
    private int limit;

    /** @param expected ids it is sized for (it grows beyond) */
    public HashedOffsets(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, (int) Math.min(1 << 30, expected / FILL)) - 1) << 1;
        keys = new long[cap];
        values = new long[cap];
        limit = (int) (cap * FILL);
    }

    /** A hash of an id (FNV-1a over its characters, then a 64-bit finaliser). */
    public static long hash(String id) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            h = (h ^ id.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** @return the offset stored for {@code hash}, or -1 */
    public long get(long hash) {
        long k = hash == EMPTY ? ZERO_KEY : hash;
        int mask = keys.length - 1;
        for (int i = (int) (k ^ k >>> 32) & mask; ; i = i + 1 & mask) {
            long at = keys[i];
            if (at == EMPTY) {
                return -1;
            }
            if (at == k) {
                return values[i];
            }
        }
    }

    /** Stores {@code offset} for {@code hash} unless it has one. @return whether it was stored */
    public boolean putIfAbsent(long hash, long offset) {
        long k = hash == EMPTY ? ZERO_KEY : hash;
        int mask = keys.length - 1;
        int i = (int) (k ^ k >>> 32) & mask;
        for (; keys[i] != EMPTY; i = i + 1 & mask) {
            if (keys[i] == k) {
                return false;
            }
        }
        keys[i] = k;
        values[i] = offset;
        if (++size > limit) {
            grow();
        }
        return true;
    }

    public int size() {
        return size;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        if (oldKeys.length >= 1 << 30) {
            throw new IllegalStateException("too many orders for one index: " + size);
        }
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        limit = (int) (keys.length * FILL);
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            long k = oldKeys[j];
            if (k != EMPTY) {
                int i = (int) (k ^ k >>> 32) & mask;
                while (keys[i] != EMPTY) {
                    i = i + 1 & mask;
                }
                keys[i] = k;
                values[i] = oldValues[j];
            }
        }
    }
}
