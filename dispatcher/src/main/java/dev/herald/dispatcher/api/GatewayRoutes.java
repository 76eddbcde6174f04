package dev.herald.dispatcher.api;

import dev.herald.dispatcher.connector.ConnectorAccounts;
import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;
import dev.herald.dispatcher.connector.http.KannelSettings;
import dev.herald.dispatcher.connector.smpp.ReceiptText;
import dev.herald.dispatcher.delivery.CallbackTokens;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.inbound.InboundHandler;
import dev.herald.dispatcher.metrics.HeraldMetrics;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * What HTTP gateways call back, without an API key (each request carries its own credential):
 * <ul>
 *   <li>{@code GET /v1/receipts/{connector}?t=<token>&type=<n>&reply=<text>&id=<SMSC's id>}: a delivery report
 *       (Kannel's {@code dlr-url}; {@code type} 1 delivered, 2 undelivered, 16 rejected by the
 *       SMSC, 4 and 8 intermediate); for a JSON gateway, {@code GET} or {@code POST} with its
 *       {@code status} (delivered, undelivered/failed, rejected, expired; sent and queued are
 *       intermediate) as a parameter or in a JSON body ({@code {"status", "error"}}). The token, signed by Herald when it sent the message
 *       ({@link CallbackTokens}), names the campaign and recipient (and the part, for a message
 *       Kannel was given part by part: the recipient is delivered when every part was): a forged
 *       or altered one is 403, and a repeated one changes nothing. 200 {@code ok} when recorded.</li>
 *   <li>{@code GET /v1/inbound/kannel/{connector}?k=<secret>&from=%p&to=%P&text=%a}: a
 *       recipient's message through Kannel's {@code get-url}; handled as
 *       {@code POST /v1/inbound/sms} (durable before the answer; the confirmation goes out
 *       through the same connector). A wrong or missing secret is 403. The answer's body is
 *       empty: Kannel would send any text back to the recipient as a reply.</li>
 * </ul>
 *
 * <p>Thread-safety: immutable; the stores are thread-safe. Blocking work runs on {@code blockingIo}.
 */
public final class GatewayRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/receipts/{connector}"),
            new Endpoint("POST", "/v1/receipts/{connector}"),
            new Endpoint("GET", "/v1/inbound/kannel/{connector}"));

    private static final Logger LOG = LoggerFactory.getLogger(GatewayRoutes.class);

    private final ConnectorAccounts accounts;
    private final CallbackTokens tokens;
    private final Deliveries deliveries;
    private final Map<String, InboundHandler> handlers;
    private final HeraldMetrics metrics;
    private final Executor blockingIo;

    /**
     * @param accounts   the configured gateways (which connector takes callbacks, its MO secret)
     * @param tokens     the callback tokens' signer
     * @param deliveries where delivery reports are recorded
     * @param handlers   each connector's reply handler
     * @param metrics    what is counted
     * @param blockingIo where recording runs
     */
    public GatewayRoutes(ConnectorAccounts accounts, CallbackTokens tokens, Deliveries deliveries,
                         Map<String, InboundHandler> handlers, HeraldMetrics metrics, Executor blockingIo) {
        super(null, 64 * 1024, Duration.ofSeconds(10));
        this.accounts = accounts;
        this.tokens = tokens;
        this.deliveries = deliveries;
        this.handlers = Map.copyOf(handlers);
        this.metrics = metrics;
        this.blockingIo = blockingIo;
    }

    /** @return the routes */
    public Route route() {
        return pathPrefix("v1", () -> concat(
                pathPrefix("receipts", () -> path(PathMatchers.segment(), connector -> concat(
                        get(() -> parameterMap(q -> receipt(connector, q, null))),
                        post(() -> parameterMap(q -> extractStrictEntity(Duration.ofSeconds(10), entity -> receipt(connector, q,
                                entity.getData().utf8String()))))))),
                pathPrefix("inbound", () -> pathPrefix("kannel", () -> path(PathMatchers.segment(), connector ->
                        get(() -> parameterMap(q -> reply(connector, q))))))));
    }

    private Route receipt(String connector, Map<String, String> q, String body) {
        if (!accounts.takesCallbacks(connector)) {
            throw ApiError.notFound("no HTTP gateway named '" + connector + "' takes delivery reports here");
        }
        Optional<CallbackTokens.Target> target = tokens.verify(connector, q.get("t"));
        if (target.isEmpty()) {
            metrics.receipt(connector, "forged");
            LOG.warn("connector {}: a delivery report with a token Herald did not sign was refused (t='{}')", connector,
                    clip(q.getOrDefault("t", "")));
            throw new ApiError(403, "forbidden", "the token 't' is missing, altered or not Herald's", "t");
        }
        DeliveryState state;
        String error;
        if (accounts.kannel(connector).isPresent()) {
            try {
                state = state(Integer.parseInt(q.getOrDefault("type", "")));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("invalid_value", "'type' must be a Kannel DLR type (1, 2, 4, 8 or 16), got '"
                        + clip(q.getOrDefault("type", "")) + "'", "type");
            }
            error = errorOf(q.getOrDefault("reply", ""));
        } else {
            String status = q.get("status");
            String code = q.getOrDefault("error", "");
            if (status == null && body != null && !body.isBlank()) {
                try {
                    com.fasterxml.jackson.databind.JsonNode j = JSON.readTree(body);
                    status = j.path("status").isTextual() ? j.path("status").asText() : null;
                    code = j.path("error").asText(j.path("error_code").asText(code));
                } catch (java.io.IOException e) {
                    throw ApiError.badRequest("invalid_json", "the body is not JSON: " + clip(body), null);
                }
            }
            try {
                state = status(status);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("invalid_value", e.getMessage(), "status");
            }
            error = code.length() > 32 ? code.substring(0, 32) : code;
        }
        CallbackTokens.Target t = target.get();
        // Kannel's %F (the SMSC's id of the part), kept for the recipient's view; the token says which part it is
        String smscId = q.getOrDefault("id", "").strip();
        String messageId = smscId.isEmpty() || smscId.contains("%") ? q.get("t") : clip(smscId);
        CompletionStage<Deliveries.Match> done = CompletableFuture.supplyAsync(() -> {
            try {
                return deliveries.callback(connector, t.campaign(), t.recipient(), t.part(), t.parts(), state, error,
                        messageId);
            } catch (java.io.IOException e) {
                throw new CompletionException(e);
            }
        }, blockingIo);
        return onSuccess(done, m -> {
            metrics.receipt(connector, state.name().toLowerCase(java.util.Locale.ROOT));
            return complete(HttpResponse.create().withStatus(200).withEntity(ContentTypes.TEXT_PLAIN_UTF8, "ok"));
        });
    }

    /** Kannel's DLR {@code type}: 1 delivered, 2 undelivered, 16 rejected by the SMSC; 4 buffered and 8 SMSC ack are intermediate. */
    static DeliveryState state(int type) {
        return switch (type) {
            case 1 -> DeliveryState.DELIVERED;
            case 2 -> DeliveryState.UNDELIVERABLE;
            case 16 -> DeliveryState.REJECTED;
            case 4 -> DeliveryState.ENROUTE;
            case 8 -> DeliveryState.ACCEPTED;
            default -> throw new IllegalArgumentException("not a DLR type: " + type);
        };
    }

    /** A provider's {@code status}: delivered, undelivered or failed, rejected, expired; sent, queued, accepted, enroute are intermediate. */
    static DeliveryState status(String status) {
        if (status == null) {
            throw new IllegalArgumentException("'status' is missing (delivered, undelivered, failed, rejected, expired, sent, queued)");
        }
        return switch (status.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "delivered" -> DeliveryState.DELIVERED;
            case "undelivered", "failed", "undeliverable" -> DeliveryState.UNDELIVERABLE;
            case "rejected" -> DeliveryState.REJECTED;
            case "expired" -> DeliveryState.EXPIRED;
            case "sent", "queued", "accepted", "enroute", "sending", "buffered" -> DeliveryState.ENROUTE;
            default -> throw new IllegalArgumentException("'status' must be delivered, undelivered, failed, rejected,"
                    + " expired, sent or queued, got '" + clip(status) + "'");
        };
    }

    /** The {@code err:} of an SMSC receipt text Kannel passed on as {@code %A}, if it is one. */
    private static String errorOf(String reply) {
        try {
            return ReceiptText.parse(reply).error();
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private Route reply(String connector, Map<String, String> q) {
        Optional<KannelSettings> k = accounts.kannel(connector);
        if (k.isEmpty() || k.get().moSecret().isEmpty()) {
            throw ApiError.notFound("no Kannel gateway named '" + connector + "' takes replies here");
        }
        byte[] given = q.getOrDefault("k", "").getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, k.get().moSecret().getBytes(StandardCharsets.UTF_8))) {
            metrics.inbound("forbidden");
            throw new ApiError(403, "forbidden", "the secret 'k' is missing or wrong", "k");
        }
        String from = q.get("from");
        String text = q.get("text");
        if (from == null || from.isBlank()) {
            throw ApiError.badRequest("missing_field", "'from' is missing", "from");
        }
        if (text == null) {
            throw ApiError.badRequest("missing_field", "'text' is missing", "text");
        }
        InboundHandler handler = handlers.get(connector);
        CompletionStage<InboundHandler.Answer> done = handler.handle(new InboundHandler.Reply(from.strip(),
                q.getOrDefault("to", ""), text, "sms"));
        return onSuccess(done.handle((a, e) -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof InboundHandler.InvalidSender bad) {
                throw ApiError.badRequest("invalid_phone", bad.getMessage(), "from");
            }
            if (cause != null) {
                throw new ApiError(503, "unavailable", "the reply could not be stored; send it again", null);
            }
            metrics.inbound(a.action());
            return a;
        }), a -> complete(HttpResponse.create().withStatus(200).withEntity(ContentTypes.TEXT_PLAIN_UTF8, "")));
    }

    private static String clip(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return t.replaceAll("[\\p{Cntrl}]", "?");
    }
}
