package dev.herald.dispatcher.api;

import dev.herald.dispatcher.metrics.HeraldMetrics;
import dev.herald.dispatcher.metrics.RouteClass;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * @param groups the {@code /v1} route groups
     * @param health what {@code GET /health} reports besides {@code "status": "up"}
     * @return every route, with JSON errors for anything refused or failed
     */
    public static Route sealed(List<Route> groups, Supplier<Map<String, Object>> health) {
        return sealed(groups, health, HeraldMetrics.noop());
    }

    /**
     * As {@link #sealed(List, Supplier)}, plus {@code GET /metrics} (no key; Prometheus text format)
     * and, around everything, a count of every answered request by method, {@link RouteClass} and status.
     *
     * @param groups  the {@code /v1} route groups
     * @param health  what {@code GET /health} reports besides {@code "status": "up"}
     * @param metrics what {@code /metrics} shows; {@link HeraldMetrics#noop()}: no {@code /metrics} route
     * @return every route, with JSON errors for anything refused or failed
     */
    public static Route sealed(List<Route> groups, Supplier<Map<String, Object>> health, HeraldMetrics metrics) {
        HttpApi d = new HttpApi();
        Route healthRoute = d.path("health", () -> d.get(() -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "up");
            body.putAll(health.get());
            return d.complete(ok(body));
        }));
        List<Route> routes = new java.util.ArrayList<>(groups);
        if (metrics.enabled()) {
            routes.add(0, d.path("metrics", () -> d.get(() -> d.onSuccess(metrics.scrape(),
                    text -> d.complete(HttpResponse.create().withEntity(PROMETHEUS_TEXT,
                            text.getBytes(java.nio.charset.StandardCharsets.UTF_8)))))));
        }
        Route all = d.concat(healthRoute, routes.toArray(Route[]::new));
        Route sealed = d.handleExceptions(exceptionHandler(), () -> d.handleRejections(rejectionHandler(), () -> all));
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

    /** The Prometheus text exposition format, version 0.0.4. */
    private static final ContentType PROMETHEUS_TEXT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
}
