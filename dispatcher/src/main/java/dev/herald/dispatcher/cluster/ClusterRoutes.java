package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.api.CampaignRoutes;
import dev.herald.dispatcher.api.Role;
import dev.herald.dispatcher.api.campaign.CampaignIds;
import dev.herald.dispatcher.service.ServiceSettings;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;

/**
 * A cluster node's HTTP API: the same API as {@code herald serve}, each request answered by the
 * partition of its recipient, or by every partition with the answers put together.
 *
 * <ul>
 *   <li><b>One recipient</b> ({@code /v1/recipients/{phone}/...}, {@code /v1/suppressions/{phone}},
 *       {@code /v1/campaigns/{id}/recipients/{phone}}): forwarded whole to the number's partition,
 *       which answers exactly as a single node (a number that is not one goes to partition
 *       {@link Partitioner#FALLBACK}, which says what is wrong with it).</li>
 *   <li><b>Opt-outs</b> ({@code POST /v1/suppressions}, JSON): the numbers are checked here, then
 *       each partition gets its own; the answer is acknowledged only when every partition has made
 *       its opt-outs durable. A CSV upload is split by partition the same way ({@link ClusterOptOutUpload}),
 *       its refused lines numbered as in the upload.</li>
 *   <li><b>Uploads</b> ({@code POST /v1/segments/{name}}): the CSV is split by partition
 *       ({@link ClusterUpload}); the segment is stored on every partition (empty where none of its
 *       recipients are), so a campaign on it finds it everywhere.</li>
 *   <li><b>Campaigns</b>: a create is checked on one partition, then made on every partition under
 *       the same id (the request's {@code Idempotency-Key}, minted here when absent); status, list,
 *       preview, pause, resume and cancel are asked of every partition and merged
 *       ({@link ClusterViews}).</li>
 *   <li><b>Segments and suppression counts</b> ({@code GET /v1/segments}, {@code GET}/{@code DELETE
 *       /v1/segments/{name}}, {@code GET /v1/suppressions}): asked of every partition, added up.</li>
 *   <li><b>Events and conversions</b>: to the partition of their recipient ({@link RecipientBatch}).</li>
 *   <li><b>Journeys</b>: a create is made on every partition under one id (the {@code Idempotency-Key}, as a
 *       campaign's); list, view and report merged ({@link JourneyViews}); pause, resume, archive and a new
 *       version made on every partition ({@link JourneyChange}); a recipient's place, from its partition.</li>
 *   <li><b>Reports</b>: a campaign's funnel and the period funnel report ({@link FunnelViews}), a campaign's
 *       opt-outs and the period opt-out report ({@link OptOutReportViews}), added up with rates from the sums.</li>
 *   <li><b>An A/B winner picked by an operator</b>: made on every partition ({@link WinnerPick}).</li>
 *   <li><b>The review queue</b> ({@code /v1/inbound/review}): merged from every partition, each item's id naming its
 *       partition ({@code p<N>.<id>}), a decision sent to it ({@link ReviewViews}).</li>
 *   <li>{@code /console/}: the operator console's files, served by the node as one node serves them.</li>
 *   <li>{@code GET /v1/cluster}: the members and which partitions each runs.</li>
 *   <li>A campaign's live progress ({@code GET /v1/campaigns/{id}/events}): streamed by the node from the
 *       merged view ({@link ClusterCampaignEvents}); {@code GET /metrics} (no key): the node's own series and
 *       its local partitions' ({@link NodeMetrics}).</li>
 * </ul>
 * <ul>
 *   <li><b>RFM tiers</b>: {@code POST /v1/segments/rfm/recompute} recomputes every partition with the
 *       cut points of all buyers ({@link ClusterRfm}); {@code GET /v1/segments/rfm} merged ({@link RfmViews}).
 *       A campaign or journey naming {@code rfm:<tier>} is forwarded as any other: each partition
 *       resolves its own buyers of the tier.</li>
 * </ul>
 * A path or method no route takes is answered by one partition as one node answers it (404, 405).
 *
 * <p>The keys, the audit log and the settings are answered before these routes ({@link ClusterAdminRoutes}),
 * and every change a key makes is recorded once, by the node ({@link ClusterAudit}).
 *
 * <p>Authorization: the node checks that the key is valid (the cluster's key file, {@link ClusterKeys});
 * the partition checks the role with the same file, as a single node does.
 */
