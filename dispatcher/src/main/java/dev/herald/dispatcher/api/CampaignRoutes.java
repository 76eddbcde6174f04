package dev.herald.dispatcher.api;

import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.api.campaign.CampaignIntake;
import dev.herald.dispatcher.api.campaign.CampaignStatusCache;
import dev.herald.dispatcher.api.campaign.CampaignView;
import dev.herald.dispatcher.api.campaign.CampaignViews;
import dev.herald.dispatcher.campaign.Campaign;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignRejection;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * The campaign routes: create (idempotent with {@code Idempotency-Key}), list, status, pause,
 * resume, cancel, resend-unknown. Only HTTP: a body is checked by the {@link CampaignIntake}, the
 * manager asked through {@link CampaignAsks}, status reads shared through a {@link CampaignStatusCache},
 * and the answer is the campaign's {@link CampaignView}.
 *
 * <pre>{@code
 * Route r = new CampaignRoutes(keys, new BodyLimits(maxJson, bodyTimeout), campaigns, intake).route();
 * }</pre>
 *
 * <p>Thread-safety: the routes are immutable; the status cache is thread-safe.
 */
public final class CampaignRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("POST", "/v1/campaigns"), new Endpoint("GET", "/v1/campaigns"),
            new Endpoint("GET", "/v1/campaigns/{id}"), new Endpoint("POST", "/v1/campaigns/{id}/pause"),
            new Endpoint("POST", "/v1/campaigns/{id}/resume"), new Endpoint("POST", "/v1/campaigns/{id}/cancel"),
            new Endpoint("POST", "/v1/campaigns/{id}/resend-unknown"), new Endpoint("POST", "/v1/campaigns/{id}/winner"));

    /** {@code POST /v1/campaigns/{id}/winner} body: the variant the held recipients get. */
    public record PickWinner(String variant) {
    }

    /**
     * {@code POST /v1/campaigns} (and {@code /preview}) body. Unknown fields are refused. (Its Java
     * name shows in some of Jackson's wrong-type messages, so it stays where it always was.)
     */
    public record CreateCampaign(String name, String channel, String category, String sender, String text, String footer,
                                 String segment, String expression, Schedule schedule, String connector, Double tps,
                                 Instant expiresAt, Boolean trackLinks, CampaignRecord.AttributionWindows attribution,
                                 List<Variant> variants, Test test) {
    }

    /** One of a campaign's 2–8 {@code variants}: its text, and optionally its name, sender or local send time. */
    public record Variant(String name, String text, String sender, String localTime) {
    }

    /**
     * A campaign's A/B {@code test}: {@code sample} (required, (0, 0.5]); {@code metric}
     * (human-click, conversion or delivery; default human-click); {@code wait} (ISO-8601, default PT3H);
     * {@code alpha} (default 0.05); {@code minPerVariant} (default 1000); {@code noWinner}
     * (send-best, send-first or stop; default send-best).
     */
    public record Test(Double sample, String metric, @com.fasterxml.jackson.annotation.JsonProperty("wait") String waitFor,
                       Double alpha, Long minPerVariant, String noWinner) {
    }

    /** When to start: at an instant, or at a local time of day in each recipient's zone. */
    public record Schedule(Instant at, String localTime) {
    }

    private final CampaignAsks campaigns;
    private final CampaignIntake intake;
    private final boolean slices;

    /** The header with which a cluster node lets a partition make an empty slice of a campaign. */
    public static final String EMPTY_SLICE = "Herald-Empty-Slice";
    private final CampaignViews views;
    private final CampaignStatusCache statuses;

    /**
     * @param keys      who may call
     * @param limits    JSON body limits
     * @param campaigns the campaign manager's asks (a timeout answers 503)
     * @param intake    how a create's body is checked
     */
    public CampaignRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, CampaignIntake intake) {
        this(keys, limits, campaigns, intake, CampaignViews.plain());
    }

    /**
     * @param views how a record is shown (its connector, its delivery counts)
     */
    public CampaignRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, CampaignIntake intake, CampaignViews views) {
        this(keys, limits, campaigns, intake, views, false);
    }

    /**
     * @param slices whether this is a cluster partition's API: a create carrying
     *               {@value #EMPTY_SLICE}{@code : allow} (set by the cluster node, never by a client:
     *               the node replaces it) makes a campaign of no recipients where this partition has
     *               none of the audience, rather than refusing it as empty
     */
    public CampaignRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, CampaignIntake intake, CampaignViews views,
                          boolean slices) {
        super(keys, limits);
        this.slices = slices;
        this.campaigns = campaigns;
        this.intake = intake;
        this.statuses = new CampaignStatusCache(campaigns::get);
        this.views = views;
    }

    /** @return the routes under {@code /v1/campaigns} */
    public Route route() {
        return pathPrefix("v1", () -> pathPrefix("campaigns", () -> concat(
                pathEndOrSingleSlash(() -> concat(createRoute(), listRoute())),
                path(segment(), this::getRoute),
                path(segment().slash("pause"), id -> steer(id, r -> new CampaignManager.Pause(id, r))),
                path(segment().slash("resume"), id -> steer(id, r -> new CampaignManager.Resume(id, r))),
                path(segment().slash("cancel"), id -> steer(id, r -> new CampaignManager.Cancel(id, r))),
                path(segment().slash("resend-unknown"), this::resendUnknownRoute),
                path(segment().slash("winner"), this::winnerRoute))));
    }

    /** An operator picks the A/B test's winner before its wait ends: the held recipients are sent it. */
    private Route winnerRoute(String id) {
        return post(() -> authorized(Role.SENDER, key -> jsonBody(PickWinner.class, body -> {
            if (body.variant() == null || body.variant().isBlank()) {
                throw ApiError.badRequest("missing_field", "'variant' is required: the name of the variant the held"
                        + " recipients get", "variant");
            }
            statuses.forget(id);
            return onSuccess(campaigns.<CampaignRecord>ask(r -> new CampaignManager.PickWinner(id, body.variant().strip(), r)),
                    c -> {
                        statuses.forget(id);
                        return completeJson(200, views.of(c));
                    });
        })));
    }

    /** Admin only: the campaign's {@code unknown} recipients are sent again, at least once. */
    private Route resendUnknownRoute(String id) {
        return post(() -> authorized(Role.ADMIN, key -> {
            statuses.forget(id);
            return onSuccess(campaigns.<Campaign.Resent>ask(r -> new CampaignManager.ResendUnknown(id, r)), a -> {
                statuses.forget(id);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("id", id);
                out.put("queued", a.queued());
                out.put("campaign", views.of(a.campaign()));
                return completeJson(200, out);
            });
        }));
    }

    private Route createRoute() {
        return post(() -> authorized(Role.SENDER, key -> optionalHeaderValueByName("Idempotency-Key",
                idem -> optionalHeaderValueByName(EMPTY_SLICE, empty -> jsonBody(CreateCampaign.class,
                        body -> create(body, idem, slices && empty.filter("allow"::equals).isPresent()))))));
    }

    /** The list: the same live records {@code GET /v1/campaigns/{id}} gives, through the same cache. */
    private Route listRoute() {
        return get(() -> authorized(Role.ANALYST, key -> onSuccess(campaigns.list().thenCompose(statuses::live),
                list -> completeJson(200, Map.of("campaigns", list.stream().map(views::of).toList())))));
    }

    private Route getRoute(String id) {
        return get(() -> authorized(Role.ANALYST, key -> onSuccess(statuses.status(id),
                r -> completeJson(200, views.of(r)))));
    }

    private Route steer(String id, Function<ActorRef<StatusReply<CampaignRecord>>, CampaignManager.Command> command) {
        return post(() -> authorized(Role.SENDER, key -> {
            statuses.forget(id); // the next status read asks again
            return onSuccess(campaigns.ask(command), c -> {
                statuses.forget(id);
                return completeJson(200, views.of(c));
            });
        }));
    }

    private Route create(CreateCampaign body, Optional<String> idempotencyKey, boolean emptyAllowed) {
        CampaignIntake.Draft draft = intake.create(body, idempotencyKey, emptyAllowed);
        CompletionStage<CampaignRecord> created = campaigns.<CampaignRecord>ask(
                r -> new CampaignManager.Create(draft.record(), draft.audience(), emptyAllowed, r));
        if (idempotencyKey.isEmpty()) {
            return onSuccess(created, c -> completeJson(201, views.of(c).withCompliance(draft.compliance())));
        }
        // A retried submission: the id is derived from the key, so the campaign it made first answers.
        CompletionStage<Created> answer = created.thenApply(c -> new Created(c, true)).exceptionallyCompose(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof CampaignRejection rej && rej.reason() == CampaignRejection.Reason.CONFLICT) {
                return campaigns.get(draft.record().id()).thenApply(c -> new Created(c, false));
            }
            return CompletableFuture.failedFuture(cause);
        });
        return onSuccess(answer, a -> respondWithHeader(RawHeader.create("Idempotent-Replayed", a.fresh() ? "false" : "true"),
                () -> completeJson(a.fresh() ? 201 : 200, views.of(a.record()).withCompliance(draft.compliance()))));
    }

    /** A create's answer: the campaign, and whether this request made it (false: a retried submission). */
    private record Created(CampaignRecord record, boolean fresh) {
    }
}
