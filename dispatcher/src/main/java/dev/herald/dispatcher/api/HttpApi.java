package dev.herald.dispatcher.api;

import dev.herald.dispatcher.metrics.HeraldMetrics;
import dev.herald.dispatcher.metrics.RouteClass;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Herald's whole HTTP API: {@code GET /health} and {@code GET /metrics} (no key) and the {@code /v1} route groups, sealed
 * so that every answer, refusals and errors included, is JSON.
 *
 * <pre>{@code
 * Route all = HttpApi.sealed(List.of(campaigns.route(), keys.route()), () -> Map.of("campaigns", "up"));
 * Http.get(system).newServerAt(host, port).bind(all);
 * }</pre>
 */
public final class HttpApi extends ApiDirectives {

    private HttpApi() {
        super(null, 1, Duration.ofSeconds(1));
    }

    /** The routes every server has besides its groups'. */
    public static final List<Endpoint> OWN = List.of(new Endpoint("GET", "/health"), new Endpoint("GET", "/v1/openapi.yaml"));

    /**
     * @param groups    the route groups
     * @param endpoints every endpoint the groups serve: nothing else reaches them (404, or 405
     *                  naming the allowed methods)
     * @param health    what {@code GET /health} reports besides {@code "status": "up"}
     * @param keys      who may read {@code /v1/openapi.yaml}
     * @return every route, with JSON errors for anything refused or failed
     */
    public static Route sealed(List<Route> groups, List<Endpoint> endpoints, Supplier<Map<String, Object>> health, ApiKeys keys) {
        return sealed(groups, endpoints, health, keys, HeraldMetrics.noop());
    }

    /**
     * As {@link #sealed(List, List, Supplier, ApiKeys)}, plus {@code GET /metrics} (no key;
     * Prometheus text format) and, around everything, a count of every answered request by
     * method, {@link RouteClass} and status.
     *
     * @param metrics what {@code /metrics} shows; {@link HeraldMetrics#noop()}: no {@code /metrics} route
     */
    public static Route sealed(List<Route> groups, List<Endpoint> endpoints, Supplier<Map<String, Object>> health, ApiKeys keys,
                               HeraldMetrics metrics) {
        return sealed(groups, endpoints, health, keys, metrics, null);
    }

