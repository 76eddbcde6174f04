package dev.herald.suppression.store;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where every dropped torn tail is reported: a warning naming the file, the offset and the bytes
 * dropped, a process-wide counter, and listeners (the dispatcher binds the counter as
 * {@code herald_store_torn_tails_total}; this module has no Micrometer).
 *
 * <pre>{@code
 * FunctionCounter.builder("herald.store.torn.tails", TornTails.class, c -> TornTails.count()).register(registry);
 * TornTails.addListener((file, offset, bytes) -> ...);
 * }</pre>
 * Thread-safe.
 */
public final class TornTails {

    /** Told of each torn tail dropped, on the thread that dropped it. */
    @FunctionalInterface
    public interface Listener {
        void dropped(Path file, long offset, long bytes);
    }

    private static final Logger LOG = LoggerFactory.getLogger(TornTails.class);
    private static final AtomicLong COUNT = new AtomicLong();
    private static final List<Listener> LISTENERS = new CopyOnWriteArrayList<>();

    private TornTails() {
    }

    /** Torn tails dropped in this process since it started, from every store. */
    public static long count() {
        return COUNT.get();
    }

    public static void addListener(Listener l) {
        LISTENERS.add(l);
    }

    public static void removeListener(Listener l) {
        LISTENERS.remove(l);
    }

    /**
     * Reports a torn tail that was dropped.
     *
     * @param keptIn where the dropped bytes were copied, or null
     */
    public static void report(Path file, long offset, long bytes, Path keptIn) {
        COUNT.incrementAndGet();
        LOG.warn("{}: dropped an incomplete last record, {} bytes at offset {}: a write torn by a crash, never acknowledged{}",
                file, bytes, offset, keptIn == null ? "" : "; the bytes are kept in " + keptIn.getFileName());
        for (Listener l : LISTENERS) {
            try {
                l.dropped(file, offset, bytes);
            } catch (RuntimeException e) {
                LOG.warn("a torn-tail listener failed: {}", e.toString());
            }
        }
    }
}
