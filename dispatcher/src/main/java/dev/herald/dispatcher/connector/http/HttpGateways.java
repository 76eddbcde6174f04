package dev.herald.dispatcher.connector.http;

import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import org.slf4j.Logger;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the HTTP gateways' connectors share: what a request that got no HTTP answer means, and
 * waiting for the unanswered at close.
 *
 * <p>Stateless.
 */
final class HttpGateways {

    private HttpGateways() {
    }

    /**
     * A request that failed without an HTTP answer: no connection could be made (a connect
     * timeout, refused) is a transient failure — nothing was sent; no answer within the request
     * timeout, or a connection lost after the request was written, is unconfirmed — the gateway
     * may have taken it, so the recipient becomes {@code unknown} and is never sent again.
     *
     * @param connector the connector's name, for the log
     * @param log       where it is logged
     * @param m         the message
     * @param error     the failure ({@link CompletionException}s unwrapped)
     * @param timeout   the request timeout, for the log
     * @param prefix    the reason's prefix, e.g. {@code kannel} for {@code kannel-unreachable}
     * @return the answer
     */
    static SendResult failure(String connector, Logger log, OutboundMessage m, Throwable error, Duration timeout,
                              String prefix) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException) {
            return new SendResult.TransientFailure(prefix + "-unreachable");
        }
        if (e instanceof HttpTimeoutException) {
            log.warn("connector {}: no answer within {} for recipient {} of campaign {}: unconfirmed", connector, timeout,
                    m.recipientId(), m.campaignId());
            return new SendResult.Unconfirmed("timeout");
        }
        if (e instanceof IOException) {
            log.warn("connector {}: connection lost while sending to recipient {} of campaign {}: unconfirmed ({})",
                    connector, m.recipientId(), m.campaignId(), e.toString());
            return new SendResult.Unconfirmed("connection-lost");
        }
        log.error("connector {}: sending to recipient {} failed", connector, m.recipientId(), e);
        return new SendResult.Unconfirmed("error");
    }

    /** Waits up to {@code timeout} and a second for {@code inFlight} to reach zero. */
    static void awaitIdle(AtomicInteger inFlight, Duration timeout) {
        long end = System.nanoTime() + timeout.plusSeconds(1).toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** @return {@code s} cut to 200 characters, control characters as spaces (for logs) */
    static String clip(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "…" : s;
        return t.replaceAll("[\\p{Cntrl}]", " ");
    }
}
