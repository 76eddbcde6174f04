package dev.herald.dispatcher.journey;

import java.nio.file.Path;
import java.util.Map;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * One batch of a send step: the instances that reached it together, in one lane (so each
 * recipient at most once), sent through the campaign pipeline on their own outcome ledger
 * ({@code journeys/runs/<journey>/<seq>}). The ledger's claim before the connector is the
 * step's idempotency key: (journey, run, recipient) names exactly one (instance, step), and a
 * crash leaves a claimed, unanswered one {@code unknown}, never sent again.
 *
 * @param journeyId the journey
 * @param seq       the run's number in the journey
 * @param plan      the journey version
 * @param step      the send step's index
 * @param ids       the recipients
 * @param cancelled those whose instance ended before they were sent (recorded {@code expired:exited}, not sent)
 * @param ledgerDir the run's outcome ledger
 */
public record StepRun(String journeyId, long seq, JourneyPlan plan, int step, ImmutableRoaringBitmap ids,
                      ImmutableRoaringBitmap cancelled, Path ledgerDir) {

    /** The outcome recorded for an instance that ended while its message waited. */
    public static final String EXITED = "expired:exited";

    /**
     * @param settled  every final outcome so far → its ids (this run's, all of them)
     * @param nextDue  when its deferred ids are due, epoch ms; 0 if none is deferred
     * @param complete whether every id has a final outcome
     */
    public record Result(Map<String, ImmutableRoaringBitmap> settled, long nextDue, boolean complete) {
    }

    /** @return the campaign id its messages carry */
    public String campaignId() {
        return plan.step(step).campaign();
    }
}
