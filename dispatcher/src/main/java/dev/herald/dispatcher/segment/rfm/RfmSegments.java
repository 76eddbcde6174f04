package dev.herald.dispatcher.segment.rfm;

import dev.herald.dispatcher.funnel.Conversions;
import dev.herald.dispatcher.journey.Events;
import dev.herald.dispatcher.segment.SegmentExpression;
import dev.herald.dispatcher.segment.SegmentStore;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RFM and lifecycle segments of a data directory: {@code rfm:<tier>} and
 * {@code lifecycle:<stage>}, served to the {@link SegmentStore} as computed segments, so they are
 * usable wherever a segment name is (audiences, expressions, journeys, previews, cap rules).
 *
 * <pre>{@code
 * RfmSegments rfm = RfmSegments.open(dataDir, RfmSettings.fromConfig(config), Clock.systemUTC(), directory::size);
 * segments.computed(rfm);
 * rfm.follow(conversions, events);   // copies what is new, now and on each nudge()
 * rfm.schedule();                    // recomputes every herald.segments.rfm.recompute-every
 * rfm.recompute();                   // on demand; one at a time
 * }</pre>
 *
 * <p>Human clicks on tracked links come in through {@link #clicked} (the click writer tells it)
 * and count as activity of recipients known by a purchase or an event.
 *
 * <p>A recompute copies what is new ({@link RfmFeed}), reads the whole {@link RfmLog} in one
 * sequential pass into {@link RfmAggregates} (batches folded range by range), computes
 * {@link RfmModel} and replaces {@code rfm/segments.dat} durably ({@link RfmSnapshot}); only then
 * are the new segments served. A damaged {@code segments.dat} is reported (logged, and by
 * {@link #damage()}) and the segments are unavailable until the next recompute rewrites it; the
 * rest of Herald keeps working.
 *
 * <p>Thread-safety: thread-safe. Recomputes are serialised (a second one while one runs is
 * refused with {@link BusyException}); readers see the last published snapshot.
 */
public final class RfmSegments implements SegmentStore.Computed, AutoCloseable {

    /** The namespace of the tiers: {@code rfm:<tier>}. */
    public static final String TIERS = "rfm:";
    /** The namespace of the lifecycle stages: {@code lifecycle:<stage>}. */
    public static final String STAGES = "lifecycle:";
    /** Purchases a batch of the fold carries. */
    static final int BATCH = 4_000_000;

    private static final Logger LOG = LoggerFactory.getLogger(RfmSegments.class);

    /** A recompute was asked for while one runs. */
    public static final class BusyException extends IllegalStateException {
        BusyException() {
            super("an RFM recompute is already running; its result will be served when it ends");
        }
    }

    private final Path dir;
    private final RfmSettings settings;
    private final Clock clock;
    private final IntSupplier sizeHint;
    private final RfmLog log;
    private final ReentrantLock recomputing = new ReentrantLock();
    private final AtomicLong version = new AtomicLong();
    private final AtomicBoolean nudged = new AtomicBoolean();
    private final ScheduledExecutorService worker;
    /** Clicks buffered: written as one frame (guarded by {@code clicks}). */
    static final int CLICK_BUFFER = 4096;
    static final int CLICK_FLUSH_SECONDS = 5;
    private final Object clicks = new Object();
    private final int[] clickIds = new int[CLICK_BUFFER];
    private final long[] clickTimes = new long[CLICK_BUFFER];
    private int clickCount;
    private volatile RfmFeed feed;
    private volatile RfmSnapshot snapshot;
    private volatile String damage;

    private RfmSegments(Path dir, RfmSettings settings, Clock clock, IntSupplier sizeHint, RfmLog log) {
        this.dir = dir;
        this.settings = settings;
        this.clock = clock;
        this.sizeHint = sizeHint;
        this.log = log;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-rfm");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens {@code <dataDir>/rfm}: the log (checked, a torn tail dropped) and the last result.
     *
     * @param sizeHint recipients to make room for in a recompute (the directory's size), or 0
     * @throws dev.herald.suppression.store.DamagedStoreException if the log is damaged (naming it)
     * @throws IOException if it cannot be read
     */
    public static RfmSegments open(Path dataDir, RfmSettings settings, Clock clock, IntSupplier sizeHint) throws IOException {
        Path dir = dataDir.resolve(RfmLog.DIR);
        RfmLog log = RfmLog.open(dir);
        RfmSegments s = new RfmSegments(dir, settings, clock, sizeHint, log);
        s.worker.scheduleWithFixedDelay(s::flushClicks, CLICK_FLUSH_SECONDS, CLICK_FLUSH_SECONDS, TimeUnit.SECONDS);
        try {
            s.snapshot = RfmSnapshot.read(dir).orElse(null);
        } catch (IOException e) {
            s.damage = e.getMessage();
            LOG.error("the RFM segments are unavailable until the next recompute rewrites them: {}", e.getMessage());
        }
        return s;
    }

    /**
     * Follows the conversions (purchases) and events (activity): copies what is new now, and on
     * every {@link #nudge()}.
     *
     * @throws IOException if the copy fails
     */
    public void follow(Conversions conversions, Events events) throws IOException {
        RfmFeed f = new RfmFeed(log, conversions, events);
        feed = f;
        long n;
        try {
            n = f.catchUp();
        } catch (IllegalArgumentException e) { // the log's checkpoint is not a record of the source (another file)
            LOG.error("RFM: {} cannot follow the conversions and events: {}", log.file(), e.getMessage());
            return;
        }
        if (n > 0) {
            LOG.info("RFM: copied {} purchases and activities into {}", n, log.file());
        }
    }

    /** Copies what is new soon, in the background (after a batch of conversions or events was stored). */
    public void nudge() {
        if (nudged.compareAndSet(false, true)) {
            try {
                worker.execute(() -> {
                    nudged.set(false);
                    try {
                        RfmFeed f = feed;
                        if (f != null) {
                            f.catchUp();
                        }
                    } catch (IOException | RuntimeException e) {
                        LOG.error("RFM: copying the new conversions and events failed (retried at the next): {}", e.toString());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                nudged.set(false);
            }
        }
    }

    /**
     * Records a human click on a tracked link as activity (a recipient already known by a purchase
     * or an event counts as active then). Buffered: written to the log within {@value #CLICK_FLUSH_SECONDS}
     * seconds, or when {@value #CLICK_BUFFER} are waiting, or at a recompute or close; a crash loses
     * at most those (the click ledgers keep every click).
     *
     * @throws IllegalArgumentException if {@code recipient < 0}
     */
    public void clicked(int recipient, long atMillis) {
        if (recipient < 0) {
            throw new IllegalArgumentException("recipient ids are not negative, got " + recipient);
        }
        synchronized (clicks) {
            clickIds[clickCount] = recipient;
            clickTimes[clickCount++] = atMillis;
            if (clickCount == CLICK_BUFFER) {
                flushClicksLocked();
            }
        }
    }

    /** Writes the buffered clicks as one frame. */
    void flushClicks() {
        synchronized (clicks) {
            flushClicksLocked();
        }
    }

    private void flushClicksLocked() {
        if (clickCount == 0) {
            return;
        }
        try {
            log.append(RfmLog.CLICKS, 0, clickIds, clickTimes, null, clickCount);
        } catch (IOException | RuntimeException e) {
            LOG.warn("RFM: {} human clicks could not be written to {} (their recipients look quieter until they act again):"
                    + " {}", clickCount, log.file(), e.toString());
        }
        clickCount = 0;
    }

    /** Recomputes every {@code recompute-every} (nothing if it is zero), the first time one interval from now. */
    public void schedule() {
        long every = settings.recomputeEvery().toMillis();
        if (every <= 0) {
            return;
        }
        worker.scheduleWithFixedDelay(() -> {
            try {
                recompute();
            } catch (BusyException busy) {
                // the one running is as good
            } catch (IOException | RuntimeException e) {
                LOG.error("RFM: the scheduled recompute failed (the previous segments stay): {}", e.toString(), e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Copies what is new, reads the whole log, computes the tiers and stages, stores them durably
     * and serves them.
     *
     * @return the new snapshot
     * @throws BusyException if a recompute is running
     * @throws IOException   if the log cannot be read or the result written (the previous result stays)
     */
    public RfmSnapshot recompute() throws IOException {
        if (!recomputing.tryLock()) {
            throw new BusyException();
        }
        try {
            return apply(gather(clock.millis()), null);
        } finally {
            recomputing.unlock();
        }
    }

    /**
     * What a recompute read: the aggregates of every recipient as of {@code now}.
     *
     * @param now      the recompute's time, epoch ms
     * @param started  {@link System#nanoTime()} when it started
     */
    public record Gathered(RfmAggregates aggregates, RfmLog.Stats read, long now, long windowStart, long started) {
    }

    /**
     * The first half of a recompute whose cut points come from elsewhere (a cluster's, among all
     * its partitions' buyers): copies what is new and reads the whole log as of {@code now}.
     * Nothing is stored or served until {@link #apply}.
     *
     * @param now the recompute's time, epoch ms (the cluster's, the same on every partition)
     * @throws BusyException if a recompute is running
     * @throws IOException   if the log cannot be read
     */
    public Gathered gatherAt(long now) throws IOException {
        if (!recomputing.tryLock()) {
            throw new BusyException();
        }
        try {
            return gather(now);
        } finally {
            recomputing.unlock();
        }
    }

    /**
     * The second half: scores {@code g}'s buyers with {@code cuts} (all buyers' cut points), then
     * stores the tiers and stages durably and serves them, as {@link #recompute} does.
     *
     * @throws BusyException            if a recompute is running
     * @throws IllegalArgumentException if {@code cuts} are not four a score while there are buyers
     * @throws IOException              if the result cannot be written (the previous result stays)
     */
    public RfmSnapshot applyCuts(Gathered g, RfmModel.Boundaries cuts) throws IOException {
        if (!recomputing.tryLock()) {
            throw new BusyException();
        }
        try {
            return apply(g, cuts);
        } finally {
            recomputing.unlock();
        }
    }

    private Gathered gather(long now) throws IOException {
        long t0 = System.nanoTime();
        RfmFeed f = feed;
        if (f != null) {
            f.catchUp();
        }
        flushClicks();
        long windowStart = now - settings.window().toMillis();
        RfmAggregates a = new RfmAggregates(windowStart);
        int hint = sizeHint.getAsInt();
        if (hint > 0) {
            a.reserve(hint);
        }
        RfmLog.Stats read = log.read(log.end(), new RfmLog.Sink() {
            @Override
            public void purchases(int[] recipients, long[] atMillis, long[] minorUnits, int n) {
                a.purchases(recipients, atMillis, minorUnits, n);
            }

            @Override
            public void activity(int[] recipients, long[] atMillis, int n) {
                for (int i = 0; i < n; i++) {
                    a.activity(recipients[i], atMillis[i]);
                }
            }

            @Override
            public void clicks(int[] recipients, long[] atMillis, int n) {
                for (int i = 0; i < n; i++) {
                    a.clicked(recipients[i], atMillis[i]);
                }
            }
        }, BATCH);
        return new Gathered(a, read, now, windowStart, t0);
    }

    /** Computes (with {@code cuts}, or the buyers' own if null), stores and serves. */
    private RfmSnapshot apply(Gathered g, RfmModel.Boundaries cuts) throws IOException {
        RfmModel.Result r = cuts == null
                ? RfmModel.compute(g.aggregates(), settings.tiers(), settings.lifecycle(), g.now())
                : RfmModel.assign(g.aggregates(), cuts, settings.tiers(), settings.lifecycle(), g.now());
        Map<String, ImmutableRoaringBitmap> tiers = new LinkedHashMap<>(r.tiers());
        Map<String, ImmutableRoaringBitmap> stages = new LinkedHashMap<>(r.stages());
        long recipients = stages.values().stream().mapToLong(ImmutableRoaringBitmap::getLongCardinality).sum();
        RfmLog.Stats read = g.read();
        RfmSnapshot s = new RfmSnapshot(g.now(), g.windowStart(), settings.window().toDays(), r.buyers(), recipients,
                read.purchases(), read.activities(), (System.nanoTime() - g.started()) / 1_000_000, r.boundaries(), tiers, stages);
        s.write(dir);
        snapshot = s;
        damage = null;
        version.incrementAndGet();
        LOG.info("RFM: recomputed from {} purchases and {} activities in {} ms: {} buyers, {} recipients with a stage{}",
                read.purchases(), read.activities(), s.elapsedMillis(), r.buyers(), recipients,
                cuts == null ? "" : " (the cluster's cut points)");
        return s;
    }

    /** @return the last result, if any was ever computed (and is not damaged) */
    public Optional<RfmSnapshot> snapshot() {
        return Optional.ofNullable(snapshot);
    }

    /** @return what is wrong with the stored result (naming the file), or null */
    public String damage() {
        return damage;
    }

    /** @return the settings */
    public RfmSettings settings() {
        return settings;
    }

    /** @return the log */
    public RfmLog log() {
        return log;
    }

    /**
     * Checks that a computed segment's name is one of these (for cap rules, at start).
     *
     * @return whether {@code name} is in one of these namespaces
     * @throws SegmentExpression.UnknownSegmentsException naming it and what there is, if it is in one but unknown
     */
    public boolean check(String name) {
        if (name.startsWith(TIERS)) {
            String tier = name.substring(TIERS.length());
            if (!settings.tierNames().contains(tier)) {
                throw new SegmentExpression.UnknownSegmentsException(List.of(name), "unknown segment '" + name
                        + "': the RFM tiers (herald.segments.rfm.tiers) are " + String.join(", ", settings.tierNames()));
            }
            return true;
        }
        if (name.startsWith(STAGES)) {
            String stage = name.substring(STAGES.length());
            if (!RfmModel.STAGES.contains(stage)) {
                throw new SegmentExpression.UnknownSegmentsException(List.of(name), "unknown segment '" + name
                        + "': the lifecycle stages are " + String.join(", ", RfmModel.STAGES));
            }
            return true;
        }
        return false;
    }

    @Override
    public Optional<SegmentStore.Segment> get(String name) {
        if (!check(name)) {
            return Optional.empty();
        }
        RfmSnapshot s = snapshot;
        boolean tier = name.startsWith(TIERS);
        String key = name.substring(tier ? TIERS.length() : STAGES.length());
        ImmutableRoaringBitmap ids = s == null ? null : tier ? s.tiers().get(key) : s.stages().get(key);
        if (ids == null) {
            throw new SegmentExpression.UnknownSegmentsException(List.of(name), "segment '" + name + "' is not computed yet:"
                    + (s == null ? "" : " the tier was configured after the last recompute;") + " RFM segments are recomputed "
                    + (settings.recomputeEvery().isZero() ? "" : "every " + settings.recomputeEvery() + " and ")
                    + "by POST /v1/segments/rfm/recompute" + (damage == null ? "" : " (the stored ones are damaged: " + damage + ")"));
        }
        return Optional.of(new SegmentStore.Segment(new SegmentStore.Meta(name, ids.getLongCardinality(), 0, 0,
                Instant.ofEpochMilli(s.computedAt()), null), ids));
    }

    @Override
    public long version() {
        return version.get();
    }

    @Override
    public void close() throws IOException {
        flushClicks();
        worker.shutdownNow();
        try {
            worker.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.close();
    }

    @Override
    public String toString() {
        return "RfmSegments[" + dir + "]";
    }
}
