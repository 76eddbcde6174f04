package dev.herald.throttle.internal;

import java.util.concurrent.locks.ReentrantLock;

import org.roaringbitmap.PeekableIntIterator;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * The striped locks of a send ledger and the operations that only need them and the store.
 *
 * <p>Invariant (single writer per id): every read-decide-write of a record holds the lock of
 * its stripe: ids {@code [1024 k, 1024 k + 1024)} share lock {@code k mod 4096}, so a batch of
 * consecutive ids takes one lock per 1,024 ids. {@link #close} takes every lock, so no call is
 * in progress when the store closes, and later calls fail in {@link #checkOpen()}.
 *
 * <p>{@code ReentrantLock l = locks.of(id); l.lock(); try { locks.checkOpen(); ... } finally { l.unlock(); }}
 *
 * <p>Thread-safe.
 */
public final class SendLedgerLocks {

    /** log2 of the ids per stripe. */
    public static final int SHIFT = 10;
    private static final int STRIPES = 4096;

    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
    private volatile boolean closed;
    private volatile dev.herald.suppression.DamagedFileException damage;

    /** Creates the locks. */
    public SendLedgerLocks() {
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** @return the lock of the stripe of {@code id} */
    public ReentrantLock of(int id) {
        return locks[(id >>> SHIFT) & (STRIPES - 1)];
    }

    /**
     * @throws IllegalStateException if the ledger is closed
     * @throws java.io.UncheckedIOException wrapping the {@link dev.herald.suppression.DamagedFileException}
     *     if the ledger was refused because a stored page is damaged
     */
    public void checkOpen() {
        if (closed) {
            throw new IllegalStateException("send ledger is closed");
        }
        dev.herald.suppression.DamagedFileException d = damage;
        if (d != null) {
            throw new java.io.UncheckedIOException(d.getMessage(), d);
        }
    }

    /**
     * Refuses every later call: a stored page was found damaged. The first damage is kept.
     *
     * @param e the damage, naming the file and offset
     */
    public void refuse(dev.herald.suppression.DamagedFileException e) {
        if (damage == null) {
            damage = e;
        }
    }

    /**
     * Replaces, for each id, the first slot equal to {@code stamp} (confirm or release).
     *
     * @return how many ids had such a slot
     * @throws IllegalStateException if the ledger is closed
     */
    public int replace(SendLedgerStore store, ImmutableRoaringBitmap ids, long stamp, long replacement) {
        return replace(store, ids, -1L, stamp, replacement, true);
    }

    /**
     * Replaces every slot of {@code ids} whose bits under {@code mask} equal {@code match}.
     *
     * @return how many slots were replaced
     * @throws IllegalStateException if the ledger is closed
     */
    public int replaceMatching(SendLedgerStore store, ImmutableRoaringBitmap ids, long mask, long match, long replacement) {
        return replace(store, ids, mask, match, replacement, false);
    }

    /** Replaces the first (or every) non-empty slot whose bits under {@code mask} equal {@code match}. */
    private int replace(SendLedgerStore store, ImmutableRoaringBitmap ids, long mask, long match, long replacement,
                        boolean firstOnly) {
        long[] record = new long[store.slots()];
        int found = 0;
        try (SendLedgerStore.Stripe stripe = store.stripe()) {
            PeekableIntIterator it = ids.getIntIterator();
            boolean more = it.hasNext();
            int id = more ? it.next() : 0;
            // One pass per stripe of ids: read at once, written back at once, under its lock.
            while (more) {
                int block = id >>> SHIFT;
                ReentrantLock l = of(id);
                l.lock();
                try {
                    checkOpen();
                    stripe.open(block);
                    do {
                        stripe.load(id, record);
                        for (int i = 0; i < record.length; i++) {
                            if (record[i] != SendLedgerSlots.EMPTY && (record[i] & mask) == match) {
                                record[i] = replacement;
                                stripe.write(id, i, replacement, record);
                                found++;
                                if (firstOnly) {
                                    break;
                                }
                            }
                        }
                        more = it.hasNext();
                        id = more ? it.next() : 0;
                    } while (more && id >>> SHIFT == block);
                    stripe.writeBack();
                } finally {
                    l.unlock();
                }
            }
        }
        return found;
    }

    /**
     * @return how many slots of {@code id} hold a send
     * @throws IllegalStateException if the ledger is closed
     */
    public int recorded(SendLedgerStore store, int id) {
        long[] record = new long[store.slots()];
        ReentrantLock l = of(id);
        l.lock();
        try {
            checkOpen();
            store.load(id, record);
        } finally {
            l.unlock();
        }
        int n = 0;
        for (long v : record) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }

    /**
     * Waits for calls in progress, marks the ledger closed and runs {@code closer} once.
     *
     * @param closer closes the store and releases the files
     */
    public void close(Runnable closer) {
        for (ReentrantLock l : locks) {
            l.lock();
        }
        try {
            if (!closed) {
                closed = true;
                closer.run();
            }
        } finally {
            for (ReentrantLock l : locks) {
                l.unlock();
            }
        }
    }
}
