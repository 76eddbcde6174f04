package dev.herald.dispatcher.connector;


import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link Connector} shared by several campaigns at once: each campaign keeps at most
 * {@link #window()} sends in flight, so together they may ask for more than the peer's window;
 * the surplus waits here (asynchronously, without a thread) for free window slots instead of
 * failing with "window full".
 *
 * <pre>{@code
 * WindowedConnector shared = WindowedConnector.wrap(SimulatedConnector.open(options)); // once per connector
 * shared.acquire(batch.size()).thenCompose(slots -> {
 *     List<OutboundMessage> still = lastChecks(batch); // e.g. suppression: the wait may have been long
 *     return slots.sendAll(still);                      // unused slots are freed
 * });
 * }</pre>
 *
 * <p><b>Check after the wait.</b> A message is checked (suppression, quiet hours) and then handed
 * over; if it waited for a window slot between the two, an opt-out acknowledged meanwhile would
 * not stop it. {@link #acquire} therefore waits for the slots <em>first</em>: the caller checks
 * once it holds them and hands over at once. {@link #send} and {@link #sendAll} are the same with
 * no check in between.
 *
 * <p>Memory: one small record per waiting acquisition (at most one per campaign batch). Waiting
 * acquisitions are granted in arrival order (a large one is not overtaken by small ones), each
 * completed on {@link ForkJoinPool#commonPool()} so that a connector that answers synchronously
 * cannot deepen the stack. Thread-safe. Closing closes the delegate.
 *
 * <p><b>One window, several callers' decorations.</b> {@link #sharing} makes a connector over
 * another delegate (e.g. one partition's metering and last-send marks over a cluster node's SMPP
 * binds) that takes its slots from an existing one's window: every connector sharing it waits for
 * the same slots, each sending through its own delegate.
 */
public final class WindowedConnector extends ForwardingConnector {

    private final int window;
    private final Executor executor = ForkJoinPool.commonPool();
    private final Slate slate;

    /** The window's accounting, shared by every connector {@link #sharing} it. */
    private static final class Slate {
        final Object lock = new Object();
        // Guarded by lock.
        int inFlight;
        final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    }

    private record Waiter(int n, CompletableFuture<Slots> granted, WindowedConnector owner) {
    }

    private WindowedConnector(Connector delegate, int window, Slate slate) {
        super(delegate);
        this.window = window;
        this.slate = slate;
    }

    /**
     * @param delegate sends the messages (a decoration of {@code window}'s connector)
     * @param window   the connector whose window slots are taken
     * @return a connector sending through {@code delegate} within {@code window}'s slots
     * @throws NullPointerException if either is null
     */
    public static WindowedConnector sharing(Connector delegate, WindowedConnector window) {
        return new WindowedConnector(Objects.requireNonNull(delegate, "delegate"), window.window, window.slate);
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
        return new WindowedConnector(Objects.requireNonNull(connector, "connector"), connector.window(), new Slate());
    }

    @Override
    public int window() {
        return window;
    }

    /**
     * Waits for {@code n} free window slots.
     *
     * @param n slots, 1 ≤ n ≤ {@link #window()}
     * @return completed, in arrival order, with the slots held; the holder must use or
     *     {@link Slots#release()} them
     * @throws IllegalArgumentException if {@code n} is outside {@code [1, window()]}
     */
    public CompletionStage<Slots> acquire(int n) {
        if (n < 1 || n > window) {
            throw new IllegalArgumentException("slots: need 1.." + window + ", got " + n);
        }
        synchronized (slate.lock) {
            if (slate.waiting.isEmpty() && window - slate.inFlight >= n) {
                slate.inFlight += n;
                return CompletableFuture.completedFuture(new Slots(n));
            }
            CompletableFuture<Slots> later = new CompletableFuture<>();
            slate.waiting.add(new Waiter(n, later, this));
            return later;
        }
    }

    /** @return acquisitions waiting for window slots now (for tests and metrics) */
    public int waitingAcquisitions() {
        synchronized (slate.lock) {
            return slate.waiting.size();
        }
    }

    /** As {@link Connector#send}, but waits for a free window slot instead of throwing. */
    @Override
    public CompletionStage<SendResult> send(OutboundMessage message) {
        Objects.requireNonNull(message, "message");
        return acquire(1).thenCompose(slots -> slots.sendAll(List.of(message))).thenApply(r -> r.get(0));
    }

    /**
     * As {@link Connector#sendAll}, but waits for free window slots instead of throwing.
     *
     * @throws IllegalArgumentException if the batch is empty or larger than {@link #window()}
     */
    @Override
    public CompletionStage<List<SendResult>> sendAll(List<OutboundMessage> messages) {
        return acquire(messages.size()).thenCompose(slots -> slots.sendAll(messages));
    }

    /** Frees {@code n} slots and grants the waiting acquisitions that now fit, in order. */
    private void giveBack(int n) {
        if (n == 0) {
            return;
        }
        ArrayDeque<Waiter> grant = null;
        synchronized (slate.lock) {
            slate.inFlight -= n;
            while (!slate.waiting.isEmpty() && window - slate.inFlight >= slate.waiting.peek().n()) {
                Waiter w = slate.waiting.poll();
                slate.inFlight += w.n();
                if (grant == null) {
                    grant = new ArrayDeque<>();
                }
                grant.add(w);
            }
        }
        if (grant != null) {
            for (Waiter w : grant) {
                executor.execute(() -> w.granted().complete(w.owner().new Slots(w.n())));
            }
        }
    }

    /**
     * Window slots held by one caller. Either used once by {@link #sendAll} or {@link #sendEach}
     * (the slots beyond the batch are freed at once, the others as the batch is answered), or
     * held across hand-overs with {@link #handOverEach}: then each slot stays held after its
     * message's answer until the holder {@link #free frees} it — typically once it has recorded
     * what happened, so that messages answered but not yet recorded count against the window —
     * and may carry a retry of the same message. {@link #release()} gives back whatever is held.
     */
    public final class Slots {
        private final int n;
        private final AtomicBoolean used = new AtomicBoolean();
        /** Slots not yet freed, for {@link #handOverEach} / {@link #free} / {@link #split}. */
        private final java.util.concurrent.atomic.AtomicInteger held;

        private Slots(int n) {
            this.n = n;
            this.held = new java.util.concurrent.atomic.AtomicInteger(n);
        }

        /** @return the slots acquired */
        public int count() {
            return n;
        }

        /** @return the slots still held (not freed, not used by {@link #sendAll}/{@link #sendEach}) */
        public int held() {
            return held.get();
        }

        /**
         * Hands the batch over to the connector.
         *
         * @param messages at most {@link #count()} messages; empty frees every slot
         * @return completed with the answers, in the batch's order
         * @throws IllegalStateException    if these slots were already used or released
         * @throws IllegalArgumentException if the batch is larger than {@link #count()}
         */
        public CompletionStage<List<SendResult>> sendAll(List<OutboundMessage> messages) {
            if (messages.size() > n) {
                release();
                throw new IllegalArgumentException("batch of " + messages.size() + " for " + n + " slots");
            }
            takeAll();
            int k = messages.size();
            giveBack(n - k);
            if (k == 0) {
                return CompletableFuture.completedFuture(List.of());
            }
            CompletionStage<List<SendResult>> stage;
            try {
                stage = delegate().sendAll(messages);
            } catch (RuntimeException e) {
                giveBack(k);
                return CompletableFuture.failedFuture(e);
            }
            return stage.whenComplete((r, e) -> giveBack(k));
        }

        /**
         * Hands the batch over one message at a time, asking {@code stillWanted} right before each
         * one: the last check happens as late as it can, immediately before that message's hand-over
         * (an opt-out acknowledged while earlier messages of the batch were handed over still stops
         * it). A message refused by {@code stillWanted} is not sent; its slot is freed at once.
         *
         * @param messages    at most {@link #count()} messages
         * @param stillWanted asked once per message, in order, on the calling thread
         * @return completed with the answers in the batch's order; null where {@code stillWanted} said no
         * @throws IllegalStateException    if these slots were already used or released
         * @throws IllegalArgumentException if the batch is larger than {@link #count()}
         */
        public CompletionStage<List<SendResult>> sendEach(List<OutboundMessage> messages,
                                                          java.util.function.Predicate<OutboundMessage> stillWanted) {
            if (messages.size() > n) {
                release();
                throw new IllegalArgumentException("batch of " + messages.size() + " for " + n + " slots");
            }
            takeAll();
            giveBack(n - messages.size());
            return each(messages, stillWanted, true);
        }

        /**
         * As {@link #sendEach}, but every slot stays held, whatever the answer (and where
         * {@code stillWanted} said no): the holder frees them with {@link #free} or hands a retry
         * over with them again. May be called again while enough slots are held.
         *
         * @param messages    at most {@link #held()} messages
         * @param stillWanted asked once per message, in order, on the calling thread
         * @return completed with the answers in the batch's order; null where {@code stillWanted} said no
         * @throws IllegalStateException if more messages than slots held (the slots stay held)
         */
        public CompletionStage<List<SendResult>> handOverEach(List<OutboundMessage> messages,
                                                              java.util.function.Predicate<OutboundMessage> stillWanted) {
            if (messages.size() > held.get()) {
                throw new IllegalStateException("hand-over of " + messages.size() + " with " + held.get() + " slots held");
            }
            return each(messages, stillWanted, false);
        }

        private CompletionStage<List<SendResult>> each(List<OutboundMessage> messages,
                                                       java.util.function.Predicate<OutboundMessage> stillWanted,
                                                       boolean freeAnswered) {
            List<CompletableFuture<SendResult>> answers = new java.util.ArrayList<>(messages.size());
            for (OutboundMessage m : messages) {
                boolean wanted;
                try {
                    wanted = stillWanted.test(m);
                } catch (RuntimeException e) {
                    if (freeAnswered) {
                        giveBack(1);
                    }
                    answers.add(CompletableFuture.failedFuture(e));
                    continue;
                }
                if (!wanted) {
                    if (freeAnswered) {
                        giveBack(1);
                    }
                    answers.add(CompletableFuture.completedFuture(null));
                    continue;
                }
                CompletionStage<SendResult> stage;
                try {
                    stage = delegate().send(m);
                } catch (RuntimeException e) {
                    if (freeAnswered) {
                        giveBack(1);
                    }
                    answers.add(CompletableFuture.failedFuture(e));
                    continue;
                }
                answers.add(freeAnswered ? stage.toCompletableFuture().whenComplete((r, e) -> giveBack(1))
                        : stage.toCompletableFuture());
            }
            return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<SendResult> out = new java.util.ArrayList<>(answers.size());
                answers.forEach(a -> out.add(a.join()));
                return out;
            });
        }

        /**
         * Frees {@code k} of the slots held (waiting acquisitions that now fit are granted).
         *
         * @throws IllegalStateException if fewer than {@code k} are held (nothing is freed)
         */
        public void free(int k) {
            if (k < 0) {
                throw new IllegalArgumentException("cannot free " + k + " slots");
            }
            held.getAndUpdate(h -> {
                if (h < k) {
                    throw new IllegalStateException("free " + k + " slots with " + h + " held");
                }
                return h - k;
            });
            giveBack(k);
        }

        /**
         * Moves {@code k} held slots to a new holder (e.g. a retry group that waits apart).
         *
         * @throws IllegalStateException if fewer than {@code k} are held
         */
        public Slots split(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("split needs k >= 1, got " + k);
            }
            held.getAndUpdate(h -> {
                if (h < k) {
                    throw new IllegalStateException("split " + k + " slots with " + h + " held");
                }
                return h - k;
            });
            return new Slots(k);
        }

        /** Gives back every slot still held; does nothing if they were used by sendAll/sendEach or freed. */
        public void release() {
            int k = held.getAndSet(0);
            if (k > 0) {
                giveBack(k);
            }
        }

        /** For the single-use hand-overs: all {@link #count()} slots must still be held. */
        private void takeAll() {
            if (!used.compareAndSet(false, true)) {
                throw new IllegalStateException("window slots already used");
            }
            int h = held.getAndSet(0);
            if (h != n) {
                giveBack(h);
                throw new IllegalStateException("window slots already used or released");
            }
        }
    }

}
