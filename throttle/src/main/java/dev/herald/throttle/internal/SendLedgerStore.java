package dev.herald.throttle.internal;

/**
 * Where a send ledger keeps its records: K slots of 8 bytes per recipient id.
 *
 * <p>{@code store.load(id, slots); store.write(id, i, slot);}
 *
 * <p>Thread-safety: the {@code SendLedger} serialises access per id (striped locks); a store
 * only has to allow concurrent calls for different ids and its own growth.
 */
public interface SendLedgerStore extends AutoCloseable {

    /** @return K, the slots per record */
    int slots();

    /**
     * Copies the record of {@code id} into {@code into[0..K)} (all {@code 0} if never written).
     *
     * @param id   recipient id, ≥ 0
     * @param into at least K longs
     */
    void load(int id, long[] into);

    /**
     * Writes one slot of {@code id}'s record (one atomic 8-byte store where the store allows).
     *
     * @param id    recipient id, ≥ 0
     * @param slot  slot index in {@code [0, K)}
     * @param value the slot, see {@link SendLedgerSlots}
     * @param record the whole record after the write (stores that rewrite whole values use it)
     */
    void write(int id, int slot, long value, long[] record);

    /**
     * @return a pass over one stripe of records at a time (see {@link Stripe}), for one thread
     *     until closed. This default reads and writes each record on its own.
     */
    default Stripe stripe() {
        return new Stripe() {
            @Override
            public void open(int stripe) {
            }

            @Override
            public void load(int id, long[] into) {
                SendLedgerStore.this.load(id, into);
            }

            @Override
            public void write(int id, int slot, long value, long[] record) {
                SendLedgerStore.this.write(id, slot, value, record);
            }

            @Override
            public void writeBack() {
            }
        };
    }

    /**
     * The records of one stripe of ids ({@code [s << SendLedgerLocks.SHIFT, (s + 1) << SHIFT)}),
     * read, decided and written back while the caller holds that stripe's lock:
     *
     * <pre>{@code
     * try (Stripe st = store.stripe()) {
     *     lock.lock(); try { st.open(s); st.load(id, record); st.write(id, i, slot, record); st.writeBack(); } finally { lock.unlock(); }
     * }
     * }</pre>
     * Writes are only in the store once {@link #writeBack} returned; a pass abandoned before it
     * (an exception) writes nothing. Ids are loaded in ascending order, each before it is written:
     * a pass's loads need not see its own writes (a store may refuse a load of an id at or below
     * one already written in the pass).
     */
    interface Stripe extends AutoCloseable {
        /** Starts a pass over stripe {@code stripe} (its lock held). */
        void open(int stripe);

        /** As {@link SendLedgerStore#load}, for an id of the open stripe. */
        void load(int id, long[] into);

        /** As {@link SendLedgerStore#write}, for an id of the open stripe. */
        void write(int id, int slot, long value, long[] record);

        /** Writes the pass's writes to the store (kill-safe once this returns). */
        void writeBack();

        /** Gives the pass back (its buffer is reused); unwritten writes are dropped. */
        @Override
        default void close() {
        }
    }

    /** Closes the store; the kernel keeps everything written (kill-safe, not power-loss safe). */
    @Override
    void close();
}
