package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.ConsoleRoutes;
import dev.herald.dispatcher.api.Endpoint;
import dev.herald.dispatcher.console.ConsoleAssets;

import java.util.List;

import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The operator console ({@code /console/}) on a cluster node: its files are the jar's, the same on
 * every node, so the node serves them itself exactly as one node does ({@link ConsoleRoutes}: no
 * key, the same security headers and ETags). Every call the page then makes goes to {@code /v1}
 * with the operator's key and is routed as any other request ({@link ClusterRoutes}).
 *
 * <p>A path under {@code /console} that is no console route, or a method other than {@code GET},
 * gets one node's answer (404 {@code not_found} "no such route", 405 {@code method_not_allowed}
 * naming the allowed method), as {@code HttpApi} gives it there.
 *
 * <p>Thread-safety: immutable; the assets are thread-safe.
 */
final class ClusterConsole {

    private final Route files = new ConsoleRoutes(ConsoleAssets.fromJar()).route();
    private final List<String[]> parts = ConsoleRoutes.ENDPOINTS.stream().map(Endpoint::parts).toList();

    /** @return the answer to {@code request}, whose path starts with {@code /console} */
    Route route(HttpRequest request) {
        String path = request.getUri().path();
        List<Endpoint> here = new java.util.ArrayList<>(2);
        for (int i = 0; i < parts.size(); i++) {
            if (Endpoint.matches(parts.get(i), path)) {
                here.add(ConsoleRoutes.ENDPOINTS.get(i));
            }
        }
        if (here.isEmpty()) {
            throw ApiError.notFound("no such route: " + path);
        }
        String method = request.method().value();
        if (here.stream().noneMatch(e -> e.method().equals(method))) {
            throw new ApiError(405, "method_not_allowed", method + " is not allowed on " + path + "; allowed: "
                    + String.join(", ", here.stream().map(Endpoint::method).distinct().sorted().toList()), null);
        }
        return files;
    }
}
