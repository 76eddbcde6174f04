package dev.herald.dispatcher.connector;

import dev.herald.throttle.RateLimit;
import dev.herald.throttle.RateLimiter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedConnectorTest {

    private static final long SEED = 20261122L;

    @TempDir
    Path dir;

    private static SendResult join(java.util.concurrent.CompletionStage<SendResult> s) {
        return s.toCompletableFuture().join();
    }

    private static Set<String> key(List<AcceptedLogEntry> log) {
        return log.stream().map(e -> e.campaignId() + "/" + e.recipientId() + "/" + e.messageId()).collect(Collectors.toSet());
    }

    @Test
    void shouldLogEveryAcceptedMessageExactlyOnce() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir);
        List<SendResult> results = new ArrayList<>();
        long before = System.currentTimeMillis();
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            List<CompletableFuture<SendResult>> pending = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                pending.add(c.send(Messages.to("42", i)).toCompletableFuture());
            }
            pending.forEach(p -> results.add(p.join()));
        }
        List<AcceptedLogEntry> log = SimulatedConnector.readLog(o.logFile());
        assertEquals(1000, log.size());
        for (int i = 0; i < 1000; i++) {
            SendResult.Accepted a = assertInstanceOf(SendResult.Accepted.class, results.get(i));
            assertTrue(log.contains(new AcceptedLogEntry(a.acceptedAtMillis(), "42", i, a.messageId())), "recipient " + i);
            assertTrue(a.acceptedAtMillis() >= before);
        }
        assertEquals(1000, log.stream().map(AcceptedLogEntry::messageId).distinct().count());
    }

    @Test
    void shouldAppendAcrossRestartsWithUniqueMessageIds() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir);
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            join(c.send(Messages.to("1", 1)));
        }
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            join(c.send(Messages.to("1", 2)));
        }
        List<AcceptedLogEntry> log = SimulatedConnector.readLog(o.logFile());
        assertEquals(List.of(1, 2), log.stream().map(AcceptedLogEntry::recipientId).toList());
        assertFalse(log.get(0).messageId().equals(log.get(1).messageId()));
    }

    @Test
    void shouldHonourSeededFailureAndThrottleRatesDeterministically() throws Exception {
        System.out.println("seed " + SEED);
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir).withSeed(SEED).withWindow(20_000)
                .withFailureRate(0.10).withThrottleRate(0.05).withTransientFailureRate(0.02);
        List<SendResult> first = sendSequentially(o.withName("first"), 10_000);
        List<SendResult> second = sendSequentially(o.withName("second"), 10_000);
        Map<Class<?>, Long> counts = first.stream().collect(Collectors.groupingBy(Object::getClass, Collectors.counting()));
        assertEquals(0.10, counts.get(SendResult.Failed.class) / 10_000.0, 0.015);
        assertEquals(0.05, counts.get(SendResult.Throttled.class) / 10_000.0, 0.01);
        assertEquals(0.02, counts.get(SendResult.TransientFailure.class) / 10_000.0, 0.006);
        assertEquals(first.stream().map(Object::getClass).toList(), second.stream().map(Object::getClass).toList(),
                "same seed, same answers");
        Set<Integer> accepted = new HashSet<>();
        for (int i = 0; i < first.size(); i++) {
            if (first.get(i) instanceof SendResult.Accepted) {
                accepted.add(i);
            }
        }
        List<AcceptedLogEntry> log = SimulatedConnector.readLog(o.withName("first").logFile());
        assertEquals(accepted, log.stream().map(AcceptedLogEntry::recipientId).collect(Collectors.toSet()));
        assertEquals(accepted.size(), log.size());
        first.stream().filter(r -> r instanceof SendResult.Throttled).forEach(r -> {
            assertTrue(r.retryable());
            assertTrue(((SendResult.Throttled) r).retryAfter().isEmpty());
        });
    }

    private List<SendResult> sendSequentially(SimulatedConnectorOptions o, int n) throws Exception {
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            List<CompletableFuture<SendResult>> pending = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                pending.add(c.send(Messages.to("7", i)).toCompletableFuture());
            }
            return pending.stream().map(CompletableFuture::join).toList();
        }
    }

    @Test
    void shouldAnswerThrottledWithRetryAfterAboveTheMaxRateAndTellTheRateLimiter() throws Exception {
        RateLimiter limiter = new RateLimiter(RateLimit.of(1000, 100), System::nanoTime);
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir).withMaxRate(10, 5).withRateLimiter(limiter);
        List<SendResult> results;
        long start = System.nanoTime();
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            assertEquals(10.0, c.maxRatePerSecond());
            List<CompletableFuture<SendResult>> pending = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                pending.add(c.send(Messages.to("9", i)).toCompletableFuture());
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            results = pending.stream().map(CompletableFuture::join).toList();
            long accepted = results.stream().filter(r -> r instanceof SendResult.Accepted).count();
            assertTrue(accepted >= 5 && accepted <= 5 + elapsedMs / 100 + 1, "accepted " + accepted + " in " + elapsedMs + " ms");
        }
        SendResult.Throttled t = (SendResult.Throttled) results.get(49);
        assertTrue(t.retryAfter().orElseThrow().compareTo(Duration.ofMillis(100)) <= 0, t.toString());
        assertTrue(t.retryAfterNanos() > 0);
        assertTrue(limiter.effectiveRate(System.nanoTime()) < 1000, "the limiter lowered its rate");
    }

    @Test
    void shouldHonourLatencyWithoutBlockingTheCaller() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir)
                .withLatency(Duration.ofMillis(100), Duration.ofMillis(150)).withSeed(SEED);
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            Map<Integer, Long> doneAt = new ConcurrentHashMap<>();
            List<CompletableFuture<SendResult>> pending = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                int id = i;
                pending.add(c.send(Messages.to("3", i)).toCompletableFuture()
                        .whenComplete((r, e) -> doneAt.put(id, System.nanoTime())));
            }
            long sendMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(sendMs < 50, "20 sends took " + sendMs + " ms");
            assertTrue(pending.stream().noneMatch(CompletableFuture::isDone));
            pending.forEach(CompletableFuture::join);
            for (long at : doneAt.values()) {
                long ms = TimeUnit.NANOSECONDS.toMillis(at - start);
                assertTrue(ms >= 100 && ms < 1000, "answered after " + ms + " ms");
            }
            assertTrue(doneAt.values().stream().distinct().count() > 1, "latencies are drawn, not all equal");
        }
    }

    @Test
    void shouldKeepAConsistentLogWithEightConcurrentSenders() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir).withSeed(SEED).withWindow(8 * 2000)
                .withLatency(Duration.ZERO, Duration.ofMillis(2)).withFailureRate(0.1).withThrottleRate(0.05);
        Map<Integer, SendResult> results = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            List<Future<?>> senders = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int base = t * 2000;
                senders.add(pool.submit(() -> {
                    List<CompletableFuture<SendResult>> mine = new ArrayList<>();
                    for (int i = base; i < base + 2000; i++) {
                        int id = i;
                        mine.add(c.send(Messages.to("8", id)).toCompletableFuture().whenComplete((r, e) -> results.put(id, r)));
                    }
                    mine.forEach(CompletableFuture::join);
                }));
            }
            for (Future<?> f : senders) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(16_000, results.size());
        Set<String> expected = results.entrySet().stream().filter(e -> e.getValue() instanceof SendResult.Accepted)
                .map(e -> "8/" + e.getKey() + "/" + ((SendResult.Accepted) e.getValue()).messageId()).collect(Collectors.toSet());
        List<AcceptedLogEntry> log = SimulatedConnector.readLog(o.logFile());
        assertEquals(expected.size(), log.size(), "no duplicate and no missing line");
        assertEquals(expected, key(log));
        assertTrue(expected.size() > 16_000 * 0.8);
    }

    @Test
    void shouldEnforceTheWindowAndRefuseSendsAfterClose() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir).withWindow(2).withLatency(Duration.ofMillis(100));
        CompletableFuture<SendResult> first;
        SimulatedConnector c = SimulatedConnector.open(o);
        first = c.send(Messages.to("5", 1)).toCompletableFuture();
        c.send(Messages.to("5", 2));
        IllegalStateException full = assertThrows(IllegalStateException.class, () -> c.send(Messages.to("5", 3)));
        assertEquals("connector 'simulated' already has 2 unanswered sends, its window is 2", full.getMessage());
        c.close();
        assertTrue(first.isDone(), "close waits for unanswered sends");
        assertInstanceOf(SendResult.Accepted.class, first.join());
        assertEquals(2, SimulatedConnector.readLog(o.logFile()).size());
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> c.send(Messages.to("5", 4)));
        assertEquals("connector 'simulated' is closed", closed.getMessage());
        c.close();
    }

    @Test
    void shouldFreeTheWindowSlotBeforeAnsweringSoACallbackMaySendAgain() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir).withWindow(1);
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            SendResult second = c.send(Messages.to("6", 1)).thenCompose(r -> c.send(Messages.to("6", 2)))
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertInstanceOf(SendResult.Accepted.class, second);
        }
    }

    @Test
    void shouldRefuseASecondConnectorOnTheSameLog() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir);
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> SimulatedConnector.open(o));
            assertTrue(e.getMessage().endsWith("is in use by another connector"), e.getMessage());
        }
    }

    @Test
    void shouldSendABatchAndAnswerInItsOrder() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir).withLatency(Duration.ZERO, Duration.ofMillis(20));
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            List<OutboundMessage> batch = List.of(Messages.to("4", 1), Messages.to("4", 2), Messages.to("4", 3));
            List<SendResult> results = c.sendAll(batch).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals(3, results.size());
            List<AcceptedLogEntry> log = SimulatedConnector.readLog(c.logFile());
            for (int i = 0; i < 3; i++) {
                String id = ((SendResult.Accepted) results.get(i)).messageId();
                int recipient = i + 1;
                assertTrue(log.stream().anyMatch(e -> e.recipientId() == recipient && e.messageId().equals(id)));
            }
        }
    }
}
