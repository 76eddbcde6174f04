package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.api.ProgressEvents;
import dev.herald.dispatcher.campaign.CampaignStatus;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code GET /v1/campaigns/{id}/events} on a cluster node: the campaign's live progress, streamed by
 * the node from the campaign merged across every partition (as {@code GET /v1/campaigns/{id}}
 * answers it, {@link ClusterViews#campaign}), with the single node's rules ({@link ProgressEvents}):
 * a {@code progress} event at once, then on every change of the merged status and at most once a
 * second while the merged counts move, a heartbeat after 15 s without an event, and an {@code end}
 * event with the final merged view when the merged status is completed, cancelled or failed.
 *
 * <pre>{@code
 * curl -N -H "Authorization: Bearer $K" node-1:8080/v1/campaigns/c-42/events
 * }</pre>
 *
 * <p><b>Every event is the whole campaign.</b> Every partition is asked at once and then once a
 * second ({@link #POLL}). A look at which some partition did not answer (it is moving to another
 * node) is skipped, not shown: a view short of a slice would show counts going backwards, and a
 * status only the answering slices have (completed, while the missing slice still runs), a false
 * end. So every event's {@code partitions.unanswered} is empty; while a partition is away the
 * stream shows nothing new (heartbeats keep it open) and resumes once it answers. Before the stream
 * starts: an unknown campaign is the partitions' 404 JSON error, as on one node; a campaign some
 * partition could not be asked about is 503 {@code partition_unavailable} naming it (try again).
 *
 * <p>Polling stops when the stream ends: after {@code end}, or when the client goes away.
 * {@link #open()} counts the streams open now ({@code herald_cluster_event_streams}).
 *
 * <p>Thread-safe; each stream keeps its own state.
 */
final class ClusterCampaignEvents extends AllDirectives {

    /** How often every partition is asked about the campaign while a stream is open. */
    static final Duration POLL = Duration.ofSeconds(1);
    /** The single node's timing, but for the poll: a look asks every partition. */
    static final ProgressEvents.Timing TIMING = new ProgressEvents.Timing(POLL, Duration.ofSeconds(1), Duration.ofSeconds(15));

    private final ClusterRoutes routes;
    private final Duration askTimeout;
    private final AtomicInteger open = new AtomicInteger();

    /**
     * @param routes     how partitions are asked
     * @param askTimeout how long each partition may take to answer one look
     */
    ClusterCampaignEvents(ClusterRoutes routes, Duration askTimeout) {
        this.routes = routes;
        this.askTimeout = askTimeout;
    }

    /** One look at the campaign: the merged view if every partition answered, else why not. */
    record Seen(JsonNode view, HttpAnswer refusal) {
    }

    /**
     * @param request the request ({@code GET /v1/campaigns/{id}/events}), its key already valid here
     * @return the stream, or the refusal before it
     */
    Route route(CompletionStage<HttpCall> request) {
        CompletionStage<Object> first = request.thenCompose(c0 -> {
            HttpCall c = campaignCall(c0);
            return look(c).thenApply(seen -> seen.view() == null ? (Object) seen.refusal() : new Stream(c, seen.view()));
        });
        return onSuccess(first, f -> {
            if (f instanceof HttpAnswer refusal) {
                return complete(refusal.toResponse());
            }
            Stream s = (Stream) f;
            return completeOK(events(s.call(), s.first()), EventStreamMarshalling.toEventStream());
        });
    }

    private record Stream(HttpCall call, JsonNode first) {
    }

    /** @return how many streams are open now */
    int open() {
        return open.get();
    }

    /** {@code GET /v1/campaigns/{id}/events} as the partitions' {@code GET /v1/campaigns/{id}} (JSON). */
    private static HttpCall campaignCall(HttpCall c) {
        int q = c.uri().indexOf('?');
        String path = (q < 0 ? c.uri() : c.uri().substring(0, q)).replaceFirst("/events/?$", "");
        return c.withPath(path).withHeader("Accept", "application/json");
    }

    /** Refusals that end a stream (anything else, e.g. a partition moving, is a skipped look). */
    private static final java.util.Set<Integer> GONE = java.util.Set.of(401, 403, 404);

    private CompletionStage<Seen> look(HttpCall c) {
        return routes.all(c, askTimeout).thenApply(ClusterCampaignEvents::seen);
    }

    /**
     * @param answers every partition's answer to {@code GET /v1/campaigns/{id}}, in partition order
     * @return the merged view if every partition answered; else the partitions' refusal (404 for an
     *         unknown campaign, as one node's) or 503 {@code partition_unavailable} naming those that did not answer
     */
    static Seen seen(List<HttpAnswer> answers) {
        HttpAnswer merged = ClusterViews.campaign(answers);
        if (!merged.ok()) {
            return new Seen(null, merged);
        }
        List<Integer> missing = new java.util.ArrayList<>();
        for (int p = 0; p < answers.size(); p++) {
            if (!answers.get(p).ok()) {
                missing.add(p);
            }
        }
        if (!missing.isEmpty()) {
            return new Seen(null, HttpAnswer.error(503, "partition_unavailable", "partition(s) " + missing
                    + " did not answer about the campaign (moving to another node?); its progress cannot be shown"
                    + " whole; try again"));
        }
        return new Seen(ClusterRoutes.json(merged), null);
    }

    private Source<ServerSentEvent, NotUsed> events(HttpCall c, JsonNode first) {
        return ProgressEvents.stream(first, () -> look(c).thenApply(seen -> {
                            if (seen.view() == null && seen.refusal() != null && GONE.contains(seen.refusal().status())) {
                                // a revoked key, a role taken away, a campaign gone: a partition refused, and it stays so
                                throw new ProgressEvents.Gone(seen.refusal().status() + " "
                                        + new String(seen.refusal().body(), java.nio.charset.StandardCharsets.UTF_8));
                            }
                            return Optional.ofNullable(seen.view());
                        }),
                        ClusterCampaignEvents::look, TIMING)
                .watchTermination((m, done) -> {
                    open.incrementAndGet();
                    done.whenComplete((d, e) -> open.decrementAndGet());
                    return m;
                });
    }

    /** What a merged view shows: its status and its counts (what moves). */
    static ProgressEvents.Look look(JsonNode view) {
        return new ProgressEvents.Look(CampaignStatus.fromWire(view.path("status").asText()),
                List.of(view.path("counts"), view.path("delivery"), view.path("total")), view);
    }
}
