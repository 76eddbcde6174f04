package dev.herald.dispatcher.api;

import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A recipient's attributes (issue 16: {@code birthday}, {@code signed_up_at}, ... which date
 * triggers read), the API beside the CSV upload:
 *
 * <ul>
 *   <li>{@code PUT /v1/recipients/{phone}/attributes} (sender): a flat JSON object
 *       ({@link AttributeChange}): values set, {@code null} removes, other attributes, zone and
 *       locale kept; an unknown number is registered. 200 with the recipient's attributes after
 *       the change and {@code "created"}.</li>
 *   <li>{@code GET /v1/recipients/{phone}/attributes} (viewer): 200 with them, 404 for an unknown
 *       number.</li>
 * </ul>
 *
 * <p>The answer: {@code {"phone": "+*********456", "recipientId", "tz", "locale", "attributes":
 * {name: value}}} (the phone masked as {@link PhoneMask} does); {@code tz} and {@code locale} are
 * null when unknown. A bad number in the path is 400 {@code invalid_phone} (field {@code phone});
 * the body's errors are {@link AttributeChange}'s.
 *
 * <pre>{@code
 * Route r = new RecipientAttributeRoutes(keys, limits, directory, blockingIo).route();
 * }</pre>
 *
 * <p>Thread-safety: immutable; the directory is thread-safe (an update's read-merge-write is
 * atomic under its writer lock). The directory work runs on {@code blockingIo}. Numbers are
 * neither logged nor echoed unmasked.
 */
public final class RecipientAttributeRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/recipients/{phone}/attributes"),
            new Endpoint("PUT", "/v1/recipients/{phone}/attributes"));

    private final Duration bodyTimeout;
    private final RecipientDirectory directory;
    private final Executor blockingIo;

    /**
     * @param keys       who may call
     * @param limits     the largest body and how long reading it may take
     * @param directory  the recipient directory
     * @param blockingIo where the directory work runs
     */
    public RecipientAttributeRoutes(ApiKeys keys, BodyLimits limits, RecipientDirectory directory, Executor blockingIo) {
        super(keys, limits);
        this.bodyTimeout = limits.timeout();
        this.directory = directory;
        this.blockingIo = blockingIo;
    }

    /** @return both routes */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("recipients", () -> pathPrefix(PathMatchers.segment(), phone ->
                path("attributes", () -> concat(
                        get(() -> authorized(Role.VIEWER, key -> {
                            int id = known(phone);
                            return onSuccess(CompletableFuture.supplyAsync(() -> view(recipient(id), null), blockingIo),
                                    body -> completeJson(200, body));
                        })),
                        put(() -> authorized(Role.SENDER, key -> {
                            String number = valid(phone);
                            return body(body -> {
                                AttributeChange change = AttributeChange.read(body);
                                return onSuccess(CompletableFuture.supplyAsync(() -> update(number, change), blockingIo),
                                        answer -> completeJson(200, answer));
                            });
                        })))))));
    }

    private Route body(java.util.function.Function<byte[], Route> inner) {
        return extractMaterializer(mat -> extractRequestEntity(entity -> {
            if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
                throw new ApiError(415, "unsupported_media_type", "the body must be application/json, got "
                        + entity.getContentType().mediaType(), null);
            }
            CompletionStage<HttpEntity.Strict> strict = strictBody(entity, maxJsonBytes(), bodyTimeout, mat);
            return onSuccess(strict, s -> inner.apply(s.getData().toArray()));
        }));
    }

    private Map<String, Object> update(String number, AttributeChange change) {
        RecipientDirectory.Registration r;
        try {
            r = directory.updateFields(number, change.zone(), change.locale(), change.set(), change.remove());
        } catch (InvalidPhoneNumberException e) {
            throw invalidPhone(e);
        } catch (IllegalArgumentException e) {
            // AttributeChange checked names, zone and locale: what is left is the record's 64 KiB cap
            String largest = change.set().entrySet().stream()
                    .max(java.util.Comparator.comparingInt(f -> f.getValue().length())).map(Map.Entry::getKey).orElse(null);
            throw ApiError.badRequest("record_too_large", e.getMessage(), largest);
        }
        return view(recipient(r.id()), r.created());
    }

    private Recipient recipient(int id) {
        return directory.get(id).orElseThrow(() -> ApiError.notFound("no recipient with this phone number"));
    }

    /** The id of a number the directory knows: 400 naming {@code phone}, or 404 (the number masked). */
    private int known(String phone) {
        String p = phone.strip();
        java.util.OptionalInt id;
        try {
            id = directory.idOf(p);
        } catch (InvalidPhoneNumberException e) {
            throw invalidPhone(e);
        }
        if (id.isPresent()) {
            return id.getAsInt();
        }
        valid(p); // a registered number is valid: tell an invalid one apart from an unknown one
        throw ApiError.notFound("no recipient with the phone number '" + PhoneMask.mask(p) + "' in the directory");
    }

    /** @return the number, stripped, if it is a valid one (registered or not); else 400 naming {@code phone} */
    private String valid(String phone) {
        String p = phone.strip();
        try {
            directory.phoneNumbers().normalize(p);
        } catch (InvalidPhoneNumberException e) {
            throw invalidPhone(e);
        }
        return p;
    }

    private static ApiError invalidPhone(InvalidPhoneNumberException e) {
        return ApiError.badRequest("invalid_phone", "the phone number in the path is not valid: " + e.reason().text(), "phone");
    }

    private static Map<String, Object> view(Recipient r, Boolean created) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phone", PhoneMask.mask(r.e164()));
        m.put("recipientId", r.id());
        if (created != null) {
            m.put("created", created);
        }
        m.put("tz", r.zone());
        m.put("locale", r.locale());
        m.put("attributes", r.fields());
        return m;
    }
}
