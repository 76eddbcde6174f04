package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.delivery.Deliveries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;

/**
 * The API's view of a campaign with what its record alone does not hold: the connector's name
 * (the default's when the campaign named none) and the delivery counts of its receipts. Shared by
 * the campaign routes and the events stream.
 *
 * <pre>{@code
 * CampaignViews views = new CampaignViews("simulated", deliveries);
 * CampaignView v = views.of(record);    // v.connector(), v.delivery()
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class CampaignViews {

    private static final Logger LOG = LoggerFactory.getLogger(CampaignViews.class);

    private final String defaultConnector;
    private final Deliveries deliveries;

    /**
     * @param defaultConnector the connector of a campaign that names none
     * @param deliveries       the receipts, or null where there are none
     */
    public CampaignViews(String defaultConnector, Deliveries deliveries) {
        this.defaultConnector = defaultConnector;
        this.deliveries = deliveries;
    }

    /** @return views of the records alone ({@link CampaignView#of}) */
    public static CampaignViews plain() {
        return new CampaignViews(null, null);
    }

    /** @return the view of {@code r} with its connector and delivery counts */
    public CampaignView of(CampaignRecord r) {
        CampaignView v = CampaignView.of(r);
        if (defaultConnector == null && deliveries == null) {
            return v;
        }
        Map<String, Long> delivery = Map.of();
        if (deliveries != null) {
            try {
                delivery = deliveries.counts(r.id());
            } catch (IOException e) {
                LOG.warn("campaign {}: its delivery ledger cannot be read: {}", r.id(), e.toString());
            }
        }
        return v.withDelivery(r.connector() != null ? r.connector() : defaultConnector, delivery);
    }
}