final class ClusterRoutes extends ApiDirectives {

    private final ApiKeys keys;
    private final ServiceSettings settings;
    private final ClusterSettings cluster;
    private final ActorSystem<Void> system;
    private final Partitioner partitioner;
    private final ClusterSharding sharding;
    private final Executor blocking;
    private final com.typesafe.config.Config config;
    private final ClusterConsole console = new ClusterConsole();
    private final NodeMetrics metrics;
    private final ClusterCampaignEvents events;
    private final ClusterRfm rfm;

    ClusterRoutes(ApiKeys keys, ServiceSettings settings, ClusterSettings cluster, ActorSystem<Void> system,
                  com.typesafe.config.Config config, NodeMetrics metrics) {
        super(keys, settings.maxJsonBody(), settings.bodyTimeout());
        this.keys = keys;
        this.settings = settings;
        this.cluster = cluster;
        this.system = system;
        this.partitioner = new Partitioner(cluster.partitions());
        this.sharding = ClusterSharding.get(system);
        this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        this.config = config;
        this.metrics = metrics;
        this.events = new ClusterCampaignEvents(this, cluster.askTimeout());
        metrics.eventStreams(events::open);
        this.rfm = new ClusterRfm(sharding, cluster, Clock.systemUTC());
    }

    /** @return every route, sealed (errors as JSON) */
    Route route() {
        return extractRequest(request -> extractMaterializer(mat -> {
            List<String> seg = new ArrayList<>();
            request.getUri().pathSegments().forEach(s -> {
                if (!s.isEmpty()) {
                    seg.add(s);
                }
            });
            String method = request.method().value();
            if (seg.size() == 1 && seg.get(0).equals("health") && method.equals("GET")) {
                return completeJson(200, health());
            }
            if ((seg.size() == 2 || seg.size() == 3) && (seg.get(0).equals("u") || seg.get(0).equals("l"))) {
                return link(request, mat);
            }
            if (seg.size() == 3 && seg.get(0).equals("v1") && seg.get(1).equals("inbound") && seg.get(2).equals("sms")) {
                return inbound(request, mat); // signed by the provider, not a key: the partition checks it
            }
            if (seg.size() == 3 && seg.get(0).equals("v1") && seg.get(1).equals("receipts")) {
                return gatewayReceipt(request, mat); // carries a token a partition signed
            }
            if (seg.size() == 4 && seg.get(0).equals("v1") && seg.get(1).equals("inbound") && seg.get(2).equals("kannel")) {
                return kannelReply(request, mat); // carries the gateway's MO secret, which the partition checks
            }
            if (seg.size() == 1 && seg.get(0).equals("metrics")) { // no key, as on one node (NodeMetrics)
                if (!method.equals("GET")) {
                    throw new ApiError(405, "method_not_allowed", method + " is not allowed on /metrics; allowed: GET", null);
                }
                return onSuccess(metrics.scrape(), text -> complete(dev.herald.dispatcher.api.HttpApi.prometheusText(text)));
            }
            if (!seg.isEmpty() && seg.get(0).equals("console")) {
                return console.route(request); // the console's files, public as on one node (ClusterConsole)
            }
            if (seg.isEmpty() || !seg.get(0).equals("v1")) {
                return oneNode(request, mat);
            }
            // a fan-out may take up to upload-timeout: the server's own request timeout must not answer first
            return withRequestTimeout(cluster.uploadTimeout().plus(cluster.askTimeout()),
                    () -> authorized(Role.ANALYST, key -> dispatch(seg, method, request, mat)));
        })).seal(rejectionHandler(), exceptionHandler());
    }

