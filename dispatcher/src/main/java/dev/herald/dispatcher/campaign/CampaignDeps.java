package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.ConnectorRoutes;
import dev.herald.dispatcher.connector.WindowedConnector;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.RateLimiter;
import dev.herald.throttle.ZoneIndex;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The shared services a {@link CampaignRun} uses; owned (opened and closed) by the caller, shared
 * by every campaign that runs at once.
 *
 * <pre>{@code
 * CampaignDeps deps = new CampaignDeps(directory, index, zones, policy, shards, connector, limiter,
 *         dataDir.resolve("campaigns"), Clock.systemUTC(), Duration.ofSeconds(10));
 * }</pre>
 *
 * <p>Immutable; the components are thread-safe.
 *
 * @param directory   recipient directory (numbers, zones, personal fields)
 * @param suppression suppression index; a fresh snapshot is taken per chunk
 * @param zones       zone index of the directory (quiet hours, cap zones)
 * @param quietHours  quiet-hours policy
 * @param shards      throttle shards (frequency caps)
 * @param connector   where messages go; wrapped in a {@link WindowedConnector} (share one deps, or
 *                    one wrapped connector, between campaigns that use the same connector)
 * @param rateLimiter the connector's shared token bucket, or null for none
 * @param ledgerRoot  each campaign's outcome ledger lives in {@code ledgerRoot/<campaign id>}
 * @param clock       decision time for quiet hours and caps
 * @param askTimeout  how long to wait for a throttle shard
 * @param unsubscribeLinks signs each recipient's {@code {{unsubscribe_url}}}; null: none
 * @param routes      every connector a campaign may name; {@code connector} and {@code rateLimiter}
 *                    are the route these deps send through ({@link #forConnector}); null: the one
 *                    route of {@code connector}
 * @param linkTokens  signs the tracked links of campaigns with {@code trackLinks}; null: none (such a
 *                    campaign's links then go out as their URLs, untracked)
 */
public record CampaignDeps(RecipientDirectory directory, SuppressionIndex suppression, ZoneIndex zones,
                           QuietHoursPolicy quietHours, ThrottleShards shards, Connector connector,
                           RateLimiter rateLimiter, Path ledgerRoot, Clock clock, Duration askTimeout,
                           dev.herald.dispatcher.unsubscribe.UnsubscribeLinks unsubscribeLinks, ConnectorRoutes routes,
                           dev.herald.dispatcher.links.LinkTokens linkTokens) {

    /** Deps without tracked links. */
    public CampaignDeps(RecipientDirectory directory, SuppressionIndex suppression, ZoneIndex zones,
                        QuietHoursPolicy quietHours, ThrottleShards shards, Connector connector,
                        RateLimiter rateLimiter, Path ledgerRoot, Clock clock, Duration askTimeout,
                        dev.herald.dispatcher.unsubscribe.UnsubscribeLinks unsubscribeLinks, ConnectorRoutes routes) {
        this(directory, suppression, zones, quietHours, shards, connector, rateLimiter, ledgerRoot, clock, askTimeout,
                unsubscribeLinks, routes, null);
    }

    /** @return these deps signing tracked links with {@code tokens} */
    public CampaignDeps withLinkTokens(dev.herald.dispatcher.links.LinkTokens tokens) {
        return new CampaignDeps(directory, suppression, zones, quietHours, shards, connector, rateLimiter, ledgerRoot, clock,
                askTimeout, unsubscribeLinks, routes, tokens);
    }

    /** Deps with one connector. */
    public CampaignDeps(RecipientDirectory directory, SuppressionIndex suppression, ZoneIndex zones,
                        QuietHoursPolicy quietHours, ThrottleShards shards, Connector connector,
                        RateLimiter rateLimiter, Path ledgerRoot, Clock clock, Duration askTimeout,
                        dev.herald.dispatcher.unsubscribe.UnsubscribeLinks unsubscribeLinks) {
        this(directory, suppression, zones, quietHours, shards, connector, rateLimiter, ledgerRoot, clock, askTimeout,
                unsubscribeLinks, null);
    }

    /**
     * Deps sending through every route's default, with all of them to choose from.
     *
     * @throws IllegalArgumentException as the canonical constructor
     */
    public static CampaignDeps withRoutes(RecipientDirectory directory, SuppressionIndex suppression, ZoneIndex zones,
                                          QuietHoursPolicy quietHours, ThrottleShards shards, ConnectorRoutes routes,
                                          Path ledgerRoot, Clock clock, Duration askTimeout,
                                          dev.herald.dispatcher.unsubscribe.UnsubscribeLinks unsubscribeLinks) {
        ConnectorRoutes.Route r = routes.route(null);
        return new CampaignDeps(directory, suppression, zones, quietHours, shards, r.connector(), r.limiter(), ledgerRoot,
                clock, askTimeout, unsubscribeLinks, routes);
    }

    /**
     * @param name a connector's name, or null for the default
     * @return these deps sending through that connector and its rate limiter
     * @throws IllegalArgumentException naming the connectors there are if none has that name
     */
    public CampaignDeps forConnector(String name) {
        ConnectorRoutes.Route r = routes.route(name);
        if (r.connector() == connector && r.limiter() == rateLimiter) {
            return this;
        }
        return new CampaignDeps(directory, suppression, zones, quietHours, shards, r.connector(), r.limiter(), ledgerRoot,
                clock, askTimeout, unsubscribeLinks, routes, linkTokens);
    }

    /** Deps without unsubscribe links: a template using {@code {{unsubscribe_url}}} then fails to render. */
    public CampaignDeps(RecipientDirectory directory, SuppressionIndex suppression, ZoneIndex zones,
                        QuietHoursPolicy quietHours, ThrottleShards shards, Connector connector,
                        RateLimiter rateLimiter, Path ledgerRoot, Clock clock, Duration askTimeout) {
        this(directory, suppression, zones, quietHours, shards, connector, rateLimiter, ledgerRoot, clock, askTimeout, null);
    }

    /** @throws IllegalArgumentException if a component other than {@code rateLimiter} or {@code unsubscribeLinks} is null */
    public CampaignDeps {
        if (directory == null || suppression == null || zones == null || quietHours == null || shards == null
                || connector == null || ledgerRoot == null || clock == null || askTimeout == null) {
            throw new IllegalArgumentException("campaign deps: only the rate limiter and the unsubscribe links may be null");
        }
        connector = WindowedConnector.wrap(connector);
        if (routes == null) {
            routes = ConnectorRoutes.single(connector, rateLimiter);
        }
    }
}
