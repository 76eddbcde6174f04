package dev.herald.dispatcher.connector.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.render.Encoding;
import dev.herald.throttle.RateLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Connector} to a provider-style JSON API: each message is one {@code POST} of
 * {@code {"to", "from", "text", "encoding", "parts", "reference", "status_callback"}} over a
 * keep-alive HTTP/1.1 pool, at most {@link JsonGatewaySettings#window()} at once.
 *
 * <p><b>Answers.</b> 2xx: accepted, with the message id from the answer's
 * {@link JsonGatewaySettings#idField() id field}; 429 and 503: throttled, after the
 * {@code Retry-After} the provider gave (seconds or an HTTP date), reported to the rate limiter;
 * other 4xx: failed ({@code http-<status>}); other 5xx: a transient failure; no connection: a
 * transient failure (nothing was sent); no answer within the request timeout or a connection lost
 * after the request was written: unconfirmed (the recipient becomes {@code unknown}, never resent).
 *
 * <p><b>Status callbacks.</b> With a {@link JsonGatewaySettings#callbackBase()}, each message's
 * {@code status_callback} is {@code <callbackBase>/v1/receipts/<name>?t=<signed token>}; the
 * provider calls it with its {@code status} ({@code delivered}, {@code undelivered},
 * {@code failed}, {@code expired}, …) as a query parameter or in a JSON body.
 *
 * <p>Thread-safe.
 */
public final class JsonGatewayConnector implements Connector {

    private static final Logger LOG = LoggerFactory.getLogger(JsonGatewayConnector.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonGatewaySettings settings;
    private final RateLimiter limiter;
    private final java.util.function.Function<OutboundMessage, String> tokens;
    private final HttpClient http;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private JsonGatewayConnector(JsonGatewaySettings settings, RateLimiter limiter, java.util.function.Function<OutboundMessage, String> tokens) {
        this.settings = settings;
        this.limiter = limiter;
        this.tokens = tokens;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.requestTimeout())
                .build();
    }

    /**
     * @param settings the gateway
     * @param limiter  the shared token bucket told of every throttling answer, or null
     * @param tokens   the callback token of a message (from the message: its campaign, recipient id and number); unused
     *                 without a callback base
     * @return the connector
     */
    public static JsonGatewayConnector start(JsonGatewaySettings settings, RateLimiter limiter,
                                             java.util.function.Function<OutboundMessage, String> tokens) {
        return new JsonGatewayConnector(settings, limiter, settings.callbackBase().isEmpty() ? null : tokens);
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

    @Override
    public CompletionStage<SendResult> send(OutboundMessage m) {
        if (closed.get()) {
            throw new IllegalStateException("connector " + settings.name() + " is closed");
        }
        if (inFlight.get() >= settings.window()) {
            throw new IllegalStateException("connector " + settings.name() + ": " + settings.window() + " sends unanswered already");
        }
        ObjectNode body = JSON.createObjectNode().put("to", m.to()).put("from", m.from()).put("text", m.text())
                .put("encoding", m.encoding() == Encoding.GSM_7 ? "gsm7" : "ucs2").put("parts", m.segments())
                .put("reference", m.idempotencyKey());
        if (tokens != null) {
            body.put("status_callback", settings.callbackBase() + "/v1/receipts/" + settings.name() + "?t="
                    + tokens.apply(m));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(settings.url()).timeout(settings.requestTimeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        if (!settings.authorization().isEmpty()) {
            b.header("Authorization", settings.authorization());
        }
        inFlight.incrementAndGet();
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).handle((r, e) -> {
            inFlight.decrementAndGet();
            SendResult result = e != null
                    ? HttpGateways.failure(settings.name(), LOG, m, e, settings.requestTimeout(), "http") : answer(m, r);
            if (result instanceof SendResult.Throttled t && limiter != null) {
                limiter.onThrottled(System.nanoTime(), t.retryAfterNanos());
            }
            return result;
        });
    }

    private SendResult answer(OutboundMessage m, HttpResponse<String> r) {
        int status = r.statusCode();
        String body = r.body() == null ? "" : r.body();
        if (status >= 200 && status < 300) {
            String id = "";
            try {
                JsonNode j = JSON.readTree(body);
                id = j == null ? "" : j.path(settings.idField()).asText("");
            } catch (IOException e) {
                LOG.warn("connector {}: the provider accepted recipient {} with an answer that is not JSON ('{}'): no id",
                        settings.name(), m.recipientId(), HttpGateways.clip(body));
            }
            return new SendResult.Accepted(id, System.currentTimeMillis());
        }
        if (status == 429 || status == 503) {
            return new SendResult.Throttled(retryAfterNanos(r.headers().firstValue("Retry-After").orElse(null)));
        }
        if (status >= 400 && status < 500) {
            LOG.warn("connector {}: the provider refused the message to recipient {} of campaign {} ({} '{}')",
                    settings.name(), m.recipientId(), m.campaignId(), status, HttpGateways.clip(body));
            return new SendResult.Failed("http-" + status);
        }
        LOG.warn("connector {}: the provider answered {} '{}' for recipient {}: sent again later", settings.name(), status,
                HttpGateways.clip(body), m.recipientId());
        return new SendResult.TransientFailure("http-" + status);
    }

    /** A {@code Retry-After} of seconds or an HTTP date, in nanoseconds; -1 if absent or unreadable. */
    static long retryAfterNanos(String header) {
        if (header == null || header.isBlank()) {
            return -1;
        }
        String h = header.strip();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(h))).toNanos();
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(java.time.Instant.now(),
                        ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return d.isNegative() ? 0 : d.toNanos();
            } catch (RuntimeException e2) {
                return -1;
            }
        }
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
