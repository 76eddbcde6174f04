package dev.herald.dispatcher.experiment;

import static dev.herald.dispatcher.experiment.WinnerDecision.NoWinnerPolicy.SEND_BEST;
import static dev.herald.dispatcher.experiment.WinnerDecision.NoWinnerPolicy.SEND_FIRST;
import static dev.herald.dispatcher.experiment.WinnerDecision.NoWinnerPolicy.STOP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * The winner rule on hand-made counts. P-values are SciPy 1.17.1's ({@code 2*norm.sf(|z|)} on the
 * pooled z, {@code chi2_contingency(t, correction=False)}); Holm's adjustment is done by hand.
 */
class WinnerDecisionTest {
    private static final double EXACT = 1e-12;
    private static final WinnerDecision RULE = new WinnerDecision(0.05, 2000, SEND_BEST);

    private static VariantCounts v(String name, long exposed, long successes) {
        return new VariantCounts(name, exposed, successes);
    }

    @Test
    void shouldDeclareTheHigherRateWinnerOfTwoWhenSignificant() {
        WinnerDecision.Decision d = RULE.decide(List.of(v("A", 2000, 200), v("B", 2000, 260)));
        assertEquals("B", d.winner());
        assertEquals(WinnerDecision.Reason.SIGNIFICANT, d.reason());
        assertNull(d.policyApplied(), "a winner needs no policy");
        assertEquals("B", d.send());
        assertEquals("B", d.best());
        assertEquals(0.002942093070459276, d.omnibusPValue(), EXACT);
        assertEquals(1, d.comparisons().size());
        WinnerDecision.Comparison c = d.comparisons().get(0);
        assertEquals("A", c.variant());
        assertEquals(0.002942093070459276, c.pValue(), EXACT);
        assertEquals(c.pValue(), c.adjustedPValue(), "one comparison: nothing to correct");
        WinnerDecision.VariantResult a = d.variants().get(0);
        assertEquals(new WinnerDecision.VariantResult("A", 2000, 200, 0.1, a.low(), a.high()), a);
        Significance.Interval ci = Significance.wilson(v("A", 2000, 200), 0.95);
        assertEquals(ci.low(), a.low(), "the interval is at 1 − alpha");
        assertEquals(ci.high(), a.high());
    }

    @Test
    void shouldApplyEachPolicyWhenTwoDoNotDiffer() {
        // p = 0.0712 > 0.05; B has the higher rate but A comes first
        List<VariantCounts> counts = List.of(v("A", 2000, 180), v("B", 2000, 214));
        for (var expected : List.of(new Object[] {SEND_BEST, "B"}, new Object[] {SEND_FIRST, "A"}, new Object[] {STOP, null})) {
            WinnerDecision.NoWinnerPolicy policy = (WinnerDecision.NoWinnerPolicy) expected[0];
            WinnerDecision.Decision d = new WinnerDecision(0.05, 2000, policy).decide(counts);
            assertNull(d.winner());
            assertEquals(WinnerDecision.Reason.NOT_SIGNIFICANT, d.reason());
            assertEquals(policy, d.policyApplied());
            assertEquals(expected[1], d.send(), policy.wire());
            assertEquals("B", d.best());
            assertEquals(0.07122387884030575, d.omnibusPValue(), EXACT);
        }
        WinnerDecision.Decision looser = new WinnerDecision(0.10, 2000, STOP).decide(counts);
        assertEquals("B", looser.winner(), "the same figures are significant at alpha 0.10");
    }

    @Test
    void shouldCallItTooSmallBelowMinPerVariantHoweverClearTheDifference() {
        WinnerDecision.Decision d = RULE.decide(List.of(v("A", 1999, 100), v("B", 2000, 400)));
        assertNull(d.winner());
        assertEquals(WinnerDecision.Reason.TOO_SMALL, d.reason());
        assertEquals(SEND_BEST, d.policyApplied());
        assertEquals("B", d.send());
        assertTrue(d.omnibusPValue() < 1e-20, "the figures are still computed and shown: " + d.omnibusPValue());
        WinnerDecision.Decision reached = RULE.decide(List.of(v("A", 2000, 100), v("B", 2000, 400)));
        assertEquals("B", reached.winner(), "exactly minPerVariant is enough");
    }

