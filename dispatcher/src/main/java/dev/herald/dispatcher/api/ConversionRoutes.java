package dev.herald.dispatcher.api;

import dev.herald.dispatcher.funnel.Conversion;
import dev.herald.dispatcher.funnel.Conversions;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /v1/conversions} (role {@code sender}, issue 15): orders placed by recipients, each
 * attributed to a campaign and stored once per order id.
 *
 * <ul>
 *   <li>{@code application/json}: one conversion ({@link ConversionIntake.ConversionJson}); 201
 *       {@code {"orderId", "status": "recorded", "campaign", "attributedBy", "occurredAt"}}, or 200 with
 *       {@code "status": "duplicate"} and the stored conversion's attribution for an order id already
 *       recorded (nothing changes); a 400 naming the field for anything wrong.</li>
 *   <li>{@code application/x-ndjson}: up to {@code herald.funnel.conversions.max-batch-lines} lines
 *       (blank lines skipped), each answered on its own: 200 {@code {"recorded", "duplicates",
 *       "rejected", "results": [{"line", "status", ...}]}}, one result per line in order; a line
 *       refused carries {@code "error", "message", "field"} and nothing of it is stored.</li>
 * </ul>
 *
 * <pre>{@code
 * Route r = new ConversionRoutes(keys, limits, maxBatchBytes, intake, conversions, blockingIo).route();
 * }</pre>
 *
 * <p>What is answered recorded is durable (fsynced, one group commit per request); 503
 * {@code storage_failed} if it could not be, and then nothing of the request is stored: a retry is
 * safe. The work (directory, campaign records, the log) runs on {@code blockingIo}. Phone numbers
 * are neither logged nor echoed.
 *
 * <p>Thread-safety: the route is immutable; the intake and the store are thread-safe.
 */
public final class ConversionRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("POST", "/v1/conversions"));

    private final Duration bodyTimeout;
    private final long maxBatchBytes;
    private final ConversionIntake intake;
    private final Conversions conversions;
    private final Executor blockingIo;
    private final Runnable stored;

    /**
     * @param keys          who may call
     * @param limits        the largest JSON body (one conversion) and how long reading a body may take
     * @param maxBatchBytes the largest NDJSON body (bigger: 413)
     * @param intake        reads and attributes each conversion
     * @param conversions   where they are stored
     * @param blockingIo    where the work runs
     */
    public ConversionRoutes(ApiKeys keys, BodyLimits limits, long maxBatchBytes, ConversionIntake intake, Conversions conversions,
                            Executor blockingIo) {
        this(keys, limits, maxBatchBytes, intake, conversions, blockingIo, () -> { });
    }

    /**
     * As the other constructor; {@code stored} is told after each request's conversions are durable
     * (the RFM feed copies them then).
     */
    public ConversionRoutes(ApiKeys keys, BodyLimits limits, long maxBatchBytes, ConversionIntake intake, Conversions conversions,
                            Executor blockingIo, Runnable stored) {
        super(keys, limits);
        this.stored = stored;
        this.bodyTimeout = limits.timeout();
        this.maxBatchBytes = maxBatchBytes;
        this.intake = intake;
        this.conversions = conversions;
        this.blockingIo = blockingIo;
    }

    /** @return {@code POST /v1/conversions} */
    public Route route() {
        return pathPrefix("v1", () -> path("conversions", () -> post(() -> authorized(Role.SENDER, key ->
                oneOrBatch("one conversion", maxBatchBytes, bodyTimeout,
                        body -> onSuccess(async(() -> single(body)), this::complete),
                        body -> onSuccess(async(() -> ConversionBatch.ingest(body, intake, conversions)),
                                answer -> completeJson(200, answer)))))));
    }

    private <T> CompletionStage<T> async(java.util.function.Supplier<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.get();
            } finally {
                stored.run(); // whatever of the request was stored is durable now
            }
        }, blockingIo);
    }

    private org.apache.pekko.http.javadsl.model.HttpResponse single(byte[] body) {
        Conversion c = intake.read(body, new HashMap<>());
        Conversions.Outcome o = ConversionBatch.store(conversions, List.of(c)).get(0);
        return json(o.duplicate() ? 200 : 201, ConversionBatch.answer(o));
    }
}
