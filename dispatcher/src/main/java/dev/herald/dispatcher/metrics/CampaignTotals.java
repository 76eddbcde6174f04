package dev.herald.dispatcher.metrics;

import dev.herald.dispatcher.campaign.CampaignStatus;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Totals over every campaign at one instant, from which the campaign meters read: recipients per
 * outcome family (summed over all campaigns), recipients still waiting in unfinished campaigns,
 * and campaigns per status.
 *
 * <pre>{@code
 * CampaignTotals t = CampaignTotals.of(List.of(new CampaignTotals.Campaign(CampaignStatus.RUNNING, counts)));
 * long sent = t.family("sent");
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param families  recipients per outcome family ({@code sent}, {@code suppressed}, {@code deferred},
 *                  {@code capped}, {@code failed}, {@code unknown}, {@code expired}, {@code pending},
 *                  {@code inFlight}), summed over all campaigns
 * @param waiting   recipients of scheduled, running or paused campaigns without an outcome yet:
 *                  {@code pending}, {@code deferred} and {@code inFlight}
 * @param campaigns campaigns per status (every status present, 0 if none)
 */
public record CampaignTotals(Map<String, Long> families, Map<String, Long> waiting, Map<CampaignStatus, Long> campaigns) {

    /** Nothing yet. */
    public static final CampaignTotals EMPTY = of(List.of());

    /**
     * One campaign as the metrics see it.
     *
     * @param status   its status
     * @param families its counts per outcome family, as {@code GET /v1/campaigns/{id}} shows them
     */
    public record Campaign(CampaignStatus status, Map<String, Long> families) {
    }

    /** @return the totals of {@code all} */
    public static CampaignTotals of(List<Campaign> all) {
        Map<String, Long> families = new java.util.LinkedHashMap<>();
        Map<String, Long> waiting = new java.util.LinkedHashMap<>();
        for (String w : List.of("pending", "deferred", "inFlight", "held")) {
            waiting.put(w, 0L);
        }
        Map<CampaignStatus, Long> campaigns = new EnumMap<>(CampaignStatus.class);
        for (CampaignStatus s : CampaignStatus.values()) {
            campaigns.put(s, 0L);
        }
        for (Campaign c : all) {
            campaigns.merge(c.status(), 1L, Long::sum);
            c.families().forEach((k, v) -> families.merge(k, v, Long::sum));
            boolean unfinished = c.status() == CampaignStatus.SCHEDULED || c.status() == CampaignStatus.RUNNING
                    || c.status() == CampaignStatus.PAUSED;
            if (unfinished) {
                waiting.replaceAll((k, v) -> v + c.families().getOrDefault(k, 0L));
            }
        }
        return new CampaignTotals(Map.copyOf(families), Map.copyOf(waiting), Map.copyOf(campaigns));
    }

    /** @return recipients with outcome family {@code name} over all campaigns (0 if none) */
    public long family(String name) {
        return families.getOrDefault(name, 0L);
    }
}
