package dev.herald.dispatcher.links;

import dev.herald.dispatcher.links.ClickRules.ClickClass;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * Records the clicks on tracked links, off the redirect's path, in group commits: the redirect
 * classes the click and queues it ({@link #record}, which never waits for the disk); one writer
 * thread appends what is queued to each campaign's {@link ClickLedger} and fsyncs each ledger it
 * touched once per batch. A click is durable a few milliseconds after its redirect was answered;
 * a process killed in between loses the clicks of that batch, never one already written.
 *
 * <pre>{@code
 * Clicks clicks = Clicks.open(dataDir.resolve("campaigns"), rules, 100_000, deliveredAt, Clock.systemUTC());
 * ClickClass c = clicks.record(link, userAgent, false, addressHash);   // queued; HUMAN, PREVIEW, BOT or SUSPICIOUS
 * long humans = clicks.read("spring-sale", l -> l.unique(ClickClass.HUMAN).getLongCardinality());
 * }</pre>
 *
 * <p>A flood beyond the queue's capacity is counted ({@link #dropped()}) and logged, not recorded:
 * the redirect still answers at once. Thread-safe.
 */
public final class Clicks implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Clicks.class);
    /** Ledgers unused this long are closed. */
    static final Duration IDLE = Duration.ofMinutes(10);
    /** How often the writer looks for idle ledgers. */
    static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
    /** Clicks written per group commit at most. */
    private static final int BATCH = 10_000;

    /** When a recipient's message of a campaign was delivered. */
    @FunctionalInterface
    public interface DeliveredAt {
        /** Delivery times are not known. */
        DeliveredAt UNKNOWN = (campaign, recipient) -> -1;

        /** @return epoch milliseconds of its delivery, or -1 if not delivered (or not known) */
        long deliveredAtMillis(String campaignId, int recipient);
    }

    private record Queued(String campaignId, int campaignNumber, ClickLedger.Click click) {
    }

    /** An open ledger and the identity (inode) of the file it appends to. */
    private record Open(ClickLedger ledger, Path file, Object fileKey) {
    }

    private final Path campaigns;
    private final ClickRules rules;
    private final DeliveredAt deliveredAt;
    private final Clock clock;
    private final dev.herald.dispatcher.funnel.Touches touches;
    private final BlockingQueue<Queued> queue;
    private final Map<String, Open> ledgers = new ConcurrentHashMap<>();
    /** When each open ledger was last used ({@link System#nanoTime()}): idle ones are closed. */
    private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();
    /** When the writer last closed idle ledgers. */
    private long lastSweepNanos = System.nanoTime();
    private final Thread writer;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final Map<ClickClass, LongAdder> recorded = new EnumMap<>(ClickClass.class);
    private final AtomicLong queuedCount = new AtomicLong();
    private final AtomicLong writtenCount = new AtomicLong();
    private volatile boolean closing;
    /**
     * Held (shared) by {@link #record} from its check of {@link #closing} to its offer, and
     * (exclusively) by {@link #close} to set it: once set, no click can join the queue, so the
     * writer, which stops only when closing with an empty queue, writes every click queued.
     */
    private final ReentrantReadWriteLock closeLock = new ReentrantReadWriteLock();

    private Clicks(Path campaigns, ClickRules rules, int capacity, DeliveredAt deliveredAt, Clock clock,
                   dev.herald.dispatcher.funnel.Touches touches) {
        this.touches = touches;
        this.campaigns = campaigns;
        this.rules = rules;
        this.deliveredAt = deliveredAt;
        this.clock = clock;
        this.queue = new ArrayBlockingQueue<>(capacity);
        for (ClickClass c : ClickClass.values()) {
            recorded.put(c, new LongAdder());
        }
        this.writer = new Thread(this::writeLoop, "herald-clicks-writer");
        this.writer.setDaemon(true);
    }

    /**
     * @param campaigns   the campaigns' directory ({@code <data dir>/campaigns})
     * @param rules       how clicks are classed
     * @param capacity    clicks that may wait to be written
     * @param deliveredAt when each message was delivered (suspicious timing; the delay to the click)
     * @param clock       the clicks' time
     * @return the clicks, its writer started
     */
    public static Clicks open(Path campaigns, ClickRules rules, int capacity, DeliveredAt deliveredAt, Clock clock) {
        return open(campaigns, rules, capacity, deliveredAt, clock, null);
    }

    /**
     * As {@link #open(Path, ClickRules, int, DeliveredAt, Clock)}, also recording each human click
     * as the recipient's latest touch (conversions are attributed from it), once it is written.
     *
     * @param touches the recipients' touches, or null
     */
    public static Clicks open(Path campaigns, ClickRules rules, int capacity, DeliveredAt deliveredAt, Clock clock,
                              dev.herald.dispatcher.funnel.Touches touches) {
        if (capacity < 1) {
            throw new IllegalArgumentException("herald.links.queue-capacity must be >= 1, got " + capacity);
        }
        Clicks c = new Clicks(campaigns, rules, capacity, deliveredAt == null ? DeliveredAt.UNKNOWN : deliveredAt, clock,
                touches);
        c.writer.start();
        return c;
    }

    /**
     * Classes a click on {@code link} and queues it to be written.
     *
     * @param link        the verified token's link
     * @param userAgent   the request's {@code User-Agent}, or null
     * @param head        whether it was a {@code HEAD} request
     * @param addressHash a keyed hash of the client's address ({@code "-"} if unknown)
     * @return its class
     */
    public ClickClass record(LinkTokens.Link link, String userAgent, boolean head, String addressHash) {
        long now = clock.millis();
        long delivered = deliveredAt.deliveredAtMillis(link.campaignId(), link.recipientId());
        long since = delivered < 0 ? -1 : Math.max(0, now - delivered);
        ClickClass c = rules.classify(userAgent, head, since);
        ClickLedger.Click click = new ClickLedger.Click(link.recipientId(), link.link(), c, now, head, since,
                addressHash == null || addressHash.isEmpty() ? "-" : addressHash, userAgent);
        boolean queued;
        closeLock.readLock().lock(); // close() cannot begin between the check and the offer
        try {
            queued = !closing && queue.offer(new Queued(link.campaignId(), link.campaignNumber(), click));
            if (queued) {
                queuedCount.incrementAndGet();
                recorded.get(c).increment();
            }
        } finally {
            closeLock.readLock().unlock();
        }
        if (!queued) {
            dropped.increment();
            long n = dropped.sum();
            if (n <= 10 || Long.bitCount(n) == 1) {
                LOG.warn("clicks: {} waiting to be written already (or closing); a click on campaign {} is not recorded ({}"
                        + " so far)", queue.size(), link.campaignId(), n);
            }
        }
        return c;
    }

    private void writeLoop() {
        List<Queued> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                if (System.nanoTime() - lastSweepNanos > SWEEP_EVERY.toNanos()) {
                    lastSweepNanos = System.nanoTime();
                    closeIdle(IDLE);
                }
                Queued first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                write(batch);
            } catch (InterruptedException e) {
                if (!queue.isEmpty()) {
                    queue.drainTo(batch);
                    write(batch);
                }
                return;
            } catch (RuntimeException e) {
                LOG.error("clicks: writing a batch failed unexpectedly", e);
            } finally {
                writtenCount.addAndGet(batch.size());
                batch.clear();
            }
        }
    }

    /** Appends a batch, campaign by campaign, then fsyncs each ledger it touched once. */
    private void write(List<Queued> batch) {
        Map<String, List<Queued>> byCampaign = new LinkedHashMap<>();
        for (Queued q : batch) {
            byCampaign.computeIfAbsent(q.campaignId(), k -> new ArrayList<>()).add(q);
        }
        for (Map.Entry<String, List<Queued>> e : byCampaign.entrySet()) {
            try {
                Open o = open(e.getKey());
                for (Queued q : e.getValue()) {
                    o.ledger().append(q.click());
                }
                o.ledger().sync();
                if (!o.fileKey().equals(fileKey(o.file()))) { // removed while it was written: the next batch opens it again
                    throw new IOException(o.file() + " was removed or replaced while its clicks were written");
                }
            } catch (IOException | RuntimeException ex) {
                // whatever fails for one campaign (its directory, its file, a path its id cannot make) is
                // counted and the batch's other campaigns are still written
                failed.add(e.getValue().size());
                LOG.error("campaign {}: {} click(s) could not be written: {}", e.getKey(), e.getValue().size(), ex.toString());
                continue;
            }
            if (touches != null) {
                for (Queued q : e.getValue()) {
                    if (q.click().clickClass() == ClickClass.HUMAN) {
                        try {
                            touches.clicked(q.click().recipient(), q.campaignNumber(), q.click().atMillis());
                        } catch (IOException | RuntimeException ex) {
                            LOG.warn("campaign {}: a human click of recipient {} is written but not kept as their latest"
                                    + " touch: {}", e.getKey(), q.click().recipient(), ex.toString());
                        }
                    }
                }
            }
        }
    }

    private ClickLedger ledger(String campaignId) {
        return open(campaignId).ledger();
    }

    /**
     * The campaign's open ledger, opened (replayed) if it is not, or if its file was removed or
     * replaced since (its directory deleted by hand): appends to the old one would go to a file no
     * one reads again, counted as written.
     */
    private Open open(String campaignId) {
        Open open = ledgers.get(campaignId);
        if (open != null && !open.fileKey().equals(fileKey(open.file()))) {
            if (ledgers.remove(campaignId, open)) {
                LOG.warn("campaign {}: {} was removed or replaced while open; it is opened again if it can be", campaignId,
                        open.file());
                try {
                    open.ledger().close();
                } catch (IOException e) {
                    LOG.warn("campaign {}: closing its removed click log failed: {}", campaignId, e.toString());
                }
            }
        }
        Open opened = ledgers.computeIfAbsent(campaignId, id -> {
            Path dir = campaigns.resolve(id);
            if (!Files.isDirectory(dir)) {
                throw new UncheckedIOException(new IOException("campaign " + id + " has no directory " + dir));
            }
            Path file = dir.resolve(ClickLedger.FILE);
            try {
                ClickLedger l = ClickLedger.open(file);
                Object key = fileKey(file);
                if (key == null) {
                    l.close();
                    throw new IOException("campaign " + id + ": " + file + " vanished as it was opened");
                }
                return new Open(l, file, key);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        lastUsed.put(campaignId, System.nanoTime());
        return opened;
    }

    /**
     * Closes the ledgers not used for {@code idle} (written to or read): a campaign's clicks are
     * replayed again when it is next clicked or reported, and a server with many tracked campaigns
     * does not keep a file open for each. Runs on the writer thread (every {@link #SWEEP_EVERY}).
     *
     * @return how many were closed
     */
    int closeIdle(Duration idle) {
        long limit = System.nanoTime() - idle.toNanos();
        int closed = 0;
        for (Map.Entry<String, Open> e : List.copyOf(ledgers.entrySet())) {
            if (lastUsed.getOrDefault(e.getKey(), 0L) > limit) {
                continue;
            }
            if (ledgers.remove(e.getKey(), e.getValue())) {
                lastUsed.remove(e.getKey());
                try {
                    e.getValue().ledger().close();
                    closed++;
                } catch (IOException ex) {
                    LOG.warn("campaign {}: closing its idle click log failed: {}", e.getKey(), ex.toString());
                }
            }
        }
        return closed;
    }

    /** @return how many campaigns' ledgers are open */
    int openLedgers() {
        return ledgers.size();
    }

    /** @return the file's identity (device and inode), or null if it does not exist */
    private static Object fileKey(Path file) {
        try {
            Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            return key == null ? file.toRealPath() : key; // no inodes on this file system: its real path
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * @param campaignId a campaign
     * @return its clicks' summary; a campaign never clicked (no log) is not opened, nor its log made
     * @throws IOException if the ledger cannot be opened (a damaged file, named)
     */
    public ClickLedger.Summary summary(String campaignId) throws IOException {
        if (!ledgers.containsKey(campaignId) && !Files.exists(campaigns.resolve(campaignId).resolve(ClickLedger.FILE))) {
            return ClickLedger.Summary.empty();
        }
        return read(campaignId, ClickLedger::summary);
    }

    /**
     * @param campaignId a campaign
     * @param read       what to read of its clicks
     * @return what {@code read} returned, its ledger opened (replayed) if it was not
     * @throws IOException if the ledger cannot be opened (a damaged file, named)
     */
    public <T> T read(String campaignId, Function<ClickLedger, T> read) throws IOException {
        try {
            return read.apply(ledger(campaignId));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Waits until every click queued before this call is written and synced.
     *
     * @param timeoutMillis how long at most
     * @return whether it was
     */
    public boolean awaitWritten(long timeoutMillis) throws InterruptedException {
        long target = queuedCount.get();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (writtenCount.get() < target) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(2);
        }
        return true;
    }

    /** @return clicks not recorded because the queue was full */
    public long dropped() {
        return dropped.sum();
    }

    /** @return clicks that could not be written (a disk error, no campaign directory, its log removed while written) */
    public long failed() {
        return failed.sum();
    }

    /** @return clicks queued to be recorded, of class {@code c}, since the start */
    public long recorded(ClickClass c) {
        return recorded.get(c).sum();
    }

    /** @return clicks waiting to be written */
    public int waiting() {
        return queue.size();
    }

    /** Writes what is queued (up to 10 s), then closes every ledger. */
    @Override
    public void close() throws IOException {
        closeLock.writeLock().lock();
        try {
            closing = true;
        } finally {
            closeLock.writeLock().unlock();
        }
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            writer.interrupt();
            try {
                writer.join(10_000); // it writes what it drained and stops: a ledger closed under it, or opened after, is lost
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        IOException first = null;
        for (Open o : ledgers.values()) {
            try {
                o.ledger().close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        ledgers.clear();
        if (first != null) {
            throw first;
        }
    }
}
