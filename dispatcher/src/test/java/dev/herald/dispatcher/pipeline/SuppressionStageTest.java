package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.suppression.SuppressionSnapshot;

import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** The suppression stage lets through exactly the ids in none of the message's scopes and records the others. */
class SuppressionStageTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 4_000);
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        fx.close();
    }

    @Test
    void shouldRecordSuppressedIdsUnderTheirFirstScopeAndEmitTheRest(@TempDir Path dir) throws Exception {
        ImmutableRoaringBitmap audience = StageFixture.first(4_000);
        SuppressionSnapshot snapshot = fx.index.snapshot();
        MutableRoaringBitmap expectedKept = new MutableRoaringBitmap();
        MutableRoaringBitmap expectedSuppressed = new MutableRoaringBitmap();
        audience.forEach((org.roaringbitmap.IntConsumer) id ->
                (snapshot.isSuppressed(id, CampaignFixture.SCOPES) ? expectedSuppressed : expectedKept).add(id));
        assertTrue(expectedSuppressed.getCardinality() > 0, "the fixture suppresses some recipients");
        LongAdder decided = new LongAdder();
        try (StageFixture.IoProbe io = new StageFixture.IoProbe();
             OutcomeLedger ledger = OutcomeLedger.open(dir, audience)) {
            MutableRoaringBitmap kept = StageFixture.union(StageFixture.run(testKit.system(), audience,
                    SuppressionStage.flow(fx.index, CampaignFixture.SCOPES, new Recording(ledger, decided, null, io))));
            assertEquals(expectedKept, kept);
            assertEquals(expectedSuppressed, StageFixture.withOutcome(ledger, "suppressed:"));
            assertEquals(expectedSuppressed.getLongCardinality(), decided.sum());
            assertTrue(io.ran() > 0, "the decisions were written on the recording's executor");
            expectedSuppressed.forEach((org.roaringbitmap.IntConsumer) id -> {
                String scope = ledger.outcomeOf(id).orElseThrow().outcome().substring("suppressed:".length());
                String first = CampaignFixture.SCOPES.stream().filter(s -> snapshot.isSuppressed(id, s)).findFirst()
                        .orElseThrow().toString();
                assertEquals(first, scope, "recipient " + id + " is recorded under the first scope that holds it");
            });
        }
    }
}
