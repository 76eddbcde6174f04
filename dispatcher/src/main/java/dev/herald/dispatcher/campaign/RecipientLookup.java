package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.outcome.RecipientOutcome;

/**
 * One recipient's standing in one campaign, as its outcome ledger has it.
 *
 * <pre>{@code
 * RecipientLookup l = RecipientLookup.of(record, ledger, id);
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param campaign   the campaign's record (with live counts when its actor answered)
 * @param recipient  the recipient id
 * @param inAudience whether the recipient is in the campaign's audience (if not, the rest is empty)
 * @param outcome    the recorded outcome, or null while pending or in flight
 * @param inFlight   claimed (handed towards the connector) without an answer yet
 * @param variant    the index of the variant it is given ({@code 0} for a campaign of one message;
 *                   {@link dev.herald.dispatcher.experiment.VariantPlan#NONE} while an A/B test holds it)
 */
public record RecipientLookup(CampaignRecord campaign, int recipient, boolean inAudience, RecipientOutcome outcome,
                              boolean inFlight, int variant) {

    /**
     * Reads {@code recipient} from {@code ledger} (any thread: the ledger's reads are synchronized).
     *
     * @param sample the campaign's A/B test sample, if it has one drawn (else null)
     */
    static RecipientLookup of(CampaignRecord campaign, dev.herald.dispatcher.outcome.OutcomeLedger ledger, int recipient,
                              java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample) {
        if (!ledger.audience().contains(recipient)) {
            return new RecipientLookup(campaign, recipient, false, null, false, dev.herald.dispatcher.experiment.VariantPlan.NONE);
        }
        RecipientOutcome o = ledger.outcomeOf(recipient).orElse(null);
        return new RecipientLookup(campaign, recipient, true, o, o == null && ledger.claimed().contains(recipient),
                variantOf(campaign, sample, recipient));
    }

    /** @return the variant of {@code recipient}: by the test's sample and decision, by hash, or 0 for one message */
    static int variantOf(CampaignRecord c, java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample, int recipient) {
        if (c.variants() == null) {
            return 0;
        }
        if (c.test() == null) {
            return dev.herald.dispatcher.experiment.VariantPlan.hashed(c.id(), c.variants().size()).variantOf(recipient);
        }
        if (sample == null) {
            return dev.herald.dispatcher.experiment.VariantPlan.NONE;
        }
        dev.herald.dispatcher.experiment.ExperimentState t = c.experiment();
        int rest = t == null || t.send() == null ? dev.herald.dispatcher.experiment.VariantPlan.NONE : c.variantIndex(t.send());
        return dev.herald.dispatcher.experiment.VariantPlan.sampled(sample, rest).variantOf(recipient);
    }
}