    private Route dispatch(List<String> seg, String method, HttpRequest request, Materializer mat) {
        int n = seg.size();
        String area = n > 1 ? seg.get(1) : "";
        switch (area) {
            case "cluster":
                if (n == 2 && method.equals("GET")) {
                    return onSuccess(new ClusterStatus(system, sharding, cluster).describe(), s -> completeJson(200, s));
                }
                break;
            case "recipients":
                if (n >= 3) {
                    return byPhone(seg.get(2), request, mat);
                }
                break;
            case "suppressions":
                if (n == 2 && method.equals("GET")) {
                    return everywhere(request, mat, cluster.askTimeout(), ClusterViews::suppressionCounts);
                }
                if (n == 3) {
                    return byPhone(seg.get(2), request, mat);
                }
                if (n == 2 && method.equals("POST")) {
                    // the node reads a CSV itself: its role is checked here, before any partition is sent a line
                    return authorized(Role.SENDER, key -> optOuts(request, mat));
                }
                break;
            case "segments":
                if (n == 2 && method.equals("GET")) {
                    return everywhere(request, mat, cluster.askTimeout(), ClusterViews::segments);
                }
                if (n == 3 && seg.get(2).equals("rfm") && method.equals("GET")) {
                    return everywhere(request, mat, cluster.askTimeout(), RfmViews::summary);
                }
                if (n == 4 && seg.get(2).equals("rfm") && seg.get(3).equals("recompute") && method.equals("POST")) {
                    return authorized(Role.SENDER, key -> withoutRequestTimeout(() -> answer(call(request, mat)
                            .thenCompose(c -> rfm.answer(this, c)).thenApply(HttpAnswer::toResponse))));
                }
                if (n == 3 && method.equals("POST")) {
                    // the slices are imported by the partitions as messages, not as requests: the role is checked here
                    return authorized(Role.SENDER,
                            key -> new ClusterUpload(this, cluster, partitioner, blocking, settings).route(seg.get(2), request, mat));
                }
                if (n == 3 && method.equals("GET")) {
                    return everywhere(request, mat, cluster.askTimeout(), ClusterViews::segment);
                }
                if (n == 3 && method.equals("DELETE")) {
                    return everywhere(request, mat, cluster.askTimeout(), ClusterViews::deleted);
                }
                break;
            case "campaigns":
                return campaigns(seg, method, request, mat);
            case "journeys":
                return journeys(seg, method, request, mat);
            case "reports":
                if (n == 3 && seg.get(2).equals("funnel") && method.equals("GET")) {
                    return everywhere(request, mat, cluster.uploadTimeout(), FunnelViews::period);
                }
                if (n == 3 && seg.get(2).equals("optouts") && method.equals("GET")) {
                    return everywhere(request, mat, cluster.uploadTimeout(), OptOutReportViews::period);
                }
                break;
            case "inbound":
                if (n >= 3 && seg.get(2).equals("review")) {
                    return answer(call(request, mat).thenCompose(c -> new ReviewViews(this, cluster).answer(c, seg))
                            .thenApply(HttpAnswer::toResponse));
                }
                break;
            case "events":
                if (n == 2 && method.equals("POST")) {
                    return recipientBatch(request, mat, "herald.journeys.events.max-batch-lines");
                }
                break;
            case "conversions":
                if (n == 2 && method.equals("POST")) {
                    return recipientBatch(request, mat, "herald.funnel.conversions.max-batch-lines");
                }
                break;
            default:
                break;
        }
        return oneNode(request, mat);
    }

