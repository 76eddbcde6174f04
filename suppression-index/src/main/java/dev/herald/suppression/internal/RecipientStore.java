package dev.herald.suppression.internal;

import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientFields;
import dev.herald.suppression.RecipientDirectory.Registration;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The two Chronicle maps of a recipient directory and the rules that keep them consistent.
 *
 * <ul>
 *   <li>records: id → {@link RecipientCodec} record (which includes the number);</li>
 *   <li>phone index: E.164 key → id.</li>
 * </ul>
 *
 * <p>{@code RecipientStore store = RecipientStore.open(files, recover); store.register(validated);}
 *
 * <p>Invariants, kept under {@link #writeLock} (single writer): ids are handed out densely
 * (0, 1, 2, ...) in registration order; a new recipient's record is written <em>before</em> its
 * phone-index entry, so any id the index returns has a record, and a process killed between
 * the two writes leaves a record without an index entry, which {@link #open} re-links. Lookups
 * take no lock of ours (Chronicle locks per segment) and are safe from any thread.
 *
 * <p>Beside the maps, {@link RecordPages} keeps an id-ordered copy of the records, which reads
 * use first; it follows the map under the same lock (see there how it stays consistent).
 *
 * <p>Crash consistency covers the process dying (kill -9): the maps are memory-mapped and the
 * kernel keeps what was written. It does not cover power loss, which can lose recent writes.
 */
public final class RecipientStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RecipientStore.class);

    static {
        ChronicleSupport.init();
    }

    private final ChronicleMap<Long, Integer> phoneIndex;
    private final ChronicleMap<Integer, byte[]> records;
    /** The id-ordered copy of {@link #records}; null until {@link #open} has repaired the maps. */
    private RecordPages pages;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Next id to hand out == number of ids. Written only under {@link #writeLock}. */
    private volatile int size;
    /** Set by {@link #close} (under {@link #writeLock}). */
    private boolean closed;

    private RecipientStore(ChronicleMap<Long, Integer> phoneIndex, ChronicleMap<Integer, byte[]> records) {
        this.phoneIndex = phoneIndex;
        this.records = records;
    }

    /**
     * Opens both maps and repairs a registration that a killed process left half-applied.
     *
     * @param files    the acquired directory files
     * @param capacity entries the maps are sized for
     * @return the store
     * @throws IOException           if a map cannot be created, mapped or recovered
     * @throws IllegalStateException if a stored record is corrupt
     */
    public static RecipientStore open(DirectoryFiles files, long capacity) throws IOException {
        boolean recover = files.uncleanShutdown();
        ChronicleMap<Integer, byte[]> records = ChronicleSupport.openRecords(files.recordsFile().toFile(), capacity, recover);
        ChronicleMap<Long, Integer> phoneIndex;
        try {
            phoneIndex = ChronicleSupport.openPhoneIndex(files.phoneIndexFile().toFile(), capacity, recover);
        } catch (IOException | RuntimeException e) {
            records.close();
            throw e;
        }
        RecipientStore store = new RecipientStore(phoneIndex, records);
        try {
            boolean lost = store.repair();
            store.pages = RecordPages.open(files.pagesDir(), records, store.size, lost);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * Sets {@link #size} past the highest stored id and re-links the last records whose number
     * is missing from the phone index. Only the newest registration can be half-applied (single
     * writer), so the scan stops at the first linked record; this keeps open O(1) in the size.
     *
     * @return whether crash recovery lost records (the pages are then rebuilt)
     */
    private boolean repair() {
        long stored = records.longSize();
        if (stored > Integer.MAX_VALUE) {
            throw new IllegalStateException("recipient records hold " + stored + " entries, more than ids allow");
        }
        int next = (int) stored;
        while (next < Integer.MAX_VALUE && records.containsKey(next)) {
            next++; // Ids above size() can only exist if recovery dropped a corrupt record below them.
        }
        if (next != stored) {
            LOG.warn("{} recipient record(s) were lost in crash recovery; their ids stay unused", next - stored);
        }
        int relinked = 0;
        for (int id = next - 1; id >= 0; id--) {
            byte[] record = records.get(id);
            if (record == null) {
                continue;
            }
            long key = RecipientCodec.keyOf(id, record);
            Integer linked = phoneIndex.get(key);
            if (linked != null) {
                if (linked != id) {
                    LOG.warn("recipient id {} duplicates the number of id {}; left unlinked", id, linked);
                }
                break;
            }
            phoneIndex.put(key, id);
            relinked++;
        }
        if (relinked > 0) {
            LOG.info("re-linked {} recipient(s) whose registration was interrupted", relinked);
        }
        size = next;
        return next != stored;
    }

    /** @return the number of ids handed out */
    public int size() {
        return size;
    }

    /**
     * @param key E.164 key
     * @return the id registered for it
     */
    public OptionalInt idOf(long key) {
        Integer id = phoneIndex.get(key);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * @param id a recipient id
     * @return the recipient, if the id has been handed out
     * @throws IllegalStateException if its stored record is corrupt
     */
    public Optional<Recipient> get(int id) {
        return Optional.ofNullable(get(id, new RecordScratch()));
    }

    /**
     * As {@link #get(int)}, reusing {@code scratch}: from the id-ordered pages, or the map for ids
     * not (yet) in them.
     *
     * @return the recipient, or null if the id has not been handed out
     * @throws IllegalStateException if its stored record is corrupt
     */
    public Recipient get(int id, RecordScratch scratch) {
        if (id < 0) {
            return null;
        }
        int n = pages.read(id, scratch);
        if (n >= 0) {
            return n == 0 ? null : RecipientCodec.decode(id, scratch.bytes(), 0, n);
        }
        byte[] record = records.get(id);
        return record == null ? null : RecipientCodec.decode(id, record);
    }

    /**
     * @param id    a recipient id
     * @param names the field names wanted
     * @return its number and those fields, if the id has been handed out
     * @throws IllegalStateException if its stored record is corrupt
     */
    public Optional<RecipientFields> fields(int id, String[] names) {
        return Optional.ofNullable(fields(id, names, new RecordScratch()));
    }

    /**
     * As {@link #fields(int, String[])}, reusing {@code scratch}: from the id-ordered pages (a
     * sequential read for ascending ids), or the map for ids not (yet) in them.
     *
     * @return its number and those fields, or null if the id has not been handed out
     * @throws IllegalStateException if its stored record is corrupt
     */
    public RecipientFields fields(int id, String[] names, RecordScratch scratch) {
        if (id < 0) {
            return null;
        }
        int n = pages.read(id, scratch);
        if (n >= 0) {
            return n == 0 ? null : RecipientCodec.decodeFields(id, scratch.bytes(), 0, n, names);
        }
        byte[] record = records.get(id);
        return record == null ? null : RecipientCodec.decodeFields(id, record, names);
    }

    /**
     * Registers a number, or merges new attributes into its existing recipient.
     *
     * @param input validated input
     * @return the id and whether it is new
     * @throws IllegalArgumentException if the merged record would be too large (nothing written)
     * @throws IllegalStateException    if the directory holds {@link Integer#MAX_VALUE} ids, or
     *                                  the maps are full
     */
    public Registration register(ValidatedRecipient input) {
        writeLock.lock();
        try {
            Integer existing = phoneIndex.get(input.key());
            if (existing != null) {
                update(existing, input);
                return new Registration(existing, false);
            }
            int id = size;
            if (id == Integer.MAX_VALUE) {
                throw new IllegalStateException("recipient directory is full: " + id + " ids");
            }
            byte[] encoded = input.encoded();
            records.put(id, encoded);
            size = id + 1;
            phoneIndex.put(input.key(), id);
            pages.written(id, encoded);
            return new Registration(id, true);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Sets and removes personal fields (and sets a zone or locale given) of the recipient of
     * {@code input}'s number, keeping everything else of its record; registers the number if it is
     * new (the removals are then moot).
     *
     * @param input  validated input: its non-null zone and locale and its fields are set
     * @param remove field names to drop (ignored where absent); disjoint from {@code input}'s fields
     * @return the id and whether it is new
     * @throws RecipientCodec.TooLarge  if the resulting record would be too large (nothing written)
     * @throws IllegalStateException    if the directory is full, or the number is indexed without a record
     */
    public Registration update(ValidatedRecipient input, java.util.Set<String> remove) {
        writeLock.lock();
        try {
            Integer existing = phoneIndex.get(input.key());
            if (existing == null) {
                return register(input); // re-entrant: the lock is held across both
            }
            update(existing, input, remove);
            return new Registration(existing, false);
        } finally {
            writeLock.unlock();
        }
    }

    private void update(int id, ValidatedRecipient input) {
        update(id, input, java.util.Set.of());
    }

    private void update(int id, ValidatedRecipient input, java.util.Set<String> remove) {
        if (input.zone() == null && input.locale() == null && input.fields().isEmpty() && remove.isEmpty()) {
            return;
        }
        byte[] stored = records.get(id);
        if (stored == null) {
            throw new IllegalStateException("recipient id " + id + " is indexed but has no record");
        }
        Recipient current = RecipientCodec.decode(id, stored);
        Recipient merged = input.mergeInto(current, remove);
        if (!merged.equals(current)) {
            byte[] encoded = RecipientCodec.encode(merged);
            if (!Arrays.equals(encoded, stored)) {
                pages.beforeUpdate(id); // marks the page stale first: a crash after the put never leaves it current
                records.put(id, encoded);
                pages.written(id, encoded);
            }
        }
    }

    /**
     * Writes the pages of everything registered so far (the partial last page, pages whose
     * records changed), so that all of it is read from the pages. For the end of an import.
     */
    public void flush() {
        writeLock.lock();
        try {
            pages.flush();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Closes the pages (writing what is pending) and both maps; the store is unusable afterwards.
     * Idempotent.
     *
     * @throws java.io.UncheckedIOException if the pages cannot be written or synced (the maps are closed all the same;
     *     the next open rebuilds what is missing)
     */
    @Override
    public void close() {
        writeLock.lock();
        try {
            try {
                if (pages != null && !closed) {
                    pages.close();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                closed = true;
                try {
                    phoneIndex.close();
                } finally {
                    records.close();
                }
            }
        } finally {
            writeLock.unlock();
        }
    }
}
