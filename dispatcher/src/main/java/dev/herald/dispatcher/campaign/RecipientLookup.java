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
 */
public record RecipientLookup(CampaignRecord campaign, int recipient, boolean inAudience, RecipientOutcome outcome,
                              boolean inFlight) {

    /** Reads {@code recipient} from {@code ledger} (any thread: the ledger's reads are synchronized). */
    static RecipientLookup of(CampaignRecord campaign, dev.herald.dispatcher.outcome.OutcomeLedger ledger, int recipient) {
        if (!ledger.audience().contains(recipient)) {
            return new RecipientLookup(campaign, recipient, false, null, false);
        }
        RecipientOutcome o = ledger.outcomeOf(recipient).orElse(null);
        return new RecipientLookup(campaign, recipient, true, o, o == null && ledger.claimed().contains(recipient));
    }
}