    private Route campaigns(List<String> seg, String method, HttpRequest request, Materializer mat) {
        int n = seg.size();
        if (n == 2 && method.equals("POST")) {
            return create(request, mat);
        }
        if (n == 2 && method.equals("GET")) {
            return everywhere(request, mat, cluster.askTimeout(), ClusterViews::list);
        }
        if (n == 3 && seg.get(2).equals("preview") && method.equals("POST")) {
            return answer(call(request, mat).thenCompose(c -> all(c, cluster.uploadTimeout()))
                    .thenApply(ClusterViews::preview).thenApply(HttpAnswer::toResponse));
        }
        if (n == 3 && method.equals("GET")) {
            return everywhere(request, mat, cluster.askTimeout(), ClusterViews::campaign);
        }
        if (n == 4 && method.equals("POST") && List.of("pause", "resume", "cancel").contains(seg.get(3))) {
            return everywhere(request, mat, cluster.askTimeout(), ClusterViews::campaign);
        }
        if (n == 4 && method.equals("POST") && seg.get(3).equals("resend-unknown")) {
            return everywhere(request, mat, cluster.uploadTimeout(), ClusterViews::resent);
        }
        if (n == 4 && seg.get(3).equals("funnel") && method.equals("GET")) {
            // each partition shows its delay histograms' buckets, to be summed (FunnelViews)
            return answer(call(request, mat).thenCompose(c -> all(withQuery(c, "detail=histograms"), cluster.uploadTimeout()))
                    .thenApply(FunnelViews::campaign).thenApply(HttpAnswer::toResponse));
        }
        if (n == 4 && seg.get(3).equals("events") && method.equals("GET")) {
            return events.route(call(request, mat)); // the node streams the merged view (ClusterCampaignEvents)
        }
        if (n == 4 && seg.get(3).equals("winner") && method.equals("POST")) {
            return answer(call(request, mat).thenCompose(c -> new WinnerPick(this, cluster).pick(c, seg.get(2)))
                    .thenApply(HttpAnswer::toResponse));
        }
        if (n == 4 && seg.get(3).equals("optouts") && method.equals("GET")) {
            return everywhere(request, mat, cluster.uploadTimeout(), OptOutReportViews::campaign);
        }
        if (n == 5 && seg.get(3).equals("recipients") && method.equals("GET")) {
            return byPhone(seg.get(4), request, mat);
        }
        return oneNode(request, mat);
    }

    /** {@code c} with {@code param} added to its query. */
    private static HttpCall withQuery(HttpCall c, String param) {
        String uri = c.uri() + (c.uri().contains("?") ? "&" : "?") + param;
        return new HttpCall(c.method(), uri, c.headers(), c.contentType(), c.body());
    }

    /**
     * Journeys: defined on every partition under one id (the create's {@code Idempotency-Key}),
     * changed on every partition, listed and reported merged ({@link JourneyViews}); a recipient's
     * place in one, from its partition.
     */
    private Route journeys(List<String> seg, String method, HttpRequest request, Materializer mat) {
        int n = seg.size();
        if (n == 2 && method.equals("POST")) {
            return answer(call(request, mat).thenCompose(c0 -> {
                HttpCall c = c0.header("Idempotency-Key").isPresent() ? c0
                        : c0.withHeader("Idempotency-Key", "cluster-" + CampaignIds.fresh(Clock.systemUTC().instant()));
                return onEveryPartition(c, c.header("Idempotency-Key").get(), JourneyViews::created);
            }));
        }
        if (n == 2 && method.equals("GET")) {
            return everywhere(request, mat, cluster.askTimeout(), JourneyViews::list);
        }
        if (n == 3 && method.equals("GET")) {
            return everywhere(request, mat, cluster.askTimeout(), JourneyViews::journey);
        }
        if (n == 3 && method.equals("PUT")) {
            return answer(call(request, mat).thenCompose(c -> new JourneyChange(this, cluster).update(c, seg.get(2)))
                    .thenApply(HttpAnswer::toResponse));
        }
        if (n == 4 && seg.get(3).equals("report") && method.equals("GET")) {
            return everywhere(request, mat, cluster.uploadTimeout(), JourneyViews::report);
        }
        if (n == 4 && method.equals("POST") && JourneyChange.STATUS_OF.containsKey(seg.get(3))) {
            return answer(call(request, mat).thenCompose(c -> new JourneyChange(this, cluster).status(c, seg.get(2), seg.get(3)))
                    .thenApply(HttpAnswer::toResponse));
        }
        if (n == 5 && seg.get(3).equals("recipients") && method.equals("GET")) {
            return byPhone(seg.get(4), request, mat); // where the recipient is, in its partition's engine
        }
        return oneNode(request, mat); // no such journey route
    }