    @Test
    void shouldDeclareTheBestOfThreeWhenItBeatsEveryOtherAfterCorrection() {
        WinnerDecision.Decision d = RULE.decide(List.of(v("A", 2000, 200), v("B", 2000, 230), v("C", 2000, 300)));
        assertEquals("C", d.winner());
        assertEquals(WinnerDecision.Reason.SIGNIFICANT, d.reason());
        assertEquals(4.457292488562702e-06, d.omnibusPValue(), 1e-17);
        // raw: C vs A 1.744996250873815e-06, C vs B 0.0010963217891874998;
        // Holm: 2 × 1.745e-6 = 3.49e-6, then max(3.49e-6, 1 × 0.001096) = 0.001096
        assertEquals(List.of("A", "B"), d.comparisons().stream().map(WinnerDecision.Comparison::variant).toList());
        assertEquals(1.744996250873815e-06, d.comparisons().get(0).pValue(), 1e-17);
        assertEquals(2 * 1.744996250873815e-06, d.comparisons().get(0).adjustedPValue(), 1e-17);
        assertEquals(0.0010963217891874998, d.comparisons().get(1).pValue(), EXACT);
        assertEquals(0.0010963217891874998, d.comparisons().get(1).adjustedPValue(), EXACT);
    }

    @Test
    void shouldNotDeclareAWinnerThatOnlyTheUncorrectedComparisonsWouldGive() {
        // omnibus 0.0399 and both raw p 0.0303 are below 0.05, but Holm makes the smaller 2 × 0.0303 = 0.0605
        WinnerDecision.Decision d = RULE.decide(List.of(v("A", 2000, 200), v("B", 2000, 200), v("C", 2000, 243)));
        assertEquals(0.039925539403382754, d.omnibusPValue(), EXACT);
        assertEquals(0.03027453745050088, d.comparisons().get(0).pValue(), EXACT);
        assertEquals(0.03027453745050088, d.comparisons().get(1).pValue(), EXACT);
        assertEquals(2 * 0.03027453745050088, d.comparisons().get(0).adjustedPValue(), EXACT);
        assertNull(d.winner());
        assertEquals(WinnerDecision.Reason.NOT_SIGNIFICANT, d.reason());
        assertEquals("C", d.send(), "send-best still sends the best by rate");
    }

    @Test
    void shouldNotDeclareTheBestWhenTheOmnibusIsSignificantButTheRunnerUpIsClose() {
        // omnibus 1.7e-6, but C (300) vs B (290) is far from significant
        WinnerDecision.Decision d = new WinnerDecision(0.05, 2000, SEND_FIRST)
                .decide(List.of(v("A", 2000, 200), v("B", 2000, 290), v("C", 2000, 300)));
        assertEquals(1.7330487510200172e-06, d.omnibusPValue(), 1e-17);
        assertNull(d.winner());
        assertEquals(WinnerDecision.Reason.NOT_SIGNIFICANT, d.reason());
        assertEquals("C", d.best());
        assertEquals("A", d.send());
    }

    @Test
    void shouldTakeTheFirstOfTiedBestAndDeclareNoWinner() {
        WinnerDecision.Decision d = new WinnerDecision(0.05, 100, SEND_BEST)
                .decide(List.of(v("A", 1000, 100), v("B", 2000, 300), v("C", 4000, 600)));
        assertEquals("B", d.best(), "B and C tie at 0.15; the earlier is the best");
        assertNull(d.winner());
        assertEquals(1.0, d.comparisons().get(1).pValue(), "B vs C: equal rates");
        assertEquals("B", d.send());
    }

    @Test
    void shouldHandleNoSuccessesAndOnlySuccesses() {
        WinnerDecision.Decision none = RULE.decide(List.of(v("A", 2000, 0), v("B", 2500, 0), v("C", 3000, 0)));
        assertNull(none.winner());
        assertEquals(WinnerDecision.Reason.NOT_SIGNIFICANT, none.reason());
        assertEquals(1.0, none.omnibusPValue());
        assertEquals("A", none.send());
        for (WinnerDecision.VariantResult r : none.variants()) {
            assertEquals(0.0, r.rate());
            assertEquals(0.0, r.low());
            assertTrue(r.high() > 0 && r.high() < 0.002, "nothing seen is not proof of zero: " + r);
        }
        WinnerDecision.Decision all = RULE.decide(List.of(v("A", 2000, 2000), v("B", 2000, 2000)));
        assertNull(all.winner());
        assertEquals(1.0, all.omnibusPValue());
        assertEquals(1.0, all.variants().get(1).high());
        WinnerDecision.Decision equal = RULE.decide(List.of(v("A", 2000, 200), v("B", 2000, 200)));
        assertEquals(1.0, equal.omnibusPValue());
        assertNull(equal.winner());
    }

