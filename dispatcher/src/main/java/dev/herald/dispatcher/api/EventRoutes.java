package dev.herald.dispatcher.api;

import dev.herald.dispatcher.journey.Event;
import dev.herald.dispatcher.journey.Events;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /v1/events} (role {@code sender}, issue 16): what recipients did ({@code signed_up},
 * {@code cart_abandoned}, {@code order_placed}, ...), stored once per event id for the journeys.
 *
 * <ul>
 *   <li>{@code application/json}: one event ({@link EventIntake.EventJson}); 201
 *       {@code {"id", "status": "recorded", "name", "at"}}, or 200 with {@code "status": "duplicate"}
 *       and the stored event's name and time for an id already recorded (nothing changes); a 400
 *       naming the field for anything wrong.</li>
 *   <li>{@code application/x-ndjson}: up to {@code herald.journeys.events.max-batch-lines} lines
 *       (blank lines skipped), each answered on its own: 200 {@code {"recorded", "duplicates",
 *       "rejected", "results": [{"line", "status", ...}]}}, one result per line in order; a line
 *       refused carries {@code "error", "message", "field"} and nothing of it is stored.</li>
 * </ul>
 *
 * <pre>{@code
 * Route r = new EventRoutes(keys, limits, maxBatchBytes, intake, events, blockingIo).route();
 * }</pre>
 *
 * <p>What is answered recorded is durable (fsynced, one group commit per request); 503
 * {@code storage_failed} if it could not be, and then nothing of the request is stored: a retry is
 * safe. The work (directory, the log) runs on {@code blockingIo}. Phone numbers are neither logged
 * nor echoed.
 *
 * <p>Thread-safety: the route is immutable; the intake and the store are thread-safe.
 */
public final class EventRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("POST", "/v1/events"));

    private final Duration bodyTimeout;
    private final long maxBatchBytes;
    private final EventIntake intake;
    private final Events events;
    private final Executor blockingIo;
    private final Runnable stored;

    /**
     * @param keys          who may call
     * @param limits        the largest JSON body (one event) and how long reading a body may take
     * @param maxBatchBytes the largest NDJSON body (bigger: 413)
     * @param intake        reads each event
     * @param events        where they are stored
     * @param blockingIo    where the work runs
     */
    public EventRoutes(ApiKeys keys, BodyLimits limits, long maxBatchBytes, EventIntake intake, Events events, Executor blockingIo) {
        this(keys, limits, maxBatchBytes, intake, events, blockingIo, () -> { });
    }

    /**
     * As the other constructor; {@code stored} is told after each request's events are durable
     * (the journey engine applies them then rather than at its next tick).
     */
    public EventRoutes(ApiKeys keys, BodyLimits limits, long maxBatchBytes, EventIntake intake, Events events, Executor blockingIo,
                       Runnable stored) {
        super(keys, limits);
        this.stored = stored;
        this.bodyTimeout = limits.timeout();
        this.maxBatchBytes = maxBatchBytes;
        this.intake = intake;
        this.events = events;
        this.blockingIo = blockingIo;
    }

    /** @return {@code POST /v1/events} */
    public Route route() {
        return pathPrefix("v1", () -> path("events", () -> post(() -> authorized(Role.SENDER, key ->
                oneOrBatch("one event", maxBatchBytes, bodyTimeout,
                        body -> onSuccess(async(() -> single(body)), this::complete),
                        body -> onSuccess(async(() -> EventBatch.ingest(body, intake, events)),
                                answer -> completeJson(200, answer)))))));
    }

    private <T> CompletionStage<T> async(java.util.function.Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, blockingIo).whenComplete((v, e) -> {
            if (e == null) {
                stored.run();
            }
        });
    }

    private HttpResponse single(byte[] body) {
        Event e = intake.read(body);
        Events.Outcome o = EventBatch.store(events, List.of(e)).get(0);
        return json(o.duplicate() ? 200 : 201, EventBatch.answer(o));
    }
}
