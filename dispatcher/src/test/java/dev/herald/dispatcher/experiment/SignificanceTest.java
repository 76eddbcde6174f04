package dev.herald.dispatcher.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Wilson intervals, the two-proportion z-test, the chi-squared test and the Holm correction against
 * figures computed independently: Newcombe's published table, closed forms of the chi-squared tail,
 * and SciPy 1.17.1 ({@code scipy.stats.binomtest(...).proportion_ci(method='wilson')},
 * {@code 2*scipy.stats.norm.sf(|z|)} on the pooled z, {@code scipy.stats.chi2_contingency(t,
 * correction=False)}).
 */
class SignificanceTest {
    private static final double EXACT = 1e-12;

    private static VariantCounts v(String name, long exposed, long successes) {
        return new VariantCounts(name, exposed, successes);
    }

    // --- Wilson ---------------------------------------------------------------------------------

    @Test
    void wilsonMatchesNewcombesTable() {
        // Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison of
        // seven methods", Stat Med 17:857-872: its worked examples, method 3 (score, no continuity correction), 95 %
        assertInterval(0.2553, 0.3662, Significance.wilson(v("a", 263, 81), 0.95), 5e-5);
        assertInterval(0.0624, 0.1605, Significance.wilson(v("b", 148, 15), 0.95), 5e-5);
        assertInterval(0.0000, 0.1611, Significance.wilson(v("c", 20, 0), 0.95), 5e-5);
        assertInterval(0.0061, 0.1718, Significance.wilson(v("d", 29, 1), 0.95), 5e-5);
    }

    @Test
    void wilsonMatchesSciPyToFullPrecision() {
        assertInterval(0.2552885198782742, 0.36620957698280004, Significance.wilson(v("a", 263, 81), 0.95), EXACT);
        assertInterval(0.24013690268760768, 0.3852825023182298, Significance.wilson(v("a", 263, 81), 0.99), EXACT);
        assertInterval(0.09419820147525405, 0.12130859768781076, Significance.wilson(v("e", 2000, 214), 0.95), EXACT);
        assertInterval(0.006113214292762667, 0.17175521879320282, Significance.wilson(v("d", 29, 1), 0.95), EXACT);
    }

    @Test
    void wilsonAtZeroAndAtAllSuccessesReachesExactlyTheBoundAndStaysInside() {
        // closed form at p = 0: [0, z²/(n + z²)]; at p = 1: [n/(n + z²), 1]
        double z2 = 1.959963984540054 * 1.959963984540054;
        Significance.Interval none = Significance.wilson(v("none", 20, 0), 0.95);
        assertEquals(0.0, none.low());
        assertEquals(z2 / (20 + z2), none.high(), EXACT);
        Significance.Interval all = Significance.wilson(v("all", 29, 29), 0.95);
        assertEquals(29 / (29 + z2), all.low(), EXACT);
        assertEquals(1.0, all.high());
        Significance.Interval one = Significance.wilson(v("one", 1, 1), 0.95);
        assertTrue(one.low() > 0 && one.low() < 1, "a single success is no certainty: " + one);
    }

