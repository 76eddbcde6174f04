package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignResult;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.experiment.VariantAssignment;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientFields;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Runs each {@link CampaignGraphBenchmark} method once on a small audience and checks that every
 * recipient was sent exactly once, so the graph and the loop measure the same work; the variant
 * benchmarks once per {@link CampaignGraphBenchmark.VariantCase#variants}, checking that each
 * recipient got its variant's text (worked out here from the hash or the sample, not by the plan).
 */
class CampaignGraphBenchmarkTest {
    /** Two full chunks and part of a third, so chunk and record-batch boundaries are crossed. */
    private static final int AUDIENCE = 2 * 65_536 + 3_000;

    private static CampaignGraphBenchmark b;

    @BeforeAll
    static void setUp() throws Exception {
        b = new CampaignGraphBenchmark();
        b.audienceSize = AUDIENCE;
        b.keepMessages = true;
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

    @ParameterizedTest
    @ValueSource(strings = {"single", "hashed3", "sampled3"})
    void shouldGiveEveryRecipientOneOutcomeAndItsVariantsTextThroughTheGraph(String variants) throws Exception {
        b.connector.kept.clear();
        CampaignGraphBenchmark.VariantCase c = new CampaignGraphBenchmark.VariantCase();
        c.variants = variants;
        CampaignResult r = b.graphVariants(c);
        assertEquals(AUDIENCE, r.processed());
        assertEquals(Map.of(Outcomes.SENT, (long) AUDIENCE), nonZero(r.counts()));
        try (OutcomeLedger ledger = OutcomeLedger.open(b.deps.ledgerRoot().resolve(r.campaignId()), b.audience)) {
            MutableRoaringBitmap seen = new MutableRoaringBitmap();
            long total = 0;
            for (String outcome : nonZero(ledger.counts()).keySet()) { // "claimed" (a state, not an outcome) is 0 here
                ImmutableRoaringBitmap ids = ledger.ids(outcome);
                assertEquals(0, ImmutableRoaringBitmap.andCardinality(seen, ids), "an id with two outcomes, one " + outcome);
                seen.or(ids);
                total += ids.getLongCardinality();
            }
            assertEquals(AUDIENCE, total, "one outcome per id");
            assertEquals(b.audience.toMutableRoaringBitmap(), seen, "every id has an outcome");
        }
        assertEquals(AUDIENCE, b.connector.kept.size(), "every recipient handed over");
        int[] perVariant = new int[CampaignGraphBenchmark.VARIANT_TEXTS.size()];
        for (int id = 0; id < AUDIENCE; id++) {
            List<OutboundMessage> ms = b.connector.kept.get(id);
            assertEquals(1, ms.size(), "id " + id + " handed over once");
            OutboundMessage m = ms.get(0);
            int v = expectedVariant(variants, r.campaignId(), id);
            perVariant[v]++;
            String name = b.directory.get(id).orElseThrow().fields().get("first_name");
            String text = CampaignGraphBenchmark.VARIANT_TEXTS.get(v).replace("{{first_name}}", name);
            assertTrue(m.text().startsWith(text), "id " + id + " should get variant " + v + ", got: " + m.text());
            assertTrue(m.text().endsWith(CampaignGraphBenchmark.FOOTER), m.text());
            assertEquals(CampaignGraphBenchmark.SENDER, m.from());
        }
        System.out.println(variants + ": messages per variant " + Arrays.toString(perVariant));
        switch (variants) {
            case "single" -> assertEquals(AUDIENCE, perVariant[0]);
            case "hashed3" -> Arrays.stream(perVariant).forEach(n ->
                    assertTrue(Math.abs(n - AUDIENCE / 3) < AUDIENCE / 50, "about a third each: " + Arrays.toString(perVariant)));
            default -> {
                int sample = (int) Math.round(CampaignGraphBenchmark.SAMPLE * AUDIENCE);
                for (int v = 0; v < perVariant.length; v++) {
                    int own = Math.abs(perVariant[v] - (v == CampaignGraphBenchmark.REST_VARIANT ? AUDIENCE - sample * 2 / 3 : sample / 3));
                    assertTrue(own <= perVariant.length + 50, "variant " + v + ": " + Arrays.toString(perVariant));
                }
            }
        }
        b.deleteLedgers();
    }

    @ParameterizedTest
    @ValueSource(strings = {"single", "hashed3", "sampled3"})
    void shouldPrepareOneMessagePerRecipientAndChooseEveryRecipientsVariant(String variants) {
        CampaignGraphBenchmark.VariantCase c = new CampaignGraphBenchmark.VariantCase();
        c.variants = variants;
        assertEquals(AUDIENCE, b.prepareVariants(c));
        // the plan's choice: the sum over recipients of their variants, against the hash or sample worked out here
        String campaignId = "bench-" + (peekCampaignNumber() + 1);
        long expected = 0;
        for (int id = 0; id < AUDIENCE; id++) {
            expected += expectedVariant(variants, campaignId, id);
        }
        assertEquals(expected, b.variantOf(c));
        long expectedBatched = 0;
        String nextId = "bench-" + (peekCampaignNumber() + 1);
        for (int id = 0; id < AUDIENCE; id++) {
            expectedBatched += expectedVariant(variants, nextId, id);
        }
        assertEquals(expectedBatched, b.variantsOf(c));
    }

    @Test
    void shouldRunEveryCaseOnceWhenAlternating() throws Exception {
        b.connector.kept.clear();
        assertEquals(3L * AUDIENCE, b.prepareAlternating(), "one message per recipient and case");
        List<CampaignResult> runs = b.graphAlternating();
        assertEquals(3, runs.size());
        for (CampaignResult r : runs) {
            assertEquals(Map.of(Outcomes.SENT, (long) AUDIENCE), nonZero(r.counts()), r.campaignId());
        }
        assertEquals(AUDIENCE, b.connector.kept.size());
        b.connector.kept.values().forEach(ms -> assertEquals(3, ms.size(), "once per run"));
        b.reportAlternating();
        b.deleteLedgers();
    }

    @Test
    void shouldRejectAnUnknownVariantCase() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.nextSpec("hashed4"));
        assertTrue(e.getMessage().contains("hashed4"), e.getMessage());
    }

    /** @return the number of the benchmark's last campaign id ({@code bench-N}), taking one */
    private static int peekCampaignNumber() {
        return Integer.parseInt(b.nextSpec().id().substring("bench-".length()));
    }

    /** @return the variant issue 17 says recipient {@code id} gets, worked out without {@code VariantPlan} */
    private static int expectedVariant(String variants, String campaignId, int id) {
        switch (variants) {
            case "single":
                return 0;
            case "hashed3":
                return (int) Long.remainderUnsigned(
                        VariantAssignment.hash(VariantAssignment.campaignKey(campaignId), id), 3);
            default:
                for (int v = 0; v < b.sample.size(); v++) {
                    if (b.sample.get(v).contains(id)) {
                        return v;
                    }
                }
                return CampaignGraphBenchmark.REST_VARIANT;
        }
    }

    private static Map<String, Long> nonZero(Map<String, Long> counts) {
        return counts.entrySet().stream().filter(e -> e.getValue() != 0)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
