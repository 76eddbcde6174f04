package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** A chunk's reservations (one per zone) become claim units that span them: all full but the last. */
class ClaimStageTest {

    @Test
    void shouldCutAChunksReservationsIntoFullUnitsKeepingEachIdsStampAndOrder(@TempDir Path dir) throws Exception {
        long seed = 0x5eed_c1a1L;
        System.out.println("ClaimStageTest seed " + seed);
        Random random = new Random(seed);
        try (SendLedger ledger = CampaignFixture.capLedger(dir)) {
            int next = 0;
            for (int round = 0; round < 30; round++) {
                List<ReservationBatch> reservations = new ArrayList<>();
                List<Integer> expectedIds = new ArrayList<>();
                List<Long> expectedStamps = new ArrayList<>();
                int zones = 1 + random.nextInt(12);
                for (int z = 0; z < zones; z++) {
                    MutableRoaringBitmap ids = new MutableRoaringBitmap();
                    int size = 1 + random.nextInt(random.nextBoolean() ? 40 : 3_000);
                    for (int i = 0; i < size; i++) {
                        ids.add(next);
                        next += 1 + random.nextInt(3);
                    }
                    ReservationBatch b = ledger.reserve(ids,
                            CapContext.marketing(CampaignFixture.CHANNEL, CampaignFixture.CATEGORY, ZoneOffset.UTC),
                            CampaignFixture.NOW);
                    assertEquals(ids, b.reserved(), "fresh ids are all reserved");
                    reservations.add(b);
                    b.reserved().forEach((org.roaringbitmap.IntConsumer) id -> {
                        expectedIds.add(id);
                        expectedStamps.add(b.stamp());
                    });
                }
                int unit = 1 + random.nextInt(1_024);
                List<Claimed> units = ClaimStage.units(reservations, unit);
                List<Integer> ids = new ArrayList<>();
                List<Long> stamps = new ArrayList<>();
                for (int u = 0; u < units.size(); u++) {
                    Claimed c = units.get(u);
                    assertTrue(c.ids().length <= unit, "unit " + u + " has " + c.ids().length + " ids, more than " + unit);
                    if (u < units.size() - 1) {
                        assertEquals(unit, c.ids().length, "every unit but the last is full (round " + round + ")");
                    }
                    for (int i = 0; i < c.ids().length; i++) {
                        ids.add(c.ids()[i]);
                        stamps.add(c.stamps()[i]);
                    }
                    assertEquals(c.ids().length, c.bitmap().getCardinality());
                }
                assertEquals(expectedIds, ids, "every reserved id once, in order (round " + round + ")");
                assertEquals(expectedStamps, stamps, "each id keeps its reservation's stamp (round " + round + ")");
                assertEquals((expectedIds.size() + unit - 1) / unit, units.size());
            }
        }
    }
}
