package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.experiment.ExperimentState;
import dev.herald.dispatcher.experiment.VariantCounts;
import dev.herald.dispatcher.experiment.WinnerDecision;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole campaign's A/B test decision from every partition's slice: what the coordinator does
 * with the figures it gathered ({@link TestFigures}, one per partition).
 *
 * <pre>{@code
 * TestMerge.Plan p = TestMerge.plan(answers, Instant.now());
 * if (p.apply()) { ... send p.counts(), p.send(), p.by() to p.targets() ... }
 * }</pre>
 *
 * <ul>
 *   <li><b>Never from a part.</b> A partition that did not answer, or whose sample is not drawn
 *       yet, or whose wait has not ended, makes the plan wait: the decision is one for every
 *       recipient, as a single node's is.</li>
 *   <li><b>The same rule on the summed figures.</b> The partitions hold disjoint recipients, so a
 *       variant's exposed and successes over the whole campaign are the sums of its slices'; the
 *       test's own {@link WinnerDecision} on those sums is exactly the decision of one node holding
 *       every recipient with the same figures (ties, too-small samples and the no-winner policy
 *       included: it is the same code).</li>
 *   <li><b>Completing, not deciding twice.</b> If some partitions are decided already (an earlier
 *       decision reached only some, or an operator's pick did), the others are given that same
 *       decision: by the rule with the figures it was made on, or the operator's variant.</li>
 * </ul>
 *
 * <p>Stateless.
 */
final class TestMerge {

    private TestMerge() {
    }

    /**
     * What to do.
     *
     * @param apply    whether to send a decision (else: nothing to do, or wait; {@code reason} says which)
     * @param waits    whether the decision is due but cannot be made yet (ask again later)
     * @param reason   why, for the log
     * @param counts   the figures the partitions apply the rule to (null: an operator's pick)
     * @param send     the variant the held recipients get (null: none, {@code stop})
     * @param by       {@code rule} or {@code operator}
     * @param decision the decision made (null when completing an earlier one)
     * @param targets  the partitions to send it to
     */
    record Plan(boolean apply, boolean waits, String reason, List<VariantCounts> counts, String send, String by,
                WinnerDecision.Decision decision, List<Integer> targets) {

        static Plan waiting(String reason) {
            return new Plan(false, true, reason, null, null, null, null, List.of());
        }

        static Plan nothing(String reason) {
            return new Plan(false, false, reason, null, null, null, null, List.of());
        }
    }

    /**
     * @param answers every partition's answer, one per partition
     * @param now     the time the decision would be made
     * @return the plan
     */
    static Plan plan(List<TestFigures> answers, Instant now) {
        List<Integer> silent = new ArrayList<>();
        for (TestFigures f : answers) {
            if (f.failure() != null) {
                silent.add(f.partition());
            }
        }
        if (!silent.isEmpty()) {
            TestFigures first = answers.stream().filter(f -> f.failure() != null).findFirst().orElseThrow();
            return Plan.waiting("partition(s) " + silent + " did not give their figures (first: " + first.failure() + ")");
        }
        if (answers.stream().noneMatch(TestFigures::hasTest)) {
            return Plan.nothing("the campaign has no A/B test");
        }
        List<TestFigures> open = new ArrayList<>();
        TestFigures decided = null;
        for (TestFigures f : answers) {
            if (!f.hasTest()) {
                return Plan.waiting("partition " + f.partition() + " has the campaign without its A/B test");
            }
            if (f.decideAt() < 0) {
                if (!f.isCancelled() && !"completed".equals(f.status())) {
                    return Plan.waiting("partition " + f.partition() + " has not drawn its sample yet");
                }
                continue; // ended before it started: nobody of it is in the test
            }
            if (f.decided()) {
                decided = decided == null ? f : decided;
            } else if (!f.isCancelled()) {
                open.add(f);
            }
        }
        List<Integer> targets = open.stream().map(TestFigures::partition).toList();
        if (decided != null) {
            if (targets.isEmpty()) {
                return Plan.nothing("decided on every partition");
            }
            boolean byRule = ExperimentState.BY_RULE.equals(decided.decidedBy()) && !decided.variants().isEmpty();
            return new Plan(true, false, "decided on partition " + decided.partition() + " by " + decided.decidedBy()
                    + ", not yet on " + targets, byRule ? decided.counts() : null, decided.send(),
                    byRule ? ExperimentState.BY_RULE : ExperimentState.BY_OPERATOR, null, targets);
        }
        if (targets.isEmpty()) {
            return Plan.nothing("no partition has held recipients waiting for the decision");
        }
        for (TestFigures f : answers) {
            if (f.decideAt() > now.toEpochMilli() && !f.isCancelled()) {
                return Plan.waiting("partition " + f.partition() + "'s wait ends at " + Instant.ofEpochMilli(f.decideAt()));
            }
        }
        List<VariantCounts> sum;
        try {
            sum = sum(answers.stream().filter(f -> f.decideAt() >= 0).toList());
        } catch (IllegalArgumentException e) {
            return Plan.waiting(e.getMessage());
        }
        WinnerDecision.Decision d = open.get(0).rule().decide(sum);
        return new Plan(true, false, "every partition's wait has ended", sum, d.send(), ExperimentState.BY_RULE, d, targets);
    }

    /**
     * @param slices partitions' figures, each with the campaign's variants in its order
     * @return per variant, the slices' exposed and successes added up
     * @throws IllegalArgumentException naming the partition whose variants differ from the first's
     */
    static List<VariantCounts> sum(List<TestFigures> slices) {
        List<String> names = slices.get(0).variants();
        long[] exposed = new long[names.size()];
        long[] successes = new long[names.size()];
        for (TestFigures f : slices) {
            if (!f.variants().equals(names)) {
                throw new IllegalArgumentException("partition " + f.partition() + " has variants " + f.variants()
                        + ", partition " + slices.get(0).partition() + " " + names);
            }
            for (int v = 0; v < names.size(); v++) {
                exposed[v] += f.exposed().get(v);
                successes[v] += f.successes().get(v);
            }
        }
        List<VariantCounts> out = new ArrayList<>(names.size());
        for (int v = 0; v < names.size(); v++) {
            out.add(new VariantCounts(names.get(v), exposed[v], successes[v]));
        }
        return out;
    }
}
