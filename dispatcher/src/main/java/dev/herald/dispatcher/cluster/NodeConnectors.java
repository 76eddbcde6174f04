package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.connector.ConnectorAccounts;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.connector.smpp.SmppConnector;
import dev.herald.dispatcher.connector.smpp.SmppSettings;
import dev.herald.dispatcher.service.SharedConnectors;
import dev.herald.throttle.RateLimit;
import dev.herald.throttle.RateLimiter;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's SMPP binds, lent to every partition it hosts, and the routing of what the SMSC sends on
 * them to the partition it concerns, wherever that partition runs.
 *
 * <ul>
 *   <li><b>Binds and rate.</b> Each SMPP account of {@code herald.connectors} is bound once per
 *       node with the node's share of its binds and rate ({@link ClusterSettings#share}); every
 *       local partition's campaigns send through it ({@link SharedConnectors}).</li>
 *   <li><b>Accepted ids.</b> When the SMSC accepts a part, its id goes to the sending partition's
 *       message-id map (durable before the send completes, as on one node), and its route
 *       (id → sending partition) to the partition the id hashes to ({@link ReceiptRoutes}), in
 *       batches every {@value #FLUSH_MS} ms.</li>
 *   <li><b>Receipts</b>, on whichever node's bind the SMSC sends them, go to the partition the id
 *       hashes to, which matches its own message's, forwards another's to its sender, or, if the
 *       route has not come yet (a receipt ahead of its {@code submit_sm_resp}, or a route in
 *       flight), holds it durably as one node holds an early receipt, and hands it over when the
 *       route comes. Still held {@code route-wait} later (a route lost with a node that died before
 *       sending it), it is offered to every partition, and the one that sent it takes it; else it
 *       is unmatched after {@code herald.receipts.early-wait}. The peer is acknowledged once the
 *       receipt is stored or held; a failure refuses it (the SMSC sends it again). The connector's
 *       thread waits for the id's partition (at most 3 s; one that did not answer in time has its
 *       receipts refused at once for 5 s), never for a route.</li>
 *   <li><b>Replies</b> (STOP, START, HELP ...) go to the sender's partition and are acknowledged
 *       once durable there, as {@code POST /v1/inbound/sms} is; the confirmation goes out through
 *       the binds of the node hosting that partition.</li>
 * </ul>
 *
 * <pre>{@code
 * NodeConnectors c = NodeConnectors.start(accounts, cluster, routeWait);   // binds in the background
 * c.attach(system, sharding);          // once sharding is up: events are routed from now on
 * c.register(7, engine.peer(), routes) // partition 7 opened here
 * c.close();                           // after the node's partitions stopped: unbinds
 * }</pre>
 *
 * <p>Thread-safe.
 */