    /**
     * As {@link #sealed(List, List, Supplier, ApiKeys, HeraldMetrics)}; every change a key makes
     * (POST, PUT, PATCH, DELETE with a valid key, whatever the answer) is also recorded in {@code audit}.
     *
     * @param audit where changes are recorded, or null for nowhere
     */
    public static Route sealed(List<Route> groups, List<Endpoint> endpoints, Supplier<Map<String, Object>> health, ApiKeys keys,
                               HeraldMetrics metrics, AuditLog audit) {
        HttpApi d = new HttpApi();
        ApiDirectives auth = new ApiDirectives(keys, 1, Duration.ofSeconds(1)) { };
        List<Endpoint> all = new java.util.ArrayList<>(OWN);
        all.addAll(endpoints);
        if (metrics.enabled()) {
            all.add(METRICS);
        }
        Route healthRoute = d.path("health", () -> d.get(() -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "up");
            body.putAll(health.get());
            return d.complete(ok(body));
        }));
        Route openapi = d.path(org.apache.pekko.http.javadsl.server.PathMatchers.segment("v1").slash("openapi.yaml"),
                () -> d.get(() -> auth.authorized(Role.ANALYST, key -> d.complete(HttpResponse.create().withEntity(
                        ContentTypes.create(org.apache.pekko.http.javadsl.model.MediaTypes.applicationWithOpenCharset("yaml"),
                                org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8), openApi())))));
        List<Route> rest = new java.util.ArrayList<>(List.of(openapi));
        if (metrics.enabled()) {
            rest.add(d.path("metrics", () -> d.get(() -> d.onSuccess(metrics.scrape(), text -> d.complete(prometheusText(text))))));
        }
        rest.addAll(groups);
        Route routes = d.concat(healthRoute, rest.toArray(Route[]::new));
        List<String[]> parts = all.stream().map(Endpoint::parts).toList();
        Route guarded = d.extractMethod(method -> d.extractUri(uri -> {
            String path = uri.path();
            List<Endpoint> here = new java.util.ArrayList<>(2);
            for (int i = 0; i < all.size(); i++) {
                if (Endpoint.matches(parts.get(i), path)) {
                    here.add(all.get(i));
                }
            }
            if (here.isEmpty()) {
                throw ApiError.notFound("no such route: " + path);
            }
            if (here.stream().noneMatch(e -> e.method().equals(method.name()))) {
                throw new ApiError(405, "method_not_allowed", method.name() + " is not allowed on " + path + "; allowed: "
                        + String.join(", ", here.stream().map(Endpoint::method).distinct().sorted().toList()), null);
            }
            return routes;
        }));
        // Built once: the inner route suppliers are evaluated per request.
        org.apache.pekko.http.javadsl.server.RejectionHandler rejections = rejectionHandler();
        org.apache.pekko.http.javadsl.server.ExceptionHandler exceptions = exceptionHandler();
        Route handled = d.handleRejections(rejections, () -> guarded);
        Route answered = d.handleExceptions(exceptions, () -> handled);
        Route sealed = audit == null ? answered : audited(d, answered, keys, audit);
        if (!metrics.enabled()) {
            return sealed;
        }
        return d.extractRequest(request -> {
            long start = System.nanoTime();
            String route = RouteClass.of(request.getUri().path());
            String method = request.method().name();
            return d.mapResponse(response -> {
                metrics.httpRequest(method, route, response.status().intValue(), System.nanoTime() - start);
                return response;
            }, () -> sealed);
        });
    }

    private static final java.util.Set<String> CHANGES = java.util.Set.of("POST", "PUT", "PATCH", "DELETE");

    /**
     * {@code inner}, with every change a valid key asks for (POST, PUT, PATCH, DELETE) recorded in
     * {@code audit} once answered, with the answer's status (the key is checked again here: a hash
     * lookup; known before the request runs, so a key revoking itself is recorded as itself). A
     * cluster node records its own requests so ({@code cluster.ClusterAudit}).
     */
    public static Route audited(org.apache.pekko.http.javadsl.server.AllDirectives d, Route inner, ApiKeys keys, AuditLog audit) {
        return d.extractRequest(request -> {
            String method = request.method().name();
            if (!CHANGES.contains(method)) {
                return inner;
            }
            Optional<ApiKeys.Key> key = request.getHeader("Authorization").map(h -> h.value().strip())
                    .filter(h -> h.length() > 7 && h.regionMatches(true, 0, "Bearer ", 0, 7))
                    .flatMap(h -> keys.verify(h.substring(7).strip()));
            if (key.isEmpty()) {
                return inner; // no key, or one refused: not a change anyone made (webhooks and links carry their own proof)
            }
            String path = request.getUri().path();
            return d.mapResponse(response -> {
                audit.record(new AuditLog.Entry(java.time.Instant.now(), key.get().id(), key.get().role().wire(), method, path,
                        response.status().intValue()));
                return response;
            }, () -> inner);
        });
    }

    /** {@code GET /metrics}, served when metrics are enabled. */
    public static final Endpoint METRICS = new Endpoint("GET", "/metrics");

    private static volatile byte[] openApi;

    /** @return the OpenAPI 3 description of every route (a resource of this package) */
    public static byte[] openApi() {
        byte[] b = openApi;
        if (b == null) {
            try (java.io.InputStream in = HttpApi.class.getResourceAsStream("openapi.yaml")) {
                if (in == null) {
                    throw new IllegalStateException("openapi.yaml is missing from the jar");
                }
                b = in.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            openApi = b;
        }
        return b;
    }

    /** The Prometheus text exposition format, version 0.0.4. */
    private static final ContentType PROMETHEUS_TEXT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

    /** @return {@code GET /metrics}'s answer: {@code text} as Prometheus text format 0.0.4 */
    public static HttpResponse prometheusText(String text) {
        return HttpResponse.create().withEntity(PROMETHEUS_TEXT, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
