package dev.herald.dispatcher.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.render.Template;
import dev.herald.dispatcher.sender.MarketingCompliance;
import dev.herald.dispatcher.sender.SenderProfiles;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * The campaign routes: create (idempotent with {@code Idempotency-Key}), list, status, pause,
 * resume, cancel. Each asks the {@link CampaignManager} and answers when it has.
 *
 * <pre>{@code
 * Route r = new CampaignRoutes(keys, settings..., system, manager, audiences, clock).route();
 * }</pre>
 *
 * <p>Thread-safety: immutable; routes run on Pekko's dispatcher.
 */
public final class CampaignRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final java.util.List<Endpoint> ENDPOINTS = java.util.List.of(
            new Endpoint("POST", "/v1/campaigns"), new Endpoint("GET", "/v1/campaigns"),
            new Endpoint("GET", "/v1/campaigns/{id}"), new Endpoint("POST", "/v1/campaigns/{id}/pause"),
            new Endpoint("POST", "/v1/campaigns/{id}/resume"), new Endpoint("POST", "/v1/campaigns/{id}/cancel"),
            new Endpoint("POST", "/v1/campaigns/{id}/resend-unknown"));

    /** Where a campaign's recipients come from: a stored segment, or an expression over segments. */
    public interface Audiences {
        /**
         * @param segment    a segment name, or null
         * @param expression a segment expression, or null (exactly one of the two is given)
         * @return the recipients
         * @throws ApiError 400 naming the field for an unknown segment or a malformed expression
         */
        ImmutableRoaringBitmap resolve(String segment, String expression);

        /**
         * @param segment    as for {@link #resolve}
         * @param expression as for {@link #resolve}
         * @return the personal fields every recipient's upload had (the template may use them), or
         *     empty when that is not known (then the template is not checked against fields)
         */
        default Optional<java.util.Set<String>> fields(String segment, String expression) {
            return Optional.empty();
        }
    }

    /** {@code POST /v1/campaigns} body. Unknown fields are refused. */
    public record CreateCampaign(String name, String channel, String category, String sender, String text, String footer,
                                 String segment, String expression, Schedule schedule, String connector, Double tps,
                                 Instant expiresAt) {
    }

    /** When to start: at an instant, or at a local time of day in each recipient's zone. */
    public record Schedule(Instant at, String localTime) {
    }

    /** The campaign as the API shows it. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record CampaignView(String id, String name, String status, String channel, String category, String sender,
                               long total, Map<String, Long> counts, Map<String, Long> outcomes, Instant createdAt,
                               Instant startAt, String localTime, Instant startedAt, Instant finishedAt, Instant expiresAt,
                               String error) {
    }

    /**
     * How far ahead {@code schedule.at} may be, for a create and a preview alike (400
     * {@code schedule_too_far} beyond): 366 days, as far as quiet hours look for an open
     * instant ({@link dev.herald.throttle.QuietHoursRule#HORIZON_DAYS}).
     */
    public static final Duration MAX_SCHEDULE_AHEAD = Duration.ofDays(dev.herald.throttle.QuietHoursRule.HORIZON_DAYS);

    /** Outcome families, in the order the API lists them. */
    static final List<String> FAMILIES = List.of("sent", "suppressed", "deferred", "capped", "failed", "unknown", "pending",
            "expired", "inFlight");

    private final ActorSystem<?> system;
    private final ActorRef<CampaignManager.Command> manager;
    private final Audiences audiences;
    private final Clock clock;
    private final String connectorName;
    private final Duration askTimeout;
    private final SenderProfiles senders;

    /**
     * @param keys          who may call
     * @param maxJsonBytes  largest JSON body
     * @param bodyTimeout   how long reading a body may take
     * @param askTimeout    how long to wait for the manager (then 503)
     * @param system        the actor system (scheduler for asks)
     * @param manager       the campaign manager
     * @param audiences     segment resolution
     * @param connectorName the one connector campaigns may name
     * @param clock         "now" for schedules
     * @param senders       the sender profiles marketing text is checked against ({@link MarketingCompliance})
     */
    public CampaignRoutes(ApiKeys keys, long maxJsonBytes, Duration bodyTimeout, Duration askTimeout, ActorSystem<?> system,
                          ActorRef<CampaignManager.Command> manager, Audiences audiences, String connectorName, Clock clock,
                          SenderProfiles senders) {
        super(keys, maxJsonBytes, bodyTimeout);
        this.senders = senders;
        this.system = system;
        this.manager = manager;
        this.audiences = audiences;
        this.connectorName = connectorName;
        this.clock = clock;
        this.askTimeout = askTimeout;
    }

    /** @return the routes under {@code /v1/campaigns} */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("campaigns", () -> concat(
                pathEndOrSingleSlash(() -> concat(createRoute(), listRoute())),
                path(segment(), this::getRoute),
                path(segment().slash("pause"), id -> steer(id, r -> new CampaignManager.Pause(id, r))),
                path(segment().slash("resume"), id -> steer(id, r -> new CampaignManager.Resume(id, r))),
                path(segment().slash("cancel"), id -> steer(id, r -> new CampaignManager.Cancel(id, r))),
                path(segment().slash("resend-unknown"), this::resendUnknownRoute))));
    }

    /** Admin only: the campaign's {@code unknown} recipients are sent again, at least once. */
    private Route resendUnknownRoute(String id) {
        return post(() -> authorized(Role.ADMIN, key -> {
            statusCache.remove(id);
            return onSuccess(this.<dev.herald.dispatcher.campaign.Campaign.Resent>ask(
                    r -> new CampaignManager.ResendUnknown(id, r)), a -> {
                statusCache.remove(id);
                Map<String, Object> out = new java.util.LinkedHashMap<>();
                out.put("id", id);
                out.put("queued", a.queued());
                out.put("campaign", view(a.campaign()));
                return completeJson(200, out);
            });
        }));
    }

    private Route createRoute() {
        return post(() -> authorized(Role.SENDER, key -> optionalHeaderValueByName("Idempotency-Key",
                idem -> jsonBody(CreateCampaign.class, body -> create(body, idem)))));
    }

    private Route listRoute() {
        return get(() -> authorized(Role.VIEWER, key -> onSuccess(this.<List<CampaignRecord>>ask(CampaignManager.ListAll::new)
                        .thenCompose(this::live),
                list -> completeJson(200, Map.of("campaigns", list.stream().map(CampaignRoutes::view).toList())))));
    }

    /**
     * The stored records with the live counts of those that may be under way (scheduled, running,
     * paused): the same answer {@code GET /v1/campaigns/{id}} gives (through the same cache), since
     * a stored record's counts are those of its last status change. A campaign that cannot answer
     * (gone, busy) is listed as stored.
     */
    private CompletionStage<List<CampaignRecord>> live(List<CampaignRecord> stored) {
        List<CompletableFuture<CampaignRecord>> out = new java.util.ArrayList<>(stored.size());
        for (CampaignRecord r : stored) {
            boolean underWay = r.status() == dev.herald.dispatcher.campaign.CampaignStatus.SCHEDULED
                    || r.status() == dev.herald.dispatcher.campaign.CampaignStatus.RUNNING
                    || r.status() == dev.herald.dispatcher.campaign.CampaignStatus.PAUSED;
            out.add(underWay ? status(r.id()).toCompletableFuture().exceptionally(e -> r) : CompletableFuture.completedFuture(r));
        }
        return CompletableFuture.allOf(out.toArray(CompletableFuture[]::new))
                .thenApply(v -> out.stream().map(CompletableFuture::join).toList());
    }

    private Route getRoute(String id) {
        return get(() -> authorized(Role.VIEWER, key -> onSuccess(status(id), r -> completeJson(200, view(r)))));
    }

    private Route steer(String id, Function<ActorRef<StatusReply<CampaignRecord>>, CampaignManager.Command> command) {
        return post(() -> authorized(Role.SENDER, key -> {
            statusCache.remove(id); // the next status read asks again
            return onSuccess(this.<CampaignRecord>ask(command), c -> {
                statusCache.remove(id);
                return completeJson(200, view(c));
            });
        }));
    }

    /**
     * A campaign's live record, shared by every request for it within {@link #STATUS_FRESHNESS}
     * (its detail and the list alike): many pollers of one campaign cost one ask of its actor per
     * period, not one each (requests that arrive while an ask is under way wait for that ask). A
     * refusal (404) is not kept.
     */
    private CompletionStage<CampaignRecord> status(String id) {
        long now = System.nanoTime();
        CachedStatus c = statusCache.get(id);
        if (c != null && now - c.askedAt() < STATUS_FRESHNESS.toNanos()) {
            return c.answer();
        }
        CompletableFuture<CampaignRecord> answer = new CompletableFuture<>();
        CachedStatus mine = new CachedStatus(now, answer);
        CachedStatus winner = c == null ? statusCache.putIfAbsent(id, mine)
                : statusCache.replace(id, c, mine) ? null : statusCache.get(id);
        if (winner != null && winner != mine) {
            return winner.answer();
        }
        this.<CampaignRecord>ask(r -> new CampaignManager.Get(id, r)).whenComplete((record, error) -> {
            if (error != null) {
                statusCache.remove(id, mine);
                answer.completeExceptionally(error);
            } else {
                answer.complete(record);
            }
        });
        if (statusCache.size() > MAX_CACHED) {
            statusCache.entrySet().removeIf(e -> now - e.getValue().askedAt() > STATUS_FRESHNESS.toNanos());
        }
        return answer;
    }

    /** How old a campaign status answer may be when it is served again. */
    static final Duration STATUS_FRESHNESS = Duration.ofMillis(100);
    private static final int MAX_CACHED = 1_000;

    private record CachedStatus(long askedAt, CompletableFuture<CampaignRecord> answer) {
    }

    private final java.util.concurrent.ConcurrentHashMap<String, CachedStatus> statusCache = new java.util.concurrent.ConcurrentHashMap<>();

    private Route create(CreateCampaign body, Optional<String> idempotencyKey) {
        CampaignRecord record = validate(body, idempotencyKey);
        MarketingCompliance.Result compliance = compliance(record, senders);
        refuseIfNotCompliant(compliance);
        ImmutableRoaringBitmap audience = audience(audiences, body);
        CampaignRecord sized = CampaignRecord.create(record.id(), record.name(), record.channel(), record.category(),
                record.sender(), record.template(), compliance.footer(), audience.getLongCardinality(), record.createdAt(),
                record.startAt(), record.expiresAt()).withLocalTime(record.localTime()).withTps(record.tps());
        CompletionStage<CampaignRecord> created = this.<CampaignRecord>ask(r -> new CampaignManager.Create(sized, audience, r));
        if (idempotencyKey.isEmpty()) {
            return onSuccess(created, c -> completeJson(201, withWarnings(view(c), compliance)));
        }
        // A retried submission: the id is derived from the key, so the campaign it made first answers.
        CompletionStage<Created> answer = created.thenApply(c -> new Created(c, true)).exceptionallyCompose(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof dev.herald.dispatcher.campaign.CampaignRejection rej
                    && rej.reason() == dev.herald.dispatcher.campaign.CampaignRejection.Reason.CONFLICT) {
                return this.<CampaignRecord>ask(r -> new CampaignManager.Get(sized.id(), r)).thenApply(c -> new Created(c, false));
            }
            return CompletableFuture.failedFuture(cause);
        });
        return onSuccess(answer, a -> respondWithHeader(RawHeader.create("Idempotent-Replayed", a.fresh() ? "false" : "true"),
                () -> completeJson(a.fresh() ? 201 : 200, withWarnings(view(a.record()), compliance))));
    }

    /**
     * The compliance checks of a validated campaign against its sender's profile (see
     * {@link MarketingCompliance}): the footer to store and the warnings.
     */
    static MarketingCompliance.Result compliance(CampaignRecord record, SenderProfiles senders) {
        SenderProfiles.Profile profile;
        try {
            profile = senders.profile(record.sender());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", "'sender': " + e.getMessage(), "sender");
        }
        return MarketingCompliance.check(profile, record.category(), record.template(), record.footer());
    }

    /**
     * 422 {@code missing_brand_prefix} (field {@code text}) when marketing text lacks its sender's
     * prefix; 422 {@code flagged_words} naming the words when the sender's policy refuses them.
     */
    static void refuseIfNotCompliant(MarketingCompliance.Result r) {
        if (r.missingPrefix()) {
            throw new ApiError(422, "missing_brand_prefix", r.warnings().get(0).message(), "text");
        }
        if (r.refuseWords() && !r.flaggedWords().isEmpty()) {
            throw new ApiError(422, "flagged_words", "'text' has words the sender's policy refuses: "
                    + String.join(", ", r.flaggedWords()), "text");
        }
    }

    /** The warnings as the API shows them: code, message, word, and whether a create is refused for it. */
    static List<Map<String, Object>> warnings(MarketingCompliance.Result r) {
        return r.warnings().stream().map(w -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("code", w.code());
            m.put("message", w.message());
            m.put("word", w.word());
            m.put("blocking", w.code().equals(MarketingCompliance.MISSING_BRAND_PREFIX) || r.refuseWords());
            return m;
        }).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withWarnings(CampaignView view, MarketingCompliance.Result r) {
        Map<String, Object> body = JSON.convertValue(view, LinkedHashMap.class);
        body.put("footer", r.footer());
        body.put("warnings", warnings(r));
        return body;
    }

    /** A create's answer: the campaign, and whether this request made it (false: a retried submission). */
    private record Created(CampaignRecord record, boolean fresh) {
    }

    private CampaignRecord validate(CreateCampaign b, Optional<String> idempotencyKey) {
        return validate(b, idempotencyKey, connectorName, clock);
    }

    /**
     * Checks a create (or preview) body: 400 naming the field for whatever is wrong.
     *
     * @return the campaign's record (audience size 0; id from the key, or a new one)
     */
    static CampaignRecord validate(CreateCampaign b, Optional<String> idempotencyKey, String connectorName, Clock clock) {
        String name = required(b.name(), "name");
        String channel = required(b.channel(), "channel").toLowerCase(Locale.ROOT);
        String category = required(b.category(), "category").toLowerCase(Locale.ROOT);
        String sender = required(b.sender(), "sender");
        String text = required(b.text(), "text");
        if (name.length() > 200) {
            throw ApiError.badRequest("invalid_value", "'name' is longer than 200 characters", "name");
        }
        if (!channel.matches("[a-z0-9][a-z0-9_-]{0,31}")) {
            throw ApiError.badRequest("invalid_value", "'channel' must be 1-32 of a-z 0-9 _ -, got '" + b.channel() + "'", "channel");
        }
        if (!category.matches("[a-z0-9][a-z0-9_-]{0,31}")) {
            throw ApiError.badRequest("invalid_value", "'category' must be 1-32 of a-z 0-9 _ -, got '" + b.category() + "'",
                    "category");
        }
        if (!sender.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw ApiError.badRequest("invalid_value", "'sender' must be 1-64 of A-Z a-z 0-9 . _ -, got '" + sender + "'", "sender");
        }
        boolean hasSegment = blankToNull(b.segment()) != null;
        boolean hasExpression = blankToNull(b.expression()) != null;
        if (hasSegment == hasExpression) {
            throw ApiError.badRequest(hasSegment ? "invalid_value" : "missing_field",
                    "give exactly one of 'segment' and 'expression'", "segment");
        }
        try {
            Template.parse(text);
        } catch (RuntimeException e) {
            throw ApiError.badRequest("invalid_template", "'text': " + e.getMessage(), "text");
        }
        if (b.connector() != null && !b.connector().equals(connectorName)) {
            throw ApiError.badRequest("unknown_connector", "unknown connector '" + b.connector() + "'; this server has '"
                    + connectorName + "'", "connector");
        }
        if (b.tps() != null && !(b.tps() > 0 && b.tps() <= CampaignRecord.MAX_TPS)) {
            throw ApiError.badRequest("invalid_value", "'tps' must be a number of messages per second > 0 and <= "
                    + (long) CampaignRecord.MAX_TPS + ", got " + b.tps(), "tps");
        }
        Instant now = clock.instant();
        Instant startAt = null;
        String localTime = null;
        if (b.schedule() != null && b.schedule().localTime() != null) {
            if (b.schedule().at() != null) {
                throw ApiError.badRequest("invalid_value", "give one of 'schedule.at' and 'schedule.localTime', not both",
                        "schedule.localTime");
            }
            try {
                localTime = CampaignRecord.parseLocalTime(b.schedule().localTime()).toString();
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("invalid_value", "'schedule.localTime': " + e.getMessage(), "schedule.localTime");
            }
        } else if (b.schedule() != null) {
            if (b.schedule().at() == null) {
                throw ApiError.badRequest("missing_field", "'schedule' needs 'at' (an ISO-8601 instant) or 'localTime' (HH:mm)",
                        "schedule.at");
            }
            if (!b.schedule().at().isAfter(now)) {
                throw ApiError.badRequest("schedule_in_past", "'schedule.at' " + b.schedule().at() + " is not in the future (now "
                        + now + ")", "schedule.at");
            }
            if (b.schedule().at().isAfter(now.plus(MAX_SCHEDULE_AHEAD))) {
                throw ApiError.badRequest("schedule_too_far", "'schedule.at' " + b.schedule().at() + " is more than "
                        + MAX_SCHEDULE_AHEAD.toDays() + " days ahead (now " + now + "); schedule at most "
                        + MAX_SCHEDULE_AHEAD.toDays() + " days ahead", "schedule.at");
            }
            startAt = b.schedule().at();
        }
        if (b.expiresAt() != null && !b.expiresAt().isAfter(startAt == null ? now : startAt)) {
            throw ApiError.badRequest("invalid_value", "'expiresAt' must be after the start", "expiresAt");
        }
        String id = idempotencyKey.map(CampaignRoutes::idFor).orElseGet(() -> newId(now));
        return CampaignRecord.create(id, name, channel, category, sender, text, b.footer() == null ? "" : b.footer(), 0, now,
                startAt, b.expiresAt()).withLocalTime(localTime).withTps(b.tps());
    }

    /** The body's recipients. @throws ApiError 400 for an unknown segment, a bad expression or an empty audience */
    static ImmutableRoaringBitmap audience(Audiences audiences, CreateCampaign body) {
        ImmutableRoaringBitmap audience = audiences.resolve(blankToNull(body.segment()), blankToNull(body.expression()));
        audiences.fields(blankToNull(body.segment()), blankToNull(body.expression())).ifPresent(known -> {
            java.util.Set<String> usable = new java.util.TreeSet<>(known);
            usable.addAll(Template.RESERVED_FIELDS);
            try {
                Template.parse(body.text()).validate(usable);
            } catch (RuntimeException e) {
                throw ApiError.badRequest("unknown_field_in_template", "'text': " + e.getMessage()
                        + " (the fields of the audience's uploads)", "text");
            }
        });
        if (audience.isEmpty()) {
            throw ApiError.badRequest("empty_audience", "the audience is empty: no recipient in "
                    + (body.segment() != null ? "segment '" + body.segment() + "'" : "'" + body.expression() + "'"),
                    body.segment() != null ? "segment" : "expression");
        }
        return audience;
    }

    /** A campaign id derived from an idempotency key: the same key always names the same campaign. */
    static String idFor(String idempotencyKey) {
        if (idempotencyKey.isBlank() || idempotencyKey.length() > 200) {
            throw ApiError.badRequest("invalid_header", "Idempotency-Key must be 1-200 characters", "Idempotency-Key");
        }
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(idempotencyKey.getBytes(StandardCharsets.UTF_8));
            return "c-" + HexFormat.of().formatHex(h, 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String newId(Instant now) {
        byte[] r = new byte[4];
        new java.security.SecureRandom().nextBytes(r);
        return "c-" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(java.time.ZoneOffset.UTC).format(now)
                + "-" + HexFormat.of().formatHex(r);
    }

    private static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw ApiError.badRequest("missing_field", "'" + field + "' is required", field);
        }
        return value.strip();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** The API's view of a record: detailed outcomes and their families. */
    public static CampaignView view(CampaignRecord r) {
        Map<String, Long> families = new LinkedHashMap<>();
        FAMILIES.forEach(f -> families.put(f, 0L));
        Map<String, Long> outcomes = new LinkedHashMap<>();
        long accounted = 0;
        for (Map.Entry<String, Long> e : r.counts().entrySet()) {
            String k = e.getKey();
            long n = e.getValue();
            String family = k.equals("claimed") ? "inFlight" : k.equals("pending") ? "pending" : familyOf(k);
            families.merge(family, n, Long::sum);
            accounted += n;
            if (!k.equals("claimed") && !k.equals("pending") && n > 0) {
                outcomes.put(k, n);
            }
        }
        if (accounted == 0) {
            families.put("pending", r.audienceSize()); // not started yet
        }
        return new CampaignView(r.id(), r.name(), r.status().wire(), r.channel(), r.category(), r.sender(), r.audienceSize(),
                families, outcomes, r.createdAt(), r.startAt(), r.localTime(), r.startedAt(), r.finishedAt(), r.expiresAt(),
                r.error());
    }

    private static String familyOf(String outcome) {
        int colon = outcome.indexOf(':');
        String head = colon < 0 ? outcome : outcome.substring(0, colon);
        return switch (head) {
            case Outcomes.SENT, "suppressed", Outcomes.DEFERRED, "capped", "failed", Outcomes.UNKNOWN, Outcomes.EXPIRED -> head;
            default -> "failed";
        };
    }

    private <T> CompletionStage<T> ask(Function<ActorRef<StatusReply<T>>, CampaignManager.Command> message) {
        return AskPattern.askWithStatus(manager, message::apply, askTimeout, system.scheduler());
    }

    static Instant parseInstant(String s, String field) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest("invalid_value", "'" + field + "' must be an ISO-8601 instant like 2026-12-01T09:00:00Z",
                    field);
        }
    }
}
