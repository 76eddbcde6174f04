package dev.herald.dispatcher.service;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.throttle.RateLimiter;

/**
 * Connectors a cluster node starts once and lends to every partition it hosts, in place of the
 * ones a data directory would start for itself: an SMPP account's binds, or an HTTP gateway's
 * window, belong to the node (its share of the account's binds, window and rate), not to a
 * partition, so partitions moving on and off a node never bind or unbind. A lent HTTP gateway
 * signs its callback tokens through the node, which has the sending partition sign them.
 *
 * <pre>{@code
 * SharedConnectors node = name -> new SharedConnectors.Shared(smpp, WindowedConnector.wrap(smpp), limiter);
 * PartitionEngine.open(ctx, folder, config, settings, env, node);   // its campaigns send through the node's binds
 * }</pre>
 *
 * <p>A partition never closes what it is lent; the node closes it after its partitions stopped.
 */
@FunctionalInterface
public interface SharedConnectors {

    /** None: every connector is the data directory's own (a plain {@code herald serve}). */
    SharedConnectors NONE = name -> null;

    /**
     * @param account a connector's name ({@code herald.connectors.<name>}: SMPP, Kannel or JSON gateway)
     * @return the node's connector for it and the limiter of the node's share of its rate (null:
     *         no limit), or null if the node does not lend it (the partition starts its own)
     */
    Shared lent(String account);

    /**
     * @param connector sends through the node's binds; its peer events go to the node, which
     *                  routes each to its partition
     * @param window    the window of its binds, which every partition's campaigns take their slots
     *                  from ({@link dev.herald.dispatcher.connector.WindowedConnector#sharing}): a
     *                  partition checks a recipient once it holds a slot of the node's window, so
     *                  nothing waits between the last check and the hand-over
     * @param limiter   the node's share of the account's rate, or null
     */
    record Shared(Connector connector, dev.herald.dispatcher.connector.WindowedConnector window, RateLimiter limiter) {
    }
}
