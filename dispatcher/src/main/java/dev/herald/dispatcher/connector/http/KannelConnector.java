package dev.herald.dispatcher.connector.http;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.Segments;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Connector} to a Kannel gateway's {@code sendsms} interface (smsbox), over a keep-alive
 * HTTP/1.1 connection pool (the JDK's {@link HttpClient}), at most {@link KannelSettings#window()}
 * requests at once.
 *
 * <pre>{@code
 * KannelConnector k = KannelConnector.start(settings, (m, part, parts) -> tokens.sign(...));
 * k.send(message);   // GET sendsms?username=..&to=%2B4474..&text=..&dlr-mask=19&dlr-url=<callback>
 * }</pre>
 *
 * <p><b>Long messages.</b> A message of one SMS goes as one request. A concatenated one goes part
 * by part, one request each, in order: the part's text (cut as {@link Segments#split} counts it),
 * its concatenation header in {@code udh} ({@code 05 00 03 <ref> <parts> <part>}) and its own
 * {@code dlr-url}. Kannel does not split a part that fits, and passes the header on. Why: given
 * the whole long text, Kannel splits it itself and asks the SMSC for a receipt of the first part
 * only (its {@code sms_split} clears the later parts' {@code dlr-mask}; seen with Kannel 1.4.5
 * and the node SMSC: {@code registered_delivery} 1 on part 1, 0 on the others), so the one report
 * would speak for parts whose fate nobody learns. Part by part, each part is reported and the
 * recipient is delivered only when every part was. Should Kannel still split a part (it counts
 * the text differently), only the first piece asks for a receipt: one report per Herald part
 * still. The message is accepted when every part is; a later part that is refused or not
 * answered leaves the message unconfirmed (its first parts went out: never sent again).
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
 * {@code <callbackBase>/v1/receipts/<name>?t=<signed token>&type=%d&reply=%A&id=%F}: the token
 * names the campaign, recipient and part (of how many) under an HMAC, so a forged or altered
 * report is refused; {@code id} is the SMSC's message id (kept for the recipient's view, not
 * trusted).
 *
 * <p>Thread-safe.
 */
public final class KannelConnector implements Connector {

    private static final Logger LOG = LoggerFactory.getLogger(KannelConnector.class);
    /** Kannel's {@code dlr-mask}: 1 delivered, 2 undelivered, 16 rejected by the SMSC (finals only). */
    static final int DLR_MASK = 1 | 2 | 16;

    /** A message's callback tokens, one per part. */
    @FunctionalInterface
    public interface Tokens {
        /**
         * @param message the message (its campaign, recipient id and number)
         * @param part    the part, 1..parts
         * @param parts   the parts the message is sent in, 1..255
         * @return the token of that part's {@code dlr-url}
         */
        String sign(OutboundMessage message, int part, int parts);
    }

    private final KannelSettings settings;
    private final Tokens tokens;
    /** Concatenation references (the low 8 bits): different between one recipient's messages. */
    private final AtomicInteger reference = new AtomicInteger();
    private final HttpClient http;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong forbiddenLogged = new AtomicLong();

