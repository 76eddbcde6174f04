package dev.herald.dispatcher.api;

import dev.herald.dispatcher.unsubscribe.PreferenceCenter;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/recipients/{phone}/preferences} (viewer): what a recipient chose on the
 * preference page, {@code {"phone", "frequency": "as-sent|weekly|monthly", "categories":
 * {"promotions": true, ...}, "suppressed": ["sender:acme", ...]}} ({@code categories}: true when
 * the recipient receives that category).
 *
 * <p>{@code Route r = new PreferenceRoutes(keys, center, directory, blockingIo).route();}
 *
 * <p>Thread-safety: immutable. The lookup runs on {@code blockingIo}.
 */
public final class PreferenceRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/recipients/{phone}/preferences"));

    private final PreferenceCenter center;
    private final RecipientDirectory directory;
    private final Executor blockingIo;

    /**
     * @param keys       who may call
     * @param center     the preferences
     * @param directory  the recipient directory
     * @param blockingIo where lookups run
     */
    public PreferenceRoutes(ApiKeys keys, PreferenceCenter center, RecipientDirectory directory, Executor blockingIo) {
        super(keys, 1, Duration.ofSeconds(1));
        this.center = center;
        this.directory = directory;
        this.blockingIo = blockingIo;
    }

    /** @return the route */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("recipients", () -> pathPrefix(PathMatchers.segment(), phone ->
                path("preferences", () -> get(() -> authorized(Role.VIEWER, key -> {
                    int id = phoneId(directory, phone);
                    CompletableFuture<Map<String, Object>> done = CompletableFuture.supplyAsync(() -> {
                        Recipient r = directory.get(id).orElseThrow(() -> ApiError.notFound("no recipient with this phone number"));
                        return center.preferencesOf(r);
                    }, blockingIo);
                    return onSuccess(done, body -> completeJson(200, body));
                }))))));
    }
}
