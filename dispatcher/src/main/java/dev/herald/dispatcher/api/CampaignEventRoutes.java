package dev.herald.dispatcher.api;

import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.api.campaign.CampaignView;
import dev.herald.dispatcher.api.campaign.CampaignViews;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import com.fasterxml.jackson.core.JsonProcessingException;
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
 * <p><b>Events.</b> {@code progress} carries the campaign's JSON view (as {@code GET
 * /v1/campaigns/{id}}): once at once, then whenever the status changes (seen within one poll) and
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
    public static final String PROGRESS = "progress";
    /** The event type of the last event, after which the stream ends. */
    public static final String END = "end";

    private final CampaignViews views;
    private final CampaignAsks campaigns;
    private final Duration poll;
    private final Duration every;
    private final Duration heartbeat;

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
        for (Duration d : List.of(poll, every, heartbeat)) {
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("campaign events: durations must be positive, got " + d);
            }
        }
        this.campaigns = campaigns;
        this.poll = poll;
        this.every = every;
        this.heartbeat = heartbeat;
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

    /** @return whether the stream ends at {@code s} */
    static boolean ends(CampaignStatus s) {
        return s.isTerminal() || s == CampaignStatus.FAILED || s == CampaignStatus.DAMAGED;
    }

    private Source<ServerSentEvent, NotUsed> events(String id, CampaignRecord first) {
        Source<CampaignRecord, NotUsed> polls = Source.tick(poll, poll, NotUsed.getInstance())
                .mapAsync(1, t -> get(id).handle((r, e) -> Optional.ofNullable(r)))
                .filter(Optional::isPresent)
                .map(Optional::get)
                .mapMaterializedValue(c -> NotUsed.getInstance());
        long everyNanos = every.toNanos();
        return Source.single(first).concat(polls)
                .statefulMapConcat(() -> {
                    CampaignStatus[] lastStatus = {null};
                    List<?>[] lastCounts = {null};
                    long[] lastAt = {0};
                    return r -> {
                        CampaignView view = views.of(r);
                        long now = System.nanoTime();
                        boolean end = ends(r.status());
                        boolean changed = r.status() != lastStatus[0];
                        boolean moved = !List.of(view.counts(), view.delivery()).equals(lastCounts[0]) && now - lastAt[0] >= everyNanos;
                        if (!end && !changed && !moved) {
                            return List.of();
                        }
                        lastStatus[0] = r.status();
                        lastCounts[0] = List.of(view.counts(), view.delivery());
                        lastAt[0] = now;
                        return List.of(ServerSentEvent.create(json(view), end ? END : PROGRESS));
                    };
                })
                .takeWhile(e -> !e.getEventType().equals(Optional.of(END)), true)
                .keepAlive(heartbeat, ServerSentEvent::heartbeat);
    }

    private static String json(Object view) {
        try {
            return JSON.writeValueAsString(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a campaign view: " + e.getMessage(), e);
        }
    }
}
