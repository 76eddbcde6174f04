package dev.herald.dispatcher.connector;

import dev.herald.throttle.RateLimiter;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The connectors campaigns may send through, by name, each with its shared rate limiter; one is
 * the default (a campaign that names none uses it). Each connector is held in its
 * {@link WindowedConnector}, so every campaign on one connector shares its window.
 *
 * <pre>{@code
 * ConnectorRoutes routes = ConnectorRoutes.of("simulated", Map.of(
 *         "simulated", new ConnectorRoutes.Route(simulated, null),
 *         "acme-smsc", new ConnectorRoutes.Route(smpp, smppLimiter)));
 * ConnectorRoutes.Route r = routes.route(spec.connector());   // null: the default
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class ConnectorRoutes {

    /**
     * One connector and its shared token bucket.
     *
     * @param connector the connector (wrapped in its {@link WindowedConnector})
     * @param limiter   the token bucket every campaign on it shares, or null for none
     */
    public record Route(Connector connector, RateLimiter limiter) {
        /** @throws NullPointerException if {@code connector} is null */
        public Route {
            connector = WindowedConnector.wrap(Objects.requireNonNull(connector, "connector"));
        }
    }

    private final String defaultName;
    private final Map<String, Route> byName;

    private ConnectorRoutes(String defaultName, Map<String, Route> byName) {
        this.defaultName = defaultName;
        this.byName = byName;
    }

    /**
     * @param defaultName the default connector's name; a key of {@code routes}
     * @param routes      every connector by name (its {@link Connector#name()})
     * @return the routes
     * @throws IllegalArgumentException if the default is not among them
     */
    public static ConnectorRoutes of(String defaultName, Map<String, Route> routes) {
        Map<String, Route> copy = new LinkedHashMap<>();
        routes.forEach((name, route) -> copy.put(name, new Route(route.connector(), route.limiter())));
        if (!copy.containsKey(defaultName)) {
            throw new IllegalArgumentException("default connector '" + defaultName + "' is not among " + copy.keySet());
        }
        return new ConnectorRoutes(defaultName, Map.copyOf(copy));
    }

    /** @return routes with one connector, the default */
    public static ConnectorRoutes single(Connector connector, RateLimiter limiter) {
        Route r = new Route(connector, limiter);
        return new ConnectorRoutes(r.connector().name(), Map.of(r.connector().name(), r));
    }

    /**
     * @param name a connector's name, or null for the default
     * @return its route
     * @throws IllegalArgumentException naming the connectors there are if there is none of that name
     */
    public Route route(String name) {
        Route r = byName.get(name == null ? defaultName : name);
        if (r == null) {
            throw new IllegalArgumentException("unknown connector '" + name + "'; connectors: " + names());
        }
        return r;
    }

    /** @return the default connector's name */
    public String defaultName() {
        return defaultName;
    }

    /** @return every connector's name, sorted */
    public Set<String> names() {
        return new java.util.TreeSet<>(byName.keySet());
    }

    /** @return whether a connector of that name exists */
    public boolean has(String name) {
        return byName.containsKey(name);
    }
}
