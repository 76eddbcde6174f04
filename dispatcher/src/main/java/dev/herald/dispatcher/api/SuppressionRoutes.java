package dev.herald.dispatcher.api;

import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The suppression routes of the HTTP API (issue 5):
 * <ul>
 *   <li>{@code GET /v1/suppressions} (viewer): how many numbers each scope suppresses,
 *       {@code {"seq", "scopes": [{"scope", "kind", "name", "count"}]}} in scope order, from one snapshot
 *       (global always listed, other scopes while they have members).</li>
 *   <li>{@code POST /v1/suppressions} (sender): opt-outs, as JSON
 *       {@code {"phones": [...], "scope": "sender:acme", "reason": "..."}} or as a streamed
 *       {@code text/csv} body (a {@code phone} column, optional {@code scope} and {@code reason}
 *       columns, defaults from the {@code ?scope=} and {@code ?reason=} query parameters);
 *       answers {@code {"suppressed", "alreadySuppressed", "rejected", "errors": [...]}}, 201 when
 *       something was newly suppressed, 200 when everything already was.</li>
 *   <li>{@code DELETE /v1/suppressions/{phone}?scope=...} (sender): an opt-in for that scope.</li>
 *   <li>{@code GET /v1/suppressions/{phone}} (viewer): the scopes in force and the consent history.</li>
 * </ul>
 *
 * <pre>{@code
 * Route r = new SuppressionRoutes(keys, 1 << 20, Duration.ofSeconds(30), 1L << 30, index, directory, blockingIo).route();
 * }</pre>
 *
 * <p>Every opt-out is durable (fsynced by the index) before the answer; its evidence records
 * source {@code api} and the given reason. Numbers unknown to the directory are registered on
 * opt-out, as the CLI does, so an opt-out before the import still applies. Nothing is written
 * for a request refused with a 4xx, except for a CSV upload whose body breaks off after some
 * records were taken (each record is taken or refused whole). Phone numbers are never logged
 * unmasked. Blocking work (directory, index, ledger, number validation) runs on {@code blockingIo}.
 * A CSV upload is exempt from the server's request timeout (it may be long); {@code bodyTimeout}
 * still ends one whose client stops sending. A change the index cannot make durable is answered
 * 503 {@code storage_failed}: retrying is safe, opt-outs and opt-ins are idempotent.
 *
 * <p>Thread-safety: the route is immutable; the directory and the index are thread-safe.
 */
