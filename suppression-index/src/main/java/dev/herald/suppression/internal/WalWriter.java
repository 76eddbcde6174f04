package dev.herald.suppression.internal;

import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The single writer of the write-ahead log, with group commit.
 *
 * <p>Callers {@link #submit} changes and wait on the returned future. One thread drains
 * everything queued, appends all of it, fsyncs once, hands the durable records to the
 * {@link Listener} (which makes them visible to readers), and only then completes the
 * futures: a change is acknowledged only after it is on disk and visible.
 *
 * <p>{@link #call} runs a task on the same thread, in queue order, so tasks see exactly the
 * changes submitted before them (compaction uses it to rotate and to swap state).
 *
 * <p>After an I/O error the log is truncated back to the last whole batch when possible and
 * the writer refuses further writes: nothing is acknowledged that is not durable.
 * Thread-safe.
 */
public final class WalWriter implements AutoCloseable {

    /** Receives every durable batch on the writer thread, before its futures complete. */
    @FunctionalInterface
    public interface Listener {
        void onDurable(List<ConsentRecord> records);
    }

    private sealed interface Item permits Write, Task, Stop {
    }

    private record Write(List<ConsentChange> changes, CompletableFuture<List<ConsentRecord>> done) implements Item {
    }

    private record Task(Callable<?> body, CompletableFuture<Object> done) implements Item {
    }

    private enum Stop implements Item { INSTANCE }

    private static final int MAX_DRAIN = 4096;
    private static final int BUFFER_BYTES = 1 << 20;

    private final Path dir;
    private final long maxSegmentBytes;
    private final Listener listener;
    private final Clock clock;
    private final BlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final Thread thread;
    private volatile boolean closed;
    private volatile IOException failure;

    // Owned by the writer thread.
    private FileChannel channel;
    private long segmentFirstSeq;
    private long nextSeq;

    /**
     * @param dir the folder of active segments
     * @param channel the open active segment, positioned at its end
     * @param segmentFirstSeq the first sequence number the active segment holds (or will hold)
     * @param nextSeq the sequence number of the next record
     */
    public WalWriter(Path dir, FileChannel channel, long segmentFirstSeq, long nextSeq, long maxSegmentBytes, Listener listener, Clock clock) {
        this.dir = dir;
        this.channel = channel;
        this.segmentFirstSeq = segmentFirstSeq;
        this.nextSeq = nextSeq;
        this.maxSegmentBytes = maxSegmentBytes;
        this.listener = listener;
        this.clock = clock;
        this.thread = new Thread(this::run, "herald-wal-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Queues changes for the next group commit.
     *
     * @return completes with the durable records, in the order of {@code changes}, or
     *     exceptionally with the {@link IOException} that kept them from being durable
     * @throws IllegalStateException if the writer is closed
     */
    public CompletableFuture<List<ConsentRecord>> submit(List<ConsentChange> changes) {
        CompletableFuture<List<ConsentRecord>> done = new CompletableFuture<>();
        enqueue(new Write(List.copyOf(changes), done));
        return done;
    }

    /** Runs {@code body} on the writer thread after everything queued before it. */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> call(Callable<T> body) {
        CompletableFuture<Object> done = new CompletableFuture<>();
        enqueue(new Task(body, done));
        return (CompletableFuture<T>) (CompletableFuture<?>) done;
    }

    private void enqueue(Item item) {
        synchronized (queue) {
            if (closed) {
                throw new IllegalStateException("suppression log is closed");
            }
            queue.add(item);
        }
    }

    /**
     * Seals the active segment and starts a new one; does nothing while the active segment is
     * still empty. Only on the writer thread (inside {@link #call}).
     *
     * @return the sequence number of the last record in the sealed segment
     */
    public long rotate() throws IOException {
        assert Thread.currentThread() == thread : "rotate off the writer thread";
        if (failure != null) {
            throw new IOException("suppression log failed earlier; reopen the index: " + failure.getMessage(), failure);
        }
        if (segmentFirstSeq == nextSeq) {
            return nextSeq - 1;
        }
        channel.force(true);
        channel.close();
        channel = WalSegments.create(WalSegments.activeName(dir, nextSeq));
        segmentFirstSeq = nextSeq;
        return nextSeq - 1;
    }

    /** Whether the caller is the writer thread itself (which must never wait on its own queue). */
    public boolean isWriterThread() {
        return Thread.currentThread() == thread;
    }

    /** The sequence number the next record will get. Only meaningful on the writer thread. */
    public long nextSeq() {
        return nextSeq;
    }

    private void run() {
        List<Item> batch = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            queue.drainTo(batch, MAX_DRAIN);
            int i = 0;
            while (i < batch.size()) {
                int j = i;
                while (j < batch.size() && batch.get(j) instanceof Write) {
                    j++;
                }
                if (j > i) {
                    commit(batch.subList(i, j));
                }
                if (j < batch.size()) {
                    Item item = batch.get(j);
                    if (item instanceof Task t) {
                        runTask(t);
                    } else {
                        stopping = true;
                        failAll(batch.subList(j + 1, batch.size()));
                        break;
                    }
                    j++;
                }
                i = j;
            }
            batch.clear();
        }
        try {
            channel.force(true);
            channel.close();
        } catch (IOException e) {
            failure = e;
        }
    }

    private void runTask(Task t) {
        try {
            t.done.complete(t.body.call());
        } catch (Throwable e) {
            t.done.completeExceptionally(e);
        }
    }

    @SuppressWarnings("unchecked")
    private void commit(List<Item> writes) {
        if (failure != null) {
            for (Item w : writes) {
                ((Write) w).done.completeExceptionally(new IOException("suppression log failed earlier: " + failure.getMessage(), failure));
            }
            return;
        }
        long startSeq = nextSeq;
        long startPos = -1;
        List<List<ConsentRecord>> perWrite = new ArrayList<>(writes.size());
        List<ConsentRecord> all = new ArrayList<>();
        try {
            startPos = channel.position();
            Instant now = Instant.ofEpochMilli(clock.millis());
            buffer.clear();
            for (Item item : writes) {
                Write w = (Write) item;
                List<ConsentRecord> records = new ArrayList<>(w.changes.size());
                for (ConsentChange c : w.changes) {
                    Instant t = c.evidence().time() != null ? c.evidence().time() : now;
                    ConsentRecord r = new ConsentRecord(nextSeq++, Instant.ofEpochMilli(t.toEpochMilli()),
                            c.action(), c.recipientId(), c.phone(), c.scope(), c.evidence().at(Instant.ofEpochMilli(t.toEpochMilli())));
                    if (buffer.remaining() < WalCodec.maxFrameSize()) {
                        flush();
                    }
                    WalCodec.encode(r, buffer);
                    records.add(r);
                    all.add(r);
                }
                perWrite.add(records);
            }
            flush();
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            IOException io = e instanceof IOException x ? x : new IOException("writing the suppression log failed", e);
            failure = io;
            nextSeq = startSeq;
            try {
                if (startPos >= 0) {
                    channel.truncate(startPos);
                    channel.force(true);
                }
            } catch (IOException ignored) {
                // the torn tail is detected and dropped on the next open
            }
            for (Item w : writes) {
                ((Write) w).done.completeExceptionally(io);
            }
            return;
        }
        try {
            listener.onDurable(all);
        } catch (RuntimeException e) {
            // Durable but not applied: it is replayed on the next open. Stop acknowledging.
            failure = new IOException("applying durable changes failed; reopen the index", e);
            for (Item w : writes) {
                ((Write) w).done.completeExceptionally(failure);
            }
            return;
        }
        for (int k = 0; k < writes.size(); k++) {
            ((Write) writes.get(k)).done.complete(perWrite.get(k));
        }
        try {
            if (channel.size() >= maxSegmentBytes) {
                rotate();
            }
        } catch (IOException e) {
            failure = e;
        }
    }

    private void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    private void failAll(List<Item> items) {
        for (Item item : items) {
            IllegalStateException closedEx = new IllegalStateException("suppression log is closed");
            if (item instanceof Write w) {
                w.done.completeExceptionally(closedEx);
            } else if (item instanceof Task t) {
                t.done.completeExceptionally(closedEx);
            }
        }
    }

    /** The error that stopped the writer, or null while it is healthy. */
    public IOException failure() {
        return failure;
    }

    /** Finishes everything queued so far, fsyncs and closes the segment. Idempotent. */
    @Override
    public void close() {
        synchronized (queue) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(Stop.INSTANCE);
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Item> rest = new ArrayList<>();
        queue.drainTo(rest);
        failAll(rest);
    }
}
