package dev.herald.dispatcher.api;

import dev.herald.dispatcher.segment.rfm.RfmModel;
import dev.herald.dispatcher.segment.rfm.RfmSegments;
import dev.herald.dispatcher.segment.rfm.RfmSnapshot;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RFM and lifecycle segments' routes (issue 17).
 *
 * <ul>
 *   <li>{@code GET /v1/segments/rfm} (viewer) → the last recompute: tier and stage sizes, buyers,
 *       the quintile cut points of R, F and M, the window, {@code computedAt}; 404
 *       {@code not_computed} if there was none, 409 {@code damaged} naming the file if it is damaged;</li>
 *   <li>{@code POST /v1/segments/rfm/recompute} (sender, as other segment writes) → recomputes now
 *       and answers the same; 409 {@code busy} while another recompute runs.</li>
 * </ul>
 *
 * <pre>{@code
 * Route r = new RfmRoutes(keys, limits, rfm, blockingIo).route();   // tried before SegmentRoutes
 * }</pre>
 *
 * <p>These paths come before {@code /v1/segments/{name}}: an uploaded segment named {@code rfm} is
 * read as {@code rfm:...} tiers' summary here. Thread-safety: immutable.
 */
public final class RfmRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/segments/rfm"),
            new Endpoint("POST", "/v1/segments/rfm/recompute"));

    private static final Logger LOG = LoggerFactory.getLogger(RfmRoutes.class);

    private final RfmSegments rfm;
    private final Executor blockingIo;

    /**
     * @param keys       who may call
     * @param limits     the request body limits
     * @param rfm        the segments
     * @param blockingIo where recomputes run (never Pekko's dispatcher)
     */
    public RfmRoutes(ApiKeys keys, BodyLimits limits, RfmSegments rfm, Executor blockingIo) {
        super(keys, limits);
        this.rfm = rfm;
        this.blockingIo = blockingIo;
    }

    /** @return the routes under {@code /v1/segments/rfm} */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("segments", () -> pathPrefix("rfm", () -> concat(
                pathEndOrSingleSlash(() -> get(() -> authorized(Role.ANALYST, key -> show()))),
                path("recompute", () -> post(() -> authorized(Role.SENDER, key -> recompute())))))));
    }

    private Route show() {
        return completeJson(200, summary(rfm.snapshot().orElseThrow(() -> rfm.damage() != null
                ? new ApiError(409, "damaged", "the stored RFM segments are damaged (POST /v1/segments/rfm/recompute rewrites"
                + " them): " + rfm.damage(), null)
                : ApiError.notFound("the RFM segments have not been computed yet: POST /v1/segments/rfm/recompute, or wait for"
                + " the schedule (herald.segments.rfm.recompute-every)")), rfm));
    }

    private Route recompute() {
        CompletionStage<RfmSnapshot> done = CompletableFuture.supplyAsync(() -> {
            try {
                return rfm.recompute();
            } catch (RfmSegments.BusyException e) {
                throw new CompletionException(new ApiError(409, "busy", e.getMessage(), null));
            } catch (IOException e) {
                LOG.error("RFM recompute failed: {}", e.getMessage(), e);
                throw new CompletionException(new ApiError(500, "storage_error", "the RFM recompute failed (the previous"
                        + " segments stay): " + e.getMessage(), null));
            }
        }, blockingIo);
        return withoutRequestTimeout(() -> onSuccess(done, s -> completeJson(200, summary(s, rfm))));
    }

    /** The answer of both routes. */
    static Map<String, Object> summary(RfmSnapshot s, RfmSegments rfm) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("computedAt", Instant.ofEpochMilli(s.computedAt()).toString());
        m.put("window", "P" + s.windowDays() + "D");
        m.put("windowStart", Instant.ofEpochMilli(s.windowStart()).toString());
        m.put("buyers", s.buyers());
        m.put("recipients", s.recipients());
        m.put("purchasesRead", s.purchasesRead());
        m.put("activitiesRead", s.activitiesRead());
        m.put("elapsedMillis", s.elapsedMillis());
        m.put("tiers", sizes(s.tiers(), RfmSegments.TIERS));
        m.put("lifecycle", sizes(s.stages(), RfmSegments.STAGES));
        RfmModel.Boundaries b = s.boundaries();
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("recency", times(b.recency()));
        q.put("frequency", b.frequency());
        q.put("monetary", b.monetary());
        m.put("quintiles", q);
        Map<String, Object> tierRules = new LinkedHashMap<>();
        for (RfmModel.Tier t : rfm.settings().tiers()) {
            tierRules.put(t.name(), Map.of("r", t.rMin() + "-" + t.rMax(), "f", t.fMin() + "-" + t.fMax(),
                    "m", t.mMin() + "-" + t.mMax()));
        }
        m.put("tierRules", tierRules);
        return m;
    }

    private static List<Map<String, Object>> sizes(Map<String, ImmutableRoaringBitmap> m, String prefix) {
        return m.entrySet().stream().map(e -> {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("name", e.getKey());
            one.put("segment", prefix + e.getKey());
            one.put("size", e.getValue().getLongCardinality());
            return one;
        }).toList();
    }

    private static List<String> times(long[] millis) {
        return java.util.Arrays.stream(millis).mapToObj(t -> Instant.ofEpochMilli(t).toString()).toList();
    }
}
