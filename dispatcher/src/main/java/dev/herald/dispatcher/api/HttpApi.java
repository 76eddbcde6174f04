package dev.herald.dispatcher.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * Herald's whole HTTP API: {@code GET /health} (no key) and the {@code /v1} route groups, sealed
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
        HttpApi d = new HttpApi();
        Route healthRoute = d.path("health", () -> d.get(() -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "up");
            body.putAll(health.get());
            return d.complete(ok(body));
        }));
        Route all = d.concat(healthRoute, groups.toArray(Route[]::new));
        return d.handleExceptions(exceptionHandler(), () -> d.handleRejections(rejectionHandler(), () -> all));
    }
}
