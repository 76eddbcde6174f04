package dev.herald.dispatcher.campaign;

/**
 * Who decides a campaign's A/B test when the campaign holds only a slice of its audience (a
 * partition of a cluster): the campaign does not decide from its own slice's sample, it says that
 * its test is due, and the whole campaign's decision comes back as {@link Campaign.ApplyDecision}.
 *
 * <pre>{@code
 * Campaign.Settings s = settings.withTests(campaignId -> coordinator.tell(new DecideTest(campaignId)));
 * }</pre>
 *
 * <p>Invariant: a campaign with a coordinator never decides its test by its rule alone. It calls
 * {@link #due} when its wait has ended and again every {@code releasePoll} while its test stays
 * undecided and it holds recipients, so a call lost (the coordinator moving, a node dying) is
 * made again: the decision is late, never lost. Calls may repeat; the coordinator must treat them
 * as idempotent. Called on the campaign actor's thread: must not block.
 */
@FunctionalInterface
public interface TestCoordinator {

    /** @param campaignId a campaign whose A/B test's wait has ended here and that is not decided yet */
    void due(String campaignId);
}
