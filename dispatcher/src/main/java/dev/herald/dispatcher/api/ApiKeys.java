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

    private final Path file;
    /** The keys and their hashes as bytes (same order), replaced together. */
    private volatile Stored current;

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
        try {
            List<Key> stored = JSON.readValue(file.toFile(), new TypeReference<List<Key>>() { });
            for (Key k : stored) {
                if (k.id() == null || k.role() == null || k.sha256() == null || k.sha256().length() != 64) {
                    throw new IOException(file + ": damaged key entry " + k.id());
                }
            }
            return new ApiKeys(file, stored);
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
    public synchronized Optional<String> bootstrap(String fromEnvironment) throws IOException {
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            if (fromEnvironment.strip().length() < MIN_KEY_LENGTH) {
                throw new IllegalArgumentException("HERALD_API_KEY must be at least " + MIN_KEY_LENGTH + " characters");
            }
            String hash = sha256(fromEnvironment.strip());
            if (current.keys().stream().noneMatch(k -> k.sha256().equals(hash))) {
                add(new Key(newId(), Role.ADMIN, hash, Instant.now(), "HERALD_API_KEY"));
            }
            return Optional.empty();
        }
        if (!current.keys().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(create(Role.ADMIN, "first start").key());
    }

    /** A key just made: the secret (shown once) and what is stored. */
    public record Created(String key, Key stored) {
    }

    /**
     * Makes and stores a new key.
     *
     * @throws IOException if it cannot be stored (then it does not exist)
     */
    public synchronized Created create(Role role, String note) throws IOException {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String key = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Key stored = new Key(newId(), role, sha256(key), Instant.now(), note == null ? "" : note);
        add(stored);
        return new Created(key, stored);
    }

    /**
     * @return true if a key with this id existed and is now revoked
     * @throws IllegalStateException if it is the last admin key (the service would be locked)
     * @throws IOException if the change cannot be stored
     */
    public synchronized boolean revoke(String id) throws IOException {
        List<Key> next = new ArrayList<>(current.keys());
        if (!next.removeIf(k -> k.id().equals(id))) {
            return false;
        }
        if (next.stream().noneMatch(k -> k.role() == Role.ADMIN)) {
            throw new IllegalStateException("key " + id + " is the last admin key; create another admin key first");
        }
        store(next);
        return true;
    }

    /** @return the stored keys (hashes, never secrets) */
    public List<Key> list() {
        return current.keys();
    }

    /**
     * @param token a bearer token as presented
     * @return the key it is, if any
     */
    public Optional<Key> verify(String token) {
        byte[] presented = sha256Bytes(token == null ? "" : token);
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

    private void add(Key key) throws IOException {
        List<Key> next = new ArrayList<>(current.keys());
        next.add(key);
        store(next);
    }

    private void store(List<Key> next) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(FILE + ".tmp");
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
