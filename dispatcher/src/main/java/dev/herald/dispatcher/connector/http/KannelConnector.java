package dev.herald.dispatcher.connector.http;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.render.Encoding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * A {@link Connector} to a Kannel gateway's {@code sendsms} interface (smsbox), over a keep-alive
 * HTTP/1.1 connection pool (the JDK's {@link HttpClient}), at most {@link KannelSettings#window()}
 * requests at once.
 *
 * <pre>{@code
 * KannelConnector k = KannelConnector.start(settings, (campaignId, recipient) -> tokens.sign(...));
 * k.send(message);   // GET sendsms?username=..&to=%2B4474..&text=..&dlr-mask=19&dlr-url=<callback>
 * }</pre>
 *
 * <p><b>Answers.</b> {@code 202 0: Accepted for delivery} and {@code 202 3: Queued for later
 * delivery}: accepted (the message id is the callback token: Kannel gives none); {@code 400}:
 * failed ({@code kannel-bad-request}, Kannel's text logged); {@code 403}: failed
 * ({@code kannel-forbidden}: the credentials or the sender are refused; logged as an error);
 * {@code 5xx}: a transient failure; no connection could be made: a transient failure (nothing was
 * sent); no answer within the request timeout, or the connection lost after the request was
 * written: unconfirmed (Kannel may have queued it) — the recipient becomes {@code unknown}, never
 * resent. Kannel reports an SMSC's throttling only by queueing; the account's {@code rate} paces it.
 *
 * <p><b>Delivery reports.</b> With a {@link KannelSettings#callbackBase()}, each request carries
 * {@code dlr-mask=19} (delivered, undelivered, rejected by the SMSC) and a {@code dlr-url} to
 * {@code <callbackBase>/v1/receipts/<name>?t=<signed token>&type=%d&reply=%A}: the token names the
 * campaign and recipient under an HMAC, so a forged or altered report is refused.
 *
 * <p>Thread-safe.
 */
public final class KannelConnector implements Connector {

    private static final Logger LOG = LoggerFactory.getLogger(KannelConnector.class);
    /** Kannel's {@code dlr-mask}: 1 delivered, 2 undelivered, 16 rejected by the SMSC (finals only). */
    static final int DLR_MASK = 1 | 2 | 16;

    private final KannelSettings settings;
    private final BiFunction<String, Integer, String> tokens;
    private final HttpClient http;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong forbiddenLogged = new AtomicLong();

    private KannelConnector(KannelSettings settings, BiFunction<String, Integer, String> tokens) {
        this.settings = settings;
        this.tokens = tokens;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.requestTimeout()).build();
    }

    /**
     * @param settings the gateway
     * @param tokens   the callback token of a message ({@code (campaign id, recipient id)}), or null
     *                 when no delivery reports are asked for
     * @return the connector
     */
    public static KannelConnector start(KannelSettings settings, BiFunction<String, Integer, String> tokens) {
        return new KannelConnector(settings, settings.callbackBase().isEmpty() ? null : tokens);
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public double maxRatePerSecond() {
        return settings.rate() > 0 ? settings.rate() : Double.POSITIVE_INFINITY;
    }

    @Override
    public int window() {
        return settings.window();
    }

    /** @return requests sent and not answered */
    public int inFlight() {
        return inFlight.get();
    }

    /** @return the settings */
    public KannelSettings settings() {
        return settings;
    }

    @Override
    public CompletionStage<SendResult> send(OutboundMessage m) {
        if (closed.get()) {
            throw new IllegalStateException("connector " + settings.name() + " is closed");
        }
        if (inFlight.get() >= settings.window()) {
            throw new IllegalStateException("connector " + settings.name() + ": " + settings.window() + " sends unanswered already");
        }
        String token = tokens == null ? null : tokens.apply(m.campaignId(), m.recipientId());
        URI uri = URI.create(settings.sendsms() + (settings.sendsms().getQuery() == null ? "?" : "&") + query(m, token));
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(settings.requestTimeout()).GET().build();
        inFlight.incrementAndGet();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, error) -> {
                    inFlight.decrementAndGet();
                    return error != null
                            ? HttpGateways.failure(settings.name(), LOG, m, error, settings.requestTimeout(), "kannel")
                            : answer(m, response, token);
                });
    }

    private String query(OutboundMessage m, String token) {
        StringBuilder q = new StringBuilder(256);
        param(q, "username", settings.username());
        param(q, "password", settings.password());
        param(q, "from", m.from());
        param(q, "to", m.to());
        param(q, "text", m.text());
        param(q, "charset", "UTF-8");
        param(q, "coding", m.encoding() == Encoding.GSM_7 ? "0" : "2");
        if (!settings.smsc().isEmpty()) {
            param(q, "smsc", settings.smsc());
        }
        if (token != null) {
            param(q, "dlr-mask", Integer.toString(DLR_MASK));
            param(q, "dlr-url", settings.callbackBase() + "/v1/receipts/" + settings.name() + "?t=" + token
                    + "&type=%d&reply=%A");
        }
        return q.toString();
    }

    private static void param(StringBuilder q, String key, String value) {
        if (q.length() > 0) {
            q.append('&');
        }
        q.append(key).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    private SendResult answer(OutboundMessage m, HttpResponse<String> r, String token) {
        int status = r.statusCode();
        String body = r.body() == null ? "" : r.body().strip();
        if (status >= 200 && status < 300) {
            if (body.startsWith("0:") || body.startsWith("3:") || body.isEmpty() || status == 202) {
                return new SendResult.Accepted(token != null ? token : "kannel", System.currentTimeMillis());
            }
            LOG.warn("connector {}: Kannel answered {} '{}' for recipient {}: taken as accepted", settings.name(), status,
                    HttpGateways.clip(body), m.recipientId());
            return new SendResult.Accepted(token != null ? token : "kannel", System.currentTimeMillis());
        }
        if (status == 403) {
            if (forbiddenLogged.getAndIncrement() % 1_000 == 0) {
                LOG.error("connector {}: Kannel refused the request (403 '{}'): check username, password and the sender;"
                        + " every message is failed:kannel-forbidden until then", settings.name(), HttpGateways.clip(body));
            }
            return new SendResult.Failed("kannel-forbidden");
        }
        if (status == 400 || (status >= 401 && status < 500)) {
            LOG.warn("connector {}: Kannel refused the message to recipient {} of campaign {} ({} '{}')", settings.name(),
                    m.recipientId(), m.campaignId(), status, HttpGateways.clip(body));
            return new SendResult.Failed("kannel-bad-request");
        }
        LOG.warn("connector {}: Kannel answered {} '{}' for recipient {}: sent again later", settings.name(), status,
                HttpGateways.clip(body), m.recipientId());
        return new SendResult.TransientFailure("kannel-" + status);
    }

    /** Stops taking sends and waits (up to the request timeout and a second) for the unanswered. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        HttpGateways.awaitIdle(inFlight, settings.requestTimeout());
    }
}
