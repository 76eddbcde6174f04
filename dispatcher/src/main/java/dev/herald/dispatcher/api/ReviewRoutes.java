package dev.herald.dispatcher.api;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

import dev.herald.dispatcher.inbound.InboundHandler;
import dev.herald.dispatcher.inbound.ReviewQueue;

/**
 * The operator's queue of replies held for review (intent phrases to a sender whose
 * {@code intent-action} is {@code review}; see {@link ReviewQueue}):
 * <ul>
 *   <li>{@code GET /v1/inbound/review[?status=pending|opted-out|dismissed|all]} (viewer): the items,
 *       oldest first; pending ones by default.</li>
 *   <li>{@code POST /v1/inbound/review/{id}/opt-out} (sender): opts the recipient out as a STOP
 *       would (durable before the answer, confirmed once), then records the decision.</li>
 *   <li>{@code POST /v1/inbound/review/{id}/dismiss} (sender): records that the reply is no opt-out.</li>
 * </ul>
 * A decision answers 200 with the item; the same decision again answers 200 with it unchanged;
 * the other decision afterwards 409 {@code conflict}; an unknown id 404 {@code not_found}; a
 * storage failure 503 {@code storage_failed} (retrying is safe).
 *
 * <p>{@code Route r = new ReviewRoutes(keys, bodyTimeout, handler, queue, blockingIo).route();}
 *
 * <p>Thread-safety: immutable; the handler and the queue are thread-safe.
 */
public final class ReviewRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/inbound/review"),
            new Endpoint("POST", "/v1/inbound/review/{id}/opt-out"), new Endpoint("POST", "/v1/inbound/review/{id}/dismiss"));

    private final InboundHandler handler;
    private final ReviewQueue queue;
    private final Executor blockingIo;

    /**
     * @param handler    makes the opt-outs
     * @param queue      the held replies
     * @param blockingIo where listing runs
     */
    public ReviewRoutes(ApiKeys keys, java.time.Duration bodyTimeout, InboundHandler handler, ReviewQueue queue,
                        Executor blockingIo) {
        super(keys, 1024, bodyTimeout);
        this.handler = handler;
        this.queue = queue;
        this.blockingIo = blockingIo;
    }

    /** @return the routes under {@code /v1/inbound/review} */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("inbound", () -> pathPrefix("review", () -> concat(
                pathEndOrSingleSlash(() -> get(() -> authorized(Role.VIEWER, key -> parameterOptional("status", status -> {
                    ReviewQueue.Status s = parseStatus(status.orElse("pending"));
                    return onSuccess(CompletableFuture.supplyAsync(() -> queue.list(s), blockingIo),
                            items -> completeJson(200, Map.of("items", items)));
                })))),
                path(PathMatchers.segment().slash("opt-out"), id -> decide(id, ReviewQueue.Status.OPTED_OUT)),
                path(PathMatchers.segment().slash("dismiss"), id -> decide(id, ReviewQueue.Status.DISMISSED))))));
    }

    private static ReviewQueue.Status parseStatus(String text) {
        if (text.equals("all")) {
            return null;
        }
        try {
            return ReviewQueue.Status.fromWire(text);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_parameter", "query parameter 'status' must be pending, opted-out, dismissed "
                    + "or all, got '" + text + "'", "status");
        }
    }

    private Route decide(String id, ReviewQueue.Status decision) {
        return post(() -> authorized(Role.SENDER, key -> {
            CompletionStage<ReviewQueue.Item> decided = handler.decide(id, decision, key.id()).exceptionally(e -> {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (cause instanceof NoSuchElementException) {
                    throw ApiError.notFound("no review item '" + id + "'");
                }
                if (cause instanceof ReviewQueue.Conflict c) {
                    throw ApiError.conflict(c.getMessage());
                }
                if (cause instanceof java.io.IOException || cause instanceof java.io.UncheckedIOException) {
                    LOG.error("a review decision could not be made durable", masked(cause));
                    throw new ApiError(503, "storage_failed", "the decision could not be made durable; retry", null);
                }
                throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
            });
            return onSuccess(decided, item -> completeJson(200, item));
        }));
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReviewRoutes.class);
}
