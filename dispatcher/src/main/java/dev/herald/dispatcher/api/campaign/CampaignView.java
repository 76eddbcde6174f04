package dev.herald.dispatcher.api.campaign;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.experiment.AbTest;
import dev.herald.dispatcher.experiment.CampaignVariant;
import dev.herald.dispatcher.experiment.ExperimentState;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.sender.MarketingCompliance;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A campaign as the API shows it ({@code GET /v1/campaigns/{id}}, the list, the events stream, the
 * answers to steering) and as the metrics count it: its detailed outcomes and their families.
 * The outcome families are defined here, once for the API, the events and the metrics.
 *
 * <pre>{@code
 * CampaignView v = CampaignView.of(record);
 * long sent = v.counts().get("sent");     // every family listed, 0 if none
 * }</pre>
 *
 * <p>Immutable. Serialised with every field, nulls included.
 *
 * @param counts    recipients per family ({@link #FAMILIES}, all listed, in that order)
 * @param outcomes  recipients per detailed outcome that has any ({@code sent}, {@code suppressed:global}, ...)
 * @param connector the connector it sends through (null in a bare {@link #of}: the default)
 * @param trackLinks whether its links are tracked (see {@code trackLinks} of a create)
 * @param attribution its own conversion attribution windows, or null for the configured ones
 * @param delivery  of its sent recipients, how many receipts reported {@code delivered},
 *                  {@code undelivered:<reason>} or {@code expired} (only those with any; empty
 *                  without receipts)
 * @param variants  its variants (only when it has any)
 * @param test      its A/B test (only when it has one)
 * @param experiment where the test is: sample sizes, decision time, the decision and its figures
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record CampaignView(String id, String name, String status, String channel, String category, String sender,
                           long total, Map<String, Long> counts, Map<String, Long> outcomes, Instant createdAt,
                           Instant startAt, String localTime, Instant startedAt, Instant finishedAt, Instant expiresAt,
                           String error, String connector, boolean trackLinks,
                           dev.herald.dispatcher.campaign.CampaignRecord.AttributionWindows attribution,
                           Map<String, Long> delivery,
                           @JsonInclude(JsonInclude.Include.NON_NULL) List<CampaignVariant> variants,
                           @JsonInclude(JsonInclude.Include.NON_NULL) AbTest test,
                           @JsonInclude(JsonInclude.Include.NON_NULL) ExperimentState experiment) {

    /** @return this view naming its connector and with its delivery counts */
    public CampaignView withDelivery(String connectorName, Map<String, Long> deliveryCounts) {
        return new CampaignView(id, name, status, channel, category, sender, total, counts, outcomes, createdAt, startAt,
                localTime, startedAt, finishedAt, expiresAt, error, connectorName, trackLinks, attribution,
                Map.copyOf(deliveryCounts), variants, test, experiment);
    }

    /** Outcome families, in the order the API lists them. */
    public static final List<String> FAMILIES = List.of(Outcome.Family.SENT.wire(), Outcome.Family.SUPPRESSED.wire(),
            Outcome.Family.DEFERRED.wire(), Outcome.Family.CAPPED.wire(), Outcome.Family.FAILED.wire(),
            Outcome.Family.UNKNOWN.wire(), "pending", Outcome.Family.EXPIRED.wire(), "inFlight", Outcome.Family.HELD.wire());

    /** @return the API's view of {@code r}: a record without counts yet is all {@code pending} */
    public static CampaignView of(CampaignRecord r) {
        Map<String, Long> families = new LinkedHashMap<>();
        FAMILIES.forEach(f -> families.put(f, 0L));
        Map<String, Long> outcomes = new LinkedHashMap<>();
        long accounted = 0;
        for (Map.Entry<String, Long> e : r.counts().entrySet()) {
            String k = e.getKey();
            long n = e.getValue();
            String family = k.equals("claimed") ? "inFlight" : k.equals("pending") ? "pending" : familyOf(k);
            families.merge(family, n, Long::sum);
            accounted += n;
            if (!k.equals("claimed") && !k.equals("pending") && n > 0) {
                outcomes.put(k, n);
            }
        }
        if (accounted == 0) {
            families.put("pending", r.audienceSize()); // not started yet
        }
        return new CampaignView(r.id(), r.name(), r.status().wire(), r.channel(), r.category(), r.sender(), r.audienceSize(),
                families, outcomes, r.createdAt(), r.startAt(), r.localTime(), r.startedAt(), r.finishedAt(), r.expiresAt(),
                r.error(), r.connector(), r.trackLinks(), r.attribution(), Map.of(), r.variants(), r.test(), r.experiment());
    }

    /** @return the family of a stored outcome: its head before {@code ':'}, {@code failed} for anything unknown */
    static String familyOf(String outcome) {
        return Outcome.Family.of(outcome).wire();
    }

    /**
     * A create's answer: this view's fields, then the stored {@code footer} and the compliance
     * {@code warnings} ({@link CampaignCompliance#warnings}).
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> withCompliance(MarketingCompliance.Result r) {
        Map<String, Object> body = ApiDirectives.JSON.convertValue(this, LinkedHashMap.class);
        body.put("footer", r.footer());
        body.put("warnings", CampaignCompliance.warnings(r));
        return body;
    }
}
