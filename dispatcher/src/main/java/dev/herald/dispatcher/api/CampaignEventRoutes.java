package dev.herald.dispatcher.api;

import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.api.campaign.CampaignView;
import dev.herald.dispatcher.api.campaign.CampaignViews;
import dev.herald.dispatcher.campaign.CampaignRecord;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * {@code GET /v1/campaigns/{id}/events} (viewer): a campaign's live progress as Server-Sent Events.
 *
 * <pre>{@code
 * curl -N -H "Authorization: Bearer $K" localhost:8080/v1/campaigns/c-42/events
 * event: progress
 * data: {"id":"c-42","status":"running","total":20000,"counts":{"sent":1234,...},...}
 * }</pre>
 *
 * <p><b>Events</b> (the rules are {@link ProgressEvents}', shared with a cluster node's stream).
 * {@code progress} carries the campaign's JSON view (as {@code GET /v1/campaigns/{id}}): once at once, then whenever the status changes (seen within one poll) and
 * at most every {@code every} while the counts move. A campaign that is quiet (say, recipients
 * deferred until morning) gets a heartbeat instead after {@code heartbeat} without an event: an
 * event with empty data ({@code data:} and a blank line), which EventSource clients do not
 * dispatch and which keeps idle timeouts (Pekko's, proxies') from closing the stream. When the campaign is
 * {@code completed}, {@code cancelled} or {@code failed}, an {@code end} event with the final
 * view is sent and the stream ends. An unknown campaign is a 404 JSON error before any streaming.
 *
 * <p>Each open stream asks the campaign manager once per {@code poll}; an ask that fails (busy
 * manager) is skipped, not fatal.
 *
 * <p>Thread-safety: immutable; each stream keeps its own state.
 */
public final class CampaignEventRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final java.util.List<Endpoint> ENDPOINTS = java.util.List.of(new Endpoint("GET", "/v1/campaigns/{id}/events"));

    /** The event type of a progress update. */
    public static final String PROGRESS = ProgressEvents.PROGRESS;
    /** The event type of the last event, after which the stream ends. */
    public static final String END = ProgressEvents.END;

    private final CampaignViews views;
    private final CampaignAsks campaigns;
    private final ProgressEvents.Timing timing;

    /**
     * @param keys       who may call
     * @param campaigns  the campaign manager's asks (a timeout: 503 before the stream, a skipped poll during it)
     * @param poll       how often the campaign is looked at
     * @param every      the least time between two progress events with changed counts
     * @param heartbeat  the most time without any event
     * @throws IllegalArgumentException if a duration is not positive
     */
    public CampaignEventRoutes(ApiKeys keys, CampaignAsks campaigns, Duration poll, Duration every, Duration heartbeat) {
        this(keys, campaigns, poll, every, heartbeat, CampaignViews.plain());
    }

    /** As the other constructor, showing each record through {@code views} (connector, delivery counts). */
    public CampaignEventRoutes(ApiKeys keys, CampaignAsks campaigns, Duration poll, Duration every, Duration heartbeat,
                               CampaignViews views) {
        super(keys, 1, Duration.ofSeconds(1));
        this.views = views;
        this.timing = new ProgressEvents.Timing(poll, every, heartbeat);
        this.campaigns = campaigns;
    }

    /** @return {@code GET /v1/campaigns/{id}/events} */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("campaigns", () -> path(segment().slash("events"), id -> get(
                () -> authorized(Role.ANALYST, key -> onSuccess(get(id),
                        first -> completeOK(events(id, first), EventStreamMarshalling.toEventStream())))))));
    }

    private CompletionStage<CampaignRecord> get(String id) {
        return campaigns.get(id);
    }

    private Source<ServerSentEvent, NotUsed> events(String id, CampaignRecord first) {
        return ProgressEvents.stream(first, () -> get(id).thenApply(Optional::of), r -> {
            CampaignView view = views.of(r);
            return new ProgressEvents.Look(r.status(), List.of(view.counts(), view.delivery()), view);
        }, timing);
    }
}