final class NodeConnectors implements SharedConnectors, PeerEvents, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeConnectors.class);
    /** How often routes for partitions on other nodes are sent. */
    static final long FLUSH_MS = 20;
    /** Most routes in one message. */
    private static final int BATCH = 2_000;
    /** How long a receipt may take to be stored or held on its id's partition before it is refused. */
    private static final Duration RECEIPT_TIMEOUT = Duration.ofSeconds(3);
    /** How long a partition that did not answer a receipt in time is not asked again (its receipts refused at once). */
    private static final Duration UNAVAILABLE_FOR = Duration.ofSeconds(5);
    /** How long a reply may take to be made durable on its partition (as on one node). */
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);

    /** A partition open on this node: where its events go, and how it signs its messages' callback tokens. */
    record Local(PeerEvents events, Signer signer) {
    }

    /** A partition's callback tokens ({@code of} 0: a JSON gateway's message token). */
    @FunctionalInterface
    interface Signer {
        String sign(String connector, String campaignId, int recipient, int part, int of);
    }

    /** The prefix of a lent gateway's callback token that names the partition: {@code p<N>.}. */
    static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("^p(\\d{1,4})\\.(.+)$");

    private record Route(int partition, String connector, String key, int sender) {
    }

    private final Map<String, Shared> accounts;
    private final List<dev.herald.dispatcher.connector.Connector> connectors;
    private final Partitioner partitioner;
    private final Duration routeWait;
    private final Duration askTimeout;
    private final Map<Integer, Local> local = new ConcurrentHashMap<>();
    /** Partitions that did not answer a receipt in time, until when they are not asked (System.nanoTime()). */
    private final Map<Integer, Long> unavailable = new ConcurrentHashMap<>();
    /** Partitions whose messages' ids were sent on through sharding (said once each in the log). */
    private final java.util.Set<Integer> sentOn = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Route> outgoing = new ConcurrentLinkedQueue<>();
    private volatile ClusterSharding sharding;
    private volatile Cancellable flusher;

    private NodeConnectors(Partitioner partitioner, Duration routeWait, Duration askTimeout) {
        this.accounts = new LinkedHashMap<>();
        this.connectors = new ArrayList<>();
        this.partitioner = partitioner;
        this.routeWait = routeWait;
        this.askTimeout = askTimeout;
    }

    /**
     * Binds this node's share of every SMPP account (in the background: a bind that fails is tried
     * again as on one node).
     *
     * @param accounts  {@code herald.connectors}
     * @param cluster   the cluster's settings (partitions, nodes)
     * @param routeWait how long a receipt held for its route waits before every partition is asked
     * @return the node's connectors
     */
    static NodeConnectors start(ConnectorAccounts accounts, ClusterSettings cluster, Duration routeWait) {
        NodeConnectors c = new NodeConnectors(new Partitioner(cluster.partitions()), routeWait, cluster.askTimeout());
        for (SmppSettings account : accounts.smpp()) {
            SmppSettings share = cluster.share(account);
            RateLimiter limiter = limiter(share.rate());
            SmppConnector smpp = SmppConnector.start(share, limiter, c);
            c.connectors.add(smpp);
            c.accounts.put(account.name(), new Shared(smpp, dev.herald.dispatcher.connector.WindowedConnector.wrap(smpp),
                    limiter));
            LOG.info("connector {}: SMPP to {}:{} as {}, this node's share: {} of {} bind(s), {}", account.name(),
                    account.host(), account.port(), account.systemId(), share.binds(), account.binds(),
                    share.rate() > 0 ? share.rate() + " of " + account.rate() + " msg/s" : "no rate limit");
        }
        for (dev.herald.dispatcher.connector.http.KannelSettings gateway : accounts.kannel()) {
            dev.herald.dispatcher.connector.http.KannelSettings share = cluster.share(gateway);
            RateLimiter limiter = limiter(share.rate());
            dev.herald.dispatcher.connector.http.KannelConnector kannel = dev.herald.dispatcher.connector.http.KannelConnector
                    .start(share, (m, part, parts) -> c.token(gateway.name(), m, part, parts));
            c.connectors.add(kannel);
            c.accounts.put(gateway.name(), new Shared(kannel, dev.herald.dispatcher.connector.WindowedConnector.wrap(kannel),
                    limiter));
            LOG.info("connector {}: Kannel sendsms at {}, this node's share: window {} of {}, {}", gateway.name(),
                    gateway.sendsms(), share.window(), gateway.window(), share.rate() > 0 ? share.rate() + " msg/s" : "no rate limit");
        }
        for (dev.herald.dispatcher.connector.http.JsonGatewaySettings gateway : accounts.json()) {
            dev.herald.dispatcher.connector.http.JsonGatewaySettings share = cluster.share(gateway);
            RateLimiter limiter = limiter(share.rate());
            dev.herald.dispatcher.connector.http.JsonGatewayConnector json = dev.herald.dispatcher.connector.http
                    .JsonGatewayConnector.start(share, limiter, m -> c.token(gateway.name(), m, 0, 0));
            c.connectors.add(json);
            c.accounts.put(gateway.name(), new Shared(json, dev.herald.dispatcher.connector.WindowedConnector.wrap(json),
                    limiter));
            LOG.info("connector {}: JSON gateway at {}, this node's share: window {} of {}, {}", gateway.name(), gateway.url(),
                    share.window(), gateway.window(), share.rate() > 0 ? share.rate() + " msg/s" : "no rate limit");
        }
        return c;
    }

    private static RateLimiter limiter(double rate) {
        return rate > 0 ? new RateLimiter(RateLimit.of(rate, (int) Math.max(1, Math.ceil(rate / 10))), System::nanoTime) : null;
    }

    /** @return whether the node binds any account (partitions then keep a slice of the route table) */
    boolean any() {
        return !accounts.isEmpty();
    }

    /** @return the node's SMPP connectors (its binds), for its metrics */
    List<SmppConnector> smpp() {
        return connectors.stream().filter(c -> c instanceof SmppConnector).map(c -> (SmppConnector) c).toList();
    }

    @Override
    public Shared lent(String account) {
        return accounts.get(account);
    }

    /** From now on, events are routed through {@code sharding}; routes to other nodes are sent every {@value #FLUSH_MS} ms. */
    void attach(ActorSystem<?> system, ClusterSharding sharding) {
        this.sharding = sharding;
        if (any()) {
            this.flusher = system.scheduler().scheduleWithFixedDelay(Duration.ofMillis(FLUSH_MS),
                    Duration.ofMillis(FLUSH_MS), this::flush, system.executionContext());
        }
    }

    /** Partition {@code partition} opened on this node. */
    void register(int partition, PeerEvents events, Signer signer) {
        local.put(partition, new Local(events, signer));
        sentOn.remove(partition);
        unavailable.remove(partition);
    }

    /**
     * The callback token of a message a local partition sends through a lent gateway: the
     * partition's own token, prefixed {@code p<N>.} so that any node routes the callback to it.
     *
     * @throws IllegalStateException if the message's partition is not on this node (it moved: the
     *                               send fails and its recipient is answered as a failed send)
     */
    private String token(String connector, OutboundMessage m, int part, int of) {
        int partition = partitioner.ofInput(m.to());
        Local l = local.get(partition);
        if (l == null) {
            throw new IllegalStateException("partition " + partition + " is not on this node any more");
        }
        return "p" + partition + "." + l.signer().sign(connector, m.campaignId(), m.recipientId(), part, of);
    }

    /** @return how long a receipt held for its route waits before every partition is asked whether it sent it */
    Duration routeWait() {
        return routeWait;
    }

    /** Partition {@code partition} is closing on this node: its events go through sharding from now on. */
    void unregister(int partition) {
        local.remove(partition);
    }

    @Override
    public void accepted(String connector, OutboundMessage message, int part, int parts, String key) throws IOException {
        int sender = partitioner.ofInput(message.to());
        int r = ReceiptRoutes.partitionOf(connector, key, partitioner);
        if (r != sender) { // else the id's partition finds it in its own message-id map
            outgoing.add(new Route(r, connector, key, sender));
        }
        Local l = local.get(sender);
        if (l != null) {
            try {
                l.events().accepted(connector, message, part, parts, key);
                return;
            } catch (IOException | RuntimeException closing) {
                // closed between the lookup and the write (it is moving): its next owner records the id
            }
        }
        // it moved off this node while its message was out: its new owner records the id
        if (sentOn.add(sender)) {
            LOG.warn("connector {}: ids of partition {}'s messages are sent on to where it runs now", connector, sender);
        }
        entity(sender).tell(new PartitionEntity.PeerAccepted(connector, message, part, parts, key));
    }

    @Override
    public void receipt(String connector, Receipt receipt) throws IOException {
        int r = ReceiptRoutes.partitionOf(connector, receipt.idKey(), partitioner);
        // the SMPP session's worker waits here: a partition that did not answer lately (its node died,
        // it is moving) is not asked again for a while; the receipt is refused, and the SMSC sends it again
        Long until = unavailable.get(r);
        if (until != null && System.nanoTime() < until) {
            throw new IOException("partition " + r + " did not answer lately; the receipt is refused for now");
        }
        try {
            // matched there, forwarded to the sender, or held there (durably) until its route comes
            ask(r, reply -> new PartitionEntity.RouteReceipt(connector, receipt, reply), RECEIPT_TIMEOUT);
            unavailable.remove(r);
        } catch (IOException e) {
            unavailable.put(r, System.nanoTime() + UNAVAILABLE_FOR.toNanos());
            throw e;
        }
    }

    @Override
    public void reply(String connector, Reply reply) throws IOException {
        String from = reply.from() == null ? "" : reply.from().strip();
        String e164 = !from.startsWith("+") && !from.isEmpty() && Character.isDigit(from.charAt(0)) ? "+" + from : from;
        ask(partitioner.ofInput(e164), r -> new PartitionEntity.PeerReply(connector, reply, r),
                REPLY_TIMEOUT.plusSeconds(5));
    }

    /** Sends the routes queued for partitions on other nodes, one message per partition and batch. */
    private void flush() {
        ClusterSharding s = sharding;
        if (s == null || outgoing.isEmpty()) {
            return;
        }
        Map<Integer, List<Route>> byPartition = new HashMap<>();
        for (Route route; (route = outgoing.poll()) != null; ) {
            List<Route> batch = byPartition.computeIfAbsent(route.partition(), k -> new ArrayList<>());
            batch.add(route);
            if (batch.size() >= BATCH) {
                send(route.partition(), batch);
                byPartition.remove(route.partition());
            }
        }
        byPartition.forEach(this::send);
    }

    private void send(int partition, List<Route> batch) {
        List<String> connectors = new ArrayList<>(batch.size());
        List<String> keys = new ArrayList<>(batch.size());
        List<Integer> senders = new ArrayList<>(batch.size());
        for (Route r : batch) {
            connectors.add(r.connector());
            keys.add(r.key());
            senders.add(r.sender());
        }
        entity(partition).tell(new PartitionEntity.AddRoutes(connectors, keys, senders));
    }

    private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<PartitionEntity.Command> entity(int partition)
            throws IllegalStateException {
        ClusterSharding s = sharding;
        if (s == null) {
            throw new IllegalStateException("the node is starting");
        }
        return s.entityRefFor(PartitionEntity.TYPE, Integer.toString(partition));
    }

    private PartitionEntity.PeerDone ask(int partition,
                                         org.apache.pekko.japi.function.Function<org.apache.pekko.actor.typed.ActorRef<
                                                 PartitionEntity.PeerDone>, PartitionEntity.Command> message,
                                         Duration timeout) throws IOException {
        if (sharding == null) {
            throw new IOException("the node is starting: nothing from the SMSC is handled yet");
        }
        PartitionEntity.PeerDone d = await(entity(partition).ask(message, timeout).toCompletableFuture(), timeout);
        if (d.failure() != null) {
            throw new IOException("partition " + partition + ": " + d.failure());
        }
        return d;
    }

    private static PartitionEntity.PeerDone await(CompletableFuture<PartitionEntity.PeerDone> f, Duration timeout)
            throws IOException {
        try {
            PartitionEntity.PeerDone d = f.get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            if (d.failure() != null) {
                throw new IOException("partition " + d.partition() + ": " + d.failure());
            }
            return d;
        } catch (ExecutionException e) {
            throw new IOException("no answer from its partition: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no answer from its partition within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Unbinds every account (after the node's partitions stopped). */
    @Override
    public void close() {
        Cancellable f = flusher;
        if (f != null) {
            f.cancel();
        }
        flush();
        for (dev.herald.dispatcher.connector.Connector c : connectors) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing connector: {}", e.toString());
            }
        }
    }
}
