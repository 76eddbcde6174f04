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
        return test.rule().decide(counts);
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
