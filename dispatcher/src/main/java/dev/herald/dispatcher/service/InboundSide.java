package dev.herald.dispatcher.service;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.ConnectorRoutes;
import dev.herald.throttle.RateLimiter;
import java.util.HashMap;
import java.util.Map;

import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.api.Endpoint;
import dev.herald.dispatcher.api.InboundRoutes;
import dev.herald.dispatcher.api.ReviewRoutes;
import dev.herald.dispatcher.inbound.InboundHandler;
import dev.herald.dispatcher.metrics.HeraldMetrics;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * The recipients' replies: the handler that reads STOP / START / HELP and opt-out intents, and
 * answers through the campaigns' connector and rate limit, with its two route groups (the
 * inbound webhook and the review queue).
 *
 * <pre>{@code
 * InboundSide inbound = InboundSide.of(conf, stores, core, metrics);
 * routes.addAll(inbound.routes(keys, settings.bodyTimeout()));
 * }</pre>
 *
 * @param replies    the handler of inbound messages
 * @param conf       the configuration (the webhook's settings)
 * @param stores     the stores (replay keys, review queue)
 * @param metrics    what the webhook counts
 * @param blockingIo where the review queue is read
 */
record InboundSide(InboundHandler replies, ServiceConfig conf, ServiceStores stores, HeraldMetrics metrics,
                   Executor blockingIo) {

    /** Every endpoint of the inbound side. */
    static final List<Endpoint> ENDPOINTS = concat(InboundRoutes.ENDPOINTS, ReviewRoutes.ENDPOINTS);

    /** @return the inbound side of a service whose core runs */
    static InboundSide of(ServiceConfig conf, ServiceStores stores, CampaignCore core, HeraldMetrics metrics) {
        Executor blockingIo = core.blockingIo();
        InboundHandler replies = handler(conf, stores, core.deps().connector(), core.deps().rateLimiter(), metrics, blockingIo);
        return new InboundSide(replies, conf, stores, metrics, blockingIo);
    }

    /**
     * @return per connector, the handler of the replies that come through it: its confirmations go
     *     back through the same connector (and its rate limit)
     */
    static Map<String, InboundHandler> perConnector(ServiceConfig conf, ServiceStores stores, CampaignCore core,
                                                    HeraldMetrics metrics) {
        Map<String, InboundHandler> out = new HashMap<>();
        ConnectorRoutes routes = core.deps().routes();
        for (String name : routes.names()) {
            ConnectorRoutes.Route r = routes.route(name);
            out.put(name, handler(conf, stores, r.connector(), r.limiter(), metrics, core.blockingIo()));
        }
        return out;
    }

    private static InboundHandler handler(ServiceConfig conf, ServiceStores stores, Connector connector, RateLimiter limiter,
                                          HeraldMetrics metrics, Executor blockingIo) {
        return new InboundHandler(conf.keywords(), conf.intents(), stores.reviewQueue, conf.senders(), conf.inbound(),
                stores.directory, stores.index, stores.lastSends, connector, limiter, metrics, Clock.systemUTC(), blockingIo);
    }

    /** @return the webhook's and the review queue's routes */
    List<Route> routes(ApiKeys keys, Duration bodyTimeout) {
        return List.of(
                new InboundRoutes(keys, bodyTimeout, replies, conf.inbound(), stores.replayKeys, metrics, Clock.systemUTC())
                        .route(),
                new ReviewRoutes(keys, bodyTimeout, replies, stores.reviewQueue, blockingIo).route());
    }

    private static List<Endpoint> concat(List<Endpoint> a, List<Endpoint> b) {
        List<Endpoint> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }
}
