package dev.herald.dispatcher.experiment;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The rule that ends an A/B test: given each variant's counts, is one variant significantly the
 * best, and if not, what does the rest of the audience get?
 *
 * <pre>{@code
 * WinnerDecision rule = new WinnerDecision(0.05, 2000, WinnerDecision.NoWinnerPolicy.SEND_BEST);
 * WinnerDecision.Decision d = rule.decide(List.of(a, b, c));
 * String variantForTheRest = d.send();   // null only under "stop"
 * }</pre>
 *
 * <ul>
 *   <li>If any variant has fewer than {@code minPerVariant} exposed, the result is {@code too-small}
 *       whatever the figures say: the sample the operator asked for has not been reached.</li>
 *   <li>Two variants: the pooled two-proportion z-test at {@code alpha}; the higher rate wins if
 *       significant.</li>
 *   <li>More than two: the chi-squared test of independence at {@code alpha} (omnibus); then the
 *       best variant (highest rate, the earlier one on a tie) is compared with each other variant by
 *       a two-proportion test, Holm–Bonferroni corrected; the best wins only if the omnibus test and
 *       every corrected comparison are significant. The family-wise chance of declaring a winner
 *       when all rates are equal is thus at most {@code alpha}.</li>
 *   <li>Without a winner, {@code noWinner} decides: {@code send-best} sends the best by rate,
 *       {@code send-first} the first variant, {@code stop} none.</li>
 * </ul>
 *
 * <p>The p-values and intervals are computed and reported in every case, so an operator can read
 * them (and pick by hand) even before the sample is large enough. Immutable and thread-safe.
 *
 * @param alpha         significance level, strictly between 0 and 1 (intervals are at 1 − alpha)
 * @param minPerVariant exposed recipients every variant needs before a winner may be declared (≥ 1)
 * @param noWinner      what the rest gets when no variant wins
 */
public record WinnerDecision(double alpha, long minPerVariant, NoWinnerPolicy noWinner) {
    /** The fewest variants a test compares. */
    public static final int MIN_VARIANTS = 2;
    /** The most variants a test compares. */
    public static final int MAX_VARIANTS = 8;

