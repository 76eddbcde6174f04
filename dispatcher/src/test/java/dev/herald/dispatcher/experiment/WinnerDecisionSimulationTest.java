package dev.herald.dispatcher.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * Simulated A/B tests: every variant's successes drawn as Bernoulli trials from a known true rate,
 * one seed per simulated test ({@value #SEED} + a million per scenario + its index), then decided. The share of tests that
 * declare a winner is compared with the exact probability of that outcome, computed independently
 * by summing the rule over the binomial distributions (SciPy 1.17.1, script at the end of this file;
 * the mass its truncation leaves out is below 1e-8). A simulated share of N tests with true
 * probability q has standard error √(q(1−q)/N); the tests allow 4 of them, so a correct rule fails
 * a given seed with probability about 6e-5, while a rule off by more than that fails visibly (an
 * uncorrected or one-sided test, a wrong tail, a swapped winner).
 */
class WinnerDecisionSimulationTest {
    private static final long SEED = 20261207L;
    private static final int TESTS = 2000;
    private static final int POWER_TESTS = 1000;
    private static final int PER_VARIANT = 1000;
    private static final double ALPHA = 0.05;
    private static final WinnerDecision RULE = new WinnerDecision(ALPHA, PER_VARIANT, WinnerDecision.NoWinnerPolicy.SEND_BEST);

    /** Exact P(any winner) with two variants, both at 0.10, n = 1000 each: the z-test's true size. */
    private static final double NULL_TWO = 2 * 0.02494933947655877;
    /** Exact P(any winner) with three variants, all at 0.10, n = 1000 each (each variant 0.0036). */
    private static final double NULL_THREE = 3 * 0.0035999853937069043;
    /** Exact P(B wins) with A at 0.10, B at 0.15, n = 1000 each. */
    private static final double POWER_TWO = 0.9245000547164814;
    /** Exact P(C wins) with A, B at 0.10, C at 0.15, n = 1000 each. */
    private static final double POWER_THREE = 0.866550758599957;

    @Test
    void withEqualRatesTwoVariantsDeclareAWinnerInAboutAlphaOfTests() {
        Map<String, Integer> winners = simulate(1, TESTS, 0.10, 0.10);
        int declared = winners.values().stream().mapToInt(Integer::intValue).sum();
        assertNear(NULL_TWO, declared, TESTS, "false winners, 2 variants " + winners);
        assertTrue(Math.abs(NULL_TWO - ALPHA) < 0.001, "the exact size of the z-test here is alpha within 0.001: " + NULL_TWO);
    }

    @Test
    void withEqualRatesThreeVariantsDeclareAWinnerInAtMostAlphaOfTests() {
        // omnibus, then the best must beat each other after Holm: the family-wise rate is below alpha
        // (exactly 0.0108 here: the rule is conservative with more than two variants)
        Map<String, Integer> winners = simulate(2, TESTS, 0.10, 0.10, 0.10);
        int declared = winners.values().stream().mapToInt(Integer::intValue).sum();
        assertNear(NULL_THREE, declared, TESTS, "false winners, 3 variants " + winners);
        assertTrue((double) declared / TESTS <= ALPHA, "at most alpha: " + declared + " of " + TESTS);
    }

    @Test
    void withClearlyDifferentRatesTwoVariantsPickTheRightWinnerMostOfTheTime() {
        Map<String, Integer> winners = simulate(3, POWER_TESTS, 0.10, 0.15);
        assertNear(POWER_TWO, winners.getOrDefault("V1", 0), POWER_TESTS, "right winner, 2 variants " + winners);
        // the wrong one wins with probability 4e-8 per test
        assertEquals(0, winners.getOrDefault("V0", 0), "wrong winner, 2 variants");
    }

    @Test
    void withClearlyDifferentRatesThreeVariantsPickTheRightWinnerMostOfTheTime() {
        Map<String, Integer> winners = simulate(4, POWER_TESTS, 0.10, 0.10, 0.15);
        assertNear(POWER_THREE, winners.getOrDefault("V2", 0), POWER_TESTS, "right winner, 3 variants " + winners);
        // each wrong one wins with probability 3e-8 per test
        assertEquals(0, winners.getOrDefault("V0", 0) + winners.getOrDefault("V1", 0), "wrong winner, 3 variants");
    }

    /**
     * @param scenario keeps each scenario's seeds apart from the others'
     * @return how many of {@code tests} simulated tests each variant (V0, V1, …) won
     */
    private static Map<String, Integer> simulate(int scenario, int tests, double... trueRates) {
        long seed = SEED + scenario * 1_000_000L;
        System.out.println("WinnerDecisionSimulationTest: " + tests + " tests, rates " + java.util.Arrays.toString(trueRates)
                + ", seeds " + seed + " to " + (seed + tests - 1));
        Map<String, Integer> winners = new HashMap<>();
        for (int t = 0; t < tests; t++) {
            SplittableRandom random = new SplittableRandom(seed + t);
            List<VariantCounts> counts = new ArrayList<>(trueRates.length);
            for (int i = 0; i < trueRates.length; i++) {
                counts.add(new VariantCounts("V" + i, PER_VARIANT, successes(random, PER_VARIANT, trueRates[i])));
            }
            WinnerDecision.Decision d = RULE.decide(counts);
            if (d.winner() != null) {
                winners.merge(d.winner(), 1, Integer::sum);
            }
        }
        return winners;
    }

    /** One exact binomial draw: n Bernoulli trials. */
    private static long successes(SplittableRandom random, int n, double rate) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            if (random.nextDouble() < rate) {
                s++;
            }
        }
        return s;
    }

    private static void assertNear(double q, int observed, int tests, String what) {
        double share = (double) observed / tests;
        double tolerance = 4 * Math.sqrt(q * (1 - q) / tests);
        System.out.printf("  %s: %d of %d = %.4f, exact %.4f ± %.4f%n", what, observed, tests, share, q, tolerance);
        assertTrue(Math.abs(share - q) <= tolerance,
                what + ": " + observed + " of " + tests + " = " + share + ", expected " + q + " ± " + tolerance);
    }

    /*
     * The exact figures (python3, SciPy 1.17.1); support(p) truncates each binomial at ±70 around
     * its mean (over 6 standard deviations):
     *
     * import numpy as np; from scipy import stats
     * ALPHA, N = 0.05, 1000
     * def pz(x1, x2):                       # pooled two-proportion, two-sided
     *     p = (x1 + x2) / (2 * N); v = p * (1 - p) * (2 / N)
     *     z = np.where(v > 0, (x1 - x2) / N / np.sqrt(np.where(v > 0, v, 1)), 0.0)
     *     return 2 * stats.norm.sf(np.abs(z))
     * def support(p, W=70):
     *     m = int(N * p); xs = np.arange(max(0, m - W), min(N, m + W) + 1); return xs, stats.binom.pmf(xs, N, p)
     * def two(pa, pb):                      # (P(A wins), P(B wins))
     *     (xa, wa), (xb, wb) = support(pa), support(pb)
     *     A, B = np.meshgrid(xa, xb, indexing='ij'); W = np.outer(wa, wb); sig = pz(A, B) <= ALPHA
     *     return (W * (sig & (A > B))).sum(), (W * (sig & (B > A))).sum()
     * def three(pa, pb, pc):                # [P(A wins), P(B wins), P(C wins)]
     *     (xa, wa), (xb, wb), (xc, wc) = support(pa), support(pb), support(pc)
     *     A, B, C = np.meshgrid(xa, xb, xc, indexing='ij'); W = wa[:, None, None] * wb[None, :, None] * wc[None, None, :]
     *     X = np.stack([A, B, C]); s = X.sum(0) / (3 * N); e1 = N * s; e0 = N * (1 - s)
     *     omni = stats.chi2.sf(sum((X[i] - e1) ** 2 / e1 + ((N - X[i]) - e0) ** 2 / e0 for i in range(3)), 2)
     *     best = np.argmax(X, axis=0); won = np.full(A.shape, -1)
     *     for b in range(3):
     *         o = [i for i in range(3) if i != b]; p1, p2 = pz(X[b], X[o[0]]), pz(X[b], X[o[1]])
     *         won[(best == b) & (omni <= ALPHA) & (2 * np.minimum(p1, p2) <= ALPHA) & (np.maximum(p1, p2) <= ALPHA)] = b
     *     return [(W * (won == b)).sum() for b in range(3)]
     * two(0.1, 0.1); three(0.1, 0.1, 0.1); two(0.10, 0.15); three(0.10, 0.10, 0.15)
     */
}
