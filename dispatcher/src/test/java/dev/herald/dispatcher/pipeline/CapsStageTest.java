package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** The caps stage reserves who is under the cap, records the capped, and emits the reservations. */
class CapsStageTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 3_000);
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        fx.close();
    }

    @Test
    void shouldRecordTheCappedAndEmitEachChunksReservations(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap audience = StageFixture.first(3_000);
        MutableRoaringBitmap sentToday = new MutableRoaringBitmap();
        for (int id = 0; id < 3_000; id += 3) {
            sentToday.add(id);
        }
        LongAdder decided = new LongAdder();
        try (StageFixture.IoProbe io = new StageFixture.IoProbe();
             SendLedger caps = CampaignFixture.capLedger(dir.resolve("caps"));
             OutcomeLedger ledger = OutcomeLedger.open(dir.resolve("ledger"), audience)) {
            CampaignFixture.seedSends(caps, sentToday); // one earlier send today: the daily cap of 1 is reached
            ThrottleShards shards = fx.shards(testKit.system(), caps);
            try {
                CapsStage.Settings s = new CapsStage.Settings(shards, CampaignGraph.capContext(CampaignFixture.CHANNEL,
                        CampaignFixture.CATEGORY), fx.zones.snapshot(), Clock.fixed(CampaignFixture.NOW, ZoneOffset.UTC),
                        Duration.ofSeconds(10), 2);
                List<List<ReservationBatch>> out = StageFixture.run(testKit.system(), audience,
                        CapsStage.flow(s, new Recording(ledger, decided, null, io)));
                MutableRoaringBitmap reserved = new MutableRoaringBitmap();
                out.forEach(chunk -> chunk.forEach(b -> {
                    assertTrue(!b.reserved().isEmpty(), "only reservations with ids are emitted");
                    reserved.or(b.reserved());
                }));
                assertEquals(ImmutableRoaringBitmap.andNot(audience, sentToday), reserved);
                assertEquals(sentToday, ledger.ids("capped:daily").toMutableRoaringBitmap());
                assertEquals(sentToday.getLongCardinality(), decided.sum());
                assertTrue(io.ran() > 0, "the decisions were written on the recording's executor");
            } finally {
                shards.stop();
            }
        }
    }
}