    private KannelConnector(KannelSettings settings, Tokens tokens) {
        this.settings = settings;
        this.tokens = tokens;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.requestTimeout()).build();
    }

    /**
     * @param settings the gateway
     * @param tokens   the callback token of a message's part ({@code (campaign id, recipient id, part,
     *                 parts)}), or null when no delivery reports are asked for
     * @return the connector
     */
    public static KannelConnector start(KannelSettings settings, Tokens tokens) {
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
        List<String> texts = List.of(m.text());
        if (m.segments() > 1) {
            try {
                texts = Segments.split(m.text(), m.encoding());
            } catch (IllegalArgumentException e) {
                // not cut: Kannel splits it, and reports on the first part only
                LOG.warn("connector {}: recipient {}'s text cannot be cut in {}: sent whole ({})", settings.name(),
                        m.recipientId(), m.encoding(), e.getMessage());
            }
        }
        if (texts.size() > 255) {
            return CompletableFuture.completedFuture(new SendResult.Failed("too-many-parts"));
        }
        int ref = texts.size() > 1 ? reference.getAndIncrement() & 0xFF : 0;
        inFlight.incrementAndGet();
        CompletableFuture<SendResult> done = new CompletableFuture<>();
        try {
            sendPart(m, texts, ref, 1, new ArrayList<>(texts.size()), done);
        } catch (RuntimeException e) {
            inFlight.decrementAndGet(); // nothing was sent
            throw e;
        }
        return done.whenComplete((r, e) -> inFlight.decrementAndGet());
    }

    /** Sends part {@code part} of {@code texts}, then (accepted) the next; completes {@code done} with the message's result. */
    private void sendPart(OutboundMessage m, List<String> texts, int ref, int part, List<String> tokensSoFar,
                          CompletableFuture<SendResult> done) {
        int parts = texts.size();
        String token;
        HttpRequest request;
        try {
            token = tokens == null ? null : tokens.sign(m, part, parts);
            URI uri = URI.create(settings.sendsms() + (settings.sendsms().getQuery() == null ? "?" : "&")
                    + query(m, texts.get(part - 1), ref, part, parts, token));
            request = HttpRequest.newBuilder(uri).timeout(settings.requestTimeout()).GET().build();
        } catch (RuntimeException e) {
            if (part == 1) {
                throw e; // nothing was sent: the caller's to handle
            }
            LOG.error("connector {}: part {}/{} of recipient {}'s message (campaign {}) could not be made: unconfirmed",
                    settings.name(), part, parts, m.recipientId(), m.campaignId(), e);
            done.complete(new SendResult.Unconfirmed("kannel-later-part-error"));
            return;
        }
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, error) -> error != null
                        ? HttpGateways.failure(settings.name(), LOG, m, error, settings.requestTimeout(), "kannel")
                        : answer(m, response, token))
                .whenComplete((result, error) -> {
                    if (error != null) {
                        if (part == 1) {
                            done.completeExceptionally(error);
                        } else {
                            LOG.error("connector {}: part {}/{} of recipient {}'s message (campaign {}) failed: unconfirmed",
                                    settings.name(), part, parts, m.recipientId(), m.campaignId(), error);
                            done.complete(new SendResult.Unconfirmed("kannel-later-part-error"));
                        }
                        return;
                    }
                    if (!(result instanceof SendResult.Accepted a)) {
                        if (part == 1) {
                            done.complete(result); // nothing went out: the message's result
                        } else {
                            LOG.warn("connector {}: part {}/{} of recipient {}'s message (campaign {}) was not taken ({}),"
                                    + " its first parts were: unconfirmed, not sent again", settings.name(), part, parts,
                                    m.recipientId(), m.campaignId(), result);
                            done.complete(new SendResult.Unconfirmed("kannel-later-part-" + reason(result)));
                        }
                        return;
                    }
                    tokensSoFar.add(a.messageId());
                    if (part == parts) {
                        done.complete(new SendResult.Accepted(tokensSoFar.get(0), a.acceptedAtMillis(), tokensSoFar));
                    } else { // also while closing: close() waits a while for the messages in flight
                        sendPart(m, texts, ref, part + 1, tokensSoFar, done);
                    }
                });
    }

    private static String reason(SendResult r) {
        if (r instanceof SendResult.Failed f) {
            return f.reason();
        }
        if (r instanceof SendResult.Unconfirmed u) {
            return u.reason();
        }
        return r instanceof SendResult.Throttled ? "throttled" : "transient";
    }

    private String query(OutboundMessage m, String text, int ref, int part, int parts, String token) {
        StringBuilder q = new StringBuilder(256);
        param(q, "username", settings.username());
        param(q, "password", settings.password());
        param(q, "from", m.from());
        param(q, "to", m.to());
        param(q, "text", text);
        param(q, "charset", "UTF-8");
        param(q, "coding", m.encoding() == Encoding.GSM_7 ? "0" : "2");
        if (parts > 1) {
            // the concatenation header (IEI 00, 8-bit reference), as Kannel's udh parameter: URL-encoded octets
            q.append("&udh=%05%00%03").append(hex(ref)).append(hex(parts)).append(hex(part));
        }
        if (!settings.smsc().isEmpty()) {
            param(q, "smsc", settings.smsc());
        }
        if (token != null) {
            param(q, "dlr-mask", Integer.toString(DLR_MASK));
            param(q, "dlr-url", settings.callbackBase() + "/v1/receipts/" + settings.name() + "?t=" + token
                    + "&type=%d&reply=%A&id=%F");
        }
        return q.toString();
    }

    private static String hex(int octet) {
        return String.format("%%%02X", octet & 0xFF);
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
