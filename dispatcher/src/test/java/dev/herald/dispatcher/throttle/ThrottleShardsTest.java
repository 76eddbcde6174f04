package dev.herald.dispatcher.throttle;

import dev.herald.suppression.AudienceChunks;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThrottleShardsTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    private static final AtomicInteger names = new AtomicInteger();
    private static final int PER_SHARD = 2 * 65_536;
    private static final int SHARDS = 4;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    @TempDir
    Path dir;
    private SendLedger ledger;
    private ThrottleShards shards;

    @BeforeEach
    void start() throws Exception {
        ledger = TestLedgers.open(dir);
        shards = ThrottleShards.spawn(testKit.system(), "throttle-" + names.incrementAndGet(), ledger, SHARDS, PER_SHARD);
    }

    @AfterEach
    void stop() {
        shards.stop();
        ledger.close();
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
    }

    private static CapContext campaign(String category) {
        return CapContext.marketing("sms", category, ZoneOffset.UTC);
    }

    @Test
    void shouldRouteEachChunkToTheShardThatOwnsIt() {
        ImmutableRoaringBitmap audience = MutableRoaringBitmap.bitmapOf(0, 65_535, 65_536, 131_071, 131_072, 393_215, 393_216, 2_000_000_000);
        Map<Integer, ImmutableRoaringBitmap> parts = shards.split(audience);
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(parts.keySet()));
        assertEquals(MutableRoaringBitmap.bitmapOf(0, 65_535, 65_536, 131_071), parts.get(0));
        assertEquals(MutableRoaringBitmap.bitmapOf(131_072), parts.get(1));
        assertEquals(MutableRoaringBitmap.bitmapOf(393_215), parts.get(2));
        assertEquals(MutableRoaringBitmap.bitmapOf(393_216, 2_000_000_000), parts.get(3), "the last shard owns every id above");
        for (ImmutableRoaringBitmap chunk : AudienceChunks.split(audience)) {
            assertEquals(1, shards.split(chunk).size(), "an AudienceChunks chunk maps to one shard");
        }

        ImmutableRoaringBitmap shard2 = MutableRoaringBitmap.bitmapOfRange(300_000, 300_100);
        assertEquals(shard2, shards.reserve(shard2, campaign("promo"), NOW, TIMEOUT).toCompletableFuture().join().reserved());
        TestProbe<StatusReply<ThrottleShard.Reserved>> probe = testKit.createTestProbe();
        shards.shard(2).tell(new ThrottleShard.Reserve(shard2, campaign("news"), NOW, probe.getRef()));
        assertEquals(shard2, probe.receiveMessage().getValue().batch().capped().get(TestLedgers.DAILY), "shard 2 holds them");
        shards.shard(1).tell(new ThrottleShard.Reserve(shard2, campaign("news"), NOW, probe.getRef()));
        assertInstanceOf(IllegalArgumentException.class, probe.receiveMessage().getError(), "shard 1 does not own them");
    }

    @Test
    void shouldFailTheStageForAChunkSpanningShardsAndSplitForReserveAll() {
        ImmutableRoaringBitmap spanning = MutableRoaringBitmap.bitmapOfRange(PER_SHARD - 5, PER_SHARD + 5);
        CompletionException e = assertThrows(CompletionException.class,
                () -> shards.reserve(spanning, campaign("promo"), NOW, TIMEOUT).toCompletableFuture().join());
        assertTrue(e.getCause().getMessage().contains("spans shards [0, 1]"), e.getCause().getMessage());

        List<ReservationBatch> batches = shards.reserveAll(spanning, campaign("promo"), NOW, TIMEOUT).toCompletableFuture().join();
        assertEquals(2, batches.size());
        assertEquals(spanning, ImmutableRoaringBitmap.or(batches.get(0).reserved(), batches.get(1).reserved()));
        assertEquals(6, shards.confirm(MutableRoaringBitmap.bitmapOfRange(PER_SHARD - 3, PER_SHARD + 3), batches.get(0).stamp(), TIMEOUT)
                .toCompletableFuture().join());
        assertEquals(4, shards.release(spanning, batches.get(0).stamp(), TIMEOUT).toCompletableFuture().join(), "confirmed ones stay");
    }

    @Test
    void shouldNeverReserveAUserTwiceWhenTwoCampaignsOverlapUnderADailyCapOfOne() throws Exception {
        MutableRoaringBitmap a = new MutableRoaringBitmap();
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        for (int id = 0; id < SHARDS * PER_SHARD; id++) {
            if (id < 400_000 && id % 3 != 0) {
                a.add(id);
            }
            if (id >= 50_000 && id % 2 == 0) {
                b.add(id);
            }
        }
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<ImmutableRoaringBitmap> chunksB = new ArrayList<>(AudienceChunks.split(b));
            Collections.reverse(chunksB); // A goes up, B comes down: they meet whoever starts first
            Future<MutableRoaringBitmap[]> runA = threads.submit(() -> run(AudienceChunks.split(a), campaign("promo"), go));
            Future<MutableRoaringBitmap[]> runB = threads.submit(() -> run(chunksB, campaign("news"), go));
            go.countDown();
            MutableRoaringBitmap[] outA = runA.get(20, TimeUnit.SECONDS);
            MutableRoaringBitmap[] outB = runB.get(20, TimeUnit.SECONDS);

            MutableRoaringBitmap overlap = ImmutableRoaringBitmap.and(a, b);
            assertTrue(overlap.getCardinality() > 100_000, "the campaigns overlap");
            assertTrue(ImmutableRoaringBitmap.and(outA[0], outB[0]).isEmpty(), "nobody reserved by both campaigns");
            assertEquals(ImmutableRoaringBitmap.or(a, b), ImmutableRoaringBitmap.or(outA[0], outB[0]), "everybody reserved once");
            assertEquals(overlap, ImmutableRoaringBitmap.or(outA[1], outB[1]), "the overlap is capped in one campaign or the other");
            assertTrue(ImmutableRoaringBitmap.and(outA[1], outB[1]).isEmpty());
            ImmutableRoaringBitmap.or(a, b).forEach((int id) -> assertEquals(1, ledger.recorded(id), "ledger sends of " + id));
            System.out.printf("two campaigns: overlap %d, A reserved %d capped %d, B reserved %d capped %d%n",
                    overlap.getCardinality(), outA[0].getCardinality(), outA[1].getCardinality(),
                    outB[0].getCardinality(), outB[1].getCardinality());
        } finally {
            threads.shutdownNow();
        }
    }

    /** One campaign as a stream of asks: @return {reserved, capped:daily} */
    private MutableRoaringBitmap[] run(List<ImmutableRoaringBitmap> chunks, CapContext ctx, CountDownLatch go) throws Exception {
        go.await();
        List<ReservationBatch> batches = Source.from(chunks)
                .mapAsyncUnordered(4, chunk -> shards.reserve(chunk, ctx, NOW, TIMEOUT))
                .runWith(Sink.seq(), testKit.system())
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
        MutableRoaringBitmap reserved = new MutableRoaringBitmap();
        MutableRoaringBitmap capped = new MutableRoaringBitmap();
        for (ReservationBatch batch : batches) {
            reserved.or(batch.reserved());
            batch.capped().forEach((reason, ids) -> capped.or(ids));
            assertEquals(0, batch.deferredCount());
        }
        return new MutableRoaringBitmap[] {reserved, capped};
    }

    @Test
    void shouldSizeShardsInWholeChunks() {
        assertEquals(65_536, ThrottleShards.idsPerShard(0, 4));
        assertEquals(262_144, ThrottleShards.idsPerShard(1_000_000, 4));
        assertEquals(1 << 30, ThrottleShards.idsPerShard(1L << 31, 2));
        assertThrows(IllegalArgumentException.class, () -> ThrottleShards.spawn(testKit.system(), "bad", ledger, 2, 1000));
        assertThrows(IllegalArgumentException.class, () -> ThrottleShards.spawn(testKit.system(), "bad", ledger, 4, 1 << 30));
    }
}
