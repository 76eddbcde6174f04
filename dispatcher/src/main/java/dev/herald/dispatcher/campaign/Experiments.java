package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.experiment.AbTest;
import dev.herald.dispatcher.experiment.CampaignVariant;
import dev.herald.dispatcher.experiment.ExperimentState;
import dev.herald.dispatcher.experiment.VariantCounts;
import dev.herald.dispatcher.experiment.VariantPlan;
import dev.herald.dispatcher.experiment.WinnerDecision;
import dev.herald.dispatcher.funnel.Engagement;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A campaign's variants read off its ledger: the figures an A/B test is decided on, and who got
 * which variant (the funnel per variant). Bitmap algebra only: a variant's exposed recipients are
 * its sample's sent ones, its successes those of them in the metric's bitmap.
 *
 * <pre>{@code
 * WinnerDecision.Decision d = Experiments.measure(record, sample, ledger, engagement);
 * Campaign.VariantGroups g = Experiments.groups(record, sample, ledger);
 * }</pre>
 *
 * <p>Stateless; the ledger's reads are thread-safe.
 */
final class Experiments {

    private Experiments() {
    }

    /**
     * @param record the campaign, with its test
     * @param sample its drawn sample, per variant
     * @return the test's rule applied to the figures as they are now
     * @throws IOException if the engagement stores cannot be read
     */
    static WinnerDecision.Decision measure(CampaignRecord record, List<ImmutableRoaringBitmap> sample, OutcomeLedger ledger,
                                           Engagement engagement) throws IOException {
        return record.test().rule().decide(counts(record, sample, ledger, engagement));
    }

    /**
     * @return the test's figures as they are now: nothing counted before the sample is drawn (or
     *         without a test)
     * @throws IOException if the engagement stores cannot be read
     */
    static Campaign.TestFigures figures(CampaignRecord record, List<ImmutableRoaringBitmap> sample, OutcomeLedger ledger,
                                        Engagement engagement) throws IOException {
        List<VariantCounts> counts = record.test() == null || sample == null || record.experiment() == null ? List.of()
                : counts(record, sample, ledger, engagement);
        return new Campaign.TestFigures(record.status(), record.test(), record.experiment(), counts);
    }

    /**
     * The test's rule applied to figures gathered elsewhere (every partition's, summed).
     *
     * @param send the variant the caller's decision sends (checked: the same rule on the same figures)
     * @throws IllegalArgumentException naming what is wrong if the figures are not this campaign's
     *         variants in its order, or decide another variant than {@code send}
     */
    static WinnerDecision.Decision decide(CampaignRecord record, List<VariantCounts> counts, String send) {
        if (record.test() == null || record.variants() == null) {
            throw new IllegalArgumentException("it has no A/B test");
        }
        List<String> names = record.variants().stream().map(CampaignVariant::name).toList();
        List<String> given = counts.stream().map(VariantCounts::variant).toList();
        if (!names.equals(given)) {
            throw new IllegalArgumentException("the figures are for variants " + given + ", the campaign has " + names);
        }
        WinnerDecision.Decision d = record.test().rule().decide(counts);
        if (!java.util.Objects.equals(d.send(), send)) {
            throw new IllegalArgumentException("its test's rule on those figures sends " + d.send() + ", not " + send);
        }
        return d;
    }

    /** Per variant, in the campaign's order: its sample's sent recipients, and those of them the metric counts. */
    private static List<VariantCounts> counts(CampaignRecord record, List<ImmutableRoaringBitmap> sample, OutcomeLedger ledger,
                                              Engagement engagement) throws IOException {
        AbTest test = record.test();
        ImmutableRoaringBitmap sent = ledger.ids(Outcomes.SENT);
        ImmutableRoaringBitmap reached = switch (test.metric()) {
            case HUMAN_CLICK -> engagement.clicked(record.id());
            case CONVERSION -> engagement.converted(record.id());
            case DELIVERY -> engagement.delivered(record.id());
        };
        List<VariantCounts> counts = new ArrayList<>(sample.size());
        for (int v = 0; v < sample.size(); v++) {
            MutableRoaringBitmap exposed = ImmutableRoaringBitmap.and(sent, sample.get(v));
            counts.add(new VariantCounts(record.variants().get(v).name(), exposed.getLongCardinality(),
                    ImmutableRoaringBitmap.andCardinality(exposed, reached)));
        }
        return counts;
    }

    /** @return per variant, who is given it and who was sent it (empty lists for a campaign of one message) */
    static Campaign.VariantGroups groups(CampaignRecord record, List<ImmutableRoaringBitmap> sample, OutcomeLedger ledger) {
        return groups(record, sample, ledger, null);
    }

    /**
     * As {@link #groups(CampaignRecord, List, OutcomeLedger)}.
     *
     * @param hashed the audience's split by hash, if known already (variants without a test: it never changes)
     */
    static Campaign.VariantGroups groups(CampaignRecord record, List<ImmutableRoaringBitmap> sample, OutcomeLedger ledger,
                                         List<? extends ImmutableRoaringBitmap> hashed) {
        if (record.variants() == null) {
            return new Campaign.VariantGroups(List.of(), List.of(), List.of(), List.of());
        }
        List<String> names = record.variants().stream().map(CampaignVariant::name).toList();
        List<? extends ImmutableRoaringBitmap> assigned;
        List<ImmutableRoaringBitmap> samples = new ArrayList<>();
        if (record.test() == null) {
            assigned = hashed != null ? hashed : VariantPlan.hashed(record.id(), names.size()).split(ledger.audience());
        } else if (sample == null) {
            List<MutableRoaringBitmap> none = new ArrayList<>();
            names.forEach(n -> none.add(new MutableRoaringBitmap()));
            assigned = none;
        } else {
            ExperimentState t = record.experiment();
            int rest = t == null || t.send() == null ? VariantPlan.NONE : record.variantIndex(t.send());
            MutableRoaringBitmap given = ledger.audience().toMutableRoaringBitmap();
            given.andNot(ledger.ids(Outcomes.HELD));
            if (t != null && t.send() == null && t.isDecided()) {
                given.andNot(ledger.ids(Outcomes.NO_WINNER));
            }
            assigned = VariantPlan.sampled(sample, rest).split(given);
            samples.addAll(sample);
        }
        ImmutableRoaringBitmap sent = ledger.ids(Outcomes.SENT);
        List<ImmutableRoaringBitmap> sentBy = new ArrayList<>();
        assigned.forEach(a -> sentBy.add(ImmutableRoaringBitmap.and(a, sent)));
        return new Campaign.VariantGroups(names, List.copyOf(assigned), sentBy, samples);
    }
}