public final class SuppressionRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final java.util.List<Endpoint> ENDPOINTS = java.util.List.of(new Endpoint("GET", "/v1/suppressions"),
            new Endpoint("POST", "/v1/suppressions"), new Endpoint("GET", "/v1/suppressions/{phone}"),
            new Endpoint("DELETE", "/v1/suppressions/{phone}"));

    private static final Logger LOG = LoggerFactory.getLogger(SuppressionRoutes.class);

    /**
     * The JSON body of {@code POST /v1/suppressions}.
     *
     * @param phones the numbers to opt out, E.164 or national with the directory's default region
     * @param scope  {@code global}, {@code sender:<id>}, {@code channel:<name>} or {@code category:<name>}
     * @param reason why, kept in the consent ledger (optional)
     */
    public record OptOutRequest(List<String> phones, String scope, String reason) {
    }

    private final long maxUploadBytes;
    private final Duration bodyTimeout;
    private final SuppressionIndex index;
    private final RecipientDirectory directory;
    private final Executor blockingIo;

    /**
     * @param keys           who may call
     * @param maxJsonBytes   largest JSON body (bigger: 413); bounds the phones of one JSON request
     * @param bodyTimeout    how long reading a JSON body, or waiting for the next bytes of an upload, may take
     * @param maxUploadBytes largest CSV body (bigger: 413)
     * @param index          the suppression index
     * @param directory      the recipient directory
     * @param blockingIo     where directory, index and ledger calls run (they block on disk)
     */
    public SuppressionRoutes(ApiKeys keys, long maxJsonBytes, Duration bodyTimeout, long maxUploadBytes,
                             SuppressionIndex index, RecipientDirectory directory, Executor blockingIo) {
        super(keys, maxJsonBytes, bodyTimeout);
        this.maxUploadBytes = maxUploadBytes;
        this.bodyTimeout = bodyTimeout;
        this.index = index;
        this.directory = directory;
        this.blockingIo = blockingIo;
    }

    /** @return the routes under {@code /v1/suppressions} */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("suppressions", () -> concat(
                pathEnd(() -> concat(
                        get(() -> authorized(Role.ANALYST, key -> counts())),
                        post(() -> authorized(Role.SENDER, this::optOut)))),
                path(PathMatchers.segment(), phone -> pathEnd(() -> concat(
                        get(() -> authorized(Role.VIEWER, key -> lookup(phone))),
                        delete(() -> authorized(Role.SENDER, key -> parameter("scope", scope ->
                                parameterOptional("reason", reason -> optIn(key, phone, scope, reason)))))))))));
    }

    // ---- POST ----

    private Route optOut(ApiKeys.Key key) {
        return extractRequestEntity(entity -> {
            MediaType type = entity.getContentType().mediaType();
            if (type.equals(MediaTypes.TEXT_CSV)) {
                // a long upload may outlast the server's request timeout; the body timeout still stops a stalled one
                return withoutRequestTimeout(() -> csvOptOut(key, entity));
            }
            if (!type.equals(MediaTypes.APPLICATION_JSON)) {
                throw new ApiError(415, "unsupported_media_type", "the body must be application/json or text/csv, got "
                        + type, null);
            }
            return jsonBody(OptOutRequest.class, body -> jsonOptOut(key, body));
        });
    }

    // ---- POST, JSON ----

    private Route jsonOptOut(ApiKeys.Key key, OptOutRequest body) {
        if (body.phones() == null) {
            throw ApiError.badRequest("missing_field", "'phones' is required: a list of phone numbers", "phones");
        }
        if (body.phones().isEmpty()) {
            throw ApiError.badRequest("invalid_value", "'phones' is empty: give at least one phone number", "phones");
        }
        if (body.scope() == null) {
            throw ApiError.badRequest("missing_field", "'scope' is required: global, sender:<id>, channel:<name> or category:<name>",
                    "scope");
        }
        Scope scope = scope(body.scope(), "scope");
        ConsentEvidence evidence = OptOutBatch.evidence(body.reason());
        // libphonenumber, the directory and the index: off the routing threads
        CompletableFuture<Map<String, Object>> done = CompletableFuture.supplyAsync(
                () -> optOutAll(key, body.phones(), scope, evidence), blockingIo);
        return onSuccess(done, answer -> completeJson(status(answer), answer));
    }

    private Map<String, Object> optOutAll(ApiKeys.Key key, List<String> phones, Scope scope, ConsentEvidence evidence) {
        // Validated whole before anything is written: a refused request registers nothing.
        PhoneNumbers numbers = directory.phoneNumbers();
        List<PhoneNumbers.Normalized> valid = new ArrayList<>(phones.size());
        OptOutBatch batch = new OptOutBatch(index, directory, "index");
        for (int i = 0; i < phones.size(); i++) {
            String raw = phones.get(i);
            if (raw == null || raw.isBlank()) {
                batch.reject(i, raw, "missing phone number");
                continue;
            }
            try {
                valid.add(numbers.normalize(raw.strip()));
            } catch (InvalidPhoneNumberException e) {
                batch.reject(i, raw, e.reason().text());
            }
        }
        if (valid.isEmpty()) {
            throw ApiError.badRequest("invalid_phone", "no valid phone number among the " + batch.rejected() + " given: "
                    + summary(batch), "phones");
        }
        try {
            for (PhoneNumbers.Normalized n : valid) {
                batch.optOut(n, scope, evidence);
            }
        } catch (RuntimeException e) {
            batch.abandon();
            throw storageFailure(e);
        }
        return finish(batch, key, scope.toString());
    }

    // ---- POST, CSV ----

    private Route csvOptOut(ApiKeys.Key key, HttpEntity entity) {
        return parameterOptional("scope", scopeParam -> parameterOptional("reason", reasonParam -> extractMaterializer(mat -> {
            Scope defaultScope = scopeParam.map(s -> scope(s, "scope")).orElse(null);
            if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > maxUploadBytes) {
                throw new ApiError(413, "body_too_large", "the upload is larger than the " + maxUploadBytes
                        + " bytes allowed here", null);
            }
            InputStream in = entity.withSizeLimit(maxUploadBytes).getDataBytes()
                    .runWith(StreamConverters.asInputStream(bodyTimeout), mat);
            CompletableFuture<Map<String, Object>> done = CompletableFuture.supplyAsync(() -> {
                try (InputStream body = in) {
                    return readCsv(key, body, defaultScope, reasonParam.orElse(null));
                } catch (IOException e) {
                    throw uploadFailure(e);
                }
            }, blockingIo);
            return onSuccess(done, answer -> completeJson(status(answer), answer));
        })));
    }

    private Map<String, Object> readCsv(ApiKeys.Key key, InputStream in, Scope defaultScope, String defaultReason)
            throws IOException {
        OptOutBatch batch = new OptOutBatch(index, directory, "line");
        try {
            CsvOptOuts.read(in, directory.phoneNumbers(), defaultScope, defaultReason, batch);
        } catch (IOException | RuntimeException e) {
            batch.abandon();
            if (!batch.isEmpty()) {
                LOG.warn("CSV opt-out upload (key {}) broke off after {} opt-outs were taken: {}", key.id(), batch.accepted(),
                        e.toString());
            }
            if (e instanceof RuntimeException r) {
                throw storageFailure(r);
            }
            throw e;
        }
        if (batch.isEmpty()) {
            throw ApiError.badRequest("invalid_csv", "no valid phone number in the upload (" + batch.rejected()
                    + " rejected): " + summary(batch), "phone");
        }
        return finish(batch, key, defaultScope == null ? "per-line scopes" : defaultScope.toString());
    }

    /** The client-facing form of a broken upload: 413 past the limit, 400 otherwise. */
    private static RuntimeException uploadFailure(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EntityStreamSizeException size) {
                return new ApiError(413, "body_too_large", "the upload is larger than the " + size.limit()
                        + " bytes allowed here; the records before the limit were taken", null);
            }
        }
        return ApiError.badRequest("upload_failed", "the upload broke off: " + e.getMessage(), null);
    }

    // ---- DELETE ----

    private Route optIn(ApiKeys.Key key, String phone, String scopeText, Optional<String> reason) {
        Scope scope = scope(scopeText, "scope");
        int id = phoneId(directory, phone);
        CompletableFuture<Map<String, Object>> done = CompletableFuture.supplyAsync(() -> {
            Recipient r = directory.get(id).orElseThrow(() -> ApiError.notFound("no recipient with this phone number"));
            boolean was = index.snapshot().isSuppressed(id, scope);
            ConsentRecord rec;
            try {
                rec = index.optIn(id, r.e164(), scope, OptOutBatch.evidence(reason.orElse(null)));
            } catch (IOException e) {
                throw storageFailure(new UncheckedIOException("the opt-in could not be made durable: " + e.getMessage(), e));
            }
            LOG.info("opt-in of {} from {} by key {} [ledger #{}]", PhoneMask.mask(r.e164()), scope, key.id(), rec.seq());
            List<Scope> inForce = index.snapshot().scopesOf(id);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("phone", r.e164());
            body.put("optedIn", scope.toString());
            body.put("wasSuppressed", was);
            body.put("suppressed", !inForce.isEmpty());
            body.put("scopes", inForce.stream().map(Scope::toString).toList());
            return body;
        }, blockingIo);
        return onSuccess(done, answer -> completeJson(200, answer));
    }

    // ---- GET /v1/suppressions ----

    private Route counts() {
        // one snapshot: every count as of the same log position; cardinalities are kept, nothing is materialised
        SuppressionSnapshot snapshot = index.snapshot();
        Map<Scope, Long> counts = new java.util.TreeMap<>(snapshot.counts());
        counts.putIfAbsent(Scope.GLOBAL, 0L);
        List<Map<String, Object>> scopes = new ArrayList<>(counts.size());
        counts.forEach((scope, n) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("scope", scope.toString());
            m.put("kind", scope.kind().label());
            m.put("name", scope.name());
            m.put("count", n);
            scopes.add(m);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("seq", snapshot.seq());
        body.put("scopes", scopes);
        return completeJson(200, body);
    }

    // ---- GET /v1/suppressions/{phone} ----

    private Route lookup(String phone) {
        int id = phoneId(directory, phone);
        CompletableFuture<Map<String, Object>> done = CompletableFuture.supplyAsync(() -> {
            // an erased person's record is gone, the number still finds the id (its keyed hash): the evidence stays answerable
            java.util.Optional<Recipient> r = directory.get(id);
            String e164 = r.map(Recipient::e164).orElseGet(() -> directory.phoneNumbers().normalize(phone.strip()).e164());
            dev.herald.suppression.ConsentLedger.History history;
            try {
                history = index.ledger().historyOf(id);
            } catch (IOException e) {
                throw new UncheckedIOException("the consent ledger could not be read: " + e.getMessage(), e);
            }
            List<Scope> inForce = index.snapshot().scopesOf(id);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("phone", e164);
            body.put("erased", r.isEmpty());
            body.put("suppressed", !inForce.isEmpty());
            body.put("scopes", inForce.stream().map(Scope::toString).toList());
            body.put("history", history.records().stream().map(SuppressionRoutes::historyEntry).toList());
            ConsentRoutes.putCompleteness(body, history);
            return body;
        }, blockingIo);
        return onSuccess(done, answer -> completeJson(200, answer));
    }

    private static Map<String, Object> historyEntry(ConsentRecord r) {
        return consentEntry(r, "reason");
    }

    // ---- shared ----


    private static Scope scope(String text, String field) {
        try {
            return Scope.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_scope", e.getMessage(), field);
        }
    }

    /**
     * An index that cannot make changes durable: 503, so the caller retries (opt-outs are
     * idempotent); logged here since the answer hides the cause. Other exceptions pass as they are.
     */
    private static RuntimeException storageFailure(RuntimeException e) {
        if (e instanceof UncheckedIOException io) {
            LOG.error("suppression changes could not be made durable", io);
            return new ApiError(503, "storage_failed",
                    "the suppression index could not make the change durable; retry the request", null);
        }
        return e;
    }

    private static Map<String, Object> finish(OptOutBatch batch, ApiKeys.Key key, String scope) {
        Map<String, Object> answer;
        try {
            answer = batch.finish();
        } catch (UncheckedIOException e) {
            throw storageFailure(e);
        }
        LOG.info("opt-out via API by key {} in {}: {} suppressed, {} already, {} rejected", key.id(), scope,
                answer.get("suppressed"), answer.get("alreadySuppressed"), answer.get("rejected"));
        return answer;
    }

    private static int status(Map<String, Object> answer) {
        return ((Long) answer.get("suppressed")) > 0 ? 201 : 200;
    }

    private static String summary(OptOutBatch batch) {
        return batch.errors().stream().limit(5).map(e -> e.values().stream().map(String::valueOf)
                .collect(Collectors.joining(" "))).collect(Collectors.joining("; "));
    }
}
