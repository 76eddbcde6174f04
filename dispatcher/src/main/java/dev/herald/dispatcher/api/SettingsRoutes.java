package dev.herald.dispatcher.api;

import java.util.List;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/settings} (viewer): the sender profiles, frequency-cap rules and quiet-hours policy
 * the service runs with, read-only, as {@link SettingsView} builds them (never a key, secret,
 * password or connector credential).
 *
 * <pre>{@code
 * Route r = new SettingsRoutes(keys, limits, SettingsView.of(senders, caps, builtIn, policy)).route();
 * }</pre>
 *
 * <p>Thread-safety: immutable.
 */
public final class SettingsRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/settings"));

    private final SettingsView view;

    /**
     * @param keys   who may call
     * @param limits the request body limits (this route reads none)
     * @param view   what it answers
     */
    public SettingsRoutes(ApiKeys keys, BodyLimits limits, SettingsView view) {
        super(keys, limits);
        this.view = view;
    }

    /** @return the route */
    public Route route() {
        return pathPrefix("v1", () -> path("settings", () ->
                get(() -> authorized(Role.ANALYST, key -> completeJson(200, view.body())))));
    }
}
