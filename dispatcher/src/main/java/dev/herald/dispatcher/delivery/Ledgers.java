package dev.herald.dispatcher.delivery;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The campaigns' delivery ledgers that {@link Deliveries} keeps open: a long log is opened on a
 * loader thread, never on the caller's, because {@link DeliveryLedger#open} replays the whole log
 * (5–7 s for 10 million recipients, 0.4 s for one million, on 2 shared vCPUs); a short one (up to
 * {@link #INLINE_OPEN_BYTES}) on the caller's thread. Ledgers not used for a while are closed.
 *
 * <pre>{@code
 * Ledgers ls = new Ledgers(dataDir.resolve("campaigns"), campaignId -> drainHeldReceipts(campaignId));
 * if (!ls.ifOpen("spring", l -> l.record(...), out) && !ls.openNowIfSmall("spring")) {  // hold the receipt,
 *     ls.load("spring");                                  // load in the background, then onLoad runs
 * }
 * ls.withLedger("spring", DeliveryLedger::counts);      // a view: waits for the load
 * }</pre>
 *
 * <p><b>Invariants.</b> At most one ledger per campaign is open, and at most one load of it runs
 * (a second load of the same file would append through a second channel). Work runs under the
 * map's lock for its campaign, so never on a ledger being closed. A load that failed is not tried
 * again for {@link #RETRY}: its failure is returned meanwhile (a damaged log is not replayed for
 * every receipt).
 *
 * <p>Thread-safe. {@code onLoad} runs after each load, successful or not, on the thread that loaded.
 */
final class Ledgers implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Ledgers.class);
    /** How long a failed load's failure stands before a new load is tried. */
    static final Duration RETRY = Duration.ofSeconds(30);
    private static final int LOADERS = 2;
    /**
     * A log up to this long is opened on the caller's thread (its replay takes milliseconds: about
     * 8 ms a MiB measured, 25 cold); a longer one is loaded in the background.
     */
    static final long INLINE_OPEN_BYTES = 1 << 20;

    /** Work on a campaign's open ledger. */
    interface LedgerWork<T> {
        T apply(DeliveryLedger l) throws IOException;
    }

    private record Failure(IOException error, long atNanos) {
    }

    private final Path campaigns;
    private final long inlineOpenBytes;
    private final Consumer<String> onLoad;
    private final Map<String, DeliveryLedger> open = new ConcurrentHashMap<>();
    private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<DeliveryLedger>> loading = new ConcurrentHashMap<>();
    private final Map<String, Failure> failed = new ConcurrentHashMap<>();
    /** The loads in {@code loading} that run on a caller's thread (short logs): others wait for them. */
    private final java.util.Set<CompletableFuture<DeliveryLedger>> inline = ConcurrentHashMap.newKeySet();
    private final ExecutorService loader;
    private volatile boolean closed;
    /** Tests only: background loads wait until this opens (or the ledgers close). */
    private volatile CountDownLatch gate;

    /**
     * @param campaigns       the {@code campaigns} directory ({@code <id>/deliveries.log} in it)
     * @param inlineOpenBytes a log up to this long is opened by {@link #openNowIfSmall} on the caller's thread
     * @param onLoad          called with the campaign's id after each load (success or failure), on the thread that loaded
     */
    Ledgers(Path campaigns, long inlineOpenBytes, Consumer<String> onLoad) {
        this.campaigns = campaigns;
        this.inlineOpenBytes = inlineOpenBytes;
        this.onLoad = onLoad;
        AtomicInteger n = new AtomicInteger();
        this.loader = Executors.newFixedThreadPool(LOADERS, r -> {
            Thread t = new Thread(r, "herald-delivery-ledger-load-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** @return whether the campaign's ledger is open now */
    boolean isOpen(String campaignId) {
        return open.containsKey(campaignId);
    }

    /**
     * Runs {@code work} on the campaign's ledger if it is open; never opens it.
     *
     * @param out receives the work's result in {@code out[0]}
     * @return whether it was open (and {@code work} ran)
     * @throws IOException what {@code work} throws
     */
    boolean ifOpen(String campaignId, LedgerWork<?> work, Object[] out) throws IOException {
        boolean[] ran = {false};
        try {
            open.computeIfPresent(campaignId, (id, l) -> {
                try {
                    lastUsed.put(id, System.nanoTime());
                    out[0] = work.apply(l);
                    ran[0] = true;
                    return l;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return ran[0];
    }

    /**
     * Loads the campaign's ledger in the background unless it is open or loading, or its last load
     * failed less than {@link #RETRY} ago (that failure is returned).
     *
     * @return the load: done at once if the ledger is open or failed recently
     */
    CompletableFuture<DeliveryLedger> load(String campaignId) {
        DeliveryLedger l = open.get(campaignId);
        if (l != null) {
            return CompletableFuture.completedFuture(l);
        }
        IOException recent = recentFailure(campaignId);
        if (recent != null) {
            return CompletableFuture.failedFuture(recent);
        }
        if (closed) {
            return CompletableFuture.failedFuture(new IOException("the delivery ledgers are closed"));
        }
        return loading.computeIfAbsent(campaignId, id -> {
            CompletableFuture<DeliveryLedger> f = new CompletableFuture<>();
            try {
                loader.execute(() -> {
                    awaitGate();
                    loadNow(id, f);
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                f.completeExceptionally(new IOException("the delivery ledgers are closed")); // closing meanwhile
            }
            return f;
        });
    }

    /**
     * Opens the campaign's ledger on the caller's thread if its log is short (up to the inline
     * bytes: a replay of milliseconds) and no background load of it is running; waits only for
     * another caller's open of a short log.
     *
     * @return whether it is open now
     */
    boolean openNowIfSmall(String campaignId) {
        if (open.containsKey(campaignId)) {
            return true;
        }
        if (closed || recentFailure(campaignId) != null) {
            return false;
        }
        long size;
        try {
            size = Files.size(fileOf(campaignId));
        } catch (NoSuchFileException e) {
            size = 0;
        } catch (IOException e) {
            return false; // the background load reports it
        }
        if (size > inlineOpenBytes) {
            return false;
        }
        CompletableFuture<DeliveryLedger> f = new CompletableFuture<>();
        inline.add(f); // before it can be seen in loading
        try {
            CompletableFuture<DeliveryLedger> running = loading.putIfAbsent(campaignId, f);
            if (running == null) {
                loadNow(campaignId, f);
            } else if (inline.contains(running)) {
                running.get(); // another caller opens it now: milliseconds, as if this one did
            } else {
                return false; // a long load in the background: not waited for
            }
        } catch (ExecutionException e) {
            return false; // its failure is the recent failure
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            inline.remove(f);
        }
        return open.containsKey(campaignId);
    }

    private Path fileOf(String campaignId) {
        return campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE);
    }

    /** Tests only: background loads started from now on wait until {@code gate} opens (a replay that takes long). */
    void pauseLoads(CountDownLatch gate) {
        this.gate = gate;
    }

    private void awaitGate() {
        CountDownLatch g = gate;
        try {
            while (g != null && !closed && !g.await(20, TimeUnit.MILLISECONDS)) {
                g = gate;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The load itself, on the loader thread: replay, then publish the ledger (or its failure), then {@code onLoad}. */
    private void loadNow(String id, CompletableFuture<DeliveryLedger> f) {
        DeliveryLedger l = null;
        IOException error = null;
        long t0 = System.nanoTime();
        try {
            if (closed) {
                throw new IOException("the delivery ledgers are closed");
            }
            DeliveryLedger existing = open.get(id);
            l = existing != null ? existing : DeliveryLedger.open(fileOf(id));
        } catch (IOException e) {
            error = e;
        } catch (RuntimeException e) {
            error = new IOException(e.toString(), e);
        }
        if (l != null && closed) {
            close(id, l);
            l = null;
            error = new IOException("the delivery ledgers are closed");
        }
        if (l != null) {
            DeliveryLedger ledger = l;
            open.computeIfAbsent(id, k -> ledger);
            lastUsed.put(id, System.nanoTime());
            failed.remove(id);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            if (ms >= 1_000) {
                LOG.info("campaign {}: delivery ledger loaded in {} ms ({} lines)", id, ms, ledger.lines());
            }
        } else {
            failed.put(id, new Failure(error, System.nanoTime()));
            LOG.warn("campaign {}: its delivery ledger cannot be opened (tried again in {} at the earliest): {}", id, RETRY,
                    error.getMessage());
        }
        loading.remove(id, f);
        try {
            onLoad.accept(id); // before the load is done: a view that waited for it sees what waited too
        } catch (RuntimeException e) {
            LOG.error("campaign {}: after its delivery ledger's load: {}", id, e.toString(), e);
        }
        if (l != null) {
            f.complete(l);
        } else {
            f.completeExceptionally(error);
        }
    }

    /** @return the failure of the campaign's last load if it is less than {@link #RETRY} old, else null */
    IOException recentFailure(String campaignId) {
        Failure f = failed.get(campaignId);
        if (f == null) {
            return null;
        }
        if (System.nanoTime() - f.atNanos() >= RETRY.toNanos()) {
            failed.remove(campaignId, f);
            return null;
        }
        return f.error();
    }

    /**
     * Runs {@code work} on the campaign's ledger, loading it and waiting for the load if needed
     * (for views: not for a connector's threads).
     *
     * @throws IOException naming the file if the ledger cannot be opened (or failed to less than {@link #RETRY} ago)
     */
    <T> T withLedger(String campaignId, LedgerWork<T> work) throws IOException {
        Object[] out = {null};
        for (int attempt = 0; attempt < 3; attempt++) {
            if (ifOpen(campaignId, work, out)) {
                @SuppressWarnings("unchecked")
                T t = (T) out[0];
                return t;
            }
            try {
                load(campaignId).get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("waiting for the delivery ledger of " + campaignId);
            }
        }
        throw new IOException("campaign " + campaignId + ": its delivery ledger was closed as soon as it was opened");
    }

    /** Closes the ledgers not used for {@code idle} (loaded again when needed). @return how many */
    int closeIdle(Duration idle) {
        long limit = System.nanoTime() - idle.toNanos();
        int[] closedNow = {0};
        for (String id : List.copyOf(open.keySet())) {
            open.computeIfPresent(id, (k, l) -> {
                if (lastUsed.getOrDefault(k, 0L) > limit) {
                    return l;
                }
                close(k, l);
                lastUsed.remove(k);
                closedNow[0]++;
                return null;
            });
        }
        return closedNow[0];
    }

    private static void close(String id, DeliveryLedger l) {
        try {
            l.close();
        } catch (IOException e) {
            LOG.warn("campaign {}: closing its delivery ledger: {}", id, e.toString());
        }
    }

    /** Waits for loads in progress (a replay cannot be cut short), then closes every ledger. */
    @Override
    public void close() throws IOException {
        closed = true;
        loader.shutdown();
        try {
            if (!loader.awaitTermination(2, TimeUnit.MINUTES)) {
                LOG.warn("delivery ledger loads still running at close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        IOException first = null;
        for (String id : List.copyOf(open.keySet())) {
            DeliveryLedger l = open.remove(id);
            if (l == null) {
                continue;
            }
            try {
                l.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
