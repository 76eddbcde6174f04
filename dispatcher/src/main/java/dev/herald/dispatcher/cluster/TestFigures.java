package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.campaign.Campaign;
import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.experiment.ExperimentState;
import dev.herald.dispatcher.experiment.VariantCounts;
import dev.herald.dispatcher.experiment.WinnerDecision;

import java.util.ArrayList;
import java.util.List;

/**
 * One partition's slice of a campaign's A/B test, as the coordinator gathers it
 * ({@link PartitionEntity.GetTestFigures}): plain fields only, so that it crosses nodes as JSON.
 *
 * <p>Invariant: {@code variants}, {@code exposed} and {@code successes} have one entry per
 * variant, in the campaign's order. Undecided, they are the slice's figures now; decided by the
 * rule, the figures that decision was made on (the whole campaign's, when the coordinator made
 * it), so that a decision which reached only some partitions is completed with the same figures.
 *
 * @param partition     the partition that answers
 * @param failure       why it could not answer (null: it did; then the other fields hold)
 * @param status        the slice's campaign status ({@code running}, {@code completed}, ...)
 * @param hasTest       whether the campaign has an A/B test at all
 * @param decideAt      when this slice's wait ends, epoch milliseconds; -1: the sample is not drawn yet
 * @param decided       whether this slice's test is decided
 * @param send          the variant a decided slice's held recipients get (null: none, or undecided)
 * @param decidedBy     {@code rule} or {@code operator}; null while undecided
 * @param variants      the variants' names
 * @param exposed       per variant, the exposed recipients
 * @param successes     per variant, those of them who succeeded
 * @param alpha         the test's significance level
 * @param minPerVariant the test's sample each variant needs
 * @param noWinner      the test's {@code noWinner} policy ({@code send-best}, ...)
 */
public record TestFigures(int partition, String failure, String status, boolean hasTest, long decideAt, boolean decided,
                          String send, String decidedBy, List<String> variants, List<Long> exposed, List<Long> successes,
                          double alpha, long minPerVariant, String noWinner) implements ClusterMessage {

    /** @return the answer of partition {@code partition} that could not be read, saying why */
    static TestFigures failed(int partition, String why) {
        return new TestFigures(partition, why, null, false, -1, false, null, null, List.of(), List.of(), List.of(), 0, 0, null);
    }

    /** @return partition {@code partition}'s figures as its campaign answered them */
    static TestFigures of(int partition, Campaign.TestFigures f) {
        if (f.test() == null) {
            return new TestFigures(partition, null, f.status().wire(), false, -1, false, null, null, List.of(), List.of(),
                    List.of(), 0, 0, null);
        }
        ExperimentState e = f.experiment();
        List<VariantCounts> counts = f.counts();
        if (e != null && e.isDecided() && e.decision() != null && ExperimentState.BY_RULE.equals(e.decidedBy())) {
            counts = new ArrayList<>();
            for (WinnerDecision.VariantResult v : e.decision().variants()) {
                counts.add(new VariantCounts(v.variant(), v.exposed(), v.successes()));
            }
        }
        return new TestFigures(partition, null, f.status().wire(), true, e == null ? -1 : e.decideAt().toEpochMilli(),
                e != null && e.isDecided(), e == null ? null : e.send(), e == null ? null : e.decidedBy(),
                counts.stream().map(VariantCounts::variant).toList(), counts.stream().map(VariantCounts::exposed).toList(),
                counts.stream().map(VariantCounts::successes).toList(), f.test().alpha(), f.test().minPerVariant(),
                f.test().noWinner().wire());
    }

    /** @return the figures as counts, in the variants' order */
    List<VariantCounts> counts() {
        List<VariantCounts> out = new ArrayList<>(variants.size());
        for (int i = 0; i < variants.size(); i++) {
            out.add(new VariantCounts(variants.get(i), exposed.get(i), successes.get(i)));
        }
        return out;
    }

    /** @return the test's rule, as the partition's campaign has it */
    WinnerDecision rule() {
        return new WinnerDecision(alpha, minPerVariant, WinnerDecision.NoWinnerPolicy.fromWire(noWinner));
    }

    /** @return whether this slice can no longer be given a decision (cancelled: it sends nothing more) */
    boolean isCancelled() {
        return CampaignStatus.CANCELLED.wire().equals(status);
    }
}
