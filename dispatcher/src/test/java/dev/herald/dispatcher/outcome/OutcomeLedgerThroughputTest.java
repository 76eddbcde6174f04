package dev.herald.dispatcher.outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A micro-measurement, not a timed test: how many recipients per second {@code claim} (fsynced)
 * plus {@code record(sent)} handle in 65,536-id batches. It prints the rate and checks only the
 * result; the real benchmark belongs in the JMH module.
 */
class OutcomeLedgerThroughputTest {
    private static final int BATCH = 65_536;

    @TempDir
    Path dir;

    @Test
    void shouldReportClaimAndRecordThroughputInFullChunks() throws IOException {
        measure("dense 0..4M", dense(), dir.resolve("dense"));
        measure("50% density over 0..8M", sparse(), dir.resolve("sparse"));
    }

    private static MutableRoaringBitmap dense() {
        MutableRoaringBitmap a = new MutableRoaringBitmap();
        a.add(0L, 4L * 1024 * 1024);
        return a;
    }

    private static MutableRoaringBitmap sparse() {
        Random rnd = new Random(42);
        MutableRoaringBitmap a = new MutableRoaringBitmap();
        for (int i = 0; i < 8 * 1024 * 1024; i++) {
            if (rnd.nextBoolean()) {
                a.add(i);
            }
        }
        return a;
    }

    private static void measure(String name, MutableRoaringBitmap audience, Path dir) throws IOException {
        for (int round = 0; round < 2; round++) {       // round 0 warms up the JIT
            Path d = dir.resolve("round-" + round);
            long start;
            long n = audience.getLongCardinality();
            int batches = 0;
            try (OutcomeLedger ledger = OutcomeLedger.open(d, audience)) {
                start = System.nanoTime();
                for (long from = 0; from <= audience.last(); from += BATCH) {
                    MutableRoaringBitmap chunk = MutableRoaringBitmap.and(audience, range(from, from + BATCH));
                    if (chunk.isEmpty()) {
                        continue;
                    }
                    ledger.claim(chunk);
                    ledger.record(Outcomes.SENT, chunk);
                    batches++;
                }
                long nanos = System.nanoTime() - start;
                assertTrue(ledger.isComplete());
                assertEquals(n, ledger.counts().get(Outcomes.SENT));
                if (round == 1) {
                    System.out.printf("OutcomeLedger claim+record(sent), %s: %,d recipients in %d batches, %.1f ms,"
                            + " %,.0f recipients/s%n", name, n, batches, nanos / 1e6, n * 1e9 / nanos);
                }
            }
        }
    }

    private static MutableRoaringBitmap range(long from, long to) {
        MutableRoaringBitmap r = new MutableRoaringBitmap();
        r.add(from, to);
        return r;
    }
}
