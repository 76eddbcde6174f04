package dev.herald.dispatcher.inbound;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.TornTails;
import dev.herald.suppression.store.VerifyResult;

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
import java.util.ArrayList;
import java.util.List;
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
 * <p><b>Restarts.</b> With a directory, each key taken is appended (time and key in a checksummed
 * frame of {@link FramedLog}, not fsynced) to {@code replay-keys.bin}, rotated to
 * {@code replay-keys.old} once per window; at open both are read back for the keys still inside the
 * window. A restart therefore does not reopen the window (a power loss may lose the last keys
 * written). The store rule applies: a torn last frame is dropped and reported; a damaged or
 * zero-filled frame refuses the start, naming the file and offset — a replayed message id is never
 * accepted because its key was unreadable. Files of earlier versions (bare 16-byte entries) are
 * migrated on open (INFO line naming the file); {@link #verify} checks without changing anything.
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
    /** The journal's format: BINARY frames of 16 bytes (u64 time ms, u64 key) after the magic. */
    public static final LogFormat FORMAT = LogFormat.binary("HRLDRPK1", 8, 16, 16);
    private static final int FRAME = FrameFormat.BINARY_HEADER + 16;
    private static final int LEGACY_ENTRY = 16;
    /** 2020-01-01: no key was written before Herald existed. */
    private static final long PLAUSIBLE_SINCE = 1_577_836_800_000L;

    private final long keepMillis;
    private final Clock clock;
    private final ConcurrentHashMap<Long, Set<Long>> buckets = new ConcurrentHashMap<>();
    private final Path dir;
    private FramedLog journal; // guarded by this
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
        long[] loaded = {0};
        for (String name : new String[] {"replay-keys.old", "replay-keys.bin"}) {
            Path f = dir.resolve(name);
            if (!Files.exists(f)) {
                continue;
            }
            migrate(f, clock);
            FramedLog.open(f, FORMAT, (data, at, p, n) -> {
                long time = data.getLong(p);
                long key = data.getLong(p + 8);
                if (time >= oldest) {
                    g.buckets.computeIfAbsent(time / BUCKET_MILLIS, x -> ConcurrentHashMap.newKeySet()).add(key);
                    loaded[0]++;
                }
            }).close();
        }
        g.openJournal(false);
        if (loaded[0] > 0) {
            LOG.info("replay protection: {} request keys of the last {} read back", loaded[0], Duration.ofMillis(g.keepMillis));
        }
        return g;
    }

    /**
     * Checks {@code replay-keys.bin} and {@code replay-keys.old} in {@code dir} without changing them
     * (a file still in the format of earlier versions is reported as needing migration, not damaged).
     */
    public static List<VerifyResult> verify(Path dir) throws IOException {
        List<VerifyResult> out = new ArrayList<>();
        for (String name : new String[] {"replay-keys.old", "replay-keys.bin"}) {
            Path f = dir.resolve(name);
            if (Files.exists(f)) {
                out.add(isLegacy(f) ? VerifyResult.clean(f, 0) : FramedLog.verify(f, FORMAT));
            }
        }
        return out;
    }

    private static boolean isLegacy(Path f) throws IOException {
        byte[] magic = FORMAT.magic();
        byte[] head = new byte[magic.length];
        try (var in = Files.newInputStream(f)) {
            int n = in.readNBytes(head, 0, head.length);
            return !(n == head.length && java.util.Arrays.equals(head, magic)); // the earlier version left empty files too
        }
    }

    /**
     * Converts a file in the format of earlier versions (16-byte entries, time and key, no header
     * nor checksum) to the framed one: written aside, fsynced, renamed over it, logged. An entry
     * whose time is not plausible (zero-filled, damaged) refuses the file; an incomplete last entry
     * is dropped and reported.
     */
    private static void migrate(Path f, Clock clock) throws IOException {
        if (!isLegacy(f)) {
            return;
        }
        byte[] all = Files.readAllBytes(f);
        boolean zeros = all.length > 0;
        for (int i = 0; i < all.length && zeros; i++) {
            zeros = all[i] == 0;
        }
        if (zeros) {
            throw new DamagedStoreException(f, 0, "the file is " + all.length + " zero bytes (zero-filled)");
        }
        int whole = all.length / LEGACY_ENTRY * LEGACY_ENTRY;
        ByteBuffer in = ByteBuffer.wrap(all);
        long latest = clock.millis() + Duration.ofDays(1).toMillis();
        ByteBuffer out = ByteBuffer.allocate(FORMAT.headerBytes() + whole / LEGACY_ENTRY * FRAME);
        out.put(FORMAT.magic());
        for (int pos = 0; pos < whole; pos += LEGACY_ENTRY) {
            long time = in.getLong(pos);
            if (time < PLAUSIBLE_SINCE || time > latest) {
                throw new DamagedStoreException(f, pos, "entry time " + time + " is not plausible (zero-filled or damaged)");
            }
            int start = FrameFormat.beginBinary(out);
            out.putLong(time).putLong(in.getLong(pos + 8));
            FrameFormat.endBinary(out, start);
        }
        FramedLog.replace(f, out.flip());
        if (whole < all.length) {
            TornTails.report(f, whole, all.length - whole, null);
        }
        LOG.info("{}: migrated to the checksummed format ({} keys)", f, whole / LEGACY_ENTRY);
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
            journal.append(ByteBuffer.allocate(16).putLong(now).putLong(nonce).array(), false);
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
        journal = FramedLog.open(current, FORMAT, (data, at, p, n) -> { });
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
