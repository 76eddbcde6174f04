package dev.herald.dispatcher.connector;

import dev.herald.throttle.RateLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The embedded default {@link Connector}: answers after a configured latency, throttles above a
 * configured rate, fails or throttles a seeded share of messages, and appends every accepted
 * message to a log file that tests and users read back with {@link #readLog}.
 *
 * <pre>{@code
 * try (SimulatedConnector c = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir).withFailureRate(0.01))) {
 *     SendResult r = c.send(message).toCompletableFuture().join();
 * }
 * List<AcceptedLogEntry> sent = SimulatedConnector.readLog(SimulatedConnectorOptions.defaults(dir).logFile());
 * }</pre>
 *
 * <p><b>Log format.</b> UTF-8 text, one line per accepted message, four tab-separated fields, line
 * feed terminated, no header: {@code acceptedAtMillis \t campaignId \t recipientId \t messageId},
 * e.g. {@code 1795466400123	42	7	mhz3k0a1-17}. Opening appends to an existing log (one file spans
 * restarts); message ids are {@code <open time, base 36>-<sequence>}, unique across restarts.
 *
 * <p><b>Crash semantics.</b> A message is answered {@link SendResult.Accepted} only after its
 * line was completely written to the file (to the OS page cache: it survives {@code kill -9};
 * with {@link SimulatedConnectorOptions#fsync()} also a power loss). So after a crash every
 * acknowledged message is in the log, and a line in the log whose answer the caller never saw is
 * exactly the "claimed but unconfirmed" case. A line torn by the crash (no final line feed) was
 * never acknowledged; {@link #readLog} ignores it and the next {@link #open} cuts it off.
 *
 * <p><b>Idempotency keys.</b> With {@link SimulatedConnectorOptions#withIdempotencyKeys(boolean)} the
 * connector behaves as a peer that deduplicates by {@link OutboundMessage#idempotencyKey()}: a
 * message whose key it accepted before (read back from the log at open, so across restarts of
 * either side) is answered {@link SendResult.Accepted} with the first message id, whatever the
 * draw, and is not logged again. Memory: one map entry per accepted key.
 *
 * <p><b>Threads.</b> Thread-safe. {@link #send} never blocks: answers are scheduled on one
 * scheduler thread, which writes all answers due at the same time with one write (group commit)
 * and then completes their stages. Callbacks must not block that thread.
 */
public final class SimulatedConnector implements Connector {

    private static final Logger log = LoggerFactory.getLogger(SimulatedConnector.class);

    private enum Kind { ACCEPTED, FAILED, THROTTLED, TRANSIENT }

    /** One unanswered send; ordered by due time, then by send order. */
    private record Pending(long dueNanos, long seq, Kind kind, long retryAfterNanos, OutboundMessage message,
                           CompletableFuture<SendResult> answer) {
    }

    private final SimulatedConnectorOptions options;
    private final AcceptedLog acceptedLog;
    private final ScheduledExecutorService scheduler;
    private final String idPrefix;
    private final long latencyMin;
    private final long latencySpan;
    /** Accepted idempotency key → its message id, when deduplicating; only the scheduler thread uses it. */
    private final java.util.Map<String, String> acceptedKeys;

    /** Distinct open times within this JVM, so message-id prefixes never repeat. */
    private static final AtomicLong LAST_OPEN_MILLIS = new AtomicLong();

    private final Object lock = new Object();
    // Guarded by lock: answers are drawn from the seeded generator in send order. Invariant:
    // inFlight is decremented before the stages are completed, so a callback may send again.
    // Invariant: polled in (dueNanos, seq) order. With a fixed latency every send is due at
    // (now read under the lock) + latency, so sends arrive in that order and a FIFO keeps it
    // without a heap; with a latency range the heap orders them.
    private final Queue<Pending> due;
    private final Random random;
    private final PeerBucket peer;
    private long seq;
    private int inFlight;
    private long wakeAt = Long.MAX_VALUE;
    private boolean closed;
    private boolean released;

    private SimulatedConnector(SimulatedConnectorOptions options, AcceptedLog acceptedLog,
                               java.util.Map<String, String> acceptedKeys) {
        this.options = options;
        this.acceptedLog = acceptedLog;
        this.acceptedKeys = acceptedKeys;
        this.random = new Random(options.seed());
        long openMillis = LAST_OPEN_MILLIS.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis()));
        this.idPrefix = Long.toString(openMillis, 36) + "-";
        this.latencyMin = options.latencyMin().toNanos();
        this.latencySpan = options.latencyMax().toNanos() - latencyMin;
        this.due = latencySpan == 0 ? new ArrayDeque<>()
                : new PriorityQueue<>(Comparator.comparingLong(Pending::dueNanos).thenComparingLong(Pending::seq));
        this.peer = new PeerBucket(options.maxRatePerSecond(), options.burst(), System.nanoTime());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-connector-" + options.name());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * @param options behaviour and log directory
     * @return a running connector appending to {@link SimulatedConnectorOptions#logFile()}
     * @throws IOException if the log cannot be created or opened, or another open connector uses it
     */
    public static SimulatedConnector open(SimulatedConnectorOptions options) throws IOException {
        AcceptedLog acceptedLog = AcceptedLog.open(options.logFile(), options.fsync());
        java.util.Map<String, String> keys = null;
        if (options.idempotencyKeys()) {
            try {
                java.util.Map<String, String> read = new java.util.HashMap<>();
                AcceptedLog.forEach(options.logFile(), e -> read.putIfAbsent(e.campaignId() + "/" + e.recipientId(), e.messageId()));
                keys = read;
            } catch (IOException | RuntimeException e) {
                acceptedLog.close();
                throw e;
            }
        }
        return new SimulatedConnector(options, acceptedLog, keys);
    }

    /**
     * @param logFile a log written by a simulated connector (possibly still running)
     * @return its complete lines, in file order
     * @throws IOException naming file and line number if a line is malformed, or if it cannot be read
     */
    public static List<AcceptedLogEntry> readLog(Path logFile) throws IOException {
        List<AcceptedLogEntry> entries = new ArrayList<>();
        AcceptedLog.forEach(logFile, entries::add);
        return entries;
    }

    /**
     * Streams a log without holding it in memory (10 million lines are ~400 MB of entries).
     *
     * @param logFile a log written by a simulated connector
     * @param sink    receives each complete line, in file order
     * @throws IOException as {@link #readLog}
     */
    public static void scanLog(Path logFile, Consumer<AcceptedLogEntry> sink) throws IOException {
        AcceptedLog.forEach(logFile, sink);
    }

    @Override
    public String name() {
        return options.name();
    }

    @Override
    public double maxRatePerSecond() {
        return options.maxRatePerSecond();
    }

    @Override
    public int window() {
        return options.window();
    }

    /** @return whether this connector deduplicates by idempotency key (its options say so) */
    @Override
    public boolean supportsIdempotencyKey() {
        return acceptedKeys != null;
    }

    /** @return the file accepted messages are appended to */
    public Path logFile() {
        return acceptedLog.file();
    }

    @Override
    public CompletionStage<SendResult> send(OutboundMessage message) {
        Objects.requireNonNull(message, "message");
        CompletableFuture<SendResult> answer = new CompletableFuture<>();
        long dueNanos;
        boolean wake = false;
        synchronized (lock) {
            long now = System.nanoTime(); // under the lock: due times never decrease in send order
            if (closed) {
                throw new IllegalStateException("connector '" + name() + "' is closed");
            }
            if (inFlight >= options.window()) {
                throw new IllegalStateException("connector '" + name() + "' already has " + inFlight
                        + " unanswered sends, its window is " + options.window());
            }
            inFlight++;
            Kind kind;
            long retryAfter = -1;
            long tokenWait = peer.take(now);
            double u = random.nextDouble();
            if (tokenWait > 0) {
                kind = Kind.THROTTLED;
                retryAfter = tokenWait;
            } else if (u < options.throttleRate()) {
                kind = Kind.THROTTLED;
            } else if (u < options.throttleRate() + options.failureRate()) {
                kind = Kind.FAILED;
            } else if (u < options.throttleRate() + options.failureRate() + options.transientFailureRate()) {
                kind = Kind.TRANSIENT;
            } else {
                kind = Kind.ACCEPTED;
            }
            dueNanos = now + latencyMin + (latencySpan > 0 ? random.nextLong(latencySpan + 1) : 0);
            due.add(new Pending(dueNanos, seq++, kind, retryAfter, message, answer));
            if (dueNanos < wakeAt) {
                wakeAt = dueNanos;
                wake = true;
            }
        }
        if (wake) {
            scheduleDrain(dueNanos);
        }
        return answer;
    }

    private void scheduleDrain(long atNanos) {
        scheduler.schedule(this::drain, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Answers every send that is due: log the accepted ones in one write, then complete. */
    private void drain() {
        List<Pending> ready = new ArrayList<>();
        long next = Long.MAX_VALUE;
        synchronized (lock) {
            long now = System.nanoTime();
            while (!due.isEmpty() && due.peek().dueNanos() <= now) {
                ready.add(due.poll());
            }
            if (!due.isEmpty()) {
                next = due.peek().dueNanos();
            }
            wakeAt = next;
        }
        if (next != Long.MAX_VALUE) {
            scheduleDrain(next);
        }
        if (ready.isEmpty()) {
            return;
        }
        SendResult[] results = answer(ready);
        synchronized (lock) {
            inFlight -= ready.size();
            lock.notifyAll();
        }
        RateLimiter limiter = options.rateLimiter();
        for (int i = 0; i < ready.size(); i++) {
            if (limiter != null && results[i] instanceof SendResult.Throttled t) {
                limiter.onThrottled(System.nanoTime(), t.retryAfterNanos());
            }
            ready.get(i).answer().complete(results[i]);
        }
    }

    private SendResult[] answer(List<Pending> ready) {
        SendResult[] results = new SendResult[ready.size()];
        List<OutboundMessage> accepted = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        long now = System.currentTimeMillis();
        java.util.Map<String, String> newKeys = acceptedKeys == null ? null : new java.util.HashMap<>();
        for (int i = 0; i < results.length; i++) {
            Pending p = ready.get(i);
            if (acceptedKeys != null) {
                String key = p.message().idempotencyKey();
                String first = acceptedKeys.get(key);
                if (first == null) {
                    first = newKeys.get(key);
                }
                if (first != null) {
                    results[i] = new SendResult.Accepted(first, now); // already taken: not again
                    continue;
                }
                if (p.kind() == Kind.ACCEPTED) {
                    newKeys.put(key, idPrefix + p.seq());
                }
            }
            switch (p.kind()) {
                case FAILED -> results[i] = new SendResult.Failed("simulated-rejection");
                case THROTTLED -> results[i] = new SendResult.Throttled(p.retryAfterNanos());
                case TRANSIENT -> results[i] = new SendResult.TransientFailure("simulated-timeout");
                case ACCEPTED -> {
                    accepted.add(p.message());
                    ids.add(idPrefix + p.seq());
                }
            }
        }
        if (accepted.isEmpty()) {
            return results;
        }
        long at = now;
        SendResult.TransientFailure writeFailure = null;
        try {
            acceptedLog.append(accepted, ids, at);
        } catch (IOException | RuntimeException e) {
            log.error("connector '{}': cannot append to {}; answering {} messages as transient failures",
                    name(), acceptedLog.file(), accepted.size(), e);
            writeFailure = new SendResult.TransientFailure("simulated-log-write-failed: " + e.getMessage());
        }
        int a = 0;
        for (int i = 0; i < results.length; i++) {
            if (results[i] == null) {
                results[i] = writeFailure != null ? writeFailure : new SendResult.Accepted(ids.get(a), at);
                a++;
            }
        }
        if (newKeys != null && writeFailure == null) {
            acceptedKeys.putAll(newKeys);
        }
        return results;
    }

    /**
     * Stops taking sends, waits until every unanswered send is answered (at most the maximum
     * latency), stops the scheduler, and forces and closes the log. Idempotent. Must not be called
     * from a completion callback (it would wait for the thread it blocks).
     *
     * @throws UncheckedIOException if the log cannot be forced or closed
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (released) {
                return;
            }
            closed = true;
            boolean interrupted = false;
            while (inFlight > 0) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            released = true;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        scheduler.shutdownNow();
        try {
            acceptedLog.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close accepted log " + acceptedLog.file(), e);
        }
    }
}
