package dev.herald.dispatcher.api;

import dev.herald.dispatcher.journey.InvalidJourneyException;
import dev.herald.dispatcher.journey.JourneyDefinition;
import dev.herald.dispatcher.journey.JourneyReports;
import dev.herald.dispatcher.journey.JourneyStore;
import dev.herald.dispatcher.journey.JourneyValidator;

import org.apache.pekko.http.javadsl.server.Route;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * Journey definitions (issue 16):
 * <ul>
 *   <li>{@code POST /v1/journeys} (sender): a definition, checked by {@link JourneyValidator} (422
 *       {@code invalid_journey} naming the step and field), stored as version 1, active: 201; with an
 *       {@code Idempotency-Key}, the journey's id is the key's ({@link #idForKey}) and a retry answers the
 *       journey the first try made (200, {@code Idempotent-Replayed: true}) instead of making another;</li>
 *   <li>{@code GET /v1/journeys} (with each journey's entered and waiting counts when the engine answers),
 *       {@code GET /v1/journeys/{id}[?version=N]} (viewer);</li>
 *   <li>{@code GET /v1/journeys/{id}/report[?days=N&tz=Zone]} (viewer): the engine's report with the flow of
 *       the last {@code N} days (7 unless asked, at most 90) in {@code Zone} (UTC unless asked);</li>
 *   <li>{@code PUT /v1/journeys/{id}} (sender): a new version (running instances finish on theirs);</li>
 *   <li>{@code POST /v1/journeys/{id}/pause|resume|archive} (sender): 409 when the status does not allow it.</li>
 * </ul>
 * Writes run on the blocking-I/O pool (each is fsynced).
 *
 * <p>{@code Route r = new JourneyRoutes(keys, limits, store, validator, blockingIo).route();}
 */
public final class JourneyRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("POST", "/v1/journeys"),
            new Endpoint("GET", "/v1/journeys"), new Endpoint("GET", "/v1/journeys/{id}"),
            new Endpoint("PUT", "/v1/journeys/{id}"), new Endpoint("POST", "/v1/journeys/{id}/pause"),
            new Endpoint("POST", "/v1/journeys/{id}/resume"), new Endpoint("POST", "/v1/journeys/{id}/archive"),
            new Endpoint("GET", "/v1/journeys/{id}/report"), new Endpoint("GET", "/v1/journeys/{id}/recipients/{phone}"));

    /** What the journey engine says about its journeys (asked of its runner). */
    public interface Reports {
        /** No engine: every report is a 503. */
        Reports NONE = new Reports() {
            @Override
            public CompletionStage<Map<String, Object>> report(String journeyId, int flowDays, ZoneId zone) {
                return CompletableFuture.failedFuture(new ApiError(503, "journeys_not_running", "the journey engine is not running", null));
            }

            @Override
            public CompletionStage<Map<String, Object>> recipient(String journeyId, int recipient) {
                return report(journeyId, JourneyReports.FLOW_DAYS, ZoneOffset.UTC);
            }
        };

        /**
         * {@link JourneyReports#report(dev.herald.dispatcher.journey.JourneyEngine, String, int, ZoneId)}; failed
         * with NoSuchElementException for an unknown journey.
         */
        CompletionStage<Map<String, Object>> report(String journeyId, int flowDays, ZoneId zone);

        /** {@link JourneyReports#counts}: journey id → {@code {entered, waiting}}; none without an engine. */
        default CompletionStage<Map<String, Map<String, Long>>> counts() {
            return CompletableFuture.completedFuture(Map.of());
        }

        /** {@link dev.herald.dispatcher.journey.JourneyReports#recipient}. */
        CompletionStage<Map<String, Object>> recipient(String journeyId, int recipient);
    }

    private final JourneyStore store;
    private final JourneyValidator validator;
    private final Executor blockingIo;
    private final Reports reports;
    private final dev.herald.suppression.RecipientDirectory directory;

    /**
     * @param keys       who may call
     * @param limits     JSON body limits
     * @param store      the journeys
     * @param validator  checks a definition
     * @param blockingIo where writes run
     */
    public JourneyRoutes(ApiKeys keys, BodyLimits limits, JourneyStore store, JourneyValidator validator, Executor blockingIo) {
        this(keys, limits, store, validator, blockingIo, Reports.NONE, null);
    }

    /**
     * As the other constructor, with the engine's reports.
     *
     * @param reports   the engine's reports
     * @param directory the recipients (a phone in a path)
     */
    public JourneyRoutes(ApiKeys keys, BodyLimits limits, JourneyStore store, JourneyValidator validator, Executor blockingIo,
                         Reports reports, dev.herald.suppression.RecipientDirectory directory) {
        super(keys, limits);
        this.store = store;
        this.validator = validator;
        this.blockingIo = blockingIo;
        this.reports = reports;
        this.directory = directory;
    }

    /** @return the routes */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("journeys", () -> concat(
                pathEnd(() -> concat(
                        post(() -> authorized(Role.SENDER, key -> optionalHeaderValueByName("Idempotency-Key", idem ->
                                jsonBody(JourneyDefinition.class, d -> idem.isPresent() ? createOnce(idForKey(idem.get()), d)
                                        : write(201, () -> store.create(checked(d))))))),
                        get(() -> authorized(Role.ANALYST, key -> {
                            List<JourneyStore.Journey> stored = store.list();
                            // the engine's counts if it answers; the list without them if it does not
                            CompletionStage<Map<String, Object>> listed = reports.counts()
                                    .exceptionally(e -> Map.of())
                                    .thenApply(counts -> {
                                        List<Map<String, Object>> all = new ArrayList<>();
                                        for (JourneyStore.Journey j : stored) {
                                            Map<String, Object> m = summary(j);
                                            Map<String, Long> c = counts.get(j.id());
                                            if (c != null) {
                                                m.putAll(c);
                                            }
                                            all.add(m);
                                        }
                                        return Map.of("journeys", all);
                                    });
                            return onSuccess(listed, m -> completeJson(200, m));
                        })))),
                path(segment(), id -> concat(
                        get(() -> authorized(Role.ANALYST, key -> parameterOptional("version", v -> completeJson(200,
                                view(find(id), v))))),
                        put(() -> authorized(Role.SENDER, key -> jsonBody(JourneyDefinition.class, d ->
                                write(200, () -> store.update(find(id).id(), checked(d)))))))),
                path(segment().slash("report"), id -> get(() -> authorized(Role.ANALYST, key ->
                        parameterOptional("days", days -> parameterOptional("tz", tz -> {
                            int flowDays = flowDays(days);
                            ZoneId zone = zone(tz);
                            find(id);
                            return answered(reports.report(id, flowDays, zone));
                        }))))),
                path(segment().slash("recipients").slash(segment()), (id, phone) -> get(() -> authorized(Role.VIEWER, key -> {
                    find(id);
                    if (directory == null) {
                        return answered(reports.report(id, JourneyReports.FLOW_DAYS, ZoneOffset.UTC));
                    }
                    int recipient = phoneId(directory, phone);
                    return answered(reports.recipient(id, recipient).thenApply(m -> {
                        Map<String, Object> out = new LinkedHashMap<>(m);
                        out.put("phone", PhoneMask.mask(phone.strip()));
                        return out;
                    }));
                }))),
                path(segment().slash(segment()), (id, action) -> post(() -> authorized(Role.SENDER, key -> {
                    JourneyStore.Status next = switch (action) {
                        case "pause" -> JourneyStore.Status.PAUSED;
                        case "resume" -> JourneyStore.Status.ACTIVE;
                        case "archive" -> JourneyStore.Status.ARCHIVED;
                        default -> throw ApiError.notFound("no such route: /v1/journeys/" + id + "/" + action);
                    };
                    return write(200, () -> store.status(find(id).id(), next));
                }))))));
    }

    private Route answered(CompletionStage<Map<String, Object>> answer) {
        CompletionStage<Map<String, Object>> mapped = answer.exceptionally(e -> {
            Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (c instanceof NoSuchElementException n) {
                throw ApiError.notFound(n.getMessage());
            }
            if (c instanceof dev.herald.dispatcher.journey.JourneyReports.DamagedJourneyException d) {
                throw new ApiError(409, "journey_damaged", d.getMessage(), null);
            }
            if (c instanceof ApiError a) {
                throw a;
            }
            throw new IllegalStateException("the journey report failed: " + c.getMessage(), c);
        });
        return onSuccess(mapped, v -> completeJson(200, v));
    }

    /** @return {@code ?days=}: 1 to {@link JourneyReports#MAX_FLOW_DAYS}, {@link JourneyReports#FLOW_DAYS} if absent */
    static int flowDays(Optional<String> text) {
        if (text.isEmpty()) {
            return JourneyReports.FLOW_DAYS;
        }
        int days;
        try {
            days = Integer.parseInt(text.get().strip());
        } catch (NumberFormatException e) {
            days = -1;
        }
        if (days < 1 || days > JourneyReports.MAX_FLOW_DAYS) {
            throw ApiError.badRequest("invalid_parameter", "'days' must be a whole number of days from 1 to "
                    + JourneyReports.MAX_FLOW_DAYS + ", got '" + text.get() + "'", "days");
        }
        return days;
    }

    /** @return {@code ?tz=}: a time-zone id, UTC if absent */
    static ZoneId zone(Optional<String> text) {
        try {
            return text.isEmpty() ? ZoneOffset.UTC : ZoneId.of(text.get().strip());
        } catch (java.time.DateTimeException e) {
            throw ApiError.badRequest("invalid_parameter", "'tz' must be a time-zone id such as UTC or Europe/London, got '"
                    + text.get() + "'", "tz");
        }
    }

    /**
     * A create with an {@code Idempotency-Key}: the journey's id is the key's, so a retried create
     * finds what its first try made (200, {@code Idempotent-Replayed: true}) rather than making a
     * second journey; a cluster makes one journey on every partition so, under one id.
     */
    private Route createOnce(String id, JourneyDefinition d) {
        JourneyDefinition valid = checked(d);
        CompletableFuture<JourneyStore.Created> done = CompletableFuture.supplyAsync(() -> {
            try {
                return store.createOnce(id, valid);
            } catch (IOException e) {
                throw new UncheckedIOException("the journey could not be stored: " + e.getMessage(), e);
            }
        }, blockingIo);
        return onSuccess(done, c -> respondWithHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
                "Idempotent-Replayed", c.fresh() ? "false" : "true"),
                () -> completeJson(c.fresh() ? 201 : 200, view(c.journey(), Optional.empty()))));
    }

    /**
     * @return the journey id an {@code Idempotency-Key} names: {@code "j-"} and 24 hex digits of its SHA-256
     * @throws ApiError 400 {@code invalid_header} (field {@code Idempotency-Key}) for a blank key or one over 200 characters
     */
    public static String idForKey(String idempotencyKey) {
        if (idempotencyKey.isBlank() || idempotencyKey.length() > 200) {
            throw ApiError.badRequest("invalid_header", "Idempotency-Key must be 1-200 characters", "Idempotency-Key");
        }
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(idempotencyKey.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "j-" + java.util.HexFormat.of().formatHex(h, 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private JourneyDefinition checked(JourneyDefinition d) {
        try {
            validator.validate(d);
        } catch (InvalidJourneyException e) {
            throw new ApiError(422, "invalid_journey", e.getMessage(), e.field());
        }
        return d;
    }

    private JourneyStore.Journey find(String id) {
        return store.get(id).orElseThrow(() -> ApiError.notFound("no journey '" + id + "'"));
    }

    /** A change stored on the I/O pool: its answer is the journey's view. */
    private interface Change {
        JourneyStore.Journey apply() throws IOException;
    }

    private Route write(int status, Change change) {
        CompletableFuture<Map<String, Object>> done = CompletableFuture.supplyAsync(() -> {
            try {
                return view(change.apply(), Optional.empty());
            } catch (IllegalStateException e) {
                throw new ApiError(409, "invalid_state", e.getMessage(), null);
            } catch (NoSuchElementException e) {
                throw ApiError.notFound(e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException("the journey could not be stored: " + e.getMessage(), e);
            }
        }, blockingIo);
        return onSuccess(done, v -> completeJson(status, v));
    }

    private static Map<String, Object> summary(JourneyStore.Journey j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("name", j.current().definition().name());
        m.put("status", j.status().wire());
        m.put("version", j.current().version());
        m.put("createdAt", j.versions().get(0).createdAt());
        m.put("updatedAt", j.updatedAt());
        return m;
    }

    private static Map<String, Object> view(JourneyStore.Journey j, Optional<String> version) {
        Map<String, Object> m = summary(j);
        JourneyStore.Version shown = j.current();
        if (version.isPresent()) {
            int v;
            try {
                v = Integer.parseInt(version.get().strip());
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("invalid_parameter", "'version' must be a version number, got '" + version.get()
                        + "'", "version");
            }
            if (v < 1 || v > j.versions().size()) {
                throw ApiError.notFound("journey " + j.id() + " has versions 1 to " + j.versions().size() + ", not " + v);
            }
            shown = j.versions().get(v - 1);
        }
        m.put("shownVersion", shown.version());
        List<Map<String, Object>> versions = new ArrayList<>();
        for (JourneyStore.Version x : j.versions()) {
            versions.add(Map.of("version", x.version(), "createdAt", x.createdAt()));
        }
        m.put("versions", versions);
        m.put("definition", shown.definition());
        m.put("report", "/v1/journeys/" + j.id() + "/report");
        return m;
    }
}