    @Test
    void shouldAcceptTwoToEightVariantsOnly() {
        List<VariantCounts> eight = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            eight.add(v("V" + i, 2000, 200 + (i == 7 ? 100 : 0)));
        }
        WinnerDecision.Decision d = RULE.decide(eight);
        assertEquals("V7", d.winner(), "0.15 against seven at 0.10");
        assertEquals(7, d.comparisons().size());
        List<VariantCounts> nine = new ArrayList<>(eight);
        nine.add(v("V8", 2000, 200));
        assertThrows(IllegalArgumentException.class, () -> RULE.decide(nine));
        assertThrows(IllegalArgumentException.class, () -> RULE.decide(List.of(v("A", 2000, 200))));
        assertThrows(IllegalArgumentException.class, () -> RULE.decide(List.of()));
    }

    @Test
    void shouldCallASampleWithAVariantNobodyWasExposedToTooSmallAndSendTheBestExposedOne() {
        // e.g. every recipient of variant B was suppressed: no rate, no evidence; the policy decides
        WinnerDecision.Decision d = RULE.decide(List.of(v("A", 2000, 200), v("summer-B", 0, 0), v("C", 2000, 300)));
        assertEquals(WinnerDecision.Reason.TOO_SMALL, d.reason());
        assertNull(d.winner());
        assertEquals("C", d.best());
        assertEquals("C", d.send());
        assertEquals(0.0, d.variants().get(1).low());
        assertEquals(1.0, d.variants().get(1).high());
        assertEquals(1.0, d.omnibusPValue());
        WinnerDecision.Decision none = new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.SEND_BEST)
                .decide(List.of(v("A", 0, 0), v("B", 0, 0)));
        assertEquals("A", none.send());
        assertNull(new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.STOP).decide(List.of(v("A", 0, 0), v("B", 5, 1))).send());
    }

    @Test
    void shouldRefuseRepeatedNamesAndBadCountsAndSettings() {
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> RULE.decide(List.of(v("A", 2000, 200), v("A", 2000, 210))));
        assertTrue(twice.getMessage().contains("'A'"), twice.getMessage());
        IllegalArgumentException more = assertThrows(IllegalArgumentException.class, () -> v("B", 10, 11));
        assertEquals("variant 'B': successes 11 exceed exposed 10", more.getMessage());
        assertThrows(IllegalArgumentException.class, () -> v("B", 10, -1));
        assertThrows(IllegalArgumentException.class, () -> v("B", -1, -1));
        assertThrows(IllegalArgumentException.class, () -> v(" ", 10, 1));
        assertThrows(IllegalArgumentException.class, () -> v(null, 10, 1));
        for (double alpha : new double[] {0, 1, -0.05, 1.5, Double.NaN}) {
            assertThrows(IllegalArgumentException.class, () -> new WinnerDecision(alpha, 2000, SEND_BEST), "alpha " + alpha);
        }
        assertThrows(IllegalArgumentException.class, () -> new WinnerDecision(0.05, 0, SEND_BEST));
        assertThrows(IllegalArgumentException.class, () -> new WinnerDecision(0.05, 2000, null));
    }

    @Test
    void policiesAndReasonsHaveTheirWireNames() {
        assertEquals(SEND_BEST, WinnerDecision.NoWinnerPolicy.fromWire("send-best"));
        assertEquals(SEND_FIRST, WinnerDecision.NoWinnerPolicy.fromWire("send-first"));
        assertEquals(STOP, WinnerDecision.NoWinnerPolicy.fromWire("stop"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WinnerDecision.NoWinnerPolicy.fromWire("send_best"));
        assertTrue(e.getMessage().contains("'send_best'"), e.getMessage());
        assertEquals("too-small", WinnerDecision.Reason.TOO_SMALL.wire());
        assertEquals(WinnerDecision.Reason.NOT_SIGNIFICANT, WinnerDecision.Reason.fromWire("not-significant"));
    }

    @Test
    void aDecisionIsWrittenAndReadBackAsJson() throws Exception {
        ObjectMapper json = new ObjectMapper();
        WinnerDecision.Decision d = new WinnerDecision(0.05, 2000, STOP)
                .decide(List.of(v("A", 2000, 180), v("B", 2000, 214), v("C", 2000, 190)));
        String text = json.writeValueAsString(d);
        JsonNode tree = json.readTree(text);
        assertTrue(tree.get("winner").isNull(), text);
        assertEquals("not-significant", tree.get("reason").asText());
        assertEquals("stop", tree.get("policyApplied").asText());
        assertTrue(tree.get("send").isNull());
        assertEquals("B", tree.get("best").asText());
        assertEquals(2, tree.get("comparisons").size());
        assertEquals("A", tree.get("comparisons").get(0).get("variant").asText());
        assertEquals(0.107, tree.get("variants").get(1).get("rate").asDouble());
        assertTrue(tree.get("variants").get(1).has("low") && tree.get("variants").get(1).has("high"));
        assertEquals(d, json.readValue(text, WinnerDecision.Decision.class), "read back unchanged");
        assertEquals(new WinnerDecision(0.05, 2000, SEND_FIRST),
                json.readValue("{\"alpha\":0.05,\"minPerVariant\":2000,\"noWinner\":\"send-first\"}", WinnerDecision.class));
    }
}
