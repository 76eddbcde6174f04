package dev.herald.suppression;

import dev.herald.suppression.internal.ChronicleSupport;
import dev.herald.suppression.internal.CsvImport;
import dev.herald.suppression.internal.DirectoryFiles;
import dev.herald.suppression.internal.DirectoryKeys;
import dev.herald.suppression.internal.RecipientCodec;
import dev.herald.suppression.internal.RecipientStore;
import dev.herald.suppression.internal.ValidatedRecipient;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The recipient directory: E.164 number ⇄ dense {@code int} id, plus each recipient's attributes
 * (region, time zone, locale, personal fields), persisted in Chronicle Map files in a data
 * directory.
 *
 * <p>{@code try (RecipientDirectory d = RecipientDirectory.open(dir, DirectoryOptions.defaults().withDefaultRegion("GB"))) { int id = d.register("07400 123456", null, "en-GB", Map.of()).id(); }}
 *
 * <p>Ids are dense: 0, 1, 2, ... in registration order, never reused, so every set of recipients
 * can be a RoaringBitmap. Registration validates the number fully and is idempotent: registering
 * a number again returns its id ({@code created == false}) and merges the attributes — a non-empty
 * incoming zone, locale or field value overwrites the stored one, anything absent or empty leaves
 * it as it is (a value cannot be cleared by registering). A CSV import registers each line, so it
 * merges the same way: an existing recipient keeps the fields the file has no column for, and an
 * empty cell clears nothing. {@link #updateFields} is the way to remove a field (and to set some
 * while keeping the rest). Lookups take the E.164 fast path and
 * do not validate: a number that was never registered is simply not found.
 *
 * <p>Reads ({@link #get}, {@link #fields}, {@link #reader}) come from an id-ordered copy of the
 * records, {@code pages/ids-<first id>.pages} (one file per 65,536 ids, checksummed pages of 256),
 * so a chunk's recipients are read sequentially; the Chronicle map stays the source of truth, and
 * {@link #open} rebuilds from it (logged at INFO) pages that are missing, stale or behind — all of
 * them for a directory written by an earlier version.
 *
 * <p>Encryption at rest: with a {@link DirectoryOptions#withMasterKey master key}, every record
 * (number, region, zone, locale, personal fields) is sealed with AES-256-GCM under a random data
 * key, one by one in the map and once per page of 256 in the pages; the data key and the
 * phone-hash key are stored in {@code directory.keys} only wrapped under the master key, which is
 * never stored. In every mode the phone index holds a keyed hash of each number
 * ({@link #phoneHash}), never the number. A wrong master key, none for an encrypted directory, or
 * one for a directory holding unencrypted recipients is refused at open
 * ({@link WrongMasterKeyException}); {@link #rotateMasterKey} re-wraps the keys without rewriting
 * the data. {@link #erase} removes a person's record and leaves only its id and number's hash.
 *
 * <p>Durability: everything survives close and reopen, and a process killed at any point
 * (kill -9): the next {@link #open} notices the unclean shutdown, recovers the Chronicle maps and
 * re-links a registration that was half applied. Power loss is not covered (the maps are
 * memory-mapped and not fsynced per write). One process at a time: a second {@code open} of the
 * same directory fails while the first holds it.
 *
 * <p>Thread-safety: all methods are safe from any number of threads. Lookups ({@link #idOf},
 * {@link #get}, {@link #fields}, {@link #find}, {@link #size}) run concurrently without a directory-wide lock;
 * registrations (including imports and {@link #updateFields}) are serialised by a single writer lock,
 * so an update's read-merge-write of one record is atomic. Do not call
 * {@link #close()} while other threads still use the directory.
 */
public final class RecipientDirectory implements AutoCloseable {

    static {
        ChronicleSupport.init();
    }

    /**
     * The outcome of a registration.
     *
     * @param id      the recipient's id
     * @param created true if the number was new, false if it was already registered
     */
    public record Registration(int id, boolean created) {
    }

    private final Path dir;
    private final PhoneNumbers numbers;
    private final DirectoryFiles files;
    private final RecipientStore store;
    private final DirectoryKeys keys;
    private volatile boolean closed;

    private RecipientDirectory(Path dir, PhoneNumbers numbers, DirectoryFiles files, RecipientStore store, DirectoryKeys keys) {
        this.dir = dir;
        this.numbers = numbers;
        this.files = files;
        this.store = store;
        this.keys = keys;
    }

    /**
     * Opens the directory stored in {@code dir}, creating it if needed.
     *
     * @param dir     data directory; created with its parents if absent
     * @param options default region, capacity and master key
     * @return the open directory; close it to release the files
     * @throws WrongMasterKeyException if the master key is not the one of {@code directory.keys},
     *                               none is given for an encrypted directory, or one is given for a
     *                               directory that holds unencrypted recipients (there is no
     *                               in-place migration: import them into a new directory); nothing changed
     * @throws IllegalStateException if another process holds the directory (the message says
     *                               "directory &lt;path&gt; is in use by another process"), or its
     *                               files are of an unknown layout
     * @throws CorruptIndexException if a map file is damaged (named in the message; left untouched), or a
     *                               page file ({@link dev.herald.suppression.store.DamagedStoreException}
     *                               naming the file and offset; delete it to have it rebuilt from the map)
     * @throws DamagedFileException  if {@code directory.properties} or {@code directory.keys} is damaged (named; left untouched)
     * @throws IOException           if the files cannot be created, mapped or recovered
     */
    public static RecipientDirectory open(Path dir, DirectoryOptions options) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(options, "options");
        DirectoryFiles files = DirectoryFiles.acquire(dir);
        try {
            MasterKey master = options.masterKey();
            DirectoryKeys keys = DirectoryKeys.read(dir, master);
            files.settleRehash(keys != null);
            RecipientStore.KeysWriter legacy = null;
            if (keys == null) {
                if (files.isNew()) {
                    keys = DirectoryKeys.generate(master != null);
                    keys.write(dir, master);
                } else {
                    DirectoryKeys plain = DirectoryKeys.generate(false); // an earlier version's directory
                    keys = plain;
                    legacy = () -> plain.write(dir, null);
                }
            }
            long capacity = files.capacity(options.capacity());
            RecipientStore store = RecipientStore.open(files, capacity, keys, legacy);
            if (master != null && !keys.encrypted()) {
                int size = store.size();
                store.close();
                if (size > 0) {
                    throw new WrongMasterKeyException(DirectoryKeys.file(dir).toAbsolutePath(),
                            WrongMasterKeyException.Reason.NOT_ENCRYPTED, "recipient directory " + dir.toAbsolutePath()
                            + " holds " + size + " unencrypted recipient(s) (" + DirectoryKeys.file(dir).toAbsolutePath()
                            + " says encryption=none) and a master key (fingerprint " + master.fingerprint()
                            + ") was given; a directory is not encrypted in place: open it without the key, or "
                            + "import the recipients into a new directory opened with the key; nothing was changed");
                }
                keys = DirectoryKeys.generate(true); // empty: it becomes an encrypted directory
                keys.write(dir, master);
                store = RecipientStore.open(files, capacity, keys, null);
            }
            return new RecipientDirectory(dir, options.phoneNumbers(), files, store, keys);
        } catch (CorruptIndexException | DamagedFileException | IllegalStateException e) {
            // Refused after checking, before any map was changed: leave the directory as it was found.
            files.releaseRestoringMarker();
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            // Leave the marker: a half-opened map is no proof of a clean state.
            files.releaseOnly();
            throw e;
        }
    }

    /**
     * Wraps the directory's data and hash keys under a new master key, rewriting only
     * {@code directory.keys} (temporary file, fsync, atomic rename): the records stay as they are.
     * Afterwards the directory opens with {@code next} only.
     *
     * @param dir     the directory; it must not be open (in this process or another)
     * @param current the master key it was opened with so far
     * @param next    the new master key
     * @throws WrongMasterKeyException if {@code current} is not its master key, or it is not encrypted
     * @throws IllegalStateException   if it is open, or has no key file
     * @throws IOException             if the key file cannot be read or written
     */
    public static void rotateMasterKey(Path dir, MasterKey current, MasterKey next) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(next, "next");
        if (!Files.exists(DirectoryKeys.file(dir))) {
            throw new IllegalStateException("recipient directory " + dir.toAbsolutePath() + " has no "
                    + DirectoryKeys.FILE + ": not an encrypted directory (or not a directory of this version)");
        }
        DirectoryFiles files = DirectoryFiles.acquire(dir);
        try {
            DirectoryKeys.rewrap(dir, current, next);
        } finally {
            files.releaseRestoringMarker();
        }
    }

    /** @return whether the records are stored encrypted (the directory has a master key) */
    public boolean encrypted() {
        return keys.encrypted();
    }

    /**
     * A cipher under this directory's data key for other data of the same people (see
     * {@link DataCipher}); of an unencrypted directory, one that is not {@link DataCipher#enabled()}.
     *
     * @param purpose what is sealed, authenticated with it (e.g. {@code "message-log fields"})
     * @return the cipher
     * @throws IllegalArgumentException if {@code purpose} is blank
     */
    public DataCipher cipher(String purpose) {
        return new DataCipher(purpose, keys.gcm());
    }

    /**
     * The keyed hash (SipHash-2-4 under the directory's hash key) the phone index stores a number
     * under; stable for the life of the directory, meaningless without its key file.
     *
     * @param phone a number, as for {@link #idOf}
     * @return its hash
     * @throws InvalidPhoneNumberException if non-canonical input cannot be read as a phone number
     */
    public long phoneHash(String phone) {
        ensureOpen();
        return store.phoneHash(numbers.lookupKey(phone));
    }

    /**
     * Erases a person: the record (number, region, zone, locale, every field) is replaced by an
     * erased marker and its bytes overwritten; its page is rewritten and the page file compacted,
     * so no file of the directory holds them any more. The id stays handed out and {@link #idOf}
     * still finds it by the number's keyed hash (suppression by id keeps working); {@link #get},
     * {@link #fields} and {@link #find} answer empty for it. Registering the number again gives the
     * same id a fresh record. Idempotent.
     *
     * @param phone the number, as for {@link #idOf}
     * @return the erased id and the number's hash, or empty if the number is not registered
     * @throws InvalidPhoneNumberException  if non-canonical input cannot be read as a phone number
     * @throws IllegalStateException        if the directory is closed
     * @throws java.io.UncheckedIOException if the page file cannot be rewritten (the record is erased
     *                                      from the map; the next open rebuilds the page)
     */
    public Optional<Erasure> erase(String phone) {
        ensureOpen();
        return store.erase(numbers.lookupKey(phone));
    }

    /** @return the number of ids handed out; ids are {@code 0 .. size() - 1} */
    public int size() {
        ensureOpen();
        return store.size();
    }

    /** @return the number normalisation this directory applies */
    public PhoneNumbers phoneNumbers() {
        return numbers;
    }

    /**
     * @param phone a number; canonical E.164 ({@code +447400123456}) is fastest
     * @return its id, if registered
     * @throws InvalidPhoneNumberException if non-canonical input cannot be read as a phone number
     *                                     (e.g. national format without a default region)
     * @throws IllegalStateException       if the directory is closed
     */
    public OptionalInt idOf(String phone) {
        ensureOpen();
        return store.idOf(numbers.lookupKey(phone));
    }

    /**
     * @param key an E.164 key ({@link PhoneNumbers#toKey})
     * @return its id, if registered
     * @throws IllegalStateException if the directory is closed
     */
    public OptionalInt idOfKey(long key) {
        ensureOpen();
        return store.idOf(key);
    }

    /**
     * @param id a recipient id
     * @return the recipient, or empty if the id was never handed out or is erased
     * @throws IllegalStateException if the directory is closed or the stored record is corrupt
     */
    public Optional<Recipient> get(int id) {
        ensureOpen();
        return store.get(id);
    }

    /**
     * The number and the named personal fields of a recipient, decoding nothing else of its
     * record: what rendering a message needs, without the cost of {@link #get}.
     *
     * <pre>{@code
     * List<String> names = List.copyOf(template.fields());          // once per campaign
     * RecipientFields r = directory.fields(id, names).orElseThrow();  // per recipient
     * }</pre>
     *
     * @param id    a recipient id
     * @param names field names; the result's keys are these strings
     * @return the recipient's number and those of {@code names} it has, or empty if the id was
     *     never handed out
     * @throws IllegalStateException if the directory is closed or the stored record is corrupt
     * @throws NullPointerException  if {@code names} or one of them is null
     */
    public Optional<RecipientFields> fields(int id, List<String> names) {
        ensureOpen();
        return store.fields(id, names.toArray(String[]::new));
    }

    /**
     * The number and the named fields of many recipients at once, read in the order given from the
     * id-ordered pages (sequential for ascending ids, as a chunk's ids are): the batch form of
     * {@link #fields(int, List)}.
     *
     * <pre>{@code
     * RecipientFields[] batch = directory.fields(ids, template.fieldNames());   // ids ascending
     * }</pre>
     *
     * @param ids   recipient ids
     * @param names field names; the results' keys are these strings
     * @return one element per id, at its position: its number and fields, or null for an id that
     *     was never handed out
     * @throws IllegalStateException if the directory is closed or a stored record is corrupt
     * @throws NullPointerException  if {@code ids}, {@code names} or one of the names is null
     */
    public RecipientFields[] fields(int[] ids, List<String> names) {
        return reader(names).fields(ids);
    }

    /**
     * A reusable reader of the number and the named fields (and whole records), for one thread;
     * see {@link RecipientReader}.
     *
     * @param names field names
     * @return a new reader
     * @throws IllegalStateException if the directory is closed
     * @throws NullPointerException  if {@code names} or one of them is null
     */
    public RecipientReader reader(List<String> names) {
        ensureOpen();
        return new RecipientReader(this, store, names);
    }

    /**
     * @param phone a number, as for {@link #idOf}
     * @return the recipient, if registered
     * @throws InvalidPhoneNumberException if non-canonical input cannot be read as a phone number
     * @throws IllegalStateException       if the directory is closed
     */
    public Optional<Recipient> find(String phone) {
        OptionalInt id = idOf(phone);
        return id.isPresent() ? store.get(id.getAsInt()) : Optional.empty(); // empty for an erased id
    }

    /**
     * Registers a number, or updates the attributes of its existing recipient (see the class
     * comment for the merge rule).
     *
     * @param phone  the number, international or (with a default region) national format
     * @param zone   IANA time-zone id such as {@code Europe/London}; null or blank if unknown
     * @param locale BCP 47 tag such as {@code en-GB} ({@code en_GB} accepted); null or blank if
     *               unknown
     * @param fields personal fields; null for none; null or blank values are ignored
     * @return the id and whether it is new
     * @throws InvalidPhoneNumberException if the number is not valid (names the reason)
     * @throws IllegalArgumentException    if the zone or locale is invalid, a field name is blank,
     *                                     or the record would exceed 64 KiB
     * @throws IllegalStateException       if the directory is closed or full
     */
    public Registration register(String phone, String zone, String locale, Map<String, String> fields) {
        ensureOpen();
        return store.register(ValidatedRecipient.of(numbers, phone, zone, locale, fields));
    }

    /**
     * Sets and removes personal fields of a recipient, keeping its other fields, zone and locale:
     * what an API that edits one recipient's attributes needs, where {@link #register} can only
     * add or overwrite (it ignores empty values, so it never clears one). An unknown number is
     * registered, as {@link #register} would, with the fields of {@code set}.
     *
     * <pre>{@code
     * directory.updateFields("+447400123456", Map.of("birthday", "1990-03-14"), Set.of("tier"));
     * }</pre>
     *
     * <p>Values are stripped; a null or blank value in {@code set} removes the field, as naming it
     * in {@code remove} does. Removing a field the recipient does not have changes nothing. Fields
     * set keep their place if the recipient had them, new ones are appended. All or nothing: when
     * an exception is thrown, the stored record is unchanged.
     *
     * @param phone  the number, as for {@link #register}
     * @param set    fields to set; null for none
     * @param remove field names to remove; null for none
     * @return the id and whether the number was new
     * @throws InvalidPhoneNumberException if the number is not valid (names the reason)
     * @throws IllegalArgumentException    if a field name is null or blank, one name is both set and
     *                                     removed (the message names it), or the record would exceed
     *                                     64 KiB (the message names the largest field set)
     * @throws IllegalStateException       if the directory is closed or full
     */
    public Registration updateFields(String phone, Map<String, String> set, Set<String> remove) {
        return updateFields(phone, null, null, set, remove);
    }

    /**
     * As {@link #updateFields(String, Map, Set)}, also setting the zone and the locale when given
     * (null or blank keeps the stored one; neither can be cleared).
     *
     * @param zone   IANA time-zone id, or null or blank to keep the stored one
     * @param locale BCP 47 tag, or null or blank to keep the stored one
     * @throws IllegalArgumentException also if the zone or locale is invalid (named in the message)
     */
    public Registration updateFields(String phone, String zone, String locale, Map<String, String> set,
                                     Set<String> remove) {
        ensureOpen();
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> removed = new LinkedHashSet<>();
        if (remove != null) {
            for (String name : remove) {
                removed.add(checkedName(name));
            }
        }
        if (set != null) {
            for (Map.Entry<String, String> field : set.entrySet()) {
                String name = checkedName(field.getKey());
                String value = field.getValue() == null ? "" : field.getValue().strip();
                if (value.isEmpty()) {
                    removed.add(name);
                } else if (removed.contains(name)) {
                    throw new IllegalArgumentException("field '" + name + "' is both set and removed");
                } else {
                    values.put(name, value);
                }
            }
        }
        try {
            return store.update(ValidatedRecipient.of(numbers, phone, zone, locale, values), removed);
        } catch (RecipientCodec.TooLarge e) {
            String what = values.entrySet().stream().max(Comparator.comparingInt(f -> f.getValue().length()))
                    .map(f -> " with field '" + f.getKey() + "' (" + f.getValue().length() + " characters) set")
                    .orElse("");
            throw new IllegalArgumentException("recipient record would be " + e.bytes() + " bytes, more than the "
                    + RecipientCodec.MAX_ENCODED_BYTES + " allowed," + what + "; nothing was changed", e);
        }
    }

    private static String checkedName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("a field name is null");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("field name '" + name + "' is blank");
        }
        return name;
    }

    /**
     * Imports a UTF-8 CSV file (BOM optional), streamed. The header row needs a {@code phone}
     * column (case-insensitive); optional {@code tz} and {@code locale}; every other column is a
     * personal field named by its lower-cased header. Each record is applied completely or not
     * at all; rejected records are reported with their physical line number and the reason. A
     * number already registered is merged as {@link #register} merges (fields without a column
     * and empty cells leave the stored values as they are).
     *
     * @param file     the CSV file
     * @param listener hears each record's outcome, on the calling thread
     * @return the counts
     * @throws IllegalArgumentException if the header is missing or has no {@code phone} column
     * @throws IOException              if the file cannot be read
     * @throws IllegalStateException    if the directory is closed
     */
    public ImportReport importCsv(Path file, ImportListener listener) throws IOException {
        ensureOpen();
        try (InputStream in = Files.newInputStream(file)) {
            return CsvImport.run(CsvReader.utf8(in, CsvReader.DEFAULT_MAX_RECORD_BYTES), file.toString(), numbers,
                    store::register, Objects.requireNonNull(listener, "listener"));
        } finally {
            store.flush();
        }
    }

    /**
     * As {@link #importCsv(Path, ImportListener)}, from characters already decoded; a record
     * containing U+FFFD (what decoders put for invalid bytes) is rejected as invalid UTF-8. The
     * reader is not closed; the record limit is counted in UTF-8 bytes.
     *
     * @param reader     the CSV text
     * @param sourceName name used in messages, e.g. the upload's file name
     * @param listener   hears each record's outcome, on the calling thread
     * @return the counts
     * @throws IllegalArgumentException if the header is missing or has no {@code phone} column
     * @throws IOException              if reading fails
     * @throws IllegalStateException    if the directory is closed
     */
    public ImportReport importCsv(Reader reader, String sourceName, ImportListener listener) throws IOException {
        ensureOpen();
        try {
            return CsvImport.run(new CsvReader(Objects.requireNonNull(reader, "reader"), CsvReader.DEFAULT_MAX_RECORD_BYTES),
                    Objects.requireNonNull(sourceName, "sourceName"), numbers, store::register,
                    Objects.requireNonNull(listener, "listener"));
        } finally {
            store.flush();
        }
    }

    /**
     * Closes the maps, marks the directory cleanly closed and releases it. Idempotent.
     *
     * @throws java.io.UncheckedIOException if the open marker cannot be removed
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            store.close();
        } finally {
            files.close();
        }
    }

    /**
     * Writes the id-ordered pages of everything registered so far, so that every id is read from
     * them (registrations one by one leave the last partial page and pages whose records changed
     * to the map until then). The imports do it when they end; close does it too.
     *
     * @throws IllegalStateException if the directory is closed
     */
    public void flush() {
        ensureOpen();
        store.flush();
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("recipient directory " + dir.toAbsolutePath() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "RecipientDirectory[" + dir.toAbsolutePath() + ", " + (closed ? "closed" : store.size() + " ids") + "]";
    }
}
