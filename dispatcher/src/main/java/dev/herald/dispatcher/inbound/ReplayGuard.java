package dev.herald.dispatcher.inbound;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers the inbound requests taken within the replay window, so that a captured, validly
 * signed request sent again is refused. A request is known by its provider message id or, without
 * one, by its exact body (SHA-256).
 *
 * <pre>{@code
 * ReplayGuard guard = ReplayGuard.open(dataDir.resolve("inbound"), Duration.ofMinutes(10), Clock.systemUTC());
 * if (!guard.claim(nonce)) { ... 409 replayed ... }
 * guard.forget(nonce);   // the request failed before it was taken: a retry must be possible
 * }</pre>
 *
 * <p><b>How long.</b> A key is remembered for the window plus two minutes, whole minutes dropped
 * once older. Callers refuse timestamps more than the window in the past or more than
 * {@link #FUTURE_SKEW} in the future, so that a request with a timestamp can never outlive its key.
 * A request without a timestamp can be replayed once its key is forgotten: providers that can sign
 * a timestamp into the body should, and {@code herald.inbound.require-timestamp} refuses those
 * without one.
 *
 * <p><b>Restarts.</b> With a directory, each key taken is appended (time and key, 16 bytes, not
 * fsynced) to {@code replay-keys.bin}, rotated to {@code replay-keys.old} once per window; at open
 * both are read back for the keys still inside the window. A restart therefore does not reopen the
 * window (a crash may lose the last keys written).
 *
 * <p>Memory: 64-bit keys in one set per minute (at 2,000 requests per second and a 10-minute
 * window, about 1.4 million keys). A key collision (odds about n²/2⁶⁵) would refuse one request as
 * a replay. Thread-safe.
 */
public final class ReplayGuard implements AutoCloseable {

    /** How far in the future a request's timestamp may be (clock skew between provider and Herald). */
    public static final Duration FUTURE_SKEW = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(ReplayGuard.class);
    private static final long BUCKET_MILLIS = 60_000;

    private final long keepMillis;
    private final Clock clock;
    private final ConcurrentHashMap<Long, Set<Long>> buckets = new ConcurrentHashMap<>();
    private final Path dir;
    private FileChannel journal; // guarded by this
    private long journalStarted; // guarded by this

    private ReplayGuard(Duration window, Clock clock, Path dir) {
        this.keepMillis = window.toMillis() + 2 * BUCKET_MILLIS;
        this.clock = clock;
        this.dir = dir;
    }

    /** A guard that forgets everything on restart (tests, embedding). */
    public ReplayGuard(Duration window, Clock clock) {
        this(window, clock, null);
    }

    /**
     * A guard whose keys survive a restart, kept in {@code dir}.
     *
     * @throws IOException if the directory or its files cannot be read or created
     */
    public static ReplayGuard open(Path dir, Duration window, Clock clock) throws IOException {
        Files.createDirectories(dir);
        ReplayGuard g = new ReplayGuard(window, clock, dir);
        long oldest = clock.millis() - g.keepMillis;
        int loaded = 0;
        for (String name : new String[] {"replay-keys.old", "replay-keys.bin"}) {
            Path f = dir.resolve(name);
            if (!Files.exists(f)) {
                continue;
            }
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f));
            while (b.remaining() >= 16) { // a torn last entry (a crash mid-write) is ignored
                long at = b.getLong();
                long key = b.getLong();
                if (at >= oldest) {
                    g.buckets.computeIfAbsent(at / BUCKET_MILLIS, x -> ConcurrentHashMap.newKeySet()).add(key);
                    loaded++;
                }
            }
        }
        g.openJournal(false);
        if (loaded > 0) {
            LOG.info("replay protection: {} request keys of the last {} read back", loaded, Duration.ofMillis(g.keepMillis));
        }
        return g;
    }

    /** @return the key of a request: its message id when given, else its body */
    public static long nonce(String messageId, byte[] body) {
        byte[] digest = sha256(messageId != null && !messageId.isBlank()
                ? ("id:" + messageId.strip()).getBytes(StandardCharsets.UTF_8) : body);
        return ByteBuffer.wrap(digest).getLong();
    }

    /** @return true if {@code nonce} was not taken within the window (it is now), false for a replay */
    public boolean claim(long nonce) {
        long now = clock.millis();
        long current = now / BUCKET_MILLIS;
        long oldest = (now - keepMillis) / BUCKET_MILLIS;
        buckets.keySet().removeIf(b -> b < oldest);
        for (Set<Long> seen : buckets.values()) {
            if (seen.contains(nonce)) {
                return false;
            }
        }
        // Two racing claims of one nonce: the set's add decides; a claim straddling a minute boundary
        // re-checks the other buckets after its own add.
        if (!buckets.computeIfAbsent(current, b -> ConcurrentHashMap.newKeySet()).add(nonce)) {
            return false;
        }
        for (var e : buckets.entrySet()) {
            if (e.getKey() != current && e.getValue().contains(nonce)) {
                buckets.get(current).remove(nonce);
                return false;
            }
        }
        record(now, nonce);
        return true;
    }

    /** Forgets a claim whose request was not taken after all. */
    public void forget(long nonce) {
        buckets.values().forEach(s -> s.remove(nonce));
        // a key left in the journal only refuses a retry after a restart within the window: 409, never a double action
    }

    /** @return keys remembered now (for tests and metrics) */
    public int size() {
        return buckets.values().stream().mapToInt(Set::size).sum();
    }

    private synchronized void record(long now, long nonce) {
        if (journal == null) {
            return;
        }
        try {
            if (now - journalStarted > keepMillis) {
                openJournal(true);
            }
            ByteBuffer b = ByteBuffer.allocate(16).putLong(now).putLong(nonce).flip();
            while (b.hasRemaining()) {
                journal.write(b);
            }
        } catch (IOException e) {
            LOG.warn("replay protection: a request key could not be written ({}); it is kept in memory", e.toString());
        }
    }

    /** Opens the journal; with {@code rotate}, the current one becomes {@code replay-keys.old} first. */
    private synchronized void openJournal(boolean rotate) throws IOException {
        Path current = dir.resolve("replay-keys.bin");
        if (journal != null) {
            journal.close();
        }
        if (rotate) {
            Files.move(current, dir.resolve("replay-keys.old"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        journal = FileChannel.open(current, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        journalStarted = clock.millis();
    }

    @Override
    public synchronized void close() throws IOException {
        if (journal != null) {
            journal.close();
            journal = null;
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
