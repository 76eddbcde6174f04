package dev.herald.suppression.internal;

import dev.herald.suppression.Erasure;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientFields;
import dev.herald.suppression.RecipientDirectory.Registration;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The two Chronicle maps of a recipient directory and the rules that keep them consistent.
 *
 * <ul>
 *   <li>records: id → {@link RecipientCodec} record (which includes the number), sealed one by one
 *       in an encrypted directory ({@link RecordCipher}); an erased recipient's is {@link RecipientCodec#ERASED};</li>
 *   <li>phone index: keyed hash of the E.164 key ({@link PhoneHasher}) → id, in every mode, so the
 *       index never holds a number; an erasure keeps its entry (the id stays findable, never reused).</li>
 * </ul>
 * Two numbers with one hash are refused at registration (the record under the hash holds another number).
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
    private final RecordCipher cipher;
    private final PhoneHasher hasher;
    /** Sealed directories: each thread's scratch for single reads, which keeps the page it opened last. */
    private final ThreadLocal<RecordScratch> singleReads = ThreadLocal.withInitial(RecordScratch::new);
    /** The id-ordered copy of {@link #records}; null until {@link #open} has repaired the maps. */
    private RecordPages pages;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Next id to hand out == number of ids. Written only under {@link #writeLock}. */
    private volatile int size;
    /** Set by {@link #close} (under {@link #writeLock}). */
    private boolean closed;

    private RecipientStore(ChronicleMap<Long, Integer> phoneIndex, ChronicleMap<Integer, byte[]> records, DirectoryKeys keys) {
        this.phoneIndex = phoneIndex;
        this.records = records;
        this.cipher = RecordCipher.of(keys);
        this.hasher = keys.hasher();
    }

    /**
     * Opens both maps and repairs a registration that a killed process left half-applied.
     *
     * @param files    the acquired directory files
     * @param capacity entries the maps are sized for
     * @param keys     the directory's keys (hash key; data key if encrypted)
     * @param legacy   null, or for a directory written before the phone index was hashed: writes
     *                 the keys once the hashed index is built aside, then puts it in place
     * @return the store
     * @throws IOException           if a map cannot be created, mapped or recovered
     * @throws IllegalStateException if a stored record is corrupt
     */
    public static RecipientStore open(DirectoryFiles files, long capacity, DirectoryKeys keys, KeysWriter legacy)
            throws IOException {
        boolean recover = files.uncleanShutdown();
        ChronicleMap<Integer, byte[]> records = ChronicleSupport.openRecords(files.recordsFile().toFile(), capacity, recover);
        ChronicleMap<Long, Integer> phoneIndex;
        try {
            if (legacy != null) {
                rehashIndex(files, capacity, records, keys, legacy);
            }
            phoneIndex = ChronicleSupport.openPhoneIndex(files.phoneIndexFile().toFile(), capacity, recover);
        } catch (IOException | RuntimeException e) {
            records.close();
            throw e;
        }
        RecipientStore store = new RecipientStore(phoneIndex, records, keys);
        try {
            boolean lost = store.repair();
            store.pages = RecordPages.open(files.pagesDir(), records, store.cipher, store.size, lost);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** Writes the directory's key file; called once the hashed phone index is built aside. */
    @FunctionalInterface
    public interface KeysWriter {
        void write() throws IOException;
    }

    /**
     * A directory of an earlier version keyed its phone index by the number itself: builds the
     * hashed index aside ({@code recipients-by-phone.cm3.rehash}) from the records, writes the keys
     * (from then on the directory is of this version), and moves the new index over the old one.
     * Killed before the keys are written, the next open starts again; after, it finishes the move
     * ({@link DirectoryFiles#finishRehash}).
     */
    private static void rehashIndex(DirectoryFiles files, long capacity, ChronicleMap<Integer, byte[]> records,
                                    DirectoryKeys keys, KeysWriter writeKeys) throws IOException {
        long start = System.nanoTime();
        Path aside = files.rehashFile();
        Files.deleteIfExists(aside);
        RecordCipher cipher = RecordCipher.of(keys);
        long[] n = new long[1];
        try (ChronicleMap<Long, Integer> index = ChronicleSupport.openPhoneIndex(aside.toFile(), capacity, false)) {
            records.forEach((id, stored) -> {
                byte[] record = cipher.openRecord(id, stored);
                if (!RecipientCodec.isErased(record, 0, record.length)) {
                    index.put(keys.hasher().hash(RecipientCodec.keyOf(id, record)), id);
                    n[0]++;
                }
            });
        }
        writeKeys.write();
        Files.move(aside, files.phoneIndexFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LOG.info("recipient directory {}: keyed the phone index of {} number(s) by their hash in {} ms (a directory of "
                + "an earlier version)", files.phoneIndexFile().getParent(), n[0], (System.nanoTime() - start) / 1_000_000);
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
            byte[] record = cipher.openRecord(id, records.get(id));
            if (record == null) {
                continue;
            }
            if (RecipientCodec.isErased(record, 0, record.length)) {
                break; // an erasure keeps its index entry: linked
            }
            long key = hasher.hash(RecipientCodec.keyOf(id, record));
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
        Integer id = phoneIndex.get(hasher.hash(key));
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * @param id a recipient id
     * @return the recipient, if the id has been handed out
     * @throws IllegalStateException if its stored record is corrupt
     */
    public Optional<Recipient> get(int id) {
        return Optional.ofNullable(cipher.sealed() ? read(id, null, singleReads.get(), true) : get(id, new RecordScratch()));
    }

    /** @return the keyed hash the phone index stores {@code key} under */
    public long phoneHash(long key) {
        return hasher.hash(key);
    }

    /** @return whether records are sealed */
    public boolean sealed() {
        return cipher.sealed();
    }

    /**
     * As {@link #get(int)}, reusing {@code scratch}: from the id-ordered pages, or the map for ids
     * not (yet) in them.
     *
     * @return the recipient, or null if the id has not been handed out
     * @throws IllegalStateException if its stored record is corrupt
     */
    public Recipient get(int id, RecordScratch scratch) {
        return read(id, null, scratch, false);
    }

    /**
     * Reads the whole recipient ({@code names == null}) or its number and those fields.
     *
     * @param single a single read (not a reader's): in a sealed directory, a page is opened only
     *               when the thread's previous single read was on the same page (sequential reads);
     *               otherwise the one record is opened from the map, cheaper than a whole page
     * @return null if the id was not handed out or is erased
     */
    private <T> T read(int id, String[] names, RecordScratch scratch, boolean single) {
        if (id < 0) {
            return null;
        }
        int n = -1;
        if (single && !scratch.holdsPageOf(id) && scratch.lastMapPage != (id >>> PageFormat.PAGE_SHIFT)) {
            scratch.lastMapPage = id >>> PageFormat.PAGE_SHIFT;
        } else {
            scratch.lastMapPage = id >>> PageFormat.PAGE_SHIFT;
            n = pages.read(id, scratch);
        }
        byte[] b;
        int from;
        int to;
        if (n >= 0) {
            b = scratch.buffer();
            from = scratch.from();
            to = from + n;
        } else {
            b = cipher.openRecord(id, records.get(id));
            from = 0;
            to = b == null ? 0 : b.length;
        }
        if (to == from || RecipientCodec.isErased(b, from, to)) {
            return null;
        }
        @SuppressWarnings("unchecked")
        T t = (T) (names == null ? RecipientCodec.decode(id, b, from, to) : RecipientCodec.decodeFields(id, b, from, to, names));
        return t;
    }

    /**
     * @param id    a recipient id
     * @param names the field names wanted
     * @return its number and those fields, if the id has been handed out
     * @throws IllegalStateException if its stored record is corrupt
     */
    public Optional<RecipientFields> fields(int id, String[] names) {
        return Optional.ofNullable(cipher.sealed() ? read(id, names, singleReads.get(), true)
                : fields(id, names, new RecordScratch()));
    }

    /**
     * As {@link #fields(int, String[])}, reusing {@code scratch}: from the id-ordered pages (a
     * sequential read for ascending ids), or the map for ids not (yet) in them.
     *
     * @return its number and those fields, or null if the id has not been handed out
     * @throws IllegalStateException if its stored record is corrupt
     */
    public RecipientFields fields(int id, String[] names, RecordScratch scratch) {
        return read(id, names, scratch, false);
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
            long hash = hasher.hash(input.key());
            Integer existing = phoneIndex.get(hash);
            if (existing != null) {
                update(existing, input);
                return new Registration(existing, false);
            }
            int id = size;
            if (id == Integer.MAX_VALUE) {
                throw new IllegalStateException("recipient directory is full: " + id + " ids");
            }
            byte[] encoded = input.encoded();
            records.put(id, cipher.sealRecord(id, encoded));
            size = id + 1;
            phoneIndex.put(hash, id);
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
            Integer existing = phoneIndex.get(hasher.hash(input.key()));
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
        byte[] stored = cipher.openRecord(id, records.get(id));
        if (stored == null) {
            throw new IllegalStateException("recipient id " + id + " is indexed but has no record");
        }
        if (RecipientCodec.isErased(stored, 0, stored.length)) {
            // The number of an erased recipient registers again: same id, a fresh record.
            byte[] encoded = input.encoded();
            pages.beforeUpdate(id);
            records.put(id, cipher.sealRecord(id, encoded));
            pages.written(id, encoded);
            return;
        }
        if (RecipientCodec.keyOf(id, stored) != input.key()) {
            throw new IllegalStateException("cannot register " + input.e164() + ": its keyed hash in the phone index "
                    + "equals that of the number of recipient id " + id + " (a hash collision, about 1 in 2^64 per pair "
                    + "of numbers); nothing was changed");
        }
        if (input.zone() == null && input.locale() == null && input.fields().isEmpty() && remove.isEmpty()) {
            return;
        }
        Recipient current = RecipientCodec.decode(id, stored);
        Recipient merged = input.mergeInto(current, remove);
        if (!merged.equals(current)) {
            byte[] encoded = RecipientCodec.encode(merged);
            if (!Arrays.equals(encoded, stored)) {
                pages.beforeUpdate(id); // marks the page stale first: a crash after the put never leaves it current
                records.put(id, cipher.sealRecord(id, encoded));
                pages.written(id, encoded);
            }
        }
    }

    /**
     * Erases the recipient of {@code key}: its map value is overwritten in place with zeros of the
     * same length (Chronicle rewrites a value of unchanged size where it is), then replaced by
     * {@link RecipientCodec#ERASED}; its page is written anew and the page's file compacted. The
     * index entry (hash → id) stays, so the id is still found and never reused; registering the
     * number again gives the id a fresh record. Erasing an erased recipient changes nothing.
     *
     * @param key E.164 key
     * @return the id and hash, or empty if the number is not registered
     * @throws UncheckedIOException if the page file cannot be rewritten (the map is erased; the next
     *     open rebuilds the page and compacts its file)
     */
    public Optional<Erasure> erase(long key) {
        writeLock.lock();
        try {
            long hash = hasher.hash(key);
            Integer id = phoneIndex.get(hash);
            if (id == null) {
                return Optional.empty();
            }
            byte[] stored = records.get(id);
            byte[] record = cipher.openRecord(id, stored);
            if (record == null) {
                throw new IllegalStateException("recipient id " + id + " is indexed but has no record");
            }
            if (RecipientCodec.isErased(record, 0, record.length)) {
                return Optional.of(new Erasure(id, hash));
            }
            if (RecipientCodec.keyOf(id, record) != key) {
                return Optional.empty(); // another number's hash: this one is not registered
            }
            pages.beforeUpdate(id);
            records.put(id, new byte[stored.length]);
            records.put(id, RecipientCodec.ERASED);
            try {
                pages.erased(id);
            } catch (IOException e) {
                throw new UncheckedIOException("recipient id " + id + " is erased in the map, but its page file could not be "
                        + "rewritten without it; the next open rebuilds it", e);
            }
            return Optional.of(new Erasure(id, hash));
        } finally {
            writeLock.unlock();
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