    /** @throws IllegalArgumentException if alpha is not in (0, 1), minPerVariant &lt; 1 or noWinner is null */
    public WinnerDecision {
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha must be strictly between 0 and 1, not " + alpha);
        }
        if (minPerVariant < 1) {
            throw new IllegalArgumentException("minPerVariant must be at least 1, not " + minPerVariant);
        }
        if (noWinner == null) {
            throw new IllegalArgumentException("noWinner must be send-best, send-first or stop");
        }
    }

    /** What the rest of the audience gets when no variant wins. */
    public enum NoWinnerPolicy {
        /** The variant with the highest observed rate. */
        SEND_BEST,
        /** The first variant (the campaign's original, usually). */
        SEND_FIRST,
        /** Nobody else is sent anything. */
        STOP;

        /** @return {@code send-best}, {@code send-first} or {@code stop} */
        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** @return the policy named {@code wire} @throws IllegalArgumentException naming it if unknown */
        @JsonCreator
        public static NoWinnerPolicy fromWire(String wire) {
            for (NoWinnerPolicy p : values()) {
                if (p.wire().equals(wire)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown noWinner policy '" + wire + "': expected send-best, send-first or stop");
        }
    }

    /** Why the decision came out as it did. */
    public enum Reason {
        /** A winner was declared. */
        SIGNIFICANT,
        /** Some variant has fewer than {@code minPerVariant} exposed. */
        TOO_SMALL,
        /** The sample is large enough but no variant is significantly the best. */
        NOT_SIGNIFICANT;

        /** @return {@code significant}, {@code too-small} or {@code not-significant} */
        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** @return the reason named {@code wire} @throws IllegalArgumentException naming it if unknown */
        @JsonCreator
        public static Reason fromWire(String wire) {
            for (Reason r : values()) {
                if (r.wire().equals(wire)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown decision reason '" + wire + "'");
        }
    }

    /**
     * One variant's figures as shown.
     *
     * @param variant   name
     * @param exposed   recipients exposed
     * @param successes recipients who succeeded
     * @param rate      successes / exposed
     * @param low       lower bound of the Wilson interval at 1 − alpha
     * @param high      upper bound of the Wilson interval at 1 − alpha
     */
    public record VariantResult(String variant, long exposed, long successes, double rate, double low, double high) {
    }

    /**
     * The best variant against one other.
     *
     * @param variant        the other variant
     * @param pValue         two-sided p-value of the two-proportion z-test, best vs {@code variant}
     * @param adjustedPValue the same after the Holm–Bonferroni correction over all comparisons
     */
    public record Comparison(String variant, double pValue, double adjustedPValue) {
    }

    /**
     * The outcome of a test and every figure behind it.
     *
     * @param winner         the winning variant, or null
     * @param reason         why
     * @param policyApplied  the noWinner policy that chose {@code send}, or null when there is a winner
     * @param send           the variant the rest of the audience gets: the winner, else as the policy
     *                       says; null under {@code stop}
     * @param best           the variant with the highest observed rate (the earlier one on a tie)
     * @param alpha          the significance level used
     * @param minPerVariant  the sample each variant needed
     * @param omnibusPValue  the chi-squared p-value over all variants (for two variants this equals the
     *                       two-proportion test's)
     * @param comparisons    the best against each other variant, in the variants' order
     * @param variants       each variant's counts, rate and interval, in the order given
     */
    public record Decision(String winner, Reason reason, NoWinnerPolicy policyApplied, String send, String best,
                           double alpha, long minPerVariant, double omnibusPValue,
                           List<Comparison> comparisons, List<VariantResult> variants) {
        /** Copies the lists, so a decision cannot change after it is made. */
        public Decision {
            comparisons = List.copyOf(comparisons);
            variants = List.copyOf(variants);
        }
    }

    /**
     * Decides the test.
     *
     * @param counts 2–8 variants with distinct names, in the campaign's order (the first is the one
     *               {@code send-first} sends)
     * @return the decision with its figures
     * @throws IllegalArgumentException if there are fewer than 2 or more than 8 variants, or a name repeats
     */
    public Decision decide(List<VariantCounts> counts) {
        if (counts.size() < MIN_VARIANTS || counts.size() > MAX_VARIANTS) {
            throw new IllegalArgumentException("an A/B test has " + MIN_VARIANTS + " to " + MAX_VARIANTS
                    + " variants, not " + counts.size());
        }
        Set<String> names = new HashSet<>();
        for (VariantCounts v : counts) {
            if (!names.add(v.variant())) {
                throw new IllegalArgumentException("variant '" + v.variant() + "' is given twice");
            }
        }
        if (counts.stream().anyMatch(v -> v.exposed() == 0)) {
            return unexposed(counts);
        }

        List<VariantResult> results = new ArrayList<>(counts.size());
        VariantCounts best = counts.get(0);
        for (VariantCounts v : counts) {
            Significance.Interval ci = Significance.wilson(v, 1 - alpha);
            results.add(new VariantResult(v.variant(), v.exposed(), v.successes(), v.rate(), ci.low(), ci.high()));
            if (v.rate() > best.rate()) {
                best = v;
            }
        }

        List<VariantCounts> others = new ArrayList<>(counts.size() - 1);
        for (VariantCounts v : counts) {
            if (v != best) {
                others.add(v);
            }
        }
        double[] raw = new double[others.size()];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = Significance.twoProportionPValue(best, others.get(i));
        }
        double[] adjusted = Significance.holm(raw);
        List<Comparison> comparisons = new ArrayList<>(raw.length);
        boolean beatsAll = true;
        for (int i = 0; i < raw.length; i++) {
            comparisons.add(new Comparison(others.get(i).variant(), raw[i], adjusted[i]));
            beatsAll &= adjusted[i] <= alpha;
        }
        // for two variants the chi-squared statistic is z², so this is the two-proportion test itself
        double omnibus = counts.size() == 2 ? raw[0] : Significance.chiSquaredPValue(counts);

        Reason reason;
        if (counts.stream().anyMatch(v -> v.exposed() < minPerVariant)) {
            reason = Reason.TOO_SMALL;
        } else if (omnibus <= alpha && beatsAll) {
            reason = Reason.SIGNIFICANT;
        } else {
            reason = Reason.NOT_SIGNIFICANT;
        }
        String winner = reason == Reason.SIGNIFICANT ? best.variant() : null;
        NoWinnerPolicy applied = winner == null ? noWinner : null;
        String send = winner != null ? winner : switch (noWinner) {
            case SEND_BEST -> best.variant();
            case SEND_FIRST -> counts.get(0).variant();
            case STOP -> null;
        };
        return new Decision(winner, reason, applied, send, best.variant(), alpha, minPerVariant, omnibus,
                comparisons, results);
    }

    /**
     * A variant nobody was exposed to has no rate: the sample is too small whatever the others show.
     * Its interval is [0, 1]; every p-value is 1 (no evidence); the best is the best exposed one.
     */
    private Decision unexposed(List<VariantCounts> counts) {
        List<VariantResult> results = new ArrayList<>(counts.size());
        VariantCounts best = null;
        for (VariantCounts v : counts) {
            if (v.exposed() == 0) {
                results.add(new VariantResult(v.variant(), 0, 0, 0, 0, 1));
                continue;
            }
            Significance.Interval ci = Significance.wilson(v, 1 - alpha);
            results.add(new VariantResult(v.variant(), v.exposed(), v.successes(), v.rate(), ci.low(), ci.high()));
            if (best == null || v.rate() > best.rate()) {
                best = v;
            }
        }
        String bestName = best == null ? counts.get(0).variant() : best.variant();
        List<Comparison> comparisons = new ArrayList<>();
        for (VariantCounts v : counts) {
            if (!v.variant().equals(bestName)) {
                comparisons.add(new Comparison(v.variant(), 1, 1));
            }
        }
        String send = switch (noWinner) {
            case SEND_BEST -> bestName;
            case SEND_FIRST -> counts.get(0).variant();
            case STOP -> null;
        };
        return new Decision(null, Reason.TOO_SMALL, noWinner, send, bestName, alpha, minPerVariant, 1, comparisons, results);
    }
}
