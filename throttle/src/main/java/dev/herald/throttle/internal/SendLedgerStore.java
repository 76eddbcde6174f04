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

    /** Closes the store; the kernel keeps everything written (kill-safe, not power-loss safe). */
    @Override
    void close();
}
