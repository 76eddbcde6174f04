package dev.herald.dispatcher.campaign;

import java.time.Duration;
import java.util.Map;

/**
 * What one {@link CampaignRun} did: the outcome ledger's counts at the end of the run.
 *
 * <pre>{@code
 * CampaignResult r = CampaignRun.run(system, spec, deps).toCompletableFuture().join();
 * System.out.println(r.counts().get("sent") + " sent in " + r.elapsed().toMillis() + " ms");
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param campaignId the campaign
 * @param audience   recipients in the campaign's audience
 * @param processed  recipients this run took from the pending set (fewer than {@code audience} on resume)
 * @param counts     outcome ({@code sent}, {@code suppressed:<scope>}, {@code deferred}, ...) → recipients
 * @param elapsed    wall time of the stream, ms precision
 */
public record CampaignResult(String campaignId, long audience, long processed, Map<String, Long> counts, Duration elapsed) {

    /** Copies the counts. */
    public CampaignResult {
        counts = Map.copyOf(counts);
    }

    /** @return recipients per second over {@link #processed()} */
    public double recipientsPerSecond() {
        return processed / Math.max(1e-9, elapsed.toNanos() / 1e9);
    }
}
