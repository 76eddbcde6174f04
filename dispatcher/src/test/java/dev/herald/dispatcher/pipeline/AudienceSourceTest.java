package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;

import java.nio.file.Path;
import java.time.Instant;
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

/** The source emits what is still to decide: pending ids and deferrals now due, in id order, one container per chunk. */
class AudienceSourceTest {

    private static final ActorTestKit testKit = ActorTestKit.create();

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
    }

    private static List<ImmutableRoaringBitmap> collect(Source<ImmutableRoaringBitmap, ?> source) throws Exception {
        return source.runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldEmitPendingAndDueDeferredIdsInContainerChunks(@TempDir Path dir) throws Exception {
        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        audience.add(0L, 200_000L);
        Instant now = Instant.parse("2026-12-06T12:00:00Z");
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, audience)) {
            ledger.record(Outcomes.suppressed("global"), MutableRoaringBitmap.bitmapOf(5, 70_000));
            ledger.defer(now.minusSeconds(1), MutableRoaringBitmap.bitmapOf(6));
            ledger.defer(now.plusSeconds(60), MutableRoaringBitmap.bitmapOf(7));
            Source<ImmutableRoaringBitmap, ?> due = AudienceSource.due(ledger, now);
            ledger.claim(MutableRoaringBitmap.bitmapOf(8)); // read when materialized: no longer pending
            List<ImmutableRoaringBitmap> chunks = collect(due);
            assertEquals(4, chunks.size(), "200,000 ids span four containers");
            MutableRoaringBitmap all = StageFixture.union(chunks);
            assertTrue(all.contains(6), "deferred until before now: due");
            assertTrue(!all.contains(7) && !all.contains(5) && !all.contains(70_000) && !all.contains(8));
            assertEquals(200_000 - 4, all.getCardinality());
            for (ImmutableRoaringBitmap c : chunks) {
                assertEquals(c.first() >>> 16, c.last() >>> 16, "one container per chunk");
            }
            assertEquals(200_000 - 5, StageFixture.union(collect(AudienceSource.pending(ledger))).getCardinality(),
                    "pending only: not the due deferral");
        }
    }
}
