package dev.herald.suppression;

import dev.herald.suppression.internal.BaseStore;
import dev.herald.suppression.internal.BaseUnions;
import dev.herald.suppression.internal.LedgerRedaction;
import dev.herald.suppression.internal.ScopeState;
import dev.herald.suppression.internal.WalSegments;
import dev.herald.suppression.internal.WalWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Function;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The suppression index: one bitmap of recipient ids per {@link Scope}, durable and fast.
 *
 * <pre>{@code
 * try (SuppressionIndex index = SuppressionIndex.open(dataDir.resolve("suppression"), IndexOptions.defaults())) {
 *     index.optOut(id, "+447400123456", Scope.sender("acme"), ConsentEvidence.of(ConsentSource.KEYWORD).rawText("STOP"));
 *     MutableRoaringBitmap kept = index.snapshot().filter(chunk, Scope.forMessage("acme", "sms", "marketing"));
 * }
 * }</pre>
 *
 * <p>Storage: a base image of memory-mapped {@code ImmutableRoaringBitmap} files, and a
 * checksummed write-ahead log of every change since, which is also the {@link ConsentLedger}.
 * A change returns only once it is fsynced (group commit: concurrent writers share one fsync)
 * and visible: every {@link #snapshot()} taken after {@link #apply} returns contains it.
 * {@link #compact()} folds the changes into a new base image (written aside, renamed
 * atomically) and moves the covered log segments to the ledger archive.
 *
 * <p>Erasure ({@link #recordErasure}): the ledger keeps that the person opted out, when and how,
 * but not who. The erasure record holds the number only as its keyed hash; the next compaction
 * rewrites every log and ledger segment holding earlier records of the id so that they hold the
 * hash instead of the number and no raw text. Invariant (it makes the set of erasures still to
 * redact derivable from the log itself, across restarts): a base image covering log position
 * {@code n} is published only after every erasure at or before {@code n} was redacted, so the
 * erasures still to redact are exactly the ERASED records the log replays after the base.
 *
 * <p>On open the log is replayed after the base. A torn last record (a crash mid-write) is
 * dropped and reported in {@link #openReport()}; any other damage is refused with a
 * {@link CorruptIndexException} naming the file. One process at a time: the folder is locked.
 *
 * <p>Thread-safe. Readers never block and never see a half-applied change.
 */
public final class SuppressionIndex implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SuppressionIndex.class);

    private final Path dir;
    private final Path baseDir;
    private final Path walDir;
    private final Path archiveDir;
    private final IndexOptions options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ReadWriteLock segmentsLock = new ReentrantReadWriteLock();
    private final ConsentLedger ledger;
    private final OpenReport openReport;
    private final Object compactionLock = new Object();
    private final ExecutorService compactor;
    /**
     * Completes {@link #applyAsync} futures off the writer thread. Its own pool: on a machine with
     * fewer than 3 cores CompletableFuture's default async executor starts a new thread per task.
     */
    private final ExecutorService acks;
    private final AtomicBoolean autoCompactPending = new AtomicBoolean();
    private final WalWriter writer;
    private volatile SuppressionSnapshot snapshot;
    /**
     * Hand-overs hold the read side while they check a snapshot and hand the message over; a new
     * snapshot is published and then the write side is taken once (a barrier) before the changes
     * are acknowledged. See {@link #handOver}.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock handOvers =
            new java.util.concurrent.locks.ReentrantReadWriteLock();
    private volatile boolean closed;
    private long generation;
    /** Writer thread only: records applied since the log was sealed for a running compaction. */
    private List<ConsentRecord> sinceSeal;
    /**
     * Writer thread only (and the constructor, before it starts): erasure records after the base
     * image, whose earlier records the next compaction redacts.
     */
    private final List<ConsentRecord> erasuresToRedact = new ArrayList<>();

    private SuppressionIndex(Path dir, IndexOptions options, FileChannel lockChannel, FileLock lock) throws IOException {
        this.dir = dir;
        this.options = options;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.baseDir = dir.resolve("base");
        this.walDir = dir.resolve("wal");
        this.archiveDir = dir.resolve("ledger");
        Files.createDirectories(baseDir);
        Files.createDirectories(walDir);
        Files.createDirectories(archiveDir);
        this.ledger = new ConsentLedger(walDir, archiveDir, options.retention(), segmentsLock);
        List<Path> leftovers = new ArrayList<>(LedgerRedaction.removeLeftovers(walDir));
        leftovers.addAll(LedgerRedaction.removeLeftovers(archiveDir));

        long t0 = System.nanoTime();
        BaseStore.Image image = BaseStore.load(baseDir, options.memoryMapped());
        long t1 = System.nanoTime();
        this.generation = image.generation();
        BaseStore.deleteOtherGenerations(baseDir, generation);

        Replay replay = replay(image.baseSeq());
        Map<Scope, ScopeState> states = new HashMap<>();
        long baseIds = 0;
        for (Map.Entry<Scope, ImmutableRoaringBitmap> e : image.bitmaps().entrySet()) {
            states.put(e.getKey(), ScopeState.of(e.getValue()));
            baseIds += e.getValue().getLongCardinality();
        }
        applyTo(states, replay.records);
        for (ConsentRecord r : replay.records) {
            if (r.action() == ConsentAction.ERASED) {
                erasuresToRedact.add(r);
            }
        }
        for (Path p : leftovers) {
            replay.warnings.add("removed " + p + ": the temp file of a ledger redaction a crash interrupted"
                    + " (the segment itself is whole; the next compaction redacts it again)");
        }
        long lastSeq = Math.max(image.baseSeq(), replay.lastSeq);
        this.snapshot = new SuppressionSnapshot(lastSeq, Map.copyOf(states), new BaseUnions());
        long t2 = System.nanoTime();
        this.openReport = new OpenReport(image.baseSeq(), baseIds, t1 - t0, replay.records.size(), t2 - t1,
                replay.tornBytes, List.copyOf(replay.warnings));
        for (String w : replay.warnings) {
            LOG.warn("suppression index {}: {}", dir, w);
        }

        ActiveSegment active = openActiveSegment(lastSeq + 1);
        this.writer = new WalWriter(walDir, active.channel, active.firstSeq, lastSeq + 1, options.maxSegmentBytes(), this::onDurable, options.clock());
        this.compactor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "herald-suppression-compactor");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.atomic.AtomicInteger ackThreads = new java.util.concurrent.atomic.AtomicInteger();
        this.acks = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "herald-suppression-ack-" + ackThreads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens (or creates) the index in {@code dir}.
     *
     * @throws CorruptIndexException if a base file, the manifest or a log segment fails its
     *     checks; the message names the file
     * @throws IOException if the folder is in use by another process or cannot be read
     */
    public static SuppressionIndex open(Path dir, IndexOptions options) throws IOException {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ch.close();
            throw new IOException("suppression index " + dir + " is in use by another process");
        }
        try {
            return new SuppressionIndex(dir, options, ch, lock);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    public static SuppressionIndex open(Path dir) throws IOException {
        return open(dir, IndexOptions.defaults());
    }

    /**
     * Checks every write-ahead-log segment ({@code wal/}) and archived ledger segment
     * ({@code ledger/}) of the index in {@code dir} by the store rule, without changing anything and
     * without taking the index's lock: one result per segment. A torn tail is expected only in the
     * last active segment (it is dropped and reported on the next open); anywhere else it is damage.
     *
     * @throws IOException if a folder or segment cannot be read
     */
    public static List<dev.herald.suppression.store.VerifyResult> verifyLogs(Path dir) throws IOException {
        List<dev.herald.suppression.store.VerifyResult> out = new ArrayList<>();
        for (WalSegments.Segment seg : WalSegments.list(dir.resolve("ledger"))) {
            out.add(notTorn(WalSegments.verify(seg.path())));
        }
        List<WalSegments.Segment> active = WalSegments.list(dir.resolve("wal"));
        for (int i = 0; i < active.size(); i++) {
            dev.herald.suppression.store.VerifyResult r = WalSegments.verify(active.get(i).path());
            out.add(i == active.size() - 1 ? r : notTorn(r));
        }
        return out;
    }

    private static dev.herald.suppression.store.VerifyResult notTorn(dev.herald.suppression.store.VerifyResult r) {
        if (r.tornBytes() == 0) {
            return r;
        }
        return dev.herald.suppression.store.VerifyResult.damaged(r.file(), r.frames(), new dev.herald.suppression.store.DamagedStoreException(
                r.file(), r.tornAt(), "incomplete record (" + r.tornBytes() + " bytes) in a segment that is not the last"));
    }

    private record Replay(List<ConsentRecord> records, long lastSeq, long tornBytes, List<String> warnings) {
    }

    private Replay replay(long baseSeq) throws IOException {
        List<WalSegments.Segment> segments = WalSegments.list(walDir);
        List<ConsentRecord> records = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        long lastSeq = -1;
        long torn = 0;
        for (int i = 0; i < segments.size(); i++) {
            WalSegments.Segment seg = segments.get(i);
            boolean last = i == segments.size() - 1;
            if (last && Files.size(seg.path()) < WalSegments.HEADER) {
                // created by a crash before its header was renamed into place (older layouts): nothing in it
                if (Files.size(seg.path()) > 0) {
                    warnings.add("removed " + seg.path() + ": a segment without its header, left by a crash");
                }
                Files.delete(seg.path());
                continue;
            }
            WalSegments.Scan scan = WalSegments.scan(seg.path(), last, (frame, len) -> {
                if (WalSegments.seq(frame) > baseSeq) {
                    records.add(WalSegments.decode(seg.path(), frame, len));
                }
            });
            checkContinuity(seg, scan, i == 0, lastSeq, baseSeq, last);
            if (scan.lastSeq() >= 0) {
                lastSeq = scan.lastSeq();
            }
            if (scan.tornBytes() > 0) {
                torn = dropTornTail(seg.path(), scan, Math.max(lastSeq, baseSeq), warnings);
            }
            if (!last && segments.get(i + 1).firstSeq() - 1 <= baseSeq) {
                archive(seg, segments.get(i + 1).firstSeq() - 1);
            }
        }
        return new Replay(records, lastSeq, torn, warnings);
    }

    /** Refuses a log with a gap: a missing or misnamed segment would silently lose changes. */
    private static void checkContinuity(WalSegments.Segment seg, WalSegments.Scan scan, boolean first, long prevLast,
                                        long baseSeq, boolean last) throws CorruptIndexException {
        if (scan.records() == 0) {
            if (!last) {
                throw new CorruptIndexException(seg.path(), "empty log segment before the end of the log");
            }
            return;
        }
        if (scan.firstSeq() != seg.firstSeq()) {
            throw new CorruptIndexException(seg.path(), "first record is #" + scan.firstSeq()
                    + " but the file name says #" + seg.firstSeq());
        }
        if (first && seg.firstSeq() > baseSeq + 1) {
            throw new CorruptIndexException(seg.path(), "log records #" + (baseSeq + 1) + " to #" + (seg.firstSeq() - 1)
                    + " are missing: the base image ends at #" + baseSeq);
        }
        if (!first && seg.firstSeq() != prevLast + 1) {
            throw new CorruptIndexException(seg.path(), "log records are missing: the previous segment ends at #"
                    + prevLast + ", this one starts at #" + seg.firstSeq());
        }
    }

    /**
     * Drops an incomplete last record (a crash mid-write: never acknowledged), keeping a copy of
     * the dropped bytes beside the segment, and reports it (warning and counter, {@link
     * dev.herald.suppression.store.TornTails}). Damage is never dropped: {@link WalSegments#scan} refuses it.
     */
    private static long dropTornTail(Path file, WalSegments.Scan scan, long lastGoodSeq, List<String> warnings)
            throws IOException {
        WalSegments.dropTornTail(file, scan);
        warnings.add("dropped an incomplete last record (" + scan.tornBytes() + " bytes at offset " + scan.validEnd()
                + ") from " + file + ": a crash interrupted its write, so it was never acknowledged");
        return scan.tornBytes();
    }

    private record ActiveSegment(FileChannel channel, long firstSeq) {
    }

    private ActiveSegment openActiveSegment(long nextSeq) throws IOException {
        List<WalSegments.Segment> segments = WalSegments.list(walDir);
        if (!segments.isEmpty()) {
            WalSegments.Segment lastSeg = segments.get(segments.size() - 1);
            if (lastSeg.firstSeq() <= nextSeq) {
                FileChannel ch = FileChannel.open(lastSeg.path(), StandardOpenOption.WRITE, StandardOpenOption.READ);
                ch.position(ch.size());
                return new ActiveSegment(ch, lastSeg.firstSeq());
            }
            throw new CorruptIndexException(lastSeg.path(), "log segment starts at " + lastSeg.firstSeq()
                    + " but the log ends at " + (nextSeq - 1) + ": records are missing");
        }
        return new ActiveSegment(WalSegments.create(WalSegments.activeName(walDir, nextSeq)), nextSeq);
    }

    private void archive(WalSegments.Segment seg, long lastSeq) throws IOException {
        Files.move(seg.path(), WalSegments.archivedName(archiveDir, seg.firstSeq(), lastSeq), StandardCopyOption.ATOMIC_MOVE);
        WalSegments.fsyncDirectory(archiveDir);
        WalSegments.fsyncDirectory(walDir);
    }

    /** Applies the opt-outs and opt-ins of {@code records}; erasures change no scope. */
    private static void applyTo(Map<Scope, ScopeState> states, List<ConsentRecord> records) {
        Map<Scope, List<ConsentRecord>> byScope = new LinkedHashMap<>();
        for (ConsentRecord r : records) {
            if (!r.action().changesSuppression()) {
                continue;
            }
            byScope.computeIfAbsent(r.scope(), s -> new ArrayList<>()).add(r);
        }
        byScope.forEach((scope, list) ->
                states.put(scope, states.getOrDefault(scope, ScopeState.of(BaseStore.empty())).apply(list)));
    }

    /** Writer thread: makes a durable batch visible. */
    private void onDurable(List<ConsentRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        Map<Scope, ScopeState> states = new HashMap<>(snapshot.states());
        applyTo(states, records);
        SuppressionSnapshot next = new SuppressionSnapshot(records.get(records.size() - 1).seq(), Map.copyOf(states),
                snapshot.unions());
        snapshot = next;
        // Barrier: a hand-over that checked the previous snapshot finishes before these changes are
        // acknowledged; one that starts now sees the new snapshot.
        handOvers.writeLock().lock();
        handOvers.writeLock().unlock();
        if (sinceSeal != null) {
            sinceSeal.addAll(records);
        }
        for (ConsentRecord r : records) {
            if (r.action() == ConsentAction.ERASED) {
                erasuresToRedact.add(r);
            }
        }
        if (options.autoCompactChanges() > 0 && next.deltaSize() >= options.autoCompactChanges()
                && autoCompactPending.compareAndSet(false, true)) {
            try {
                compactor.execute(() -> {
                    try {
                        compact();
                    } catch (IOException | RuntimeException e) {
                        LOG.error("automatic compaction of {} failed; the log keeps every change", dir, e);
                    } finally {
                        autoCompactPending.set(false);
                    }
                });
            } catch (RejectedExecutionException closing) {
                autoCompactPending.set(false); // closing: the next open replays the log instead
            }
        }
    }

    /** What opening found: base size and load time, records replayed, torn bytes dropped. */
    public OpenReport openReport() {
        return openReport;
    }

    /** The current consistent view. Every change whose {@link #apply} has returned is in it. */
    public SuppressionSnapshot snapshot() {
        return snapshot;
    }

    /**
     * Runs a check-then-hand-over so that no change is acknowledged in between: {@code action}
     * reads {@link #snapshot()} (as often as it likes) and hands messages over to the connector;
     * an opt-out made visible while it runs is acknowledged only after it returns. Invariant 1
     * then holds exactly: a message handed over after an opt-out's acknowledgement was checked
     * against a snapshot that already had it.
     *
     * <p>{@code action} must be short and must not wait for the index (no {@link #apply} inside):
     * the index's writer waits for it before acknowledging anything.
     */
    public <T> T handOver(java.util.function.Supplier<T> action) {
        handOvers.readLock().lock();
        try {
            return action.get();
        } finally {
            handOvers.readLock().unlock();
        }
    }

    /** The consent ledger (the evidence behind every change). */
    public ConsentLedger ledger() {
        return ledger;
    }

    /**
     * Makes {@code changes} durable (fsynced) and visible, in order, as one group.
     *
     * @return the records written, with their sequence numbers and times
     * @throws IOException if they could not be made durable; then none of them is acknowledged
     *     and the index refuses further writes until reopened
     * @throws IllegalStateException if the index is closed
     */
    public List<ConsentRecord> apply(List<ConsentChange> changes) throws IOException {
        if (changes.isEmpty()) {
            return List.of();
        }
        CompletableFuture<List<ConsentRecord>> done = submit(changes);
        try {
            return done.join();
        } catch (CompletionException e) {
            throw rethrow(e.getCause());
        }
    }

    /**
     * Like {@link #apply}, without waiting: the future completes once the changes are durable
     * and visible, or exceptionally with the {@link IOException} that kept them from being
     * durable. Lets one caller keep many changes in flight, so that they share fsyncs.
     *
     * @throws IllegalStateException if the index is closed
     */
    public CompletableFuture<List<ConsentRecord>> applyAsync(List<ConsentChange> changes) {
        if (changes.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        // Completed off the writer thread: a continuation that writes again must not wait on itself.
        return submit(changes).thenApplyAsync(Function.identity(), acks);
    }

    /** Most changes one call may make: one group commit, whose bytes must stay well inside a segment. */
    public static final int MAX_CHANGES_PER_CALL = 100_000;

    private CompletableFuture<List<ConsentRecord>> submit(List<ConsentChange> changes) {
        if (closed) {
            throw new IllegalStateException("suppression index " + dir + " is closed");
        }
        if (changes.size() > MAX_CHANGES_PER_CALL) {
            throw new IllegalArgumentException(changes.size() + " changes in one call; at most " + MAX_CHANGES_PER_CALL
                    + ": split them");
        }
        if (writer.isWriterThread()) {
            throw new IllegalStateException("a suppression change cannot wait on the log writer from the writer's own thread");
        }
        return writer.submit(changes);
    }

    /** Opt-out of one recipient in one scope; returns once durable and visible. */
    public ConsentRecord optOut(int id, String phone, Scope scope, ConsentEvidence evidence) throws IOException {
        return apply(List.of(ConsentChange.optOut(id, phone, scope, evidence))).get(0);
    }

    /** Opt-in of one recipient in one scope; returns once durable and visible. */
    public ConsentRecord optIn(int id, String phone, Scope scope, ConsentEvidence evidence) throws IOException {
        return apply(List.of(ConsentChange.optIn(id, phone, scope, evidence))).get(0);
    }

    /**
     * Records in the consent ledger that recipient {@code recipientId}'s personal data was erased;
     * returns once durable (fsynced, like an opt-out). Changes no suppression: an opt-out stays in
     * force, and suppression by id keeps working. The record holds the number only as its keyed
     * hash ({@link ConsentRecord#hashedPhone(long)}) and shows in {@link ConsentLedger#history} and
     * the JSON export as action {@code erased}, scope {@code global}.
     *
     * <p>The erasure itself is cheap: the next {@link #compact()} rewrites the log and ledger segments
     * holding earlier records of this id (sequence number below the erasure's), replacing their
     * number by the hash and dropping their raw text; records of the id written after the erasure
     * (the number registered again) are kept as they are.
     *
     * <p>An id that the ledger has never seen is recorded all the same, without error: the index
     * does not know which ids the directory holds (the directory, which erases the person, does),
     * and the record is still the evidence that the erasure was carried out.
     *
     * @param recipientId the erased recipient's id, {@code >= 0}; it stays valid (the directory maps
     *     the keyed hash to it)
     * @param phoneHash the keyed hash of the person's number (the directory's)
     * @param evidence who asked and how (source, channel, campaign, time); no raw text
     * @return the erasure record's sequence number
     * @throws IllegalArgumentException if the id is negative, the evidence is missing or carries raw text
     * @throws IOException if it could not be made durable
     * @throws IllegalStateException if the index is closed
     */
    public long recordErasure(int recipientId, long phoneHash, ConsentEvidence evidence) throws IOException {
        if (evidence == null) {
            throw new IllegalArgumentException("an erasure needs evidence (its source at least)");
        }
        return apply(List.of(ConsentChange.erased(recipientId, phoneHash, evidence))).get(0).seq();
    }

    /** {@code snapshot().isSuppressed(id, scopes)}. */
    public boolean isSuppressed(int id, Collection<Scope> scopes) {
        return snapshot.isSuppressed(id, scopes);
    }

    /** {@code snapshot().filter(chunk, scopes)}. */
    public MutableRoaringBitmap filter(ImmutableRoaringBitmap chunk, Collection<Scope> scopes) {
        return snapshot.filter(chunk, scopes);
    }

    private record Sealed(SuppressionSnapshot snapshot, long lastSeq, LedgerRedaction.Erasures erased) {
    }

    /**
     * Folds every change into a new base image, archives the covered log segments into the
     * ledger, and deletes archived segments past the retention period. Writers and readers go
     * on meanwhile; only the final swap is serialised with writes.
     */
    public CompactionReport compact() throws IOException {
        synchronized (compactionLock) {
            if (closed) {
                throw new IllegalStateException("suppression index is closed");
            }
            if (writer.failure() != null) {
                throw new IOException("the suppression log failed earlier; reopen the index before compacting: "
                        + writer.failure().getMessage(), writer.failure());
            }
            long t0 = System.nanoTime();
            Sealed sealed = await(writer.call(() -> {
                long last = writer.rotate();
                sinceSeal = new ArrayList<>();
                LedgerRedaction.Erasures erased = new LedgerRedaction.Erasures();
                for (ConsentRecord r : erasuresToRedact) {
                    if (r.seq() <= last) {
                        erased.add(r.recipientId(), r.seq(), r.phone());
                    }
                }
                return new Sealed(snapshot, last, erased);
            }));
            // past every folder on disk: a folder left by a failed attempt may be the published one
            long gen = Math.max(generation, BaseStore.highestGeneration(baseDir)) + 1;
            BaseStore.Image image;
            Redaction redaction;
            try {
                // before the base is published: see the class comment's invariant
                redaction = redact(sealed);
                Map<Scope, MutableRoaringBitmap> merged = new HashMap<>();
                sealed.snapshot.states().forEach((scope, state) -> merged.put(scope, state.materialize()));
                BaseStore.write(baseDir, gen, sealed.lastSeq, merged);
                generation = gen; // published: a retry must never reuse (and delete) this generation's folder
                image = BaseStore.load(baseDir, options.memoryMapped());
            } catch (IOException | RuntimeException e) {
                await(writer.call(() -> {
                    sinceSeal = null;
                    return null;
                }));
                throw e;
            }
            await(writer.call(() -> {
                Map<Scope, ScopeState> states = new HashMap<>();
                image.bitmaps().forEach((scope, bm) -> states.put(scope, ScopeState.of(bm)));
                applyTo(states, sinceSeal);
                sinceSeal = null;
                erasuresToRedact.removeIf(r -> r.seq() <= sealed.lastSeq);
                snapshot = new SuppressionSnapshot(snapshot.seq(), Map.copyOf(states), new BaseUnions());
                return null;
            }));
            int archived = 0;
            segmentsLock.writeLock().lock();
            try {
                List<WalSegments.Segment> segments = WalSegments.list(walDir);
                for (int i = 0; i + 1 < segments.size(); i++) {
                    long lastSeq = segments.get(i + 1).firstSeq() - 1;
                    if (lastSeq <= sealed.lastSeq) {
                        archive(segments.get(i), lastSeq);
                        archived++;
                    }
                }
            } finally {
                segmentsLock.writeLock().unlock();
            }
            BaseStore.deleteOtherGenerations(baseDir, gen);
            int purged = ledger.purgeExpired(options.clock().instant());
            long ids = 0;
            for (ImmutableRoaringBitmap bm : image.bitmaps().values()) {
                ids += bm.getLongCardinality();
            }
            return new CompactionReport(gen, sealed.lastSeq, ids, sealed.snapshot.deltaSize(), archived, purged,
                    redaction.records, redaction.segments, redaction.unreadable, System.nanoTime() - t0);
        }
    }

    private record Redaction(long records, int segments, int unreadable) {
    }

    /**
     * Redacts, for the erasures the sealed log holds, every earlier record of the erased ids: in the
     * archived segments and in the sealed active ones (never the one the writer appends to; records
     * before a sealed erasure are all in sealed segments). A damaged segment is left as it is, logged
     * and counted: it cannot be rewritten without losing what cannot be read.
     */
    private Redaction redact(Sealed sealed) throws IOException {
        if (sealed.erased.isEmpty()) {
            return new Redaction(0, 0, 0);
        }
        List<WalSegments.Segment> segments = new ArrayList<>(WalSegments.list(archiveDir));
        List<WalSegments.Segment> active = WalSegments.list(walDir);
        for (int i = 0; i + 1 < active.size(); i++) {
            if (active.get(i + 1).firstSeq() - 1 <= sealed.lastSeq) {
                segments.add(active.get(i));
            }
        }
        long records = 0;
        int rewritten = 0;
        int unreadable = 0;
        for (WalSegments.Segment seg : segments) {
            int n;
            try {
                n = LedgerRedaction.redact(seg.path(), sealed.erased, segmentsLock.writeLock());
            } catch (CorruptIndexException e) {
                LOG.error("consent ledger segment {} is damaged and was not redacted for {} erasure(s); it is kept as it"
                        + " was for an operator: {}", seg.path(), sealed.erased.ids(), e.getMessage());
                unreadable++;
                continue;
            }
            if (n > 0) {
                records += n;
                rewritten++;
            }
        }
        if (records > 0) {
            LOG.info("suppression index {}: redacted {} ledger records of {} erased recipient(s) in {} segment(s)", dir,
                    records, sealed.erased.ids(), rewritten);
        }
        return new Redaction(records, rewritten, unreadable);
    }

    private static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static IOException rethrow(Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof UncheckedIOException u) {
            return u.getCause();
        }
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IOException(cause);
    }

    /** The folder of this index. */
    public Path directory() {
        return dir;
    }

    /** Waits for running work, flushes and closes the log, releases the folder. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        synchronized (compactionLock) {
            closed = true;
        }
        compactor.shutdown();
        try {
            compactor.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.close();
        acks.shutdown();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.warn("releasing the lock of {} failed", dir, e);
        }
    }
}
