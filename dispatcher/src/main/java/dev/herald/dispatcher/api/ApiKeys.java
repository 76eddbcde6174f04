package dev.herald.dispatcher.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The API keys, stored as SHA-256 hashes only in {@code <data>/api-keys.json} (replaced atomically,
 * fsynced). A key is shown once, when it is made.
 *
 * <pre>{@code
 * ApiKeys keys = ApiKeys.open(dataDir);
 * Optional<String> printed = keys.bootstrap(System.getenv("HERALD_API_KEY")); // first start: an admin key
 * Optional<ApiKeys.Key> who = keys.verify(bearerToken);
 * }</pre>
 *
 * <p>Verification hashes the presented token and compares it with every stored hash in constant
 * time ({@link MessageDigest#isEqual}), without stopping at a match, so the answer time does not
 * depend on which key (if any) matched or how much of it. Thread-safe.
 *
 * <p><b>Shared by processes</b> ({@link #openShared}: a cluster's key file, which every node and
 * every partition checks keys with). A change is made under an exclusive file lock on the keys as
 * the file holds them then, so that no process's change is lost, and is durable (file and folder
 * synced) before it returns. Every instance looks whether the file was replaced at most once per
 * {@code checkEvery} (one {@code stat}), and at once when a token matches no key or the keys are
 * listed: a key made by another process works here as soon as its file is visible, a revoked one
 * stops within {@code checkEvery}. A file that cannot be read is never overwritten: the keys last
 * read stay in force, the error is logged, and changes are refused until the file is repaired.
 */
public final class ApiKeys {

    /** Stored file name in the data directory. */
    public static final String FILE = "api-keys.json";
    /** Prefix of generated keys (makes them recognisable in secret scanners). */
    public static final String PREFIX = "hk_";
    /** Shortest key accepted from {@code HERALD_API_KEY}. */
    public static final int MIN_KEY_LENGTH = 16;

    /**
     * One stored key.
     *
     * @param id        public identifier (for listing and revoking), never the key
     * @param role      what it may do
     * @param sha256    hex SHA-256 of the key
     * @param createdAt when it was made
     * @param note      who or what it is for (may be empty)
     */
    public record Key(String id, Role role, String sha256, Instant createdAt, String note) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ApiKeys.class);
    /** One instance per shared file in a process: a node and the partitions it hosts check keys alike. */
    private static final java.util.Map<Path, ApiKeys> SHARED = new java.util.HashMap<>();

    private final Path file;
    /** The keys and their hashes as bytes (same order), replaced together. */
    private volatile Stored current;
    /** Null: the file is this process's alone. */
    private final SharedKeyFile shared;
    private final long checkEveryNanos;
    /** When the shared file is looked at next ({@link System#nanoTime}). */
    private volatile long nextCheck;
    /** The shared file's stamp when {@link #current} was read from it. */
    private volatile Object stamp;
    /** The stamp of a shared file found damaged (logged once per damaged version). */
    private volatile Object damaged;
    /** Held by a change, and by a reload (changes and reloads of {@link #current} one at a time). */
    private final java.util.concurrent.locks.ReentrantLock changing = new java.util.concurrent.locks.ReentrantLock();

    private record Stored(List<Key> keys, byte[][] hashes) {
        static Stored of(List<Key> keys) {
            List<Key> copy = List.copyOf(keys);
            byte[][] h = new byte[copy.size()][];
            for (int i = 0; i < h.length; i++) {
                h[i] = HexFormat.of().parseHex(copy.get(i).sha256());
            }
            return new Stored(copy, h);
        }
    }

    private ApiKeys(Path file, List<Key> keys) {
        this.file = file;
        this.current = Stored.of(keys);
        this.shared = null;
        this.checkEveryNanos = 0;
    }

    private ApiKeys(SharedKeyFile shared, Object stamp, List<Key> keys, java.time.Duration checkEvery) {
        this.file = shared.file();
        this.current = Stored.of(keys);
        this.shared = shared;
        this.stamp = stamp;
        this.checkEveryNanos = checkEvery.toNanos();
        this.nextCheck = System.nanoTime() + checkEveryNanos;
    }

    /**
     * The keys of a file several processes share (a cluster's), reread when another process replaces
     * it; within a process, every caller of the same file gets the same instance.
     *
     * @param file       the key file (created with the first key; its folder now)
     * @param checkEvery how often, at most, a key check looks whether the file was replaced
     * @return the keys (none if the file does not exist yet)
     * @throws IOException              if the file exists but cannot be read or parsed (naming it)
     * @throws IllegalArgumentException if {@code checkEvery} is not positive
     */
    public static ApiKeys openShared(Path file, java.time.Duration checkEvery) throws IOException {
        Path f = file.toAbsolutePath().normalize();
        synchronized (SHARED) {
            ApiKeys open = SHARED.get(f);
            if (open == null) {
                open = sharedView(f, checkEvery);
                SHARED.put(f, open);
            }
            return open;
        }
    }

    /** A view of a shared file of its own, as another process has (tests: two nodes). */
    static ApiKeys sharedView(Path file, java.time.Duration checkEvery) throws IOException {
        if (checkEvery == null || checkEvery.isNegative() || checkEvery.isZero()) {
            throw new IllegalArgumentException("the key file's check interval must be > 0, got " + checkEvery);
        }
        SharedKeyFile shared = new SharedKeyFile(file);
        Object stamp = shared.stamp(); // before reading: a replacement in between is seen at the next check
        return new ApiKeys(shared, stamp, stamp == SharedKeyFile.ABSENT ? List.of() : read(shared.file()), checkEvery);
    }

    /**
     * @param dataDir the data directory
     * @return the stored keys (none if the file does not exist yet)
     * @throws IOException if the file exists but cannot be read or parsed (naming it)
     */
    public static ApiKeys open(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (!Files.exists(file)) {
            return new ApiKeys(file, List.of());
        }
        return new ApiKeys(file, read(file));
    }

    /** @throws IOException naming {@code file} if it cannot be read, is not a list of keys, or an entry is damaged */
    private static List<Key> read(Path file) throws IOException {
        try {
            List<Key> stored = JSON.readValue(file.toFile(), new TypeReference<List<Key>>() { });
            if (stored == null) {
                throw new IOException("not a list of keys");
            }
            for (Key k : stored) {
                if (k == null || k.id() == null || k.role() == null || k.sha256() == null || k.sha256().length() != 64
                        || !k.sha256().matches("[0-9a-fA-F]{64}")) {
                    throw new IOException("damaged key entry " + (k == null ? "null" : k.id()));
                }
            }
            return stored;
        } catch (IOException e) {
            throw new IOException("cannot read API keys from " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * On first start (no key stored): stores {@code fromEnvironment} as the admin key if given, else
     * makes one. Does nothing when keys exist.
     *
     * @param fromEnvironment the value of {@code HERALD_API_KEY}, or null
     * @return the generated admin key, to be printed once; empty if none was generated
     * @throws IllegalArgumentException if {@code fromEnvironment} is shorter than {@link #MIN_KEY_LENGTH}
     * @throws IOException if the keys cannot be stored
     */
    public Optional<String> bootstrap(String fromEnvironment) throws IOException {
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            if (fromEnvironment.strip().length() < MIN_KEY_LENGTH) {
                throw new IllegalArgumentException("HERALD_API_KEY must be at least " + MIN_KEY_LENGTH + " characters");
            }
            String hash = sha256(fromEnvironment.strip());
            return edit(keys -> {
                if (keys.stream().noneMatch(k -> k.sha256().equals(hash))) {
                    keys.add(new Key(newId(), Role.ADMIN, hash, Instant.now(), "HERALD_API_KEY"));
                }
                return Optional.<String>empty();
            });
        }
        return edit(keys -> {
            if (!keys.isEmpty()) {
                return Optional.<String>empty();
            }
            Created first = made(Role.ADMIN, "first start");
            keys.add(first.stored());
            return Optional.of(first.key());
        });
    }

    /** A key just made: the secret (shown once) and what is stored. */
    public record Created(String key, Key stored) {
    }

    /**
     * Makes and stores a new key.
     *
     * @throws IOException if it cannot be stored (then it does not exist)
     */
    public Created create(Role role, String note) throws IOException {
        Created made = made(role, note);
        return edit(keys -> {
            keys.add(made.stored());
            return made;
        });
    }

    private static Created made(Role role, String note) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String key = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        return new Created(key, new Key(newId(), role, sha256(key), Instant.now(), note == null ? "" : note));
    }

    /**
     * @return true if a key with this id existed and is now revoked
     * @throws IllegalStateException if it is the last admin key (the service would be locked)
     * @throws IOException if the change cannot be stored
     */
    public boolean revoke(String id) throws IOException {
        return edit(keys -> {
            List<Key> next = new ArrayList<>(keys);
            if (!next.removeIf(k -> k.id().equals(id))) {
                return false;
            }
            if (next.stream().noneMatch(k -> k.role() == Role.ADMIN)) {
                throw new IllegalStateException("key " + id + " is the last admin key; create another admin key first");
            }
            keys.removeIf(k -> k.id().equals(id));
            return true;
        });
    }

    /** @return the stored keys (hashes, never secrets); a shared file's as it is now */
    public List<Key> list() {
        refresh(true);
        return current.keys();
    }

    /**
     * @param token a bearer token as presented
     * @return the key it is, if any
     */
    public Optional<Key> verify(String token) {
        byte[] presented = sha256Bytes(token == null ? "" : token);
        refresh(false);
        Optional<Key> found = match(presented);
        if (found.isEmpty() && refresh(true)) {
            found = match(presented); // made by another process since the last look
        }
        return found;
    }

    private Optional<Key> match(byte[] presented) {
        Stored now = current;
        List<Key> k = now.keys();
        byte[][] h = now.hashes();
        Key found = null;
        for (int i = 0; i < h.length; i++) {
            // every stored hash is compared, in constant time, whether or not one matched already
            if (MessageDigest.isEqual(presented, h[i]) && found == null) {
                found = k.get(i);
            }
        }
        return Optional.ofNullable(found);
    }

    /** A change to the keys: edits {@code keys} in place (or throws, and nothing is stored). */
    private interface Edit<T> {
        T apply(List<Key> keys);
    }

    /**
     * Applies {@code edit} to the keys as stored now and stores the result if it changed them: a
     * shared file is read again under its exclusive lock first, so a change another process made
     * meanwhile is kept.
     *
     * @throws IOException if the keys cannot be read (a shared file damaged: left as it is) or stored
     */
    private <T> T edit(Edit<T> edit) throws IOException {
        changing.lock();
        try {
            if (shared == null) {
                List<Key> next = new ArrayList<>(current.keys());
                T result = edit.apply(next);
                if (!next.equals(current.keys())) {
                    store(next);
                }
                return result;
            }
            try (SharedKeyFile.Held held = shared.locked()) {
                Object now = shared.stamp();
                List<Key> fresh;
                try {
                    fresh = now == SharedKeyFile.ABSENT ? List.of() : read(file);
                } catch (IOException e) {
                    throw new IOException(e.getMessage() + "; it is left as it is: no key can be made or revoked until"
                            + " it is repaired or restored (the keys read before stay in force)", e);
                }
                current = Stored.of(fresh);
                stamp = now;
                List<Key> next = new ArrayList<>(fresh);
                T result = edit.apply(next);
                if (!next.equals(fresh)) {
                    store(next);
                    shared.syncFolder();
                    try {
                        stamp = shared.stamp();
                    } catch (IOException e) {
                        // stored: the change is made and must be answered so; the next check reads the file again
                        LOG.warn("cannot look at the API key file {} after changing it: {}", file, e.toString());
                        stamp = null;
                    }
                }
                return result;
            }
        } finally {
            changing.unlock();
        }
    }

    /**
     * Reads a shared file again if it was replaced since it was last read: when {@code now}, or when
     * {@code checkEvery} has passed since the last look. A damaged file is logged (once) and the keys
     * read before stay.
     *
     * @return whether the keys were read again
     */
    private boolean refresh(boolean now) {
        if (shared == null) {
            return false;
        }
        long t = System.nanoTime();
        if (!now && t - nextCheck < 0) {
            return false;
        }
        nextCheck = t + checkEveryNanos;
        try {
            Object seen = shared.stamp();
            if (seen.equals(stamp) || seen.equals(damaged)) {
                return false;
            }
            if (!changing.tryLock()) {
                // a change in progress here sets the keys itself; a key check (on the routes' own
                // dispatcher) never waits for it, nor for the file lock another node holds
                return false;
            }
            try {
                seen = shared.stamp();
                if (seen.equals(stamp)) {
                    return false;
                }
                List<Key> keys = seen == SharedKeyFile.ABSENT ? List.of() : read(file);
                current = Stored.of(keys);
                stamp = seen;
                return true;
            } catch (IOException e) {
                damaged = seen;
                LOG.error("{}; the {} API key(s) read before stay in force, and no key can be made or revoked until it is"
                        + " repaired or restored", e.getMessage(), current.keys().size());
                return false;
            } finally {
                changing.unlock();
            }
        } catch (IOException e) {
            LOG.warn("cannot look at the API key file {}: {}", file, e.toString());
            return false;
        }
    }

    private void store(List<Key> next) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        byte[] bytes = JSON.writeValueAsBytes(next);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        current = Stored.of(next);
    }

    private static String newId() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return "key_" + HexFormat.of().formatHex(b);
    }

    private static byte[] sha256Bytes(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
