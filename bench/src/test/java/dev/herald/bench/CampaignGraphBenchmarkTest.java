package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientFields;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs each {@link CampaignGraphBenchmark} method once on a small audience and checks that every
 * recipient was sent exactly once, so the graph and the loop measure the same work.
 */
class CampaignGraphBenchmarkTest {
    /** Two full chunks and part of a third, so chunk and record-batch boundaries are crossed. */
    private static final int AUDIENCE = 2 * 65_536 + 3_000;

    private static CampaignGraphBenchmark b;

    @BeforeAll
    static void setUp() throws Exception {
        b = new CampaignGraphBenchmark();
        b.audienceSize = AUDIENCE;
        b.setUp();
    }

    @AfterAll
    static void tearDown() throws Exception {
        b.tearDown();
    }

    @Test
    void shouldSendEveryRecipientOnceThroughTheGraph() throws Exception {
        long before = b.connector.accepted.sum();
        CampaignResult r = b.graph();
        assertEquals(AUDIENCE, r.audience());
        assertEquals(AUDIENCE, r.processed());
        assertEquals(Map.of(Outcomes.SENT, (long) AUDIENCE), nonZero(r.counts()));
        assertEquals(AUDIENCE, b.connector.accepted.sum() - before, "one hand-over per recipient");
        try (OutcomeLedger ledger = OutcomeLedger.open(b.deps.ledgerRoot().resolve(r.campaignId()), b.audience)) {
            assertEquals(0, ledger.recovery().unknownCount(), "nothing left claimed");
            assertEquals(b.audience.toMutableRoaringBitmap(), ledger.ids(Outcomes.SENT).toMutableRoaringBitmap(),
                    "exactly the audience is sent");
        }
        b.deleteLedgers();
    }

    @Test
    void shouldSendEveryRecipientOnceInThePlainLoop() throws Exception {
        long before = b.connector.accepted.sum();
        Map<String, Long> counts = b.loop();
        assertEquals(Map.of(Outcomes.SENT, (long) AUDIENCE), nonZero(counts));
        assertEquals(AUDIENCE, b.connector.accepted.sum() - before, "one hand-over per recipient");
        b.deleteLedgers();
    }

    @Test
    void shouldPrepareOneSingleSegmentMessagePerRecipient() {
        assertEquals(AUDIENCE, b.prepare(), "every rendered message is one SMS part");
    }

    @Test
    void shouldPrepareTheSameMessagesFromTheTemplatesFieldsOnly() {
        assertEquals(AUDIENCE, b.prepareFields(), "every rendered message is one SMS part");
        List<String> names = b.renderer.template().fieldNames();
        for (int id = 0; id < AUDIENCE; id += 997) {
            Recipient full = b.directory.get(id).orElseThrow();
            RecipientFields part = b.directory.fields(id, names).orElseThrow();
            assertEquals(full.e164(), part.e164());
            assertEquals(b.renderer.render(full, Map.of()), b.renderer.render(part, Map.of()), "id " + id);
        }
    }

    private static Map<String, Long> nonZero(Map<String, Long> counts) {
        return counts.entrySet().stream().filter(e -> e.getValue() != 0)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
