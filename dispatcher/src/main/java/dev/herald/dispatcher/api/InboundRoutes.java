package dev.herald.dispatcher.api;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herald.dispatcher.inbound.InboundHandler;
import dev.herald.dispatcher.inbound.InboundSettings;
import dev.herald.dispatcher.inbound.ReplayGuard;
import dev.herald.dispatcher.metrics.HeraldMetrics;

/**
 * The inbound reply webhook (issue 6): {@code POST /v1/inbound/sms}, called by the SMS provider
 * for every message a recipient sends to one of the senders' numbers.
 *
 * <p><b>Body.</b> JSON {@code {"from", "to", "text", "channel", "id", "timestamp"}} ({@code from}
 * and {@code to} required; {@code channel} defaults to {@code sms}; {@code id} is the provider's
 * message id; {@code timestamp} ISO-8601 or epoch seconds; other fields are ignored, as providers
 * add their own), or form-encoded as common providers post
 * it: {@code From}, {@code To}, {@code Body}, a message id in {@code MessageSid}, {@code SmsMessageSid},
 * {@code SmsSid} or {@code MessageId}, optional {@code Timestamp}, {@code Channel}; other fields are
 * ignored. A {@code whatsapp:+44...} number means channel {@code whatsapp}.
 *
 * <p><b>Authentication.</b> {@code X-Herald-Signature: sha256=<lowercase hex of
 * HMAC-SHA256(secret, raw body)>}; missing or wrong: 403 {@code invalid_signature}. No secret
 * configured: 403 {@code inbound_disabled}. <b>Replays</b> ({@link ReplayGuard}): a message id or
 * (without an id) a body already taken within the replay window (also across a restart): 409
 * {@code replayed}; a {@code timestamp} more than the window in the past or a minute in the future,
 * or none when {@code require-timestamp} is on: 403 {@code stale_request}. The signature is checked before
 * anything else is looked at.
 *
 * <p><b>Answer.</b> 200 {@code {"action": "opt-out"|"opt-in"|"help"|"review"|"none", "scope", "reply"}}
 * (with {@code "review": "<item id>"} for a reply held for review, see {@link ReviewRoutes}), once
 * the change is durable (see {@link InboundHandler}). 400 names the field for a malformed body or
 * a {@code from} that is not a phone number; 503 {@code storage_failed} if the change could not be
 * made durable (retrying is safe: the request is not remembered as taken).
 *
 * <p>Thread-safety: the route is immutable; the handler and the guard are thread-safe.
 */
