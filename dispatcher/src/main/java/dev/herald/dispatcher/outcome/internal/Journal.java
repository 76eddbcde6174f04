package dev.herald.dispatcher.outcome.internal;

import dev.herald.suppression.CorruptIndexException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The durable side of an outcome ledger: the audience file, the current checkpoint and the log
 * of the checkpoint's generation, in one directory.
 *
 * <pre>
 * audience.rbm           the audience, fixed at creation
 * checkpoint             generation g: state up to log sequence number s
 * log-&lt;g&gt;.log          transitions after s
 * </pre>
 * A checkpoint fsyncs the log, publishes generation g+1 (write aside, rename), then creates
 * {@code log-<g+1>.log} and deletes {@code log-<g>.log}. A crash between these steps leaves
 * either the old checkpoint with its whole log, or the new one with no log yet (created on open);
 * logs older than the checkpoint are leftovers and deleted on open.
 *
 * <p>Not thread-safe: used by the ledger's single writer.
 */
public final class Journal implements AutoCloseable {
    private static final Pattern LOG_NAME = Pattern.compile("log-(\\d{12})\\.log");

    /** What {@link #open} found. */
    public record Opened(Journal journal, LedgerState state, boolean created, long generation, long replayed,
                         long tornBytes, List<String> warnings) {
    }

    private final Path dir;
    private final int audienceCrc;
    // Written under the ledger's write lock and syncLock, read under either.
    private LedgerLog log;
    private long generation;
    private long lastSeq;
    private long sinceCheckpoint;
    /** Held while the log is fsynced, replaced or closed; taken after the ledger's write lock, never before it. */
    private final Object syncLock = new Object();
    /** The last sequence number whose append completed (a fsync from now on covers it). */
    private volatile long appendedSeq;
    // Guarded by syncLock.
    private long syncedSeq;

    private Journal(Path dir, int audienceCrc, long generation, long lastSeq) {
        this.dir = dir;
        this.audienceCrc = audienceCrc;
        this.generation = generation;
        this.lastSeq = lastSeq;
        this.appendedSeq = lastSeq;
        this.syncedSeq = lastSeq;
    }

    /**
     * Creates the files for {@code audience}, or loads the checkpoint and replays the log.
     *
     * @throws IllegalArgumentException if the audience differs from the stored one
     * @throws CorruptIndexException naming the file that fails its checks
     */
    public static Opened open(Path dir, ImmutableRoaringBitmap audience) throws IOException {
        Files.createDirectories(dir);
        List<String> warnings = new ArrayList<>();
        if (!Files.exists(dir.resolve(CheckpointFile.CHECKPOINT))) {
            deleteLogsBefore(dir, 0);       // refuses logs without a checkpoint: it was lost, not never written
            MutableRoaringBitmap copy = audience.toMutableRoaringBitmap();
            int crc = CheckpointFile.writeAudience(dir, copy);
            LedgerState state = new LedgerState(copy);
            CheckpointFile.write(dir, 1, 0, crc, state);
            Journal j = new Journal(dir, crc, 1, 0);
            j.log = LedgerLog.create(LedgerLog.name(dir, 1), 1);
            return new Opened(j, state, true, 1, 0, 0, List.of());
        }
        CheckpointFile.Audience stored = CheckpointFile.readAudience(dir);
        if (!stored.ids().equals(audience)) {
            throw new IllegalArgumentException("audience differs from the one " + dir + " was created with (stored "
                    + stored.ids().getLongCardinality() + " ids, given " + audience.getLongCardinality() + ")");
        }
        CheckpointFile.Loaded cp = CheckpointFile.read(dir, stored.ids(), stored.crc());
        Journal j = new Journal(dir, stored.crc(), cp.generation(), cp.lastSeq());
        deleteLogsBefore(dir, cp.generation());
        Path file = LedgerLog.name(dir, cp.generation());
        if (!Files.exists(file)) {
            j.log = LedgerLog.create(file, cp.generation());
            return new Opened(j, cp.state(), false, cp.generation(), 0, 0, List.of());
        }
        LedgerLog.Replay r = LedgerLog.open(file, cp.generation(), cp.lastSeq(),
                (e, at) -> replay(file, cp.state(), e, at), warnings);
        j.log = r.log();
        j.lastSeq = r.lastSeq();
        j.appendedSeq = r.lastSeq(); // replayed, not known to be fsynced: the next syncTo covers them
        j.sinceCheckpoint = r.records();
        return new Opened(j, cp.state(), false, cp.generation(), r.records(), r.tornBytes(), List.copyOf(warnings));
    }

