package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;

import java.io.IOException;

import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a campaign's outcome ledger needs before or outside its actor: the start-up recovery the
 * {@link CampaignManager} runs for every unfinished campaign before any runs, and the operator's
 * resend of the {@code unknown} recipients, which the {@link Campaign} actor (or, for an ended
 * campaign, the manager) applies to the ledger it holds.
 *
 * <pre>{@code
 * int released = CampaignRecovery.recoverReservations(settings, record);
 * }</pre>
 *
 * <p>Stateless; called by the actor that holds the ledger (single writer).
 */
final class CampaignRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(Campaign.class);

    private CampaignRecovery() {
    }

    /**
     * Start-up recovery, before any campaign runs: opens the campaign's ledger (claimed ids become
     * {@code unknown}) and forgets the cap reservations a killed process left for its recipients
     * that were never handed over (pending and deferred), so they are not capped by themselves.
     *
     * @return how many reservations were forgotten
     * @throws CampaignDamagedException if the ledger cannot be opened (that campaign is damaged)
     * @throws IOException if the throttle shards cannot release them
     */
    static int recoverReservations(Campaign.Settings settings, CampaignRecord record) throws IOException {
        OutcomeLedger opened;
        try {
            opened = settings.store().openLedger(record.id());
        } catch (IOException e) {
            throw new CampaignDamagedException(record.id(), e);
        }
        try (OutcomeLedger l = opened) {
            if (record.status() != CampaignStatus.CANCELLED) {
                long resent = resendUnknownIfIdempotent(settings, record, l, CampaignRun.capContext(record.spec(l.audience())));
                if (resent > 0) {
                    LOG.info("campaign {}: {} unknown recipient(s) are sent"
                            + " again: connector '{}' deduplicates by idempotency key", record.id(), resent,
                            settings.deps().forConnector(record.connector()).connector().name());
                }
            }
            MutableRoaringBitmap left = l.unsettled();
            return left.isEmpty() ? 0 : settings.deps().shards().releaseStale(left, CampaignRun.capContext(record.spec(l.audience())));
        }
    }

    /**
     * @return whether the campaign's connector deduplicates by idempotency key; false if the
     *     connector it names is not configured (nothing is resent then)
     */
    static boolean idempotent(Campaign.Settings settings, CampaignRecord record) {
        try {
            return settings.deps().forConnector(record.connector()).connector().supportsIdempotencyKey();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Makes the ledger's {@code unknown} ids pending again (fsynced), for an operator's resend.
     *
     * @return how many
     * @throws IOException if the ledger cannot be written
     */
    static long resendUnknown(OutcomeLedger ledger) throws IOException {
        org.roaringbitmap.buffer.ImmutableRoaringBitmap unknown = ledger.ids(Outcomes.UNKNOWN);
        ledger.resend(unknown);
        return unknown.getLongCardinality();
    }

    /**
     * With a connector that deduplicates by idempotency key ({@link
     * dev.herald.dispatcher.connector.Connector#supportsIdempotencyKey()}), the campaign's
     * {@code unknown} recipients (left by a crash or a failed run) are resent by the campaign itself:
     * a message that did reach the peer before is not delivered twice. Their stale cap reservations
     * are forgotten first (the resend reserves anew, and the peer lets at most one message through).
     * Call before any campaign runs (start-up recovery). Nothing happens on other connectors.
     *
     * @return how many were made pending again
     */
    static long resendUnknownIfIdempotent(Campaign.Settings settings, CampaignRecord record, OutcomeLedger ledger,
                                          dev.herald.throttle.CapContext ctx) throws IOException {
        if (!idempotent(settings, record)) {
            return 0;
        }
        org.roaringbitmap.buffer.ImmutableRoaringBitmap unknown = ledger.ids(Outcomes.UNKNOWN);
        if (unknown.isEmpty()) {
            return 0;
        }
        settings.deps().shards().releaseStale(unknown, ctx);
        ledger.resend(unknown);
        return unknown.getLongCardinality();
    }
}
