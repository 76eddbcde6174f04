package dev.herald.dispatcher.api;

import dev.herald.dispatcher.privacy.RecipientErasure;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.InvalidPhoneNumberException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code DELETE /v1/recipients/{phone}} (admin): erases the person ({@link RecipientErasure}).
 *
 * <p>200 with {@code {"erased": true, "phone": "+*********456", "recipientId", "phoneHash":
 * "hash:…", "ledgerSeq", "at", "suppressed": [scopes kept], "removedNow": [...], "atNextCompaction":
 * [...]}}; 404 for a number the directory does not know (or knows no more: erasing twice answers
 * the same id again, which finishes an erasure a crash interrupted); 400 {@code invalid_phone}
 * naming {@code phone}.
 *
 * <pre>{@code
 * Route r = new ErasureRoutes(keys, limits, erasure, blockingIo).route();
 * }</pre>
 *
 * <p>Thread-safety: immutable; the work runs on {@code blockingIo}. The number is neither logged
 * nor echoed unmasked.
 */
public final class ErasureRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("DELETE", "/v1/recipients/{phone}"));

    /** What the next compaction removes, as the answer lists it. */
    static final List<String> AT_NEXT_COMPACTION = List.of(
            "campaigns/*/outcomes/messages.log: the messages sent (fields, texts)",
            "campaigns/*/clicks.log: clicks",
            "unsubscribe/preferences.log: preference lines",
            "journeys' events: properties",
            "suppression ledger: number and words of earlier records (kept: that, when and how it opted out)");

    private final RecipientErasure erasure;
    private final Executor blockingIo;

    /**
     * @param keys       who may call (admin)
     * @param limits     body limits (no body is read)
     * @param erasure    the erasure
     * @param blockingIo where it runs
     */
    public ErasureRoutes(ApiKeys keys, BodyLimits limits, RecipientErasure erasure, Executor blockingIo) {
        super(keys, limits);
        this.erasure = erasure;
        this.blockingIo = blockingIo;
    }

    /** @return the route */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("recipients", () -> path(PathMatchers.segment(), phone ->
                delete(() -> authorized(Role.ADMIN, key -> onSuccess(
                        CompletableFuture.supplyAsync(() -> erase(phone.strip(), key.id()), blockingIo),
                        body -> completeJson(200, body)))))));
    }

    private Map<String, Object> erase(String phone, String keyId) {
        RecipientErasure.Outcome o;
        try {
            o = erasure.erase(phone, keyId, ConsentSource.API)
                    .orElseThrow(() -> ApiError.notFound("no recipient with the phone number '" + PhoneMask.mask(phone)
                            + "' in the directory"));
        } catch (InvalidPhoneNumberException e) {
            throw ApiError.badRequest("invalid_phone", "the phone number in the path is not valid: " + e.reason().text(), "phone");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("erased", true);
        m.put("phone", PhoneMask.mask(phone));
        m.put("recipientId", o.recipientId());
        m.put("phoneHash", o.phoneHash());
        m.put("ledgerSeq", o.ledgerSeq());
        m.put("at", o.at().toString());
        m.put("suppressed", o.suppressed());
        m.put("removedNow", o.now());
        m.put("atNextCompaction", AT_NEXT_COMPACTION);
        return m;
    }
}
