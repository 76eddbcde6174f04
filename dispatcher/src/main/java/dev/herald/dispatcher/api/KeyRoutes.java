package dev.herald.dispatcher.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.pekko.http.javadsl.server.Route;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * API key management (role {@code admin}): {@code POST /v1/keys} {@code {"role", "note"}} →
 * 201 with the new key (shown this once), {@code GET /v1/keys} (ids, roles, dates; never
 * secrets), {@code DELETE /v1/keys/{id}} (the last admin key cannot be revoked: 409); and, for any key,
 * {@code GET /v1/me}: the calling key's own id, role, note and date (never its secret), so a client such
 * as the console knows what the key may do before it offers to do it.
 */
public final class KeyRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("POST", "/v1/keys"), new Endpoint("GET", "/v1/keys"),
            new Endpoint("DELETE", "/v1/keys/{id}"), new Endpoint("GET", "/v1/me"));

    /** {@code POST /v1/keys} body. */
    public record NewKey(String role, String note) {
    }

    private final ApiKeys keys;
    private final java.util.concurrent.Executor blockingIo;

    /**
     * @param blockingIo where a change runs: it writes and fsyncs the key file, and on a cluster waits
     *                   for the file's lock another node may hold, never on the routes' own dispatcher
     */
    public KeyRoutes(ApiKeys keys, long maxJsonBytes, Duration bodyTimeout, java.util.concurrent.Executor blockingIo) {
        super(keys, maxJsonBytes, bodyTimeout);
        this.keys = keys;
        this.blockingIo = blockingIo;
    }

    /** @return the routes under {@code /v1/keys}, and {@code /v1/me} */
    public Route route() {
        return pathPrefix("v1", () -> concat(path("me", () -> get(() -> authorized(Role.ANALYST,
                key -> completeJson(200, describe(key))))), pathPrefix("keys", () -> concat(
                pathEndOrSingleSlash(() -> concat(
                        post(() -> authorized(Role.ADMIN, admin -> jsonBody(NewKey.class, body -> {
                            Role role;
                            try {
                                role = Role.parse(body.role());
                            } catch (IllegalArgumentException e) {
                                throw ApiError.badRequest(body.role() == null ? "missing_field" : "invalid_value", e.getMessage(), "role");
                            }
                            if (body.note() != null && body.note().length() > 200) {
                                throw ApiError.badRequest("invalid_value", "'note' is longer than 200 characters", "note");
                            }
                            return onSuccess(java.util.concurrent.CompletableFuture.supplyAsync(
                                    () -> io(() -> keys.create(role, body.note())), blockingIo), created -> {
                                Map<String, Object> out = new LinkedHashMap<>(describe(created.stored()));
                                out.put("key", created.key());
                                return completeJson(201, out);
                            });
                        }))),
                        get(() -> authorized(Role.ADMIN, admin -> completeJson(200,
                                Map.of("keys", keys.list().stream().map(KeyRoutes::describe).toList())))))),
                path(segment(), id -> delete(() -> authorized(Role.ADMIN, admin -> onSuccess(
                        java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                            try {
                                return io(() -> keys.revoke(id));
                            } catch (IllegalStateException e) {
                                throw ApiError.conflict(e.getMessage());
                            }
                        }, blockingIo), revoked -> {
                            if (!revoked) {
                                throw ApiError.notFound("no API key " + id);
                            }
                            return complete(org.apache.pekko.http.javadsl.model.HttpResponse.create().withStatus(204));
                        }))))))));
    }

    private static Map<String, Object> describe(ApiKeys.Key k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("role", k.role().wire());
        m.put("note", k.note());
        m.put("createdAt", k.createdAt());
        return m;
    }

    private interface IoCall<T> {
        T call() throws java.io.IOException;
    }

    private static <T> T io(IoCall<T> call) {
        try {
            return call.call();
        } catch (java.io.IOException e) {
            // nothing was changed; the message names the key file and what is wrong with it (logged too)
            org.slf4j.LoggerFactory.getLogger(KeyRoutes.class).error("API keys: {}", e.getMessage());
            throw new ApiError(503, "keys_unavailable", "the API keys could not be changed: " + e.getMessage(), null);
        }
    }
}
