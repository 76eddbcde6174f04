package dev.herald.dispatcher.outcome;

import dev.herald.dispatcher.outcome.internal.CheckpointFile;
import dev.herald.dispatcher.outcome.internal.Journal;
import dev.herald.dispatcher.outcome.internal.LedgerState;
import dev.herald.dispatcher.outcome.internal.LogCodec;
import dev.herald.suppression.CorruptIndexException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The crash-safe record of what happened to every recipient of one campaign: one bitmap per
 * outcome plus the claimed (in flight) and deferred ids, over an audience fixed at creation.
 *
 * <pre>{@code
 * try (OutcomeLedger ledger = OutcomeLedger.open(dir, audience)) {
 *     ledger.record(Outcomes.suppressed("global"), optedOut);   // decisions, in batches
 *     ledger.claim(chunk);                                       // durable BEFORE the connector sees it
 *     ledger.record(Outcomes.SENT, accepted);                    // only claimed ids
 *     ledger.release(neverHandedOver);                           // back to pending
 * }
 * }</pre>
 *
 * <p>Every audience id is <em>pending</em>, <em>claimed</em>, <em>deferred</em> (not final) or has
 * exactly one final outcome; a second final outcome is refused. {@link #claim} is fsynced before
 * it returns; other transitions are written to the log at once (a killed process loses none) and
 * fsynced by the next claim, {@link #sync} or checkpoint. After a crash, {@link #open} replays the
 * checkpoint and log and turns every claimed id without a final outcome into {@code unknown}:
 * it may have reached the connector, so it is not resent by itself ({@link #recovery()} says
 * which); {@link #resend} makes unknown ids pending again when an operator asks (at least once)
 * or the connector deduplicates by idempotency key.
 * Every {@code checkpointEveryRecords} log records (and on {@link #checkpoint()}) the whole state
 * is written aside, renamed into place, and a fresh log started.
 *
 * <p>Thread-safety: single writer. The mutating methods ({@code claim}, {@code record},
 * {@code defer}, {@code release}, {@code sync}, {@code checkpoint}, {@code close}) are serialised
 * by a lock but meant for one owner (the Campaign actor). Queries may run on any thread; each
 * sees the state between two whole batches and returns a copy. Ids are unsigned 32-bit ints.
 */
public final class OutcomeLedger implements AutoCloseable {
    /** Log records between automatic checkpoints unless told otherwise. */
    public static final int DEFAULT_CHECKPOINT_EVERY = 4096;

    private final Path dir;
    private final int checkpointEvery;
    private final LedgerState state;
    private final Object writeLock = new Object();
    private final Object stateLock = new Object();
    private volatile RecoveryReport recovery;
    // Guarded by writeLock, except Journal.syncTo (which has its own lock).
    private final Journal journal;
    private boolean closed;
    private volatile IOException failure;
    private FileChannel lockFile;
    /** Logs written beside the ledger and made durable with it; guarded by writeLock. */
    private final List<Companion> companions = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * A log kept beside the ledger by the same single writer (e.g. the campaign's message log),
     * forced to the disk with the ledger's own durable points: each checkpoint (every
     * {@code checkpointEveryRecords} log records), {@link #sync} (a run's end: before its answers
     * are final) and {@link #close}, each time before the ledger's own fsync. Not at each claim's
     * group commit: a second file's fsync there sits on the claims' critical path (measured:
     * {@code CampaignGraphBenchmark.graph} up to 3x slower under a busy disk). Its writer appends
     * without fsync: a killed process loses none of what it wrote, a power loss at most what came
     * after the last checkpoint.
     */
    public interface Companion extends AutoCloseable {
        /** Forces what was appended so far to the disk; cheap when nothing was appended since the last call. */
        void force() throws IOException;

        /** Forces and closes it (the ledger is closing). */
        @Override
        void close() throws IOException;
    }

    /** Opens a companion in the ledger's directory. */
    @FunctionalInterface
    public interface CompanionOpener<T extends Companion> {
        T open(Path ledgerDir) throws IOException;
    }

    /** Held (an OS file lock) while the ledger is open: one writer, in this process or any other. */
    static final String LOCK = "lock";

    private OutcomeLedger(Path dir, int checkpointEvery, LedgerState state, Journal journal) {
        this.dir = dir;
        this.checkpointEvery = checkpointEvery;
        this.state = state;
        this.journal = journal;
    }

    /** {@link #open(Path, ImmutableRoaringBitmap, int)} with {@link #DEFAULT_CHECKPOINT_EVERY}. */
    public static OutcomeLedger open(Path dir, ImmutableRoaringBitmap audience) throws IOException {
        return open(dir, audience, DEFAULT_CHECKPOINT_EVERY);
    }

    /**
     * Reopens (and recovers) the ledger created in {@code dir}, with the audience it was created with.
     *
     * @throws java.nio.file.NoSuchFileException if no ledger was created in {@code dir}
     * @throws CorruptIndexException naming the file when stored state fails its checks
     * @throws IOException if the files cannot be read or written
     */
    public static OutcomeLedger openExisting(Path dir) throws IOException {
        return open(dir, CheckpointFile.readAudience(dir).ids());
    }

    /**
     * Checks the ledger in {@code dir} without changing anything (no lock taken, nothing written):
     * audience, checkpoint, and the log replayed over the checkpoint and compared against its
     * sync mark. {@code herald data check} calls this.
     *
     * @return one result per file checked; a damaged one is the last
     * @throws IOException if a file cannot be read
     */
    public static List<dev.herald.suppression.store.VerifyResult> verify(Path dir) throws IOException {
        return Journal.verify(dir);
    }

    /**
     * Reads recipient {@code id}'s outcome from the ledger in {@code dir} without opening it (no
     * lock, nothing written, no recovery): for a reader in another process, such as
     * {@code herald messages show}. Claimed ids read as in flight (empty), as the owner has them.
     *
     * @return the recorded outcome, empty while pending, claimed or outside the audience
     * @throws CorruptIndexException naming the file when stored state fails its checks
     * @throws IOException if the files cannot be read (a missing ledger: NoSuchFileException)
     */
    public static Optional<RecipientOutcome> readOutcomeOf(Path dir, int id) throws IOException {
        LedgerState state = Journal.read(dir);
        return state.audience().contains(id) ? Optional.ofNullable(state.outcomeOf(id)) : Optional.empty();
    }

    /**
     * Creates the ledger in {@code dir}, or reopens and recovers the one there.
     *
     * @param audience every recipient of the campaign; stored (with a checksum) at creation
     * @param checkpointEveryRecords log records after which a checkpoint is written (≥ 1)
     * @throws IllegalStateException if the ledger is open already (in this process or another)
     * @throws IllegalArgumentException if the audience differs from the stored one, or
     *     {@code checkpointEveryRecords < 1}
     * @throws CorruptIndexException naming the file when stored state fails its checks
     * @throws IOException if the files cannot be read or written
     */
    public static OutcomeLedger open(Path dir, ImmutableRoaringBitmap audience, int checkpointEveryRecords) throws IOException {
        if (checkpointEveryRecords < 1) {
            throw new IllegalArgumentException("checkpointEveryRecords must be >= 1, got " + checkpointEveryRecords);
        }
        Files.createDirectories(dir);
        FileChannel lockFile = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockFile.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            lockFile.close();
            throw e;
        }
        if (lock == null) {
            lockFile.close();
            throw new IllegalStateException("outcome ledger " + dir + " is already open (single writer)");
        }
        Journal.Opened o;
        try {
            o = Journal.open(dir, audience);
        } catch (IOException | RuntimeException e) {
            lockFile.close();
            throw e;
        }
        OutcomeLedger l = new OutcomeLedger(dir, checkpointEveryRecords, o.state(), o.journal());
        l.lockFile = lockFile;
        try {
            List<String> warnings = new ArrayList<>(o.warnings());
            MutableRoaringBitmap unknown = o.state().claimed().clone();
            if (!unknown.isEmpty()) {
                warnings.add(unknown.getLongCardinality() + " claimed recipient(s) had no final outcome and are now unknown");
                l.record(Outcomes.UNKNOWN, unknown);
                l.sync();
            }
            l.recovery = new RecoveryReport(o.created(), o.generation(), o.replayed(), o.tornBytes(), unknown, List.copyOf(warnings));
        } catch (IOException | RuntimeException e) {
            l.close();
            throw e;
        }
        return l;
    }

    /**
     * Claims {@code ids} for sending and makes the claim durable (fsync) before returning. Claim
     * only what goes to the connector next; deferred ids may be claimed when released.
     *
     * @throws IllegalArgumentException naming how many ids are outside the audience and one of them
     * @throws IllegalStateException naming a recipient that is already claimed or has a final outcome
     * @throws IOException if the log cannot be written; the ledger then refuses further writes
     */
    public void claim(ImmutableRoaringBitmap ids) throws IOException {
        write(LogCodec.CLAIM, null, 0, ids, () -> state.checkClaim(ids), () -> state.applyClaim(ids));
    }

    /**
     * Records the final outcome {@code outcome} (see {@link Outcomes}) for {@code ids}.
     * {@code sent} and {@code failed:*} need claimed ids; {@code suppressed:*}, {@code capped:*}
     * and {@code expired} need unclaimed ones; {@code unknown} takes either.
     *
     * @throws IllegalArgumentException for a malformed outcome, {@code deferred} (use {@link #defer}),
     *     or ids outside the audience (naming how many and one)
     * @throws IllegalStateException naming the recipient and both outcomes when one already has a
     *     final outcome, or a recipient whose claim state does not allow {@code outcome}
     * @throws IOException if the log cannot be written; the ledger then refuses further writes
     */
    public void record(String outcome, ImmutableRoaringBitmap ids) throws IOException {
        Outcomes.check(outcome);
        write(LogCodec.RECORD, outcome, 0, ids, () -> state.checkRecord(outcome, ids), () -> state.applyRecord(outcome, ids));
    }

    /**
     * Records a typed outcome: {@link Outcome.Deferred} as {@link #defer}, every other as
     * {@link #record(String, ImmutableRoaringBitmap)} of its wire form.
     *
     * @throws IOException if the log cannot be written (see the string form for the other errors)
     */
    public void record(Outcome outcome, ImmutableRoaringBitmap ids) throws IOException {
        if (outcome instanceof Outcome.Deferred d) {
            defer(d.until(), ids);
        } else {
            record(outcome.wire(), ids);
        }
    }

    /**
     * Defers unclaimed, not-final {@code ids} until {@code until} (ms precision); a deferred id
     * may be deferred again, claimed, or given a final outcome later.
     *
     * @throws IllegalArgumentException if {@code until} is null or ids are outside the audience
     * @throws IllegalStateException naming a recipient that is claimed or already final
     * @throws IOException if the log cannot be written
     */
    public void defer(Instant until, ImmutableRoaringBitmap ids) throws IOException {
        if (until == null) {
            throw new IllegalArgumentException("until is null");
        }
        long millis = until.toEpochMilli();
        write(LogCodec.DEFER, null, millis, ids, () -> state.checkDefer(ids), () -> state.applyDefer(millis, ids));
    }

    /**
     * Holds unclaimed, not-final {@code ids} back until an A/B test's decision ({@value Outcomes#HELD}):
     * they are neither pending nor final; {@link #unhold}, {@link #defer} or a final outcome ends it.
     *
     * @throws IllegalArgumentException if ids are outside the audience
     * @throws IllegalStateException naming a recipient that is claimed or already final
     * @throws IOException if the log cannot be written
     */
    public void hold(ImmutableRoaringBitmap ids) throws IOException {
        write(LogCodec.HOLD, null, 0, ids, () -> state.checkHold(ids), () -> state.applyHold(ids));
    }

    /**
     * Makes held {@code ids} pending again: the test's decision sends them the chosen variant.
     *
     * @throws IllegalStateException naming a recipient that is not held
     * @throws IllegalArgumentException if ids are outside the audience
     * @throws IOException if the log cannot be written
     */
    public void unhold(ImmutableRoaringBitmap ids) throws IOException {
        write(LogCodec.UNHOLD, null, 0, ids, () -> state.checkUnhold(ids), () -> state.applyUnhold(ids));
    }

    /**
     * Un-claims {@code ids} that never reached the connector; they become pending again.
     *
     * @throws IllegalStateException naming a recipient that is not claimed
     * @throws IllegalArgumentException if ids are outside the audience
     * @throws IOException if the log cannot be written
     */
    public void release(ImmutableRoaringBitmap ids) throws IOException {
        write(LogCodec.RELEASE, null, 0, ids, () -> state.checkRelease(ids), () -> state.applyRelease(ids));
    }

    /**
     * Makes {@code unknown} ids pending again, so the campaign sends them once more: the
     * operator's at-least-once resend, or an idempotent connector's safe one. The record is
     * fsynced before this returns.
     *
     * @throws IllegalStateException naming a recipient whose outcome is not {@code unknown}
     * @throws IllegalArgumentException if ids are outside the audience
     * @throws IOException if the log cannot be written
     */
    public void resend(ImmutableRoaringBitmap ids) throws IOException {
        write(LogCodec.RESEND, null, 0, ids, () -> state.checkResend(ids), () -> state.applyResend(ids));
        sync();
    }

    /** Fsyncs every transition recorded so far. @throws IOException if that fails */
    public void sync() throws IOException {
        synchronized (writeLock) {
            ready(null);
            try {
                forceCompanions();
                journal.sync();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }

    /** Writes the whole state to a new checkpoint, renames it into place and starts a fresh log. */
    public void checkpoint() throws IOException {
        synchronized (writeLock) {
            ready(null);
            try {
                forceCompanions();
                journal.checkpoint(state);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }

    private boolean ready(ImmutableRoaringBitmap ids) throws IOException {
        if (closed) {
            throw new IllegalStateException("outcome ledger " + dir + " is closed");
        }
        if (failure != null) {
            throw new IOException("outcome ledger " + dir + " failed earlier; reopen it: " + failure.getMessage(), failure);
        }
        return ids == null || !ids.isEmpty();
    }

    /**
     * Validates, logs, applies under the state lock, and checkpoints when due; a claim is then
     * fsynced before this returns, outside the write lock, so other writers (recording answers,
     * deferring, suppressing) do not wait for the disk while it syncs.
     */
    private void write(byte op, String outcome, long until, ImmutableRoaringBitmap ids, Runnable check, Runnable apply)
            throws IOException {
        long seq;
        synchronized (writeLock) {
            if (!ready(ids)) {
                return;
            }
            check.run();
            try {
                seq = journal.append(op, outcome, until, ids, false);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
            try {
                synchronized (stateLock) {
                    apply.run();
                }
            } catch (RuntimeException e) {
                // Logged but not applied: memory no longer matches the log, which a reopen replays.
                failure = new IOException("applying a logged batch failed; reopen the ledger", e);
                throw e;
            }
            if (journal.sinceCheckpoint() >= checkpointEvery) {
                checkpoint();
            }
        }
        if (op == LogCodec.CLAIM) {
            try {
                journal.syncTo(seq);
            } catch (IOException e) {
                // Applied in memory but maybe not durable: refuse further writes; a reopen reads what is on disk.
                failure = e;
                throw e;
            }
        }
    }

    /** @return the ledger's directory (its companions' files live there too) */
    public Path dir() {
        return dir;
    }

    /**
     * The companion of {@code type}, opened with {@code opener} on first call and then kept (and
     * made durable, and closed) with the ledger.
     *
     * @throws IllegalStateException if the ledger is closed
     * @throws IOException what {@code opener} throws (nothing is kept then)
     */
    public <T extends Companion> T companion(Class<T> type, CompanionOpener<T> opener) throws IOException {
        synchronized (writeLock) {
            if (closed) {
                throw new IllegalStateException("outcome ledger " + dir + " is closed");
            }
            for (Companion c : companions) {
                if (type.isInstance(c)) {
                    return type.cast(c);
                }
            }
            T opened = opener.open(dir);
            companions.add(opened);
            return opened;
        }
    }

    /** Forces the companions before the ledger's own fsync at its checkpoints, syncs and close. */
    private void forceCompanions() throws IOException {
        for (Companion c : companions) {
            c.force();
        }
    }

    /** The recorded outcome of {@code id}; empty while it is pending or claimed. Any thread. */
    public Optional<RecipientOutcome> outcomeOf(int id) {
        synchronized (stateLock) {
            return Optional.ofNullable(state.outcomeOf(id));
        }
    }

    /**
     * Recipients per outcome (only outcomes that occur, {@code deferred} included), plus
     * {@code claimed} and {@code pending} always; the values add up to the audience size. Any thread.
     */
    public Map<String, Long> counts() {
        synchronized (stateLock) {
            Map<String, Long> out = new LinkedHashMap<>();
            state.finals().forEach((k, v) -> out.put(k, v.getLongCardinality()));
            if (state.deferredCount() > 0) {
                out.put(Outcomes.DEFERRED, state.deferredCount());
            }
            if (state.heldCount() > 0) {
                out.put(Outcomes.HELD, state.heldCount());
            }
            out.put("claimed", state.claimed().getLongCardinality());
            out.put("pending", state.audience().getLongCardinality() - state.decidedCount()
                    - state.deferredCount() - state.heldCount() - state.claimed().getLongCardinality());
            return out;
        }
    }

    /** A copy of the ids with {@code outcome} ({@code deferred}: all deferred). @throws IllegalArgumentException if malformed */
    public ImmutableRoaringBitmap ids(String outcome) {
        Outcomes.check(outcome);
        synchronized (stateLock) {
            return state.ids(outcome);
        }
    }

    /** Audience ids not claimed, deferred or final: what the campaign still has to process. Any thread. */
    public ImmutableRoaringBitmap pending() {
        synchronized (stateLock) {
            return state.pending();
        }
    }

    /** Audience ids without a final outcome that are not claimed: pending, deferred and held. Any thread. */
    public MutableRoaringBitmap unsettled() {
        synchronized (stateLock) {
            MutableRoaringBitmap ids = state.pending();
            ids.or(state.ids(Outcomes.DEFERRED));
            ids.or(state.held());
            return ids;
        }
    }

    /** Ids claimed without a final outcome yet (in flight). Any thread. */
    public ImmutableRoaringBitmap claimed() {
        synchronized (stateLock) {
            return state.claimed().clone();
        }
    }

    /** Deferred ids due at or before {@code now}, to be released and re-checked. Any thread. */
    public ImmutableRoaringBitmap deferredDue(Instant now) {
        synchronized (stateLock) {
            return state.deferredDue(now.toEpochMilli());
        }
    }

    /** The earliest instant a deferred id is due, if any id is deferred. Any thread. */
    public Optional<Instant> nextDeferred() {
        synchronized (stateLock) {
            long ms = state.nextDeferredMillis();
            return ms < 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ms));
        }
    }

    /** The latest instant a deferred id is due, if any id is deferred. Any thread. */
    public Optional<Instant> lastDeferred() {
        synchronized (stateLock) {
            return state.deferred().isEmpty() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(state.deferred().lastKey()));
        }
    }

    /** Whether every audience id has a final outcome. Any thread. */
    public boolean isComplete() {
        synchronized (stateLock) {
            return state.isComplete();
        }
    }

    /** The audience, fixed at creation (not to be mutated). Any thread. */
    public ImmutableRoaringBitmap audience() {
        return state.audience();
    }

    /** The number of recipients in the audience. */
    public long audienceSize() {
        return state.audience().getLongCardinality();
    }

    /** What the {@link #open} that produced this ledger found and did. */
    public RecoveryReport recovery() {
        return recovery;
    }

    /**
     * For tests that simulate a killed process inside one JVM: drops the single-writer lock as the
     * OS would, leaving the log unclosed; this object must not be used any more.
     */
    void releaseLockAsIfKilled() throws IOException {
        synchronized (writeLock) {
            closed = true;
            lockFile.close();
        }
    }

    /** Fsyncs and closes the log. Idempotent. @throws IOException if the final fsync fails */
    @Override
    public void close() throws IOException {
        synchronized (writeLock) {
            if (!closed) {
                closed = true;
                try {
                    IOException first = null;
                    for (Companion c : companions) {
                        try {
                            c.close();
                        } catch (IOException e) {
                            first = first == null ? e : first;
                        }
                    }
                    journal.close();
                    if (first != null) {
                        throw first;
                    }
                } finally {
                    lockFile.close(); // releases the lock
                }
            }
        }
    }
}