    private static void replay(Path file, LedgerState state, LogCodec.Entry e, long offset) throws CorruptIndexException {
        try {
            switch (e.op()) {
                case LogCodec.CLAIM -> {
                    state.checkClaim(e.ids());
                    state.applyClaim(e.ids());
                }
                case LogCodec.RELEASE -> {
                    state.checkRelease(e.ids());
                    state.applyRelease(e.ids());
                }
                case LogCodec.RESEND -> {
                    state.checkResend(e.ids());
                    state.applyResend(e.ids());
                }
                case LogCodec.RECORD -> {
                    state.checkRecord(e.outcome(), e.ids());
                    state.applyRecord(e.outcome(), e.ids());
                }
                default -> {
                    state.checkDefer(e.ids());
                    state.applyDefer(e.untilMillis(), e.ids());
                }
            }
        } catch (IllegalArgumentException | IllegalStateException ex) {
            throw new CorruptIndexException(file, "record " + e.seq() + " at offset " + offset + " does not apply: "
                    + ex.getMessage(), ex);
        }
    }

    private static void deleteLogsBefore(Path dir, long generation) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                Matcher m = LOG_NAME.matcher(name);
                long g = m.matches() ? Long.parseLong(m.group(1)) : -1;
                if (g > generation) {
                    throw new CorruptIndexException(p, "log is newer than the checkpoint (generation " + generation + ")");
                }
                if (m.matches() && g < generation || name.endsWith(".tmp")) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * Appends one transition; with {@code sync}, fsyncs it (and everything before it).
     *
     * @return its sequence number, for {@link #syncTo}
     */
    public long append(byte op, String outcome, long untilMillis, ImmutableRoaringBitmap ids, boolean sync) throws IOException {
        log.append(lastSeq + 1, op, outcome, untilMillis, ids);
        lastSeq++;
        appendedSeq = lastSeq;
        sinceCheckpoint++;
        if (sync) {
            syncTo(lastSeq);
        }
        return lastSeq;
    }

    /**
     * Returns once the transition numbered {@code seq} is fsynced. Callers need not hold the
     * ledger's write lock: appends go on meanwhile, and one fsync covers every append completed
     * before it (group commit), so a caller may find its record already synced by another.
     */
    public void syncTo(long seq) throws IOException {
        synchronized (syncLock) {
            if (syncedSeq >= seq) {
                return;
            }
            long covered = appendedSeq;
            log.sync();
            syncedSeq = covered;
        }
    }

    /** Log records since the last checkpoint. */
    public long sinceCheckpoint() {
        return sinceCheckpoint;
    }

    /** Fsyncs the log. */
    public void sync() throws IOException {
        syncTo(appendedSeq);
    }

    /** Publishes a checkpoint of {@code state} (which must reflect every appended record) and starts a fresh log. */
    public void checkpoint(LedgerState state) throws IOException {
        synchronized (syncLock) {
            log.sync();
            syncedSeq = lastSeq;
            CheckpointFile.write(dir, generation + 1, lastSeq, audienceCrc, state);
            LedgerLog old = log;
            log = LedgerLog.create(LedgerLog.name(dir, generation + 1), generation + 1);
            generation++;
            sinceCheckpoint = 0;
            old.close();
            Files.deleteIfExists(old.file());
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (syncLock) {
            log.close();
            syncedSeq = lastSeq;
        }
    }
}
