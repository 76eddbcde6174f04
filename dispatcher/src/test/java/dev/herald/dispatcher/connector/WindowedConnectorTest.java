package dev.herald.dispatcher.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.render.Encoding;
import dev.herald.throttle.Priority;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class WindowedConnectorTest {

    /** Answers only when told; fails the send if the caller overflows its window. */
    private static final class Held implements Connector {
        final int window;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final ConcurrentLinkedQueue<CompletableFuture<SendResult>> held = new ConcurrentLinkedQueue<>();

        Held(int window) {
            this.window = window;
        }

        public String name() {
            return "held";
        }

        public double maxRatePerSecond() {
            return Double.POSITIVE_INFINITY;
        }

        public int window() {
            return window;
        }

        public CompletionStage<SendResult> send(OutboundMessage message) {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            if (now > window) {
                throw new IllegalStateException("window overflow: " + now);
            }
            CompletableFuture<SendResult> answer = new CompletableFuture<>();
            held.add(answer);
            return answer;
        }

        /** Answers the oldest {@code n} held sends. */
        void answer(int n) {
            for (int i = 0; i < n; i++) {
                CompletableFuture<SendResult> f = held.poll();
                if (f == null) {
                    return;
                }
                inFlight.decrementAndGet(); // slot freed before the stage completes, as the contract says
                f.complete(new SendResult.Accepted("m", 0));
            }
        }

        public void close() {
        }
    }

    private static OutboundMessage message(int id) {
        return new OutboundMessage("c", id, "+4474001" + String.format("%05d", id), "demo", "hi", Encoding.GSM_7, 1,
                Priority.MARKETING, "sms");
    }

    @Test
    void shouldKeepHandedOverSlotsHeldAfterTheAnswerUntilTheHolderFreesThem() throws Exception {
        Held peer = new Held(4);
        WindowedConnector w = WindowedConnector.wrap(peer);
        WindowedConnector.Slots slots = w.acquire(4).toCompletableFuture().get(5, TimeUnit.SECONDS);
        CompletableFuture<List<SendResult>> answers = slots.handOverEach(List.of(message(1), message(2), message(3)),
                m -> m.recipientId() != 2).toCompletableFuture();
        peer.answer(2);
        List<SendResult> got = answers.get(5, TimeUnit.SECONDS);
        assertEquals(null, got.get(1), "refused by the last check, not sent");
        assertEquals(4, slots.held(), "answered, refused and unused slots all stay held");
        CompletableFuture<WindowedConnector.Slots> next = w.acquire(1).toCompletableFuture();
        assertFalse(next.isDone(), "the window is still full: the answers are not recorded yet");

        WindowedConnector.Slots retry = slots.split(1);
        assertEquals(3, slots.held());
        slots.free(3);
        assertTrue(next.get(5, TimeUnit.SECONDS).count() == 1, "freed: a waiting acquisition is granted");
        assertThrows(IllegalStateException.class, () -> slots.free(1), "nothing left to free");

        // The split-off slot carries a retry, and is held again after its answer.
        CompletableFuture<List<SendResult>> again = retry.handOverEach(List.of(message(1)), m -> true).toCompletableFuture();
        assertThrows(IllegalStateException.class, () -> retry.handOverEach(List.of(message(5), message(6)), m -> true),
                "more messages than slots held");
        peer.answer(1);
        assertEquals(1, again.get(5, TimeUnit.SECONDS).size());
        assertEquals(1, retry.held());
        retry.release();
        assertEquals(0, retry.held());
        assertTrue(peer.maxInFlight.get() <= 4);
    }

    @Test
    void shouldGrantWaitingAcquisitionsInArrivalOrderWithoutEverOverflowingTheWindow() throws Exception {
        Held peer = new Held(4);
        WindowedConnector w = WindowedConnector.wrap(peer);
        CompletableFuture<List<SendResult>> first = w.sendAll(List.of(message(1), message(2), message(3))).toCompletableFuture();
        CompletableFuture<WindowedConnector.Slots> big = w.acquire(3).toCompletableFuture();
        CompletableFuture<WindowedConnector.Slots> small = w.acquire(1).toCompletableFuture();
        assertFalse(big.isDone(), "one slot free, three asked");
        assertFalse(small.isDone(), "a later small acquisition does not overtake the waiting large one");
        assertEquals(2, w.waitingAcquisitions());

        peer.answer(3);
        assertEquals(3, first.get(5, TimeUnit.SECONDS).size());
        WindowedConnector.Slots bigSlots = big.get(5, TimeUnit.SECONDS);
        WindowedConnector.Slots smallSlots = small.get(5, TimeUnit.SECONDS);
        assertEquals(3, bigSlots.count());
        assertEquals(1, smallSlots.count());

        // Two of the three slots used: the unused one is freed at once, and another acquisition fits.
        CompletableFuture<List<SendResult>> two = bigSlots.sendAll(List.of(message(4), message(5))).toCompletableFuture();
        assertTrue(w.acquire(1).toCompletableFuture().isDone(), "the unused slot was freed");
        assertThrows(IllegalStateException.class, () -> bigSlots.sendAll(List.of(message(6))), "slots are used once");
        smallSlots.release();
        smallSlots.release(); // idempotent
        peer.answer(2);
        assertEquals(2, two.get(5, TimeUnit.SECONDS).size());
        assertTrue(peer.maxInFlight.get() <= 4);
    }

    @Test
    void shouldRefuseAcquisitionsOutsideTheWindowNamingTheRange() {
        WindowedConnector w = WindowedConnector.wrap(new Held(4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.acquire(5));
        assertTrue(e.getMessage().contains("1..4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.acquire(0));
        assertTrue(WindowedConnector.wrap(w) == w, "wrapping twice gives the same window");
    }

    @Test
    void shouldKeepManyConcurrentSendersWithinTheWindowAndAnswerEveryOne() throws Exception {
        Held peer = new Held(8);
        WindowedConnector w = WindowedConnector.wrap(peer);
        List<CompletableFuture<SendResult>> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * 1000;
            senders.add(new Thread(() -> {
                for (int i = 0; i < 250; i++) {
                    answers.add(w.send(message(base + i)).toCompletableFuture());
                }
            }));
        }
        senders.forEach(Thread::start);
        Thread answerer = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && (answers.size() < 1000 || !answers.stream().allMatch(CompletableFuture::isDone))) {
                peer.answer(3);
                Thread.onSpinWait();
            }
        });
        answerer.start();
        for (Thread s : senders) {
            s.join();
        }
        answerer.join();
        assertEquals(1000, answers.size());
        for (CompletableFuture<SendResult> a : answers) {
            assertTrue(a.get(5, TimeUnit.SECONDS) instanceof SendResult.Accepted);
        }
        assertTrue(peer.maxInFlight.get() <= 8, "peer saw " + peer.maxInFlight.get() + " in flight");
    }

    /** Counts what passes through it to the peer (one partition's decorations over a node's binds). */
    private static final class Counting extends ForwardingConnector {
        final AtomicInteger sent = new AtomicInteger();

        Counting(Connector peer) {
            super(peer);
        }

        @Override
        public CompletionStage<SendResult> send(OutboundMessage message) {
            sent.incrementAndGet();
            return delegate().send(message);
        }

        @Override
        public CompletionStage<List<SendResult>> sendAll(List<OutboundMessage> messages) {
            sent.addAndGet(messages.size());
            return delegate().sendAll(messages);
        }
    }

    @Test
    void shouldKeepConnectorsSharingAWindowWithinItTogetherEachSendingThroughItsOwnDelegate() throws Exception {
        Held peer = new Held(3);
        WindowedConnector node = WindowedConnector.wrap(peer);
        Counting a = new Counting(peer);
        Counting b = new Counting(peer);
        WindowedConnector partitionA = WindowedConnector.sharing(a, node);
        WindowedConnector partitionB = WindowedConnector.sharing(b, node);
        assertEquals(3, partitionA.window());

        List<CompletableFuture<SendResult>> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            answers.add(partitionA.send(message(i)).toCompletableFuture());
            answers.add(partitionB.send(message(100 + i)).toCompletableFuture());
        }
        // 8 asked for, 3 slots between them: the rest wait (the peer would throw on a 4th)
        assertEquals(3, peer.inFlight.get());
        assertEquals(5, node.waitingAcquisitions(), "the node's window holds both partitions' waiters");
        for (int round = 0; round < 10 && answers.stream().anyMatch(f -> !f.isDone()); round++) {
            peer.answer(3);
            Thread.sleep(50); // granted slots are completed on the common pool
        }
        for (CompletableFuture<SendResult> f : answers) {
            assertTrue(f.get(5, TimeUnit.SECONDS) instanceof SendResult.Accepted);
        }
        assertEquals(3, peer.maxInFlight.get(), "never more than the one window in flight");
        assertEquals(4, a.sent.get(), "partition A's messages went through A's delegate, granted late or not");
        assertEquals(4, b.sent.get(), "partition B's through B's");
    }
}
