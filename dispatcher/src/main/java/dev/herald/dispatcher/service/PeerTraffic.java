package dev.herald.dispatcher.service;

import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.inbound.InboundHandler;
import dev.herald.dispatcher.metrics.HeraldMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where the service's real connectors hand what their peers send: a recipient's message goes to
 * the inbound handler of the connector it came through (the same handling as
 * {@code POST /v1/inbound/sms}: STOP, START, HELP, durable before the connector acknowledges it,
 * the confirmation sent back through that connector); accepted messages' ids and receipts go to
 * {@link Deliveries}, which matches receipts to recipients; receipts are counted by connector and
 * the state they report ({@link HeraldMetrics#deliveries} counts how they matched).
 *
 * <p>Connectors start before the handlers exist: until {@link #handlers} is called, a reply is
 * refused ({@link IOException}), so the peer sends it again.
 *
 * <p>Thread-safe.
 */
final class PeerTraffic implements PeerEvents {

    private static final Logger LOG = LoggerFactory.getLogger(PeerTraffic.class);
    /** How long a reply may take to be made durable before the peer is told to send it again. */
    private static final long REPLY_TIMEOUT_SECONDS = 30;

    private final HeraldMetrics metrics;
    private final Deliveries deliveries;
    private volatile Map<String, InboundHandler> handlers = Map.of();

    PeerTraffic(HeraldMetrics metrics, Deliveries deliveries) {
        this.metrics = metrics;
        this.deliveries = deliveries;
    }

    /** @param byConnector the inbound handler of each connector's replies */
    void handlers(Map<String, InboundHandler> byConnector) {
        this.handlers = Map.copyOf(byConnector);
    }

    @Override
    public void accepted(String connector, OutboundMessage message, int part, int parts, String key) throws IOException {
        deliveries.accepted(connector, message.campaignId(), message.recipientId(), part, parts, key);
    }

    @Override
    public void receipt(String connector, Receipt receipt) throws IOException {
        deliveries.receipt(connector, receipt);
        metrics.receipt(connector, receipt.state().name().toLowerCase(Locale.ROOT));
    }

    @Override
    public void reply(String connector, Reply reply) throws IOException {
        InboundHandler handler = handlers.get(connector);
        if (handler == null) {
            throw new IOException("the service is starting: replies through " + connector + " are not handled yet");
        }
        String from = reply.from() == null ? "" : reply.from().strip();
        if (!from.startsWith("+") && !from.isEmpty() && Character.isDigit(from.charAt(0))) {
            from = "+" + from; // SMPP carries international numbers without the +
        }
        try {
            InboundHandler.Answer a = handler.handle(new InboundHandler.Reply(from, reply.to(), reply.text(), "sms"))
                    .toCompletableFuture().get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            metrics.inbound(a.action());
            LOG.info("connector {}: reply from {} handled: {} {}", connector, mask(from), a.action(),
                    a.scope() == null ? "" : a.scope());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof InboundHandler.InvalidSender bad) {
                metrics.inbound("invalid");
                LOG.warn("connector {}: a reply from '{}' is not from a phone number, dropped: {}", connector,
                        reply.from(), bad.getMessage());
                return; // acknowledged: sending it again would not make it a number
            }
            throw new IOException("reply could not be handled: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("reply not handled within " + REPLY_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String mask(String e164) {
        return e164.length() <= 4 ? "****" : "*".repeat(e164.length() - 4) + e164.substring(e164.length() - 4);
    }
}