public final class InboundRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("POST", "/v1/inbound/sms"));

    /** The signature header. */
    public static final String SIGNATURE_HEADER = "X-Herald-Signature";

    private static final Logger LOG = LoggerFactory.getLogger(InboundRoutes.class);
    private static final Pattern SIGNATURE = Pattern.compile("sha256=[0-9a-f]{64}");
    private static final List<String> ID_FIELDS = List.of("MessageSid", "SmsMessageSid", "SmsSid", "MessageId");
    private static final int MAX_FIELD = 64;

    /**
     * The JSON body.
     *
     * @param from      the recipient's number
     * @param to        the number or short code it was sent to
     * @param text      the message text (may be empty)
     * @param channel   {@code sms} (default), {@code whatsapp}, ...
     * @param id        the provider's message id (optional; replay protection)
     * @param timestamp when the provider received it, ISO-8601 or epoch seconds (optional; replay protection)
     */
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    public record InboundJson(String from, String to, String text, String channel, String id, String timestamp) {
    }

    private final InboundHandler handler;
    private final InboundSettings settings;
    private final ReplayGuard replays;
    private final HeraldMetrics metrics;
    private final Clock clock;

    /**
     * @param replays the requests already taken (see {@link ReplayGuard#open}, which survives restarts)
     */
    public InboundRoutes(ApiKeys keys, java.time.Duration bodyTimeout, InboundHandler handler, InboundSettings settings,
                         ReplayGuard replays, HeraldMetrics metrics, Clock clock) {
        super(keys, settings.maxBody(), bodyTimeout);
        this.handler = handler;
        this.settings = settings;
        this.replays = replays;
        this.metrics = metrics;
        this.clock = clock;
    }

    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("inbound", () -> path("sms", () -> pathEnd(() -> post(() ->
                optionalHeaderValueByName(SIGNATURE_HEADER, signature -> extractMaterializer(mat -> extractRequestEntity(entity -> {
                    CompletionStage<HttpEntity.Strict> strict = strictBody(entity, maxJsonBytes(),
                            java.time.Duration.ofSeconds(10), mat);
                    return onSuccess(strict, s -> receive(signature.orElse(null), s.getContentType().mediaType(),
                            s.getData().toArray()));
                }))))))));
    }

    private Route receive(String signature, MediaType type, byte[] body) {
        try {
            verify(signature, body);
        } catch (ApiError e) {
            metrics.inbound(e.code());
            throw e;
        }
        InboundHandler.Reply reply;
        long nonce;
        try {
            Parsed p;
            if (type.equals(MediaTypes.APPLICATION_JSON)) {
                p = json(body);
            } else if (type.equals(MediaTypes.APPLICATION_X_WWW_FORM_URLENCODED)) {
                p = form(body);
            } else {
                throw new ApiError(415, "unsupported_media_type",
                        "the body must be application/json or application/x-www-form-urlencoded, got " + type, null);
            }
            if (p.timestamp() != null) {
                Instant at = timestamp(p.timestamp());
                Instant now = clock.instant();
                if (at.isBefore(now.minus(settings.replayWindow())) || at.isAfter(now.plus(ReplayGuard.FUTURE_SKEW))) {
                    throw new ApiError(403, "stale_request", "the request's timestamp " + at + " is more than "
                            + settings.replayWindow() + " in the past or " + ReplayGuard.FUTURE_SKEW
                            + " in the future: refused as a possible replay", "timestamp");
                }
            } else if (settings.requireTimestamp()) {
                throw new ApiError(403, "stale_request", "this server requires a signed timestamp in the body "
                        + "(JSON \"timestamp\", form Timestamp) to refuse replays (herald.inbound.require-timestamp)", "timestamp");
            }
            reply = p.reply();
            nonce = ReplayGuard.nonce(p.id(), body);
        } catch (ApiError e) {
            metrics.inbound(e.status() == 403 ? e.code() : "bad_request");
            throw e;
        }
        if (!replays.claim(nonce)) {
            metrics.inbound("replayed");
            throw new ApiError(409, "replayed", "this message was already taken (same message id, or same body without an id, "
                    + "within " + settings.replayWindow() + "); it is not acted on again", null);
        }
        CompletionStage<InboundHandler.Answer> answer = handler.handle(reply).exceptionally(e -> {
            replays.forget(nonce); // not taken: a retry of the same request must work
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof InboundHandler.InvalidSender bad) {
                throw ApiError.badRequest("invalid_phone", bad.getMessage(), "from");
            }
            if (cause instanceof java.io.IOException || cause instanceof java.io.UncheckedIOException) {
                LOG.error("an inbound reply could not be made durable", masked(cause));
                throw new ApiError(503, "storage_failed", "the change could not be made durable; retry", null);
            }
            if (cause instanceof IllegalStateException full && String.valueOf(full.getMessage()).contains("full")) {
                throw new ApiError(503, "directory_full", "the recipient directory is full", null);
            }
            throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
        });
        return onSuccess(answer, a -> {
            metrics.inbound(a.action());
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("action", a.action());
            out.put("scope", a.scope());
            out.put("reply", a.reply());
            if (a.review() != null) {
                out.put("review", a.review());
            }
            return complete(json(200, out));
        });
    }

    /** 403 unless {@code header} is the HMAC-SHA256 of {@code body} with the configured secret. */
    private void verify(String header, byte[] body) {
        byte[] secret = settings.secret().orElseThrow(() -> new ApiError(403, "inbound_disabled",
                "no inbound secret is configured (herald.inbound.secret or " + InboundSettings.SECRET_ENV
                        + "): replies cannot be authenticated", SIGNATURE_HEADER));
        if (header == null || header.isBlank()) {
            throw new ApiError(403, "invalid_signature", "missing " + SIGNATURE_HEADER + ": sha256=<hex HMAC-SHA256 of the body>",
                    SIGNATURE_HEADER);
        }
        String h = header.strip();
        if (!SIGNATURE.matcher(h).matches()) {
            throw new ApiError(403, "invalid_signature", SIGNATURE_HEADER + " must be sha256=<64 lowercase hex digits>",
                    SIGNATURE_HEADER);
        }
        byte[] given = HexFormat.of().parseHex(h, 7, h.length());
        if (!MessageDigest.isEqual(given, hmac(secret, body))) {
            throw new ApiError(403, "invalid_signature", SIGNATURE_HEADER + " does not match the body", SIGNATURE_HEADER);
        }
    }

    /** HMAC-SHA256 of {@code body} with {@code secret}. */
    public static byte[] hmac(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** The header value for {@code body}: {@code sha256=<lowercase hex>}. */
    public static String signature(byte[] secret, byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(hmac(secret, body));
    }

    private record Parsed(InboundHandler.Reply reply, String id, String timestamp) {
    }

    private static Parsed json(byte[] body) {
        InboundJson j = parse(body, InboundJson.class);
        String channel = j.channel() == null ? null : j.channel().strip();
        return new Parsed(reply(j.from(), j.to(), j.text() == null ? "" : j.text(), channel, "from", "to", "channel"),
                j.id(), j.timestamp());
    }

    private static Parsed form(byte[] body) {
        Map<String, byte[]> fields = formFields(body);
        String from = utf8(fields.get("From"), "From");
        String to = utf8(fields.get("To"), "To");
        byte[] text = fields.get("Body");
        String decoded = text == null ? "" : decodeOrNull(text); // invalid UTF-8: no keyword, not an error
        String channel = utf8(fields.get("Channel"), "Channel");
        String id = null;
        for (String f : ID_FIELDS) {
            if (fields.containsKey(f)) {
                id = utf8(fields.get(f), f);
                break;
            }
        }
        return new Parsed(reply(from, to, decoded, channel, "From", "To", "Channel"), id, utf8(fields.get("Timestamp"), "Timestamp"));
    }

    private static InboundHandler.Reply reply(String from, String to, String text, String channel,
                                              String fromField, String toField, String channelField) {
        if (from == null || from.isBlank()) {
            throw ApiError.badRequest("missing_field", "'" + fromField + "' is required: the number the reply came from", fromField);
        }
        if (to == null || to.isBlank()) {
            throw ApiError.badRequest("missing_field", "'" + toField + "' is required: the number or short code it was sent to", toField);
        }
        if (from.length() > MAX_FIELD || to.length() > MAX_FIELD) {
            String f = from.length() > MAX_FIELD ? fromField : toField;
            throw ApiError.badRequest("invalid_value", "'" + f + "' is longer than " + MAX_FIELD + " characters", f);
        }
        String ch = channel;
        if (ch == null || ch.isBlank()) {
            int colon = from.indexOf(':');
            ch = colon > 0 && colon < 16 && from.substring(0, colon).chars().allMatch(Character::isLetter)
                    ? from.substring(0, colon) : "sms";
        }
        ch = ch.strip().toLowerCase(Locale.ROOT);
        try {
            ch = dev.herald.suppression.Scope.channel(ch).name();
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", "'" + channelField + "' must be 1-64 characters of a-z, 0-9, '.', '_', '-'",
                    channelField);
        }
        return new InboundHandler.Reply(from, to, text, ch);
    }

    private static Instant timestamp(String t) {
        String s = t.strip();
        try {
            if (s.chars().allMatch(Character::isDigit) && !s.isEmpty() && s.length() <= 12) {
                return Instant.ofEpochSecond(Long.parseLong(s));
            }
            return Instant.parse(s);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw ApiError.badRequest("invalid_value", "'timestamp' must be ISO-8601 (2026-11-23T10:15:30Z) or epoch seconds, got '"
                    + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'", "timestamp");
        }
    }

    /** {@code application/x-www-form-urlencoded} fields as raw bytes (the first of repeated names). */
    static Map<String, byte[]> formFields(byte[] body) {
        Map<String, byte[]> out = new HashMap<>();
        int i = 0;
        while (i <= body.length) {
            int amp = i;
            while (amp < body.length && body[amp] != '&') {
                amp++;
            }
            if (amp > i) {
                int eq = i;
                while (eq < amp && body[eq] != '=') {
                    eq++;
                }
                String name = decodeOrNull(percentDecode(body, i, eq));
                if (name == null) {
                    throw ApiError.badRequest("invalid_utf8", "a form field name is not valid UTF-8", null);
                }
                byte[] value = eq < amp ? percentDecode(body, eq + 1, amp) : new byte[0];
                out.putIfAbsent(name, value);
            }
            i = amp + 1;
        }
        return out;
    }

    private static byte[] percentDecode(byte[] b, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == '+') {
                out.write(' ');
            } else if (c == '%') {
                if (i + 2 >= to || Character.digit(b[i + 1], 16) < 0 || Character.digit(b[i + 2], 16) < 0) {
                    throw ApiError.badRequest("invalid_form", "malformed percent-encoding at byte " + i + " of the form body", null);
                }
                out.write(Character.digit(b[i + 1], 16) * 16 + Character.digit(b[i + 2], 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static String utf8(byte[] value, String field) {
        if (value == null) {
            return null;
        }
        String s = decodeOrNull(value);
        if (s == null) {
            throw ApiError.badRequest("invalid_utf8", "'" + field + "' is not valid UTF-8", field);
        }
        return s;
    }

    private static String decodeOrNull(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
