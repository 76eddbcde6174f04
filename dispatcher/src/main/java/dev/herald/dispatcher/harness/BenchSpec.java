package dev.herald.dispatcher.harness;

import java.util.EnumSet;
import java.util.Set;

/**
 * What {@code herald bench} runs: the audience size, the campaigns of
 * {@link Scenario#OVERLAPPING_CAMPAIGNS}, which scenarios, and the pace of
 * {@link Scenario#OPT_OUTS_MID_SEND}.
 *
 * <p>{@code BenchSpec spec = BenchSpec.defaults().withRecipients(20_000).withScenarios(EnumSet.of(Scenario.ONE_BIG_CAMPAIGN));}
 *
 * <p>Immutable.
 *
 * @param recipients       audience size N, ≥ 1 (the synthetic directory holds at least N)
 * @param campaigns        K, campaigns started at once in {@code overlapping-campaigns}, 1–64
 * @param scenarios        the scenarios to run, in {@link Scenario} order; not empty
 * @param sendRate         messages/s the connector takes in {@code opt-outs-mid-send}; 0 means
 *                         {@link #sendRateFor(int) chosen from N} so that it sends for several seconds
 * @param optOutsPerSecond target opt-outs per second in {@code opt-outs-mid-send}, &gt; 0
 * @param seed             seed of the opt-out picks
 */
public record BenchSpec(int recipients, int campaigns, Set<Scenario> scenarios, double sendRate,
                        double optOutsPerSecond, long seed) {

    /** Default audience size. */
    public static final int DEFAULT_RECIPIENTS = 1_000_000;
    /** Default K. */
    public static final int DEFAULT_CAMPAIGNS = 4;
    /** Most campaigns at once. */
    public static final int MAX_CAMPAIGNS = 64;
    /** Default target of opt-outs per second. */
    public static final double DEFAULT_OPT_OUTS_PER_SECOND = 250;

    /** @throws IllegalArgumentException naming the first value out of range */
    public BenchSpec {
        check(recipients >= 1, "--recipients must be at least 1, got " + recipients);
        check(campaigns >= 1 && campaigns <= MAX_CAMPAIGNS,
                "--campaigns must be between 1 and " + MAX_CAMPAIGNS + ", got " + campaigns);
        check(scenarios != null && !scenarios.isEmpty(), "no scenario to run");
        scenarios = Set.copyOf(EnumSet.copyOf(scenarios));
        check(sendRate >= 0 && Double.isFinite(sendRate), "send rate must be >= 0 messages/s, got " + sendRate);
        check(optOutsPerSecond > 0 && Double.isFinite(optOutsPerSecond),
                "opt-outs per second must be > 0, got " + optOutsPerSecond);
    }

    /** @return N = 1,000,000, K = 4, every scenario, send rate chosen from N, 250 opt-outs/s, seed 42 */
    public static BenchSpec defaults() {
        return new BenchSpec(DEFAULT_RECIPIENTS, DEFAULT_CAMPAIGNS, EnumSet.allOf(Scenario.class), 0,
                DEFAULT_OPT_OUTS_PER_SECOND, 42);
    }

    /** @return a copy with this N */
    public BenchSpec withRecipients(int n) {
        return new BenchSpec(n, campaigns, scenarios, sendRate, optOutsPerSecond, seed);
    }

    /** @return a copy with this K */
    public BenchSpec withCampaigns(int k) {
        return new BenchSpec(recipients, k, scenarios, sendRate, optOutsPerSecond, seed);
    }

    /** @return a copy running these scenarios */
    public BenchSpec withScenarios(Set<Scenario> s) {
        return new BenchSpec(recipients, campaigns, s, sendRate, optOutsPerSecond, seed);
    }

    /** @return a copy with this send rate of {@code opt-outs-mid-send} (0: chosen from N) */
    public BenchSpec withSendRate(double perSecond) {
        return new BenchSpec(recipients, campaigns, scenarios, perSecond, optOutsPerSecond, seed);
    }

    /** @return a copy with this target of opt-outs per second */
    public BenchSpec withOptOutsPerSecond(double perSecond) {
        return new BenchSpec(recipients, campaigns, scenarios, sendRate, perSecond, seed);
    }

    /** @return the send rate of {@code opt-outs-mid-send}, messages/s */
    public double effectiveSendRate() {
        return sendRate > 0 ? sendRate : sendRateFor(recipients);
    }

    /**
     * @param n audience size
     * @return N / 8 per second within [1,000, 100,000]: about half the audience is sent to, so
     *     the campaign sends for 4 s or more (40 s at 10M)
     */
    public static double sendRateFor(int n) {
        return Math.min(100_000, Math.max(1_000, n / 8.0));
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
