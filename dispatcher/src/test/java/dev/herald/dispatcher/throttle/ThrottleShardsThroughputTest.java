package dev.herald.dispatcher.throttle;

import dev.herald.suppression.AudienceChunks;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A micro-measure, not a timed test: recipient decisions per second through the router with
 * 65,536-id chunks in a {@code mapAsync} stream, beside the ledger called directly. It prints
 * the rates and checks only that every decision was made (one new day per round, so every id is
 * reserved and written each round). The JMH benchmark of the graph lives in module bench.
 */
class ThrottleShardsThroughputTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    private static final int IDS = 1 << 21;
    private static final int SHARDS = 2;
    private static final int ROUNDS = 8;
    private static final int WARMUP = 3;
    private static final CapContext SMS = CapContext.marketing("sms", "promo", ZoneOffset.UTC);
    private static final Instant DAY0 = Instant.parse("2026-11-22T10:00:00Z");

    @TempDir
    Path dir;

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
    }

    @Test
    void shouldMeasureRecipientDecisionsPerSecondThroughTheRouter() throws Exception {
        List<ImmutableRoaringBitmap> chunks = AudienceChunks.split(MutableRoaringBitmap.bitmapOfRange(0, IDS));
        try (SendLedger ledger = TestLedgers.open(dir.resolve("direct"))) {
            long best = 0;
            for (int round = 0; round < ROUNDS; round++) {
                Instant now = DAY0.plus(Duration.ofDays(round));
                long t0 = System.nanoTime();
                long decided = 0;
                for (ImmutableRoaringBitmap chunk : chunks) {
                    decided += ledger.reserve(chunk, SMS, now).reserved().getLongCardinality();
                }
                assertEquals(IDS, decided);
                best = round < WARMUP ? best : Math.max(best, IDS * 1_000_000_000L / (System.nanoTime() - t0));
            }
            System.out.printf("ledger direct, 1 thread: %,d decisions/s (best of %d rounds of %,d)%n", best, ROUNDS - WARMUP, IDS);
        }
        try (SendLedger ledger = TestLedgers.open(dir.resolve("router"))) {
            ThrottleShards shards = ThrottleShards.spawn(testKit.system(), "measure", ledger, SHARDS, IDS / SHARDS);
            for (int parallelism : new int[] {1, 4}) {
                long best = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    Instant now = DAY0.plus(Duration.ofDays(100L * parallelism + round));
                    long t0 = System.nanoTime();
                    long decided = Source.from(chunks)
                            .mapAsync(parallelism, chunk -> shards.reserve(chunk, SMS, now, Duration.ofSeconds(10)))
                            .map(ReservationBatch::size)
                            .runWith(Sink.fold(0L, Long::sum), testKit.system())
                            .toCompletableFuture().get(30, TimeUnit.SECONDS);
                    assertEquals(IDS, decided);
                    best = round < WARMUP ? best : Math.max(best, IDS * 1_000_000_000L / (System.nanoTime() - t0));
                }
                System.out.printf("router, %d shards, mapAsync(%d): %,d decisions/s (best of %d rounds of %,d)%n",
                        SHARDS, parallelism, best, ROUNDS - WARMUP, IDS);
            }
            shards.stop();
        }
    }
}
