package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SuppressionIndex#handOver}: an opt-out is not acknowledged while a hand-over that may have
 * checked the previous snapshot is still running; once it is acknowledged, every later check sees it.
 */
class HandOverGateTest {

    @TempDir
    Path dir;

    @Test
    void optOutIsAcknowledgedOnlyAfterTheRunningHandOver() throws Exception {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            CountDownLatch checked = new CountDownLatch(1);
            CountDownLatch handOverMayFinish = new CountDownLatch(1);
            CompletableFuture<Boolean> handOver = CompletableFuture.supplyAsync(() -> index.handOver(() -> {
                boolean suppressed = index.snapshot().isSuppressed(7, List.of(Scope.GLOBAL));
                checked.countDown();
                try {
                    handOverMayFinish.await(10, TimeUnit.SECONDS); // the message is being handed over
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return suppressed;
            }));
            assertTrue(checked.await(10, TimeUnit.SECONDS));
            CompletableFuture<List<ConsentRecord>> optOut = index.applyAsync(List.of(ConsentChange.optOut(7, null,
                    Scope.GLOBAL, ConsentEvidence.of(ConsentSource.KEYWORD))));
            // durable and visible to new checks, but not acknowledged while the hand-over runs
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!index.snapshot().isSuppressed(7, List.of(Scope.GLOBAL)) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(index.snapshot().isSuppressed(7, List.of(Scope.GLOBAL)), "new snapshot published");
            Thread.sleep(200);
            assertFalse(optOut.isDone(), "acknowledged while a hand-over that checked the old snapshot was running");
            handOverMayFinish.countDown();
            assertFalse(handOver.get(10, TimeUnit.SECONDS), "the hand-over checked the snapshot before the opt-out");
            assertEquals(1, optOut.get(10, TimeUnit.SECONDS).size());
            // a hand-over that starts after the acknowledgement sees the opt-out
            assertTrue(index.handOver(() -> index.snapshot().isSuppressed(7, List.of(Scope.GLOBAL))));
        }
    }
}
