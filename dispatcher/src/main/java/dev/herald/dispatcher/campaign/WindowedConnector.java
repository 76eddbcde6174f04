package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * A {@link Connector} shared by several campaigns at once: each campaign keeps at most
 * {@link #window()} sends in flight, so together they may ask for more than the peer's window;
 * the surplus waits here (asynchronously, without a thread) instead of failing with "window full".
 *
 * <pre>{@code
 * Connector shared = WindowedConnector.wrap(SimulatedConnector.open(options)); // once per connector
 * }</pre>
 *
 * <p>Memory: at most (campaigns × window) sends wait. Waiting sends go to the connector in arrival
 * order, each started on {@link ForkJoinPool#commonPool()} so that a connector that answers
 * synchronously cannot deepen the stack. Thread-safe. Closing closes the delegate.
 */
public final class WindowedConnector implements Connector {

    private final Connector delegate;
    private final int window;
    private final Executor executor = ForkJoinPool.commonPool();
    private final Object lock = new Object();
    // Guarded by lock.
    private int inFlight;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();

    private WindowedConnector(Connector delegate) {
        this.delegate = delegate;
        this.window = delegate.window();
    }

    /**
     * @param connector the connector
     * @return {@code connector} itself if it is already a {@code WindowedConnector}, else a new one over it
     * @throws NullPointerException if {@code connector} is null
     */
    public static WindowedConnector wrap(Connector connector) {
        if (connector instanceof WindowedConnector w) {
            return w;
        }
        return new WindowedConnector(java.util.Objects.requireNonNull(connector, "connector"));
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public double maxRatePerSecond() {
        return delegate.maxRatePerSecond();
    }

    @Override
    public int window() {
        return window;
    }

    /** As {@link Connector#send}, but waits for a free window slot instead of throwing. */
    @Override
    public CompletionStage<SendResult> send(OutboundMessage message) {
        java.util.Objects.requireNonNull(message, "message");
        synchronized (lock) {
            if (inFlight >= window) {
                CompletableFuture<SendResult> later = new CompletableFuture<>();
                waiting.add(() -> forward(message).whenComplete((r, e) -> {
                    if (e != null) {
                        later.completeExceptionally(e);
                    } else {
                        later.complete(r);
                    }
                }));
                return later;
            }
            inFlight++;
        }
        return forward(message);
    }

    /** Sends while holding one slot; the slot passes to the next waiting send or is freed. */
    private CompletionStage<SendResult> forward(OutboundMessage message) {
        CompletionStage<SendResult> stage;
        try {
            stage = delegate.send(message);
        } catch (RuntimeException e) {
            done();
            return CompletableFuture.failedFuture(e);
        }
        return stage.whenComplete((r, e) -> done());
    }

    private void done() {
        Runnable next;
        synchronized (lock) {
            next = waiting.poll();
            if (next == null) {
                inFlight--;
            }
        }
        if (next != null) {
            executor.execute(next);
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
