package dev.herald.dispatcher.api;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/audit[?from=&to=&key=&limit=100]} (admin): the changes made through the API by
 * a key ({@link AuditLog}), newest first: {@code {"entries": [{"at", "keyId", "role", "method",
 * "path", "status"}], "more", "damaged"}}. {@code from}/{@code to}: ISO-8601 instants or dates
 * (UTC); {@code key}: one key's id; {@code limit}: 1-10000. Read on the blocking-I/O pool.
 *
 * <p>{@code Route r = new AuditRoutes(keys, limits, audit, blockingIo).route();}
 */
public final class AuditRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/audit"));

    static final int MAX_LIMIT = 10_000;

    /** Where the entries come from: one log, or (a cluster) every node's. */
    @FunctionalInterface
    public interface Source {
        /** As {@link AuditLog#read}: entries in {@code [from, to)} of {@code keyId} (nulls: any), newest first, at most {@code limit}. */
        AuditLog.Page read(Instant from, Instant to, String keyId, int limit);
    }

    private final Source audit;
    private final Executor blockingIo;

    /**
     * @param keys       who may call
     * @param limits     JSON body limits
     * @param audit      the log
     * @param blockingIo where the log is read
     */
    public AuditRoutes(ApiKeys keys, BodyLimits limits, AuditLog audit, Executor blockingIo) {
        this(keys, limits, audit::read, blockingIo);
    }

    /**
     * @param keys       who may call
     * @param limits     JSON body limits
     * @param audit      where the entries are read
     * @param blockingIo where they are read
     */
    public AuditRoutes(ApiKeys keys, BodyLimits limits, Source audit, Executor blockingIo) {
        super(keys, limits);
        this.audit = audit;
        this.blockingIo = blockingIo;
    }

    /** @return the route */
    public Route route() {
        return path(segment("v1").slash("audit"), () -> get(() -> authorized(Role.ADMIN, key ->
                parameterOptional("from", from -> parameterOptional("to", to -> parameterOptional("key", id ->
                        parameterOptional("limit", limit -> read(from, to, id, limit))))))));
    }

    private static org.apache.pekko.http.javadsl.server.PathMatcher0 segment(String s) {
        return org.apache.pekko.http.javadsl.server.PathMatchers.segment(s);
    }

    private Route read(Optional<String> fromText, Optional<String> toText, Optional<String> keyId, Optional<String> limitText) {
        Instant from = fromText.isPresent() ? ConsentRoutes.instant(fromText, "from", ZoneOffset.UTC) : null;
        Instant to = toText.isPresent() ? ConsentRoutes.instant(toText, "to", ZoneOffset.UTC) : null;
        if (from != null && to != null && !from.isBefore(to)) {
            throw ApiError.badRequest("invalid_parameter", "'from' (" + from + ") must be before 'to' (" + to + ")", "from");
        }
        int limit = limitText.map(l -> {
            try {
                int n = Integer.parseInt(l.strip());
                if (n >= 1 && n <= MAX_LIMIT) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw ApiError.badRequest("invalid_parameter", "'limit' must be a whole number from 1 to " + MAX_LIMIT
                    + ", got '" + l + "'", "limit");
        }).orElse(100);
        String id = keyId.map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
        CompletableFuture<Map<String, Object>> page = CompletableFuture.supplyAsync(() -> {
            AuditLog.Page p = audit.read(from, to, id, limit);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("entries", p.entries());
            out.put("more", p.more());
            out.put("damaged", p.damaged());
            return out;
        }, blockingIo);
        return onSuccess(page, out -> completeJson(200, out));
    }
}
