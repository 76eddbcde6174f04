package dev.herald.dispatcher.api;

import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.funnel.FunnelReport;

import org.apache.pekko.http.javadsl.server.Route;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * The funnel's reports:
 * <ul>
 *   <li>{@code GET /v1/campaigns/{id}/funnel[?detail=histograms]}: one campaign's funnel ({@link FunnelReport#of});
 *       with {@code detail=histograms}, each delay histogram also shows its buckets ({@code fine}), which a
 *       cluster adds up across its partitions to read the percentiles from the sum;</li>
 *   <li>{@code GET /v1/reports/funnel?from=&to=[&groupBy=campaign|sender|category][&tz=]}: the
 *       campaigns started in a period (at most 366 days), their funnels summed per group.</li>
 * </ul>
 * Role {@code viewer}. Reports run on the blocking-I/O pool (a ledger not open is replayed).
 *
 * <p>{@code Route r = new FunnelRoutes(keys, limits, campaigns, report, blockingIo).route();}
 */
public final class FunnelRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/campaigns/{id}/funnel"),
            new Endpoint("GET", "/v1/reports/funnel"));

    private static final Duration MAX_PERIOD = Duration.ofDays(366);

    private final CampaignAsks campaigns;
    private final FunnelReport report;
    private final Executor blockingIo;

    /**
     * @param keys       who may call
     * @param limits     JSON body limits
     * @param campaigns  the campaigns (their live counts)
     * @param report     builds the funnels
     * @param blockingIo where reports run
     */
    public FunnelRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, FunnelReport report, Executor blockingIo) {
        super(keys, limits);
        this.campaigns = campaigns;
        this.report = report;
        this.blockingIo = blockingIo;
    }

    /** @return the routes */
    public Route route() {
        return pathPrefix("v1", () -> concat(
                path(segment("campaigns").slash(segment()).slash("funnel"), id ->
                        get(() -> authorized(Role.ANALYST, key -> parameterOptional("detail", detail ->
                                campaign(id, detail.map(String::strip).filter("histograms"::equals).isPresent()))))),
                path(segment("reports").slash("funnel"), () ->
                        get(() -> authorized(Role.ANALYST, key -> parameterOptional("from", from ->
                                parameterOptional("to", to -> parameterOptional("tz", tz ->
                                        parameterOptional("groupBy", by -> period(from, to, tz, by))))))))));
    }

    private Route campaign(String id, boolean fine) {
        try {
            CampaignRecord.checkId(id);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", e.getMessage(), "id");
        }
        CompletionStage<Map<String, Object>> funnel = campaigns.get(id).thenCompose(r -> {
            if (r.status() == CampaignStatus.DAMAGED) {
                throw new ApiError(409, "campaign_damaged", "campaign " + id + " is damaged: " + r.error(), "id");
            }
            CompletionStage<dev.herald.dispatcher.campaign.Campaign.VariantGroups> groups = r.variants() == null
                    ? java.util.concurrent.CompletableFuture.completedFuture(null)
                    : campaigns.ask(g -> new dev.herald.dispatcher.campaign.CampaignManager.GetVariants(id, g));
            return groups.thenApplyAsync(g -> {
                try {
                    Map<String, Object> f = report.of(r, fine);
                    if (g != null) {
                        f.put("variants", report.variants(r, g));
                        if (r.experiment() != null) {
                            f.put("test", r.experiment());
                        }
                    }
                    return f;
                } catch (IOException e) {
                    throw new UncheckedIOException("the funnel of campaign " + id + " could not be read: " + e.getMessage(), e);
                }
            }, blockingIo);
        });
        return onSuccess(funnel, f -> completeJson(200, f));
    }

    private Route period(Optional<String> fromText, Optional<String> toText, Optional<String> tzText, Optional<String> by) {
        ZoneId zone;
        try {
            zone = ZoneId.of(tzText.map(String::strip).orElse("UTC"));
        } catch (java.time.DateTimeException e) {
            throw ApiError.badRequest("invalid_parameter", "'tz' must be a time-zone id such as UTC or Europe/London, got '"
                    + tzText.orElse("") + "'", "tz");
        }
        Instant from = ConsentRoutes.instant(fromText, "from", zone);
        Instant to = ConsentRoutes.instant(toText, "to", zone);
        if (!from.isBefore(to)) {
            throw ApiError.badRequest("invalid_parameter", "'from' (" + from + ") must be before 'to' (" + to + ")", "from");
        }
        if (Duration.between(from, to).compareTo(MAX_PERIOD) > 0) {
            throw ApiError.badRequest("invalid_parameter", "the period from " + from + " to " + to + " is longer than "
                    + MAX_PERIOD.toDays() + " days; ask for several shorter ones", "to");
        }
        String groupBy = by.map(String::strip).orElse("campaign");
        if (!FunnelReport.GROUPS.contains(groupBy)) {
            throw ApiError.badRequest("invalid_parameter", "'groupBy' must be one of " + String.join(", ", FunnelReport.GROUPS)
                    + ", got '" + groupBy + "'", "groupBy");
        }
        CompletionStage<Map<String, Object>> done = campaigns.list()
                .thenCompose(stored -> CampaignAsks.live(stored.stream().filter(c -> c.startedAt() != null
                        && !c.startedAt().isBefore(from) && c.startedAt().isBefore(to)
                        && c.status() != CampaignStatus.DAMAGED).toList(), s -> !s.isTerminal(), campaigns::get))
                .thenApplyAsync(list -> {
                    try {
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("from", from);
                        out.put("to", to);
                        out.put("groupBy", groupBy);
                        out.put("campaigns", list.size());
                        out.put("groups", new ArrayList<>(report.period(list, groupBy)));
                        return out;
                    } catch (IOException e) {
                        throw new UncheckedIOException("the funnels could not be read: " + e.getMessage(), e);
                    }
                }, blockingIo);
        return onSuccess(done, f -> completeJson(200, f));
    }
}
