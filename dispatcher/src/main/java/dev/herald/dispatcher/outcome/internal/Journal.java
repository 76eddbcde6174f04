package dev.herald.dispatcher.outcome.internal;

import dev.herald.suppression.CorruptIndexException;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.VerifyResult;

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
    private static final Pattern LOG_NAME = Pattern.compile("log-(\\d{12})\\.(log|mark)");

    /** What {@link #open} found. */
    public record Opened(Journal journal, LedgerState state, boolean created, long generation, long replayed,
                         long tornBytes, List<String> warnings) {
    }

    private final Path dir;
    private final int audienceCrc;
    // Written under the ledger's write lock and syncLock, read under either.
    private LedgerLog log;
    private SyncMark mark;
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
            j.startLog(1, 0);
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
            j.startLog(cp.generation(), cp.lastSeq());
            return new Opened(j, cp.state(), false, cp.generation(), 0, 0, List.of());
        }
        Path markFile = SyncMark.name(dir, cp.generation());
        LedgerLog.Replay r = LedgerLog.open(file, markFile, cp.generation(), cp.lastSeq(),
                (e, at) -> replay(file, cp.state(), e, at), warnings);
        j.log = r.log();
        try {
            j.mark = SyncMark.open(markFile, cp.generation());
        } catch (IOException e) {
            r.log().close();
            throw e;
        }
        j.lastSeq = r.lastSeq();
        j.appendedSeq = r.lastSeq(); // replayed, not known to be fsynced: the next syncTo covers them
        j.sinceCheckpoint = r.records();
        return new Opened(j, cp.state(), false, cp.generation(), r.records(), r.tornBytes(), List.copyOf(warnings));
    }

    /**
     * Checks the ledger in {@code dir} without changing anything: the audience and checkpoint
     * files, and the log of the checkpoint's generation replayed over the checkpoint and compared
     * against its sync mark. One result per file checked; stops at the first damaged file (the
     * ones after it cannot be checked against it).
     *
     * @throws IOException if a file cannot be read (not for damage, which is in the results)
     */
    public static List<VerifyResult> verify(Path dir) throws IOException {
        List<VerifyResult> out = new ArrayList<>();
        CheckpointFile.Audience audience;
        try {
            audience = CheckpointFile.readAudience(dir);
            out.add(VerifyResult.clean(dir.resolve(CheckpointFile.AUDIENCE), 1));
        } catch (CorruptIndexException e) {
            out.add(damaged(dir.resolve(CheckpointFile.AUDIENCE), e));
            return out;
        }
        CheckpointFile.Loaded cp;
        try {
            cp = CheckpointFile.read(dir, audience.ids(), audience.crc());
            out.add(VerifyResult.clean(dir.resolve(CheckpointFile.CHECKPOINT), 1));
        } catch (CorruptIndexException e) {
            out.add(damaged(dir.resolve(CheckpointFile.CHECKPOINT), e));
            return out;
        }
        Path file = LedgerLog.name(dir, cp.generation());
        if (Files.exists(file)) {
            out.add(LedgerLog.verify(file, SyncMark.name(dir, cp.generation()), cp.generation(), cp.lastSeq(),
                    (e, at) -> replay(file, cp.state(), e, at)));
        }
        return out;
    }

    /**
     * Reads the state of the ledger in {@code dir} without changing anything (no lock, nothing
     * written): checkpoint, then its log replayed; a torn last record is ignored. For readers in
     * other processes (the CLI), while the owner may be appending.
     *
     * @throws CorruptIndexException naming the file when stored state fails its checks
     * @throws IOException if a file cannot be read
     */
    public static LedgerState read(Path dir) throws IOException {
        CheckpointFile.Audience audience = CheckpointFile.readAudience(dir);
        CheckpointFile.Loaded cp = CheckpointFile.read(dir, audience.ids(), audience.crc());
        Path file = LedgerLog.name(dir, cp.generation());
        if (Files.exists(file)) {
            VerifyResult r = LedgerLog.verify(file, SyncMark.name(dir, cp.generation()), cp.generation(), cp.lastSeq(),
                    (e, at) -> replay(file, cp.state(), e, at));
            if (r.isDamaged()) {
                throw r.damage();
            }
        }
        return cp.state();
    }

    private static VerifyResult damaged(Path file, CorruptIndexException e) {
        return VerifyResult.damaged(file, 0, e instanceof DamagedStoreException d ? d : new DamagedStoreException(file, 0, e.getMessage(), e));
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
                case LogCodec.HOLD -> {
                    state.checkHold(e.ids());
                    state.applyHold(e.ids());
                }
                case LogCodec.UNHOLD -> {
                    state.checkUnhold(e.ids());
                    state.applyUnhold(e.ids());
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
            mark.update(covered);
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
            SyncMark oldMark = mark;
            startLog(generation + 1, lastSeq);
            generation++;
            sinceCheckpoint = 0;
            old.close();
            oldMark.close();
            Files.deleteIfExists(old.file());
            Files.deleteIfExists(oldMark.file());
        }
    }

    /** Creates the sync mark, then the log, of {@code generation} (a crash between them leaves no log: created on open). */
    private void startLog(long generation, long syncedSeq) throws IOException {
        mark = SyncMark.create(SyncMark.name(dir, generation), generation, syncedSeq);
        log = LedgerLog.create(LedgerLog.name(dir, generation), generation);
    }

    @Override
    public void close() throws IOException {
        synchronized (syncLock) {
            try {
                log.close();
                syncedSeq = lastSeq;
                mark.update(lastSeq);
            } finally {
                mark.close();
            }
        }
    }
}
