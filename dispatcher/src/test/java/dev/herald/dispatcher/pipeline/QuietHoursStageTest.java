package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.QuietHoursPlan;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** The quiet-hours stage emits who may be sent to now, defers the rest, and expires deferrals past the end. */
class QuietHoursStageTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    @TempDir
    static Path shared;
    private static CampaignFixture fx;
    private static final MutableRoaringBitmap open = new MutableRoaringBitmap();
    private static final MutableRoaringBitmap closed = new MutableRoaringBitmap();

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 4_000);
        SuppressionSnapshot snapshot = fx.index.snapshot();
        for (int id = 0; id < 4_000; id++) {
            switch (fx.expectedBeforeCaps(id, snapshot)) {
                case "eligible" -> open.add(id);
                case "deferred" -> closed.add(id);
                default -> { }
            }
        }
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        fx.close();
    }

    private static MutableRoaringBitmap audience() {
        return MutableRoaringBitmap.or(open, closed);
    }

    @Test
    void shouldEmitTheOpenAndDeferTheClosedUntilTheirWindowOpens(@TempDir Path dir) throws Exception {
        assertTrue(open.getCardinality() > 0 && closed.getCardinality() > 0, "the fixture's zones are both open and closed at NOW");
        QuietHoursPlan plan = QuietHoursPlan.of(fx.policy, fx.zones.snapshot(), CampaignFixture.CATEGORY, CampaignFixture.NOW);
        Map<Integer, Long> decidedAt = new ConcurrentHashMap<>();
        LongAdder decided = new LongAdder();
        try (StageFixture.IoProbe io = new StageFixture.IoProbe();
             OutcomeLedger ledger = OutcomeLedger.open(dir, audience())) {
            MutableRoaringBitmap kept = StageFixture.union(StageFixture.run(testKit.system(), audience(),
                    QuietHoursStage.flow(() -> plan, decidedAt, new Recording(ledger, decided, null, io))));
            assertEquals(open, kept);
            assertEquals(closed, ledger.ids(Outcomes.DEFERRED).toMutableRoaringBitmap());
            assertEquals(closed.getLongCardinality(), decided.sum());
            assertTrue(io.ran() > 0, "the decisions were written on the recording's executor");
            closed.forEach((org.roaringbitmap.IntConsumer) id -> {
                Instant until = ledger.outcomeOf(id).orElseThrow().deferredUntil();
                assertTrue(until.isAfter(CampaignFixture.NOW), "deferred to a later instant: " + id);
            });
            assertEquals(CampaignFixture.NOW.toEpochMilli(), decidedAt.get(0), "the chunk's decision time is noted for the re-check");
        }
    }

    @Test
    void shouldExpireWhoseWindowOpensOnlyAfterTheCampaignsEnd(@TempDir Path dir) throws Exception {
        QuietHoursPlan plan = QuietHoursPlan.of(fx.policy, fx.zones.snapshot(), CampaignFixture.CATEGORY, CampaignFixture.NOW);
        Instant end = CampaignFixture.NOW.plus(Duration.ofMinutes(1));
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, audience())) {
            MutableRoaringBitmap kept = StageFixture.union(StageFixture.run(testKit.system(), audience(),
                    QuietHoursStage.flow(() -> plan, new ConcurrentHashMap<>(), new Recording(ledger, new LongAdder(), end))));
            assertEquals(open, kept);
            assertEquals(closed, ledger.ids(Outcomes.EXPIRED).toMutableRoaringBitmap(), "no window opens within a minute");
            assertTrue(ledger.ids(Outcomes.DEFERRED).isEmpty());
        }
    }
}