    // ---- forwarding ----

    /** The request answered by the partition of {@code phone}. */
    private Route byPhone(String phone, HttpRequest request, Materializer mat) {
        int p = partitioner.ofInput(phone);
        return answer(call(request, mat).thenCompose(c -> ask(p, c, cluster.askTimeout())).thenApply(HttpAnswer::toResponse));
    }

    /** The request answered by every partition, the answers merged by {@code merge}. */
    private Route everywhere(HttpRequest request, Materializer mat, Duration timeout,
                             java.util.function.Function<List<HttpAnswer>, HttpAnswer> merge) {
        return answer(call(request, mat).thenCompose(c -> all(c, timeout)).thenApply(merge).thenApply(HttpAnswer::toResponse));
    }

    /**
     * A campaign made on every partition under one id: checked on partition 0 first (a refusal is
     * answered as is, and nothing is made elsewhere), then made on the others.
     */
    private Route create(HttpRequest request, Materializer mat) {
        CompletionStage<HttpResponse> done = call(request, mat).thenCompose(c0 -> {
            HttpCall c = shareTps(c0.header("Idempotency-Key").isPresent() ? c0
                    : c0.withHeader("Idempotency-Key", "cluster-" + CampaignIds.fresh(Clock.systemUTC().instant())));
            String idempotency = c.header("Idempotency-Key").get();
            // the node sets the header, whatever a client sent: partition 0 first refuses an audience it has none of
            HttpCall allow = c.withHeader(CampaignRoutes.EMPTY_SLICE, "allow");
            return ask(0, c.withHeader(CampaignRoutes.EMPTY_SLICE, "refuse"), cluster.uploadTimeout()).thenCompose(first -> {
                if (first.ok()) {
                    return others(first, allow, idempotency, ClusterViews::created);
                }
                if (!ClusterViews.emptyAudience(first)) {
                    return CompletableFuture.completedFuture(first.toResponse());
                }
                return elsewhere(allow).thenCompose(some -> {
                    if (some.isPresent()) {
                        return CompletableFuture.completedFuture(some.get().toResponse()); // a partition failed: its answer
                    }
                    return ask(0, allow, cluster.uploadTimeout()).thenCompose(slice -> slice.ok()
                            ? others(slice, allow, idempotency, ClusterViews::created)
                            : CompletableFuture.completedFuture(slice.toResponse()));
                }).exceptionallyCompose(e -> (e instanceof NoneAnywhere || e.getCause() instanceof NoneAnywhere)
                        ? CompletableFuture.completedFuture(first.toResponse()) // empty everywhere: partition 0's 400
                        : CompletableFuture.failedFuture(e));
            });
        });
        return answer(done);
    }

    /** What {@link #elsewhere} found: none of the audience on any partition. */
    private static final class NoneAnywhere extends RuntimeException {
        NoneAnywhere() {
            super(null, null, false, false);
        }
    }

