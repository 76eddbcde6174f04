package dev.herald.dispatcher.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every Herald route shares: bearer-key authorization with roles, strict JSON request
 * bodies with a size limit, JSON answers, and errors as {@code {"error", "message", "field"}}
 * whatever went wrong (a refused request, a rejection of Pekko's routing, a bug).
 *
 * <pre>{@code
 * Route r = authorized(Role.SENDER, key -> jsonBody(CreateCampaign.class, body -> completeJson(201, created)));
 * }</pre>
 *
 * <p>Thread-safety: the routes it builds are immutable; the JSON mapper is shared and thread-safe.
 */
public class ApiDirectives extends AllDirectives {

    private static final Logger LOG = LoggerFactory.getLogger(ApiDirectives.class);

    /** Request bodies: unknown fields refused; answers: ISO-8601 instants. */
    public static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    static {
        // "name": 5 or "tps": "10" is the wrong type, not something to guess at.
        JSON.coercionConfigFor(com.fasterxml.jackson.databind.type.LogicalType.Textual)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer,
                        com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float,
                        com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean,
                        com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
        JSON.coercionConfigFor(com.fasterxml.jackson.databind.type.LogicalType.Float)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.String,
                        com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
        JSON.coercionConfigFor(com.fasterxml.jackson.databind.type.LogicalType.Integer)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.String,
                        com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
    }

    private final ApiKeys keys;
    private final long maxJsonBytes;
    private final java.time.Duration bodyTimeout;

    /**
     * @param keys         who may call
     * @param maxJsonBytes the largest JSON request body (bigger: 413)
     * @param bodyTimeout  how long reading a request body may take
     */
    protected ApiDirectives(ApiKeys keys, long maxJsonBytes, java.time.Duration bodyTimeout) {
        this.keys = keys;
        this.maxJsonBytes = maxJsonBytes;
        this.bodyTimeout = bodyTimeout;
    }

    /**
     * @param keys   who may call
     * @param limits the largest JSON request body and how long reading one may take
     */
    protected ApiDirectives(ApiKeys keys, BodyLimits limits) {
        this(keys, limits.maxJsonBytes(), limits.timeout());
    }

    /** @return the largest JSON request body accepted */
    protected long maxJsonBytes() {
        return maxJsonBytes;
    }

    /**
     * Runs {@code inner} for a request with {@code Authorization: Bearer <key>} of a key whose role
     * allows {@code needed}; 401 (with {@code WWW-Authenticate: Bearer}) without a valid key,
     * 403 with a key of a lesser role.
     */
    protected Route authorized(Role needed, Function<ApiKeys.Key, Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            String token = bearer(header);
            ApiKeys.Key key = keys.verify(token).orElseThrow(() -> new ApiError(401, "unauthorized",
                    header.isEmpty() ? "missing Authorization: Bearer <api key>" : "unknown or revoked API key", "Authorization"));
            if (!key.role().allows(needed)) {
                throw new ApiError(403, "forbidden", "this needs a key with role " + needed.wire() + "; the key "
                        + key.id() + " has role " + key.role().wire(), null);
            }
            return inner.apply(key);
        });
    }

    private static String bearer(Optional<String> header) {
        if (header.isEmpty()) {
            return null;
        }
        String h = header.get().strip();
        if (h.length() > 7 && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return h.substring(7).strip();
        }
        throw new ApiError(401, "unauthorized", "Authorization must be 'Bearer <api key>'", "Authorization");
    }

    /**
     * Reads the whole request body (at most {@link #maxJsonBytes()}: 413 beyond), checks that it is
     * {@code application/json} and valid UTF-8, and parses it strictly into {@code type}.
     */
    protected <T> Route jsonBody(Class<T> type, Function<T, Route> inner) {
        return extractMaterializer(mat -> extractRequestEntity(entity -> {
            if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
                throw new ApiError(415, "unsupported_media_type", "the body must be application/json, got "
                        + entity.getContentType().mediaType(), null);
            }
            CompletionStage<HttpEntity.Strict> strict = strictBody(entity, maxJsonBytes, bodyTimeout, mat);
            return onSuccess(strict, s -> inner.apply(parse(s.getData().toArray(), type)));
        }));
    }

    /** The largest over-limit body read and discarded before the 413, so the client sees the answer. */
    static final long DRAIN_MAX_BYTES = 8L << 20;

    /**
     * Reads a request body whole, at most {@code limit} bytes. A body that declares a larger length is
     * refused with 413 {@code body_too_large} without being kept; up to {@link #DRAIN_MAX_BYTES} of it
     * are read and discarded first, because a client still writing its body when the server answers
     * and closes sees a reset instead of the 413 (bigger bodies are cut off: the connection closes).
     */
    public static CompletionStage<HttpEntity.Strict> strictBody(org.apache.pekko.http.javadsl.model.RequestEntity entity,
            long limit, java.time.Duration timeout, org.apache.pekko.stream.Materializer mat) {
        java.util.OptionalLong declared = entity.getContentLengthOption();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            ApiError tooLarge = new ApiError(413, "body_too_large", "the request body is " + declared.getAsLong()
                    + " bytes, larger than the " + limit + " bytes allowed here", null);
            if (declared.getAsLong() > DRAIN_MAX_BYTES) {
                return java.util.concurrent.CompletableFuture.failedFuture(tooLarge);
            }
            return entity.getDataBytes().completionTimeout(timeout)
                    .runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), mat)
                    .handle((done, failure) -> { throw tooLarge; });
        }
        return entity.withSizeLimit(limit).toStrict(timeout.toMillis(), mat);
    }

    /**
     * Parses {@code body} strictly: 400 {@code invalid_utf8}, {@code invalid_json},
     * {@code unknown_field}, {@code wrong_type} or {@code missing_body}, naming the field.
     */
    public static <T> T parse(byte[] body, Class<T> type) {
        if (body.length == 0) {
            throw ApiError.badRequest("missing_body", "the request body is empty; a JSON object is expected", null);
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("invalid_utf8", "the body is not valid UTF-8", null);
        }
        try (com.fasterxml.jackson.core.JsonParser parser = JSON.createParser(body)) {
            T value;
            try {
                value = JSON.readValue(parser, type);
            } catch (MismatchedInputException e) {
                if (e instanceof UnrecognizedPropertyException) {
                    throw e;
                }
                // here, while the parser is still open on the value that did not fit
                String field = path(e);
                throw ApiError.badRequest("wrong_type", (field == null ? "the body" : "'" + field + "'")
                        + " has the wrong type: " + wrongType(e), field);
            }
            if (value == null) {
                throw ApiError.badRequest("invalid_json", "the body is JSON null; a JSON object is expected", null);
            }
            // One JSON value per body: "{...} trailing" or "{...}{...}" is not what the client meant to send.
            if (parser.nextToken() != null) {
                throw ApiError.badRequest("invalid_json", "unexpected data after the JSON value at line "
                        + parser.currentTokenLocation().getLineNr() + ", column "
                        + parser.currentTokenLocation().getColumnNr() + "; the body must be exactly one JSON value", null);
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiError.badRequest("unknown_field", "unknown field '" + e.getPropertyName() + "'"
                    + (e.getKnownPropertyIds() == null ? "" : "; known fields: " + e.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", "))), path(e));
        } catch (JsonParseException e) {
            throw ApiError.badRequest("invalid_json", "malformed JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + firstLine(e.getOriginalMessage()), null);
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ApiError api) {
                throw api;
            }
            String field = path(e);
            String message = firstLine(cause != null && cause.getMessage() != null ? cause.getMessage() : e.getOriginalMessage());
            if (message.contains("`")) {
                // Jackson's own wording, naming Java classes: say what is wrong in the client's terms
                message = (field == null ? "the body" : "'" + field + "'") + " does not hold a valid value";
            }
            throw ApiError.badRequest(cause instanceof IllegalArgumentException ? "invalid_value" : "invalid_json", message, field);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("invalid_json", firstLine(e.getOriginalMessage()), null);
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("invalid_json", "unreadable body: " + e.getMessage(), null);
        }
    }

    /**
     * What was expected and what came, in JSON's terms: "expected a string, got the number 5".
     * Jackson's own message names Java classes (Herald's request records among them), which mean
     * nothing to a client.
     */
    static String wrongType(MismatchedInputException e) {
        String got = e.getProcessor() instanceof com.fasterxml.jackson.core.JsonParser p ? got(p) : null;
        return "expected " + expected(e.getTargetType()) + (got == null ? "" : ", got " + got);
    }

    private static String expected(Class<?> t) {
        if (t == null) {
            return "another JSON type";
        }
        if (t == String.class || t == Character.class || t == char.class) {
            return "a string";
        }
        if (t.isEnum()) {
            return "one of " + java.util.Arrays.stream(t.getEnumConstants()).map(c -> "\"" + c + "\"")
                    .collect(Collectors.joining(", "));
        }
        if (t == boolean.class || t == Boolean.class) {
            return "true or false";
        }
        if (t.isPrimitive() || Number.class.isAssignableFrom(t)) {
            return t == double.class || t == float.class || t == Double.class || t == Float.class
                    || t == java.math.BigDecimal.class ? "a number" : "a whole number";
        }
        if (t == java.time.Instant.class || java.time.temporal.Temporal.class.isAssignableFrom(t)) {
            return "an ISO-8601 instant such as \"2026-12-07T09:00:00Z\"";
        }
        if (t == java.time.Duration.class) {
            return "an ISO-8601 duration such as \"PT2H\"";
        }
        if (t.isArray() || java.util.Collection.class.isAssignableFrom(t)) {
            return "an array";
        }
        return "an object";
    }

    private static String got(com.fasterxml.jackson.core.JsonParser p) {
        com.fasterxml.jackson.core.JsonToken token = p.currentToken();
        if (token == null) {
            return null;
        }
        try {
            return switch (token) {
                case VALUE_STRING -> {
                    String text = p.getText();
                    yield "the string \"" + (text.length() > 40 ? text.substring(0, 40) + "…" : text) + "\"";
                }
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + p.getText();
                case VALUE_TRUE, VALUE_FALSE -> p.getText();
                case VALUE_NULL -> "null";
                case START_OBJECT, FIELD_NAME, END_OBJECT -> "an object";
                case START_ARRAY, END_ARRAY -> "an array";
                default -> null;
            };
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String path(JsonMappingException e) {
        String p = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        return p.isEmpty() ? null : p;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * The directory id of a number from a path: 400 {@code invalid_phone} (field {@code phone}) if
     * it cannot be a phone number, 404 if the directory does not know it.
     */
    protected static int phoneId(dev.herald.suppression.RecipientDirectory directory, String phone) {
        String p = phone.strip();
        java.util.OptionalInt id;
        try {
            id = directory.idOf(p);
        } catch (dev.herald.suppression.InvalidPhoneNumberException e) {
            throw ApiError.badRequest("invalid_phone", "'" + phone + "' is not a phone number: " + e.reason().text(), "phone");
        }
        if (id.isPresent()) {
            return id.getAsInt();
        }
        try {
            directory.phoneNumbers().normalize(p); // a registered number is valid; tell an invalid one apart from an unknown one
        } catch (dev.herald.suppression.InvalidPhoneNumberException e) {
            throw ApiError.badRequest("invalid_phone", "'" + phone + "' is not a valid phone number: " + e.reason().text(), "phone");
        }
        throw ApiError.notFound("no recipient with the phone number '" + p + "' in the directory");
    }

    /**
     * One consent-ledger record as the API shows it: {@code seq}, {@code time}, {@code action},
     * {@code scope}, {@code source}, {@code channel}, the raw text under {@code textKey},
     * {@code campaign} and {@code sentAt}.
     */
    protected static Map<String, Object> consentEntry(dev.herald.suppression.ConsentRecord r, String textKey) {
        Map<String, Object> e = new java.util.LinkedHashMap<>();
        e.put("seq", r.seq());
        e.put("time", r.time().toString());
        e.put("action", r.action().label());
        e.put("scope", r.scope().toString());
        e.put("source", r.evidence().source().label());
        e.put("channel", r.evidence().channel());
        e.put(textKey, r.evidence().rawText());
        e.put("campaign", r.evidence().campaignId());
        e.put("sentAt", r.evidence().sentAt() == null ? null : r.evidence().sentAt().toString());
        return e;
    }

    /** Answers {@code body} as JSON with {@code status}. */
    protected Route completeJson(int status, Object body) {
        return complete(json(status, body));
    }

    /** @return {@code body} as a JSON response */
    public static HttpResponse json(int status, Object body) {
        try {
            return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON answer: " + e.getMessage(), e);
        }
    }

    /** The JSON error answer of {@code e}. */
    public static HttpResponse error(ApiError e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.code());
        body.put("message", e.getMessage());
        body.put("field", e.field());
        HttpResponse r = json(e.status(), body);
        if (e.status() == 401) {
            r = r.addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "herald")));
        }
        return r;
    }

    /** Turns exceptions thrown by routes into JSON errors; unexpected ones are logged and answered 500. */
    public static ExceptionHandler exceptionHandler() {
        return ExceptionHandler.newBuilder()
                .matchAny(t -> {
                    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                    return org.apache.pekko.http.javadsl.server.Directives.complete(error(toApiError(e)));
                })
                .build();
    }

    /** The client-facing form of an exception (500 {@code internal} for anything unexpected, logged). */
    public static ApiError toApiError(Throwable e) {
        if (e instanceof ApiError api) {
            return api;
        }
        if (e instanceof EntityStreamSizeException size) {
            return new ApiError(413, "body_too_large", "the request body is larger than the " + size.limit()
                    + " bytes allowed here", null);
        }
        if (e instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException stream) {
            String what = String.valueOf(stream.getMessage());
            return what.toLowerCase(java.util.Locale.ROOT).contains("too large")
                    ? new ApiError(413, "body_too_large", "the request body is larger than allowed here", null)
                    : ApiError.badRequest("invalid_body", "the request body could not be read: " + what, null);
        }
        if (e instanceof dev.herald.dispatcher.campaign.CampaignRejection r) {
            return switch (r.reason()) {
                case NOT_FOUND -> ApiError.notFound(r.getMessage());
                case CONFLICT -> ApiError.conflict(r.getMessage());
                case DAMAGED -> new ApiError(409, "damaged", r.getMessage(), null);
                case BUSY -> new ApiError(503, "busy", r.getMessage() + "; retry", null);
                case INVALID -> ApiError.badRequest("invalid_campaign", r.getMessage(), null);
            };
        }
        if (e instanceof dev.herald.dispatcher.segment.SegmentExpression.UnknownSegmentsException u) {
            return ApiError.badRequest("unknown_segment", u.getMessage(), null); // e.g. an RFM tier not configured
        }
        if (e instanceof java.util.concurrent.TimeoutException
                || e instanceof org.apache.pekko.pattern.AskTimeoutException) {
            return new ApiError(503, "busy", "Herald did not answer in time; retry", null);
        }
        LOG.error("unexpected error answering a request", masked(e));
        return new ApiError(500, "internal", "internal error (" + e.getClass().getSimpleName() + "); see the server log", null);
    }

    /**
     * A copy of {@code e} (and its causes) for the log, whose messages have anything that may be a
     * phone number masked: the stack traces stay, numbers do not reach the log unmasked.
     */
    static Throwable masked(Throwable e) {
        if (e == null) {
            return null;
        }
        RuntimeException copy = new RuntimeException(e.getClass().getName() + ": " + PhoneMask.maskText(e.getMessage()),
                e.getCause() == null || e.getCause() == e ? null : masked(e.getCause()));
        copy.setStackTrace(e.getStackTrace());
        return copy;
    }

    /** Pekko's rejections as JSON errors: no route (404), wrong method (405), bad query, bad content type. */
    public static RejectionHandler rejectionHandler() {
        return RejectionHandler.newBuilder()
                .handle(MissingQueryParamRejection.class, r -> org.apache.pekko.http.javadsl.server.Directives.complete(
                        error(ApiError.badRequest("missing_parameter", "query parameter '" + r.parameterName()
                                + "' is required", r.parameterName()))))
                .handle(MalformedQueryParamRejection.class, r -> org.apache.pekko.http.javadsl.server.Directives.complete(
                        error(ApiError.badRequest("invalid_parameter", "query parameter '" + r.parameterName() + "': "
                                + r.errorMsg(), r.parameterName()))))
                .handle(UnsupportedRequestContentTypeRejection.class, r -> org.apache.pekko.http.javadsl.server.Directives
                        .complete(error(new ApiError(415, "unsupported_media_type", "unsupported content type; expected one of "
                                + r.getSupported(), null))))
                .handleAll(MethodRejection.class, rs -> org.apache.pekko.http.javadsl.server.Directives.complete(
                        error(new ApiError(405, "method_not_allowed", "method not allowed here; allowed: " + rs.stream()
                                .map(m -> m.supported().name()).distinct().sorted().collect(Collectors.joining(", ")), null))))
                .handleNotFound(org.apache.pekko.http.javadsl.server.Directives.complete(
                        error(ApiError.notFound("no such route"))))
                .build()
                .withFallback(RejectionHandler.defaultHandler())
                .mapRejectionResponse(response -> {
                    if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                        return response;
                    }
                    // a rejection without its own JSON form: keep the status, wrap Pekko's text
                    String text = ((HttpEntity.Strict) response.entity()).getData().utf8String();
                    int status = response.status().intValue();
                    return error(new ApiError(status < 400 ? 400 : status, "rejected", text, null));
                });
    }

    /** @return 200 OK as a JSON status object (for {@code /health}) */
    protected static HttpResponse ok(Map<String, ?> body) {
        return json(StatusCodes.OK.intValue(), body);
    }

    /**
     * A body of one JSON object or an NDJSON batch (one a line): the media type picks which, anything
     * else is 415 naming both; the body is read whole within its limit ({@code maxJsonBytes()} for one,
     * {@code maxBatchBytes} for a batch: more is 413) and handed to {@code one} or {@code batch}.
     *
     * @param what        what one object is, for the 415 ({@code "one event"})
     * @param bodyTimeout how long reading the body may take
     */
    protected Route oneOrBatch(String what, long maxBatchBytes, java.time.Duration bodyTimeout,
                               Function<byte[], Route> one, Function<byte[], Route> batch) {
        return extractMaterializer(mat -> extractRequestEntity(entity -> {
            org.apache.pekko.http.javadsl.model.MediaType type = entity.getContentType().mediaType();
            boolean ndjson = isNdjson(type);
            if (!ndjson && !type.equals(MediaTypes.APPLICATION_JSON)) {
                throw new ApiError(415, "unsupported_media_type", "the body must be application/json (" + what + ")"
                        + " or application/x-ndjson (one a line), got " + type, null);
            }
            CompletionStage<HttpEntity.Strict> strict = strictBody(entity, ndjson ? maxBatchBytes : maxJsonBytes(),
                    bodyTimeout, mat);
            return onSuccess(strict, st -> {
                byte[] body = st.getData().toArray();
                return ndjson ? batch.apply(body) : one.apply(body);
            });
        }));
    }

    /** @return whether a media type is NDJSON ({@code application/x-ndjson} or {@code application/ndjson}) */
    static boolean isNdjson(org.apache.pekko.http.javadsl.model.MediaType type) {
        return type.mainType().equals("application") && (type.subType().equals("x-ndjson") || type.subType().equals("ndjson"));
    }
}
