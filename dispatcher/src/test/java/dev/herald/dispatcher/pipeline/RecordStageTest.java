package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The record stage writes what the send stage did not, settles cap reservations (sent confirms,
 * anything else releases) and counts final answers.
 */
class RecordStageTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 200);
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        fx.close();
    }

    @Test
    void shouldWriteEachAnswerByItsKindAndSettleItsReservation(@TempDir Path dir) throws Exception {
        MutableRoaringBitmap audience = MutableRoaringBitmap.bitmapOf(1, 2, 3, 4, 5, 6, 7);
        Instant until = CampaignFixture.NOW.plus(Duration.ofHours(3));
        LongAdder decided = new LongAdder();
        try (StageFixture.IoProbe io = new StageFixture.IoProbe();
             SendLedger caps = CampaignFixture.capLedger(dir.resolve("caps"));
             OutcomeLedger ledger = OutcomeLedger.open(dir.resolve("ledger"), audience)) {
            ReservationBatch b = caps.reserve(audience, CampaignGraph.capContext(CampaignFixture.CHANNEL, CampaignFixture.CATEGORY),
                    CampaignFixture.NOW);
            long stamp = b.stamp();
            ledger.claim(MutableRoaringBitmap.bitmapOf(1, 2, 3, 4, 6));
            ledger.record(Outcomes.SENT, MutableRoaringBitmap.bitmapOf(6)); // as the send stage does before its slot is freed
            ThrottleShards shards = fx.shards(testKit.system(), caps);
            try {
                List<Delivery> in = List.of(
                        Delivery.of(1, stamp, new Outcome.Sent("m-1"), true),
                        Delivery.of(2, stamp, new Outcome.Suppressed("global"), true),    // the last check: un-claimed, then suppressed
                        Delivery.returned(3, stamp, true),                                 // run stopped: pending again
                        Delivery.of(4, stamp, new Outcome.Deferred(until), true),          // quiet hours closed at hand-over
                        Delivery.of(5, stamp, new Outcome.Failed("unknown-recipient"), false), // failed before its claim
                        new Delivery(6, stamp, new Outcome.Sent("m-6"), true, true),      // recorded by the send stage
                        Delivery.returned(7, stamp, false));                               // returned before its claim
                Source.from(in).via(RecordStage.flow(new RecordStage.Settings(shards, Duration.ofSeconds(10), 16,
                                Duration.ofMillis(20)), new Recording(ledger, decided, null, io)))
                        .runWith(Sink.ignore(), testKit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertEquals(Outcomes.SENT, ledger.outcomeOf(1).orElseThrow().outcome());
                assertEquals("suppressed:global", ledger.outcomeOf(2).orElseThrow().outcome());
                assertTrue(ledger.outcomeOf(3).isEmpty(), "returned: pending again");
                assertTrue(ledger.pending().contains(3) && ledger.pending().contains(7));
                assertEquals(until, ledger.outcomeOf(4).orElseThrow().deferredUntil());
                assertEquals("failed:unknown-recipient", ledger.outcomeOf(5).orElseThrow().outcome());
                assertEquals(Outcomes.SENT, ledger.outcomeOf(6).orElseThrow().outcome());
                assertEquals(0, ledger.claimed().getLongCardinality());
                assertEquals(5, decided.sum(), "final answers and deferrals, not the returned");
                assertTrue(io.ran() > 0, "the answers were written on the recording's executor");
                // Sent confirms the reservation (it counts against the cap), the others release theirs.
                ReservationBatch again = caps.check(audience, CampaignGraph.capContext(CampaignFixture.CHANNEL,
                        CampaignFixture.CATEGORY), CampaignFixture.NOW);
                assertEquals(MutableRoaringBitmap.bitmapOf(1, 6), again.capped().get("capped:daily").toMutableRoaringBitmap());
            } finally {
                shards.stop();
            }
        }
    }
}
