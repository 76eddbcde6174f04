package dev.herald.dispatcher.metrics;

import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.api.campaign.CampaignView;
import dev.herald.dispatcher.campaign.CampaignStatus;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Every campaign as the metrics see it, at each scrape: the stored records, with live counts from
 * the actors of those not completed or failed (a campaign that cannot be asked keeps its stored
 * counts), counted by family as the API's {@link CampaignView} counts them.
 *
 * <pre>{@code
 * metrics.campaigns(new LiveCampaigns(campaigns));
 * }</pre>
 *
 * <p>Thread-safety: immutable; each call asks anew (no cache: a scrape sees the counts of now).
 */
public final class LiveCampaigns implements Supplier<CompletionStage<List<CampaignTotals.Campaign>>> {

    private final CampaignAsks campaigns;

    /** @param campaigns the campaign manager's asks */
    public LiveCampaigns(CampaignAsks campaigns) {
        this.campaigns = campaigns;
    }

    @Override
    public CompletionStage<List<CampaignTotals.Campaign>> get() {
        return campaigns.list()
                .thenCompose(stored -> CampaignAsks.live(stored,
                        s -> s != CampaignStatus.COMPLETED && s != CampaignStatus.FAILED, campaigns::get))
                .thenApply(records -> records.stream()
                        .map(r -> new CampaignTotals.Campaign(r.status(), CampaignView.of(r).counts()))
                        .toList());
    }
}
