package dev.herald.dispatcher.experiment;

import java.util.Arrays;
import java.util.List;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.special.Gamma;

/**
 * The statistics an A/B decision rests on: a confidence interval for one variant's rate and tests
 * of whether the variants' rates differ.
 *
 * <pre>{@code
 * Significance.Interval ci = Significance.wilson(new VariantCounts("A", 2000, 214), 0.95);
 * double p = Significance.twoProportionPValue(a, b);
 * double omnibus = Significance.chiSquaredPValue(List.of(a, b, c));
 * double[] adjusted = Significance.holm(new double[] {0.01, 0.04});
 * }</pre>
 *
 * <p>All methods are pure and thread-safe. The tests are the large-sample (normal / chi-squared)
 * approximations without a continuity correction: the sample an A/B test waits for
 * ({@code minPerVariant}, typically thousands) is far beyond where they are poor. For two
 * variants the chi-squared statistic is exactly the square of the pooled z statistic, so
 * {@link #chiSquaredPValue} and {@link #twoProportionPValue} agree.
 *
 * <p>The distributions come from Apache Commons Math rather than hand-written special functions.
 */
public final class Significance {
    /** Standard normal; only its cdf and quantile are used, so it needs no random generator. */
    private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

    private Significance() {
    }

    /**
     * A closed interval of proportions, {@code 0 ≤ low ≤ high ≤ 1}.
     *
     * @param low  lower bound
     * @param high upper bound
     */
    public record Interval(double low, double high) {
    }

    /**
     * The Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3): unlike
     * the Wald interval it stays inside [0, 1] and is not degenerate at 0 or all successes.
     *
     * @param counts     the variant's counts
     * @param confidence the coverage, e.g. 0.95
     * @return the interval around {@code counts.rate()}
     * @throws IllegalArgumentException naming the variant if nobody was exposed, or if
     *                                  {@code confidence} is not strictly between 0 and 1
     */
    public static Interval wilson(VariantCounts counts, double confidence) {
        counts.requireExposed();
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be strictly between 0 and 1, not " + confidence);
        }
        double n = counts.exposed();
        double p = counts.successes() / n;
        double z = STANDARD_NORMAL.inverseCumulativeProbability(1 - (1 - confidence) / 2);
        double z2 = z * z;
        double denominator = 1 + z2 / n;
        double centre = (p + z2 / (2 * n)) / denominator;
        double half = z / denominator * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        // at p = 0 (or 1) the bound is exactly 0 (or 1) in exact arithmetic; do not let rounding move it
        double low = counts.successes() == 0 ? 0 : Math.max(0, centre - half);
        double high = counts.successes() == counts.exposed() ? 1 : Math.min(1, centre + half);
        return new Interval(low, high);
    }

    /**
     * The two-sided p-value of the pooled two-proportion z-test of equal rates.
     *
     * @return the p-value; 1 when both variants have no success or both only successes (nothing
     *         varies, so nothing differs)
     * @throws IllegalArgumentException naming the variant if nobody was exposed to one of them
     */
    public static double twoProportionPValue(VariantCounts a, VariantCounts b) {
        a.requireExposed();
        b.requireExposed();
        double n1 = a.exposed();
        double n2 = b.exposed();
        double pooled = (double) (a.successes() + b.successes()) / (n1 + n2);
        double variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
        if (variance == 0) {
            return 1;
        }
        double z = (a.successes() / n1 - b.successes() / n2) / Math.sqrt(variance);
        // 2·Φ(−|z|) rather than 2·(1 − Φ(|z|)): keeps small p-values instead of rounding them to 0
        return Math.min(1, 2 * STANDARD_NORMAL.cumulativeProbability(-Math.abs(z)));
    }

    /**
     * The p-value of Pearson's chi-squared test of independence on the k×2 table (variant ×
     * success / failure), with k − 1 degrees of freedom.
     *
     * @param variants two or more variants
     * @return the p-value; 1 when no variant has a success or every one has only successes
     * @throws IllegalArgumentException if fewer than two variants are given, or naming the variant
     *                                  if nobody was exposed to one of them
     */
    public static double chiSquaredPValue(List<VariantCounts> variants) {
        if (variants.size() < 2) {
            throw new IllegalArgumentException("a chi-squared test needs at least two variants, not " + variants.size());
        }
        double total = 0;
        double successes = 0;
        for (VariantCounts v : variants) {
            v.requireExposed();
            total += v.exposed();
            successes += v.successes();
        }
        double failures = total - successes;
        if (successes == 0 || failures == 0) {
            return 1;
        }
        double statistic = 0;
        for (VariantCounts v : variants) {
            double expectedSuccesses = v.exposed() * successes / total;
            double expectedFailures = v.exposed() * failures / total;
            double ds = v.successes() - expectedSuccesses;
            double df = (v.exposed() - v.successes()) - expectedFailures;
            statistic += ds * ds / expectedSuccesses + df * df / expectedFailures;
        }
        return chiSquaredUpperTail(statistic, variants.size() - 1);
    }

    /**
     * P(X ≥ statistic) for X chi-squared with {@code degrees} degrees of freedom: the regularized
     * upper incomplete gamma function Q(degrees/2, statistic/2), which (unlike 1 − cdf) keeps
     * its precision for tiny p-values.
     */
    static double chiSquaredUpperTail(double statistic, int degrees) {
        if (statistic <= 0) {
            return 1;
        }
        return Gamma.regularizedGammaQ(degrees / 2.0, statistic / 2.0);
    }

    /**
     * Holm–Bonferroni adjusted p-values (Holm 1979): rejecting the hypotheses whose adjusted
     * p-value is ≤ α controls the family-wise error rate at α. With the raw values sorted
     * ascending, the i-th (from 1) becomes {@code max over j ≤ i of min(1, (m − j + 1)·p(j))}.
     *
     * @param pValues raw p-values, each in [0, 1]; not modified
     * @return the adjusted p-values in the same order as given
     * @throws IllegalArgumentException if a p-value is outside [0, 1] or NaN
     */
    public static double[] holm(double[] pValues) {
        int m = pValues.length;
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            if (!(pValues[i] >= 0 && pValues[i] <= 1)) {
                throw new IllegalArgumentException("p-value " + pValues[i] + " at " + i + " is not in [0, 1]");
            }
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(pValues[x], pValues[y]));
        double[] adjusted = new double[m];
        double running = 0;
        for (int rank = 0; rank < m; rank++) {
            int i = order[rank];
            running = Math.max(running, Math.min(1, (m - rank) * pValues[i]));
            adjusted[i] = running;
        }
        return adjusted;
    }
}