    @Test
    void wilsonRefusesNoExposedAndAConfidenceOutsideZeroOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Significance.wilson(v("spring-B", 0, 0), 0.95));
        assertTrue(e.getMessage().contains("'spring-B'") && e.getMessage().contains("no exposed"), e.getMessage());
        for (double c : new double[] {0, 1, -0.5, 1.5, Double.NaN}) {
            assertThrows(IllegalArgumentException.class, () -> Significance.wilson(v("a", 10, 1), c), "confidence " + c);
        }
    }

    @Property(seed = "20261207", tries = 1000)
    void wilsonContainsTheRateAndStaysInZeroOne(@ForAll @LongRange(min = 1, max = 1_000_000) long exposed,
                                                @ForAll @DoubleRange(min = 0, max = 1) @Scale(6) double fraction,
                                                @ForAll @DoubleRange(min = 0.5, max = 0.999) @Scale(3) double confidence) {
        long successes = Math.round(fraction * exposed);
        VariantCounts counts = v("x", exposed, successes);
        Significance.Interval ci = Significance.wilson(counts, confidence);
        assertTrue(0 <= ci.low() && ci.low() <= counts.rate() && counts.rate() <= ci.high() && ci.high() <= 1,
                counts + " at " + confidence + ": " + ci);
        Significance.Interval wider = Significance.wilson(counts, (1 + confidence) / 2);
        assertTrue(wider.low() <= ci.low() && ci.high() <= wider.high(), "more confidence, wider interval");
    }

    // --- two proportions ------------------------------------------------------------------------

    @Test
    void twoProportionMatchesThePooledZTest() {
        // SciPy: z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)), p pooled; 2*norm.sf(|z|)
        assertEquals(0.002942093070459276, Significance.twoProportionPValue(v("a", 2000, 200), v("b", 2000, 260)), EXACT);
        assertEquals(0.07122387884030575, Significance.twoProportionPValue(v("a", 2000, 214), v("b", 2000, 180)), EXACT);
        assertEquals(0.021781462791119477, Significance.twoProportionPValue(v("a", 50, 0), v("b", 50, 5)), EXACT);
        assertEquals(0.04964038686536878, Significance.twoProportionPValue(v("a", 1000, 120), v("b", 1000, 150)), EXACT);
        // unequal sizes, against the formula written out here
        VariantCounts a = v("a", 3000, 420);
        VariantCounts b = v("b", 1200, 150);
        double pooled = 570.0 / 4200;
        double z = (420.0 / 3000 - 150.0 / 1200) / Math.sqrt(pooled * (1 - pooled) * (1.0 / 3000 + 1.0 / 1200));
        assertEquals(org.apache.commons.math3.special.Erf.erfc(Math.abs(z) / Math.sqrt(2)),
                Significance.twoProportionPValue(a, b), EXACT, "2Φ(−|z|) = erfc(|z|/√2)");
    }

    @Test
    void twoProportionIsSymmetricAndOneWhenNothingDiffers() {
        VariantCounts a = v("a", 2000, 200);
        VariantCounts b = v("b", 1500, 190);
        assertEquals(Significance.twoProportionPValue(a, b), Significance.twoProportionPValue(b, a));
        assertEquals(1.0, Significance.twoProportionPValue(a, v("c", 2000, 200)), "equal counts");
        assertEquals(1.0, Significance.twoProportionPValue(v("a", 1000, 100), v("b", 500, 50)), "equal rates");
        assertEquals(1.0, Significance.twoProportionPValue(v("a", 1000, 0), v("b", 700, 0)), "no successes at all");
        assertEquals(1.0, Significance.twoProportionPValue(v("a", 1000, 1000), v("b", 700, 700)), "only successes");
        assertTrue(Significance.twoProportionPValue(v("a", 1000, 0), v("b", 1000, 1000)) < 1e-300,
                "all against nothing is as significant as it gets");
    }

    @Test
    void twoProportionRefusesAVariantWithNoExposed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Significance.twoProportionPValue(v("A", 10, 1), v("B", 0, 0)));
        assertTrue(e.getMessage().contains("'B'"), e.getMessage());
    }

    // --- chi-squared ----------------------------------------------------------------------------

    @Test
    void chiSquaredMatchesSciPyAndTheClosedFormsOfItsTail() {
        // 2 variants: chi² = 8.843036109064112 (SciPy) = z², 1 df: p = erfc(sqrt(x/2))
        assertEquals(0.0029420930704592775,
                Significance.chiSquaredPValue(List.of(v("a", 2000, 200), v("b", 2000, 260))), EXACT);
        // 3 variants, 2 df: the tail is exactly exp(-x/2); chi² = 8.843036109064112 (SciPy)
        assertEquals(Math.exp(-8.843036109064112 / 2),
                Significance.chiSquaredPValue(List.of(v("a", 2000, 200), v("b", 2000, 230), v("c", 2000, 260))), EXACT);
        assertEquals(0.012015977523231497,
                Significance.chiSquaredPValue(List.of(v("a", 2000, 200), v("b", 2000, 230), v("c", 2000, 260))), EXACT);
        // 4 variants, 3 df: tail = erfc(sqrt(x/2)) + sqrt(2x/π)·exp(-x/2); chi² = 10.214504596527068 (SciPy)
        double x = 10.214504596527068;
        double closed = org.apache.commons.math3.special.Erf.erfc(Math.sqrt(x / 2)) + Math.sqrt(2 * x / Math.PI) * Math.exp(-x / 2);
        List<VariantCounts> four = List.of(v("a", 1000, 100), v("b", 1000, 120), v("c", 1000, 90), v("d", 1000, 130));
        assertEquals(closed, Significance.chiSquaredPValue(four), EXACT);
        assertEquals(0.01682806978112324, Significance.chiSquaredPValue(four), EXACT);
        assertEquals(4.457292488562702e-06,
                Significance.chiSquaredPValue(List.of(v("a", 2000, 200), v("b", 2000, 230), v("c", 2000, 300))), 1e-17);
    }

    @Test
    void chiSquaredTailKeepsItsPrecisionFarOut() {
        // 2 df: exp(-50) ≈ 1.9e-22, where 1 − cdf would have rounded to 0
        assertEquals(Math.exp(-50), Significance.chiSquaredUpperTail(100, 2), Math.exp(-50) * 1e-10);
        assertEquals(1.0, Significance.chiSquaredUpperTail(0, 3));
    }

    @Test
    void chiSquaredIsOneWhenNothingVariesAndRefusesBadInput() {
        assertEquals(1.0, Significance.chiSquaredPValue(List.of(v("a", 10, 0), v("b", 20, 0), v("c", 5, 0))));
        assertEquals(1.0, Significance.chiSquaredPValue(List.of(v("a", 10, 10), v("b", 20, 20), v("c", 5, 5))));
        assertEquals(1.0, Significance.chiSquaredPValue(List.of(v("a", 100, 10), v("b", 200, 20), v("c", 50, 5))), EXACT);
        assertThrows(IllegalArgumentException.class, () -> Significance.chiSquaredPValue(List.of(v("a", 10, 1))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Significance.chiSquaredPValue(List.of(v("a", 10, 1), v("b", 10, 2), v("c", 0, 0))));
        assertTrue(e.getMessage().contains("'c'"), e.getMessage());
    }

    @Property(seed = "20261207", tries = 1000)
    void chiSquaredOnTwoVariantsIsTheTwoProportionTest(@ForAll @LongRange(min = 1, max = 100_000) long n1,
                                                       @ForAll @LongRange(min = 1, max = 100_000) long n2,
                                                       @ForAll @DoubleRange(min = 0, max = 1) @Scale(6) double f1,
                                                       @ForAll @DoubleRange(min = 0, max = 1) @Scale(6) double f2) {
        VariantCounts a = v("a", n1, Math.round(f1 * n1));
        VariantCounts b = v("b", n2, Math.round(f2 * n2));
        double z = Significance.twoProportionPValue(a, b);
        double chi = Significance.chiSquaredPValue(List.of(a, b));
        // chi² = z² exactly; the two tails are computed by different functions (erfc, incomplete gamma)
        assertEquals(z, chi, 1e-12 + 1e-9 * z, a + " vs " + b);
    }

    // --- Holm -----------------------------------------------------------------------------------

    @Test
    void holmMatchesTheStepDownByHand() {
        // sorted 0.005, 0.01, 0.03, 0.04 → 4·0.005 = 0.02, 3·0.01 = 0.03, 2·0.03 = 0.06, max(0.06, 1·0.04) = 0.06
        // (R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") gives 0.03 0.06 0.06 0.02)
        assertArrayEquals(new double[] {0.03, 0.06, 0.06, 0.02}, Significance.holm(new double[] {0.01, 0.04, 0.03, 0.005}), EXACT);
        assertArrayEquals(new double[] {1, 1}, Significance.holm(new double[] {0.7, 0.6}), EXACT, "capped at 1");
        assertArrayEquals(new double[] {0.04}, Significance.holm(new double[] {0.04}), "one test: nothing to correct");
        assertArrayEquals(new double[0], Significance.holm(new double[0]));
        double[] raw = {0.2, 0.01};
        Significance.holm(raw);
        assertArrayEquals(new double[] {0.2, 0.01}, raw, "the input is left alone");
    }

    @Test
    void holmRefusesWhatIsNoPValue() {
        assertThrows(IllegalArgumentException.class, () -> Significance.holm(new double[] {0.1, -0.01}));
        assertThrows(IllegalArgumentException.class, () -> Significance.holm(new double[] {1.01}));
        assertThrows(IllegalArgumentException.class, () -> Significance.holm(new double[] {Double.NaN}));
    }

    @Property(seed = "20261207", tries = 500)
    void holmNeverLowersAPValueAndKeepsTheirOrder(@ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = 0, max = 1) @Scale(6) Double> ps) {
        double[] raw = ps.stream().mapToDouble(Double::doubleValue).toArray();
        double[] adjusted = Significance.holm(raw);
        for (int i = 0; i < raw.length; i++) {
            assertTrue(raw[i] <= adjusted[i] && adjusted[i] <= Math.min(1, raw.length * raw[i]) + 1e-15, "bounded by raw and Bonferroni");
            for (int j = 0; j < raw.length; j++) {
                if (raw[i] < raw[j]) {
                    assertTrue(adjusted[i] <= adjusted[j], "order kept");
                }
            }
        }
    }

    private static void assertInterval(double low, double high, Significance.Interval actual, double tolerance) {
        assertEquals(low, actual.low(), tolerance, "low of " + actual);
        assertEquals(high, actual.high(), tolerance, "high of " + actual);
    }
}