    /**
     * Whether partitions other than 0 hold some of a campaign's audience (partition 0 has none): each
     * is asked for the create's preview, which stores nothing. Completed empty if some do; with a
     * partition's answer if one failed otherwise (e.g. 503 while it moves: the create is not made);
     * failed with {@link NoneAnywhere} if none does, and the audience is empty.
     */
    private CompletionStage<java.util.Optional<HttpAnswer>> elsewhere(HttpCall create) {
        HttpCall preview = create.withPath("/v1/campaigns/preview");
        List<CompletableFuture<HttpAnswer>> asked = new ArrayList<>();
        for (int p = 1; p < cluster.partitions(); p++) {
            asked.add(ask(p, preview, cluster.uploadTimeout()).toCompletableFuture());
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(x -> {
            boolean some = false;
            for (CompletableFuture<HttpAnswer> f : asked) {
                HttpAnswer a = f.join();
                if (!a.ok() && !ClusterViews.emptyAudience(a)) {
                    return java.util.Optional.of(a);
                }
                some |= a.ok();
            }
            if (!some) {
                throw new NoneAnywhere();
            }
            return java.util.Optional.<HttpAnswer>empty();
        });
    }

    /**
     * A create made on every partition under one {@code Idempotency-Key}: partition 0 first (a
     * refusal is answered as is, and nothing is made elsewhere), then the others; the answers
     * merged by {@code merge}, the key returned in the {@code Idempotency-Key} header.
     */
    private CompletionStage<HttpResponse> onEveryPartition(HttpCall c, String idempotency,
                                                           java.util.function.BiFunction<List<HttpAnswer>, String, HttpAnswer> merge) {
        return ask(0, c, cluster.uploadTimeout()).thenCompose(first -> first.ok() ? others(first, c, idempotency, merge)
                : CompletableFuture.completedFuture(first.toResponse()));
    }

    /** {@code c} made on partitions 1 and up, partition 0 having answered {@code first}; merged as above. */
    private CompletionStage<HttpResponse> others(HttpAnswer first, HttpCall c, String idempotency,
                                                 java.util.function.BiFunction<List<HttpAnswer>, String, HttpAnswer> merge) {
        List<CompletableFuture<HttpAnswer>> rest = new ArrayList<>();
        rest.add(CompletableFuture.completedFuture(first));
        for (int p = 1; p < cluster.partitions(); p++) {
            rest.add(ask(p, c, cluster.uploadTimeout()).toCompletableFuture());
        }
        return CompletableFuture.allOf(rest.toArray(CompletableFuture[]::new)).thenApply(x -> {
            List<HttpAnswer> answers = rest.stream().map(CompletableFuture::join).toList();
            return merge.apply(answers, idempotency).toResponse()
                    .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Idempotency-Key", idempotency));
        });
    }

    /**
     * A campaign's own {@code tps} is its whole rate: each partition sends its slice at an even
     * share of it ({@code tps / partitions}). A {@code tps} out of range is left as sent, for the
     * partition to refuse in its own words.
     */
    private HttpCall shareTps(HttpCall c) {
        try {
            JsonNode body = JSON.readTree(c.body());
            if (body == null || !body.isObject() || !body.path("tps").isNumber()) {
                return c;
            }
            double tps = body.path("tps").asDouble();
            if (!(tps > 0 && tps <= dev.herald.dispatcher.campaign.CampaignRecord.MAX_TPS)) {
                return c;
            }
            ((ObjectNode) body).put("tps", tps / cluster.partitions());
            return c.withBody(body.toString().getBytes(StandardCharsets.UTF_8), c.contentType());
        } catch (java.io.IOException notJson) {
            return c; // the partition answers the error
        }
    }

    /** {@code POST /v1/suppressions}: JSON numbers checked here, each partition given its own. */
    private Route optOuts(HttpRequest request, Materializer mat) {
        if (request.entity().getContentType().mediaType().equals(org.apache.pekko.http.javadsl.model.MediaTypes.TEXT_CSV)) {
            return new ClusterOptOutUpload(this, cluster, partitioner, blocking, settings).route(request, mat);
        }
        CompletionStage<HttpResponse> done = call(request, mat).thenComposeAsync(c -> {
            OptOutSplit split = OptOutSplit.of(c, partitioner);
            // not a JSON list of numbers, or no valid number in it: nothing is stored, and the fallback
            // partition answers the whole request as one node does (it names the first fault, e.g. a
            // missing scope before the numbers)
            if (split == null || split.byPartition().isEmpty()) {
                return ask(Partitioner.FALLBACK, c, cluster.askTimeout()).thenApply(HttpAnswer::toResponse);
            }
            List<CompletableFuture<HttpAnswer>> asked = new ArrayList<>();
            List<List<Integer>> positions = new ArrayList<>();
            for (Map.Entry<Integer, List<Integer>> e : split.byPartition().entrySet()) {
                asked.add(ask(e.getKey(), split.callFor(c, e.getValue()), cluster.askTimeout()).toCompletableFuture());
                positions.add(e.getValue());
            }
            return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(x -> ClusterViews.optOuts(
                    asked.stream().map(CompletableFuture::join).toList(), positions, split.rejected()).toResponse());
        }, blocking);
        return answer(done);
    }

    /**
     * Events and conversions ({@link RecipientBatch}): one object to its recipient's partition; an
     * NDJSON batch split by line, each partition given its lines, the answers put together.
     */
    private Route recipientBatch(HttpRequest request, Materializer mat, String maxLinesKey) {
        boolean ndjson = request.entity().getContentType().mediaType().subType().endsWith("ndjson");
        CompletionStage<HttpResponse> done = HttpCall.of(request, settings.maxUpload(), settings.bodyTimeout().toMillis(), mat)
                .thenComposeAsync(c -> {
                    if (!ndjson) {
                        RecipientBatch.Target t = RecipientBatch.target(c.body(), partitioner);
                        return ask(t.partition(), c.withBody(t.line(), c.contentType()), cluster.askTimeout())
                                .thenApply(HttpAnswer::toResponse);
                    }
                    Map<Integer, byte[]> parts;
                    try {
                        parts = RecipientBatch.split(c.body(), partitioner, config.getInt(maxLinesKey), maxLinesKey);
                    } catch (ApiError e) {
                        return CompletableFuture.completedFuture(ApiDirectives.error(e));
                    }
                    List<CompletableFuture<HttpAnswer>> asked = new ArrayList<>();
                    parts.forEach((p, body) -> asked.add(ask(p, c.withBody(body, c.contentType()), cluster.uploadTimeout())
                            .toCompletableFuture()));
                    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(x -> RecipientBatch
                            .merge(asked.stream().map(CompletableFuture::join).toList()).toResponse());
                }, blocking);
        return answer(done);
    }

    /**
     * A recipient's link ({@code /u/p<N>/<token>}: the unsubscribe page; {@code /l/p<N>/<token>}: a
     * tracked link), answered by the partition that made it ({@link PartitionConfig}); any other
     * token by partition {@link Partitioner#FALLBACK}, whose answer is a single node's for a bad one.
     */
    private Route link(HttpRequest request, Materializer mat) {
        String path = request.getUri().path();
        PartitionConfig.Routed r = PartitionConfig.route(path, cluster.partitions())
                .orElse(new PartitionConfig.Routed(Partitioner.FALLBACK, path));
        return answer(call(request, mat).thenCompose(c -> ask(r.partition(), c.withPath(r.path()), cluster.askTimeout()))
                .thenApply(HttpAnswer::toResponse));
    }

    /**
     * {@code POST /v1/inbound/sms}: a reply, answered by the partition of its sender ({@code from}
     * in JSON, {@code From} in a form), which checks its signature and acts on it (an opt-out is
     * acknowledged once durable there).
     */
    private Route inbound(HttpRequest request, Materializer mat) {
        return answer(call(request, mat).thenCompose(c -> ask(partitioner.ofInput(InboundSender.of(c)), c,
                cluster.askTimeout())).thenApply(ReviewViews::held).thenApply(HttpAnswer::toResponse));
    }

    /**
     * {@code GET|POST /v1/receipts/{connector}?t=p<N>.<token>}: an HTTP gateway's delivery report
     * for a message partition N sent through the node's gateway connector ({@link NodeConnectors}
     * puts {@code p<N>.} before the partition's own token), answered by partition N with its own
     * token; a token without that prefix by partition {@link Partitioner#FALLBACK}, which refuses
     * it as a single node refuses a token it did not sign.
     */
    private Route gatewayReceipt(HttpRequest request, Materializer mat) {
        String t = request.getUri().query().get("t").orElse("");
        java.util.regex.Matcher m = NodeConnectors.TOKEN.matcher(t);
        int partition = Partitioner.FALLBACK;
        HttpRequest forwarded = request;
        if (m.matches() && Integer.parseInt(m.group(1)) < cluster.partitions()) {
            partition = Integer.parseInt(m.group(1));
            java.util.Map<String, String> q = new java.util.LinkedHashMap<>(request.getUri().query().toMap());
            q.put("t", m.group(2));
            forwarded = request.withUri(request.getUri().query(org.apache.pekko.http.javadsl.model.Query.create(q)));
        }
        int p = partition;
        return answer(call(forwarded, mat).thenCompose(c -> ask(p, c, cluster.askTimeout())).thenApply(HttpAnswer::toResponse));
    }

    /**
     * {@code GET /v1/inbound/kannel/{connector}?k=<secret>&from=...}: a recipient's message through
     * Kannel's MO URL, answered by the partition of its sender ({@code from}), which checks the
     * secret and acts on it (an opt-out is acknowledged once durable there).
     */
    private Route kannelReply(HttpRequest request, Materializer mat) {
        String from = request.getUri().query().get("from").orElse("").strip();
        String e164 = !from.startsWith("+") && !from.isEmpty() && Character.isDigit(from.charAt(0)) ? "+" + from : from;
        return answer(call(request, mat).thenCompose(c -> ask(partitioner.ofInput(e164), c, cluster.askTimeout()))
                .thenApply(HttpAnswer::toResponse));
    }

    /**
     * A request with no cluster route of its own (no such path, or a method the path does not take):
     * answered by partition {@link Partitioner#FALLBACK} as one node answers it (404, 405), the key
     * checked there as one node checks it.
     */
    private Route oneNode(HttpRequest request, Materializer mat) {
        return answer(call(request, mat).thenCompose(c -> ask(Partitioner.FALLBACK, c, cluster.askTimeout()))
                .thenApply(HttpAnswer::toResponse));
    }

    // ---- asking partitions ----

    /** The request as a message, its body read (at most the largest upload). */
    private CompletionStage<HttpCall> call(HttpRequest request, Materializer mat) {
        return HttpCall.of(request, settings.maxJsonBody(), settings.bodyTimeout().toMillis(), mat);
    }

    /** Partition {@code p}'s answer to {@code call}; 503 naming it if it does not answer in time. */
    CompletionStage<HttpAnswer> ask(int p, HttpCall call, Duration timeout) {
        return sharding.entityRefFor(PartitionEntity.TYPE, Integer.toString(p))
                .<HttpAnswer>ask(replyTo -> new PartitionEntity.Forward(call, replyTo), timeout)
                .exceptionally(e -> HttpAnswer.error(503, "partition_unavailable", "partition " + p + " did not answer within "
                        + timeout.toSeconds() + " s (it may be moving to another node); try again"));
    }

    /** Every partition's answer, in partition order. */
    CompletionStage<List<HttpAnswer>> all(HttpCall call, Duration timeout) {
        List<CompletableFuture<HttpAnswer>> asked = new ArrayList<>();
        for (int p = 0; p < cluster.partitions(); p++) {
            asked.add(ask(p, call, timeout).toCompletableFuture());
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
                .thenApply(x -> asked.stream().map(CompletableFuture::join).toList());
    }

    /** @return sharding, for the upload */
    ClusterSharding sharding() {
        return sharding;
    }

    private Route answer(CompletionStage<HttpResponse> response) {
        return onSuccess(response, this::complete);
    }

    private Map<String, Object> health() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "up");
        m.put("node", Cluster.get(system).selfMember().address().toString());
        m.put("memberStatus", Cluster.get(system).selfMember().status().toString());
        m.put("partitions", cluster.partitions());
        return m;
    }

    /** A JSON body of a partition's answer, or null if it is not a JSON object or array. */
    static JsonNode json(HttpAnswer a) {
        try {
            return JSON.readTree(a.body());
        } catch (java.io.IOException e) {
            return null;
        }
    }

    static HttpAnswer jsonAnswer(int status, JsonNode body) {
        return new HttpAnswer(-1, status, List.of(), "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static ArrayNode array() {
        return JSON.createArrayNode();
    }
}
