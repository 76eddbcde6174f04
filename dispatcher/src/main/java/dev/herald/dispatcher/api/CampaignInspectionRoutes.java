package dev.herald.dispatcher.api;

import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.api.campaign.CampaignCompliance;
import dev.herald.dispatcher.api.campaign.CampaignIntake;
import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignPreview;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.RecipientLookup;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.outcome.RecipientOutcome;
import dev.herald.suppression.RecipientDirectory;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * Read-only campaign routes (role viewer):
 * <ul>
 *   <li>{@code POST /v1/campaigns/preview} with a create's body: validated exactly as a create,
 *       then the counts per outcome the campaign would get now, nothing sent or stored
 *       ({@link CampaignPreview}).</li>
 *   <li>{@code GET /v1/campaigns/{id}/recipients/{phone}}: one recipient's outcome in one
 *       campaign and why, read through the campaign's actor (which holds its ledger).</li>
 *   <li>{@code GET /v1/recipients/{phone}/campaigns[?limit=50]}: the recipient's outcome in each of
 *       the newest {@code limit} campaigns (1-500) whose audience has them, newest first: "why did
 *       +44… not get it?" across campaigns.</li>
 * </ul>
 * A deferred recipient's answer gives the instant and, in the recipient's own zone, its local time
 * ({@code zone}, {@code localAt}).
 *
 * <pre>{@code
 * Route r = new CampaignInspectionRoutes(keys, limits, campaigns, intake, clock, deps, blockingIo).route();
 * }</pre>
 *
 * <p>Thread-safety: immutable; previews run on {@code blockingIo}, off the routing threads.
 */
public final class CampaignInspectionRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final java.util.List<Endpoint> ENDPOINTS = java.util.List.of(new Endpoint("POST", "/v1/campaigns/preview"),
            new Endpoint("GET", "/v1/campaigns/{id}/recipients/{phone}"), new Endpoint("GET", "/v1/recipients/{phone}/campaigns"));

    /** The most campaigns one {@code GET /v1/recipients/{phone}/campaigns} looks in. */
    static final int MAX_CAMPAIGNS = 200;
    /**
     * How many of its campaigns are asked at once: a campaign without a running actor is looked up
     * by the manager opening its ledger, and the manager does nothing else meanwhile, so a lookup
     * across many campaigns goes a few at a time, letting other commands in between.
     */
    static final int AT_ONCE = 2;
    /** A local date-time to the second, always with its seconds: 2026-12-08T10:30:00. */
    private static final java.time.format.DateTimeFormatter LOCAL = java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    private final dev.herald.dispatcher.delivery.Deliveries deliveries;
    private final dev.herald.dispatcher.funnel.Conversions conversions;
    private final CampaignAsks campaigns;
    private final CampaignIntake intake;
    private final Clock clock;
    private final CampaignDeps deps;
    private final RecipientDirectory directory;
    private final Executor blockingIo;
    /** What each recipient was sent, or null when not kept. */
    private final MessageViews messages;

    /**
     * @param keys       who may call
     * @param limits     JSON body limits
     * @param campaigns  the campaign manager's asks (a timeout answers 503)
     * @param intake     how a preview's body is checked: exactly as a create's, compliance warned, not refused
     * @param clock      "now" for the reason a recipient is deferred
     * @param deps       the campaigns' shared services (suppression, zones, quiet hours, caps)
     * @param blockingIo where previews are computed
     */
    public CampaignInspectionRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, CampaignIntake intake,
                                    Clock clock, CampaignDeps deps, Executor blockingIo) {
        this(keys, limits, campaigns, intake, clock, deps, blockingIo, null);
    }

    /**
     * As the other constructor; a recipient's answer also shows its delivery from {@code deliveries}.
     *
     * @param deliveries the receipts matched to recipients, or null for none
     */
    public CampaignInspectionRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, CampaignIntake intake,
                                    Clock clock, CampaignDeps deps, Executor blockingIo,
                                    dev.herald.dispatcher.delivery.Deliveries deliveries) {
        this(keys, limits, campaigns, intake, clock, deps, blockingIo, deliveries, null);
    }

    /**
     * As the other constructors; a recipient's answer also shows the conversions attributed to the campaign.
     *
     * @param conversions the conversions, or null for none
     */
    public CampaignInspectionRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, CampaignIntake intake,
                                    Clock clock, CampaignDeps deps, Executor blockingIo,
                                    dev.herald.dispatcher.delivery.Deliveries deliveries,
                                    dev.herald.dispatcher.funnel.Conversions conversions) {
        this(keys, limits, campaigns, intake, clock, deps, blockingIo, deliveries, conversions, null);
    }

    /**
     * As the other constructors; a sent recipient's answer also shows the {@code message} it was
     * sent (its text to sender and admin keys only).
     *
     * @param messages the messages sent, or null for none
     */
    public CampaignInspectionRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, CampaignIntake intake,
                                    Clock clock, CampaignDeps deps, Executor blockingIo,
                                    dev.herald.dispatcher.delivery.Deliveries deliveries,
                                    dev.herald.dispatcher.funnel.Conversions conversions, MessageViews messages) {
        super(keys, limits);
        this.messages = messages;
        this.deliveries = deliveries;
        this.conversions = conversions;
        this.campaigns = campaigns;
        this.intake = intake;
        this.clock = clock;
        this.deps = deps;
        this.directory = deps.directory();
        this.blockingIo = blockingIo;
    }

    /** @return the routes */
    public Route route() {
        return pathPrefix("v1", () -> concat(pathPrefix("campaigns", () -> concat(
                path("preview", () -> post(() -> authorized(Role.VIEWER, key -> optionalHeaderValueByName("Idempotency-Key",
                        idem -> jsonBody(CampaignRoutes.CreateCampaign.class, body -> preview(body, idem)))))),
                path(segment().slash("recipients").slash(segment()), (id, phone) ->
                        get(() -> authorized(Role.VIEWER, key -> recipient(id, phone, key.role().allows(Role.SENDER))))))),
                path(segment("recipients").slash(segment()).slash("campaigns"), phone ->
                        get(() -> authorized(Role.VIEWER, key -> parameterOptional("limit", limit ->
                                recipientCampaigns(phone, limit)))))));
    }

    private Route recipientCampaigns(String phone, Optional<String> limitText) {
        int limit = limitText.map(l -> {
            try {
                int n = Integer.parseInt(l.strip());
                if (n >= 1 && n <= MAX_CAMPAIGNS) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw ApiError.badRequest("invalid_parameter", "'limit' must be a whole number from 1 to " + MAX_CAMPAIGNS
                    + ", got '" + l + "'", "limit");
        }).orElse(50);
        int recipient = phoneId(directory, phone);
        CompletionStage<Map<String, Object>> answer = campaigns.list().thenCompose(list -> {
            java.util.List<CampaignRecord> newest = list.stream()
                    .sorted(java.util.Comparator.comparing(CampaignRecord::createdAt).reversed()
                            .thenComparing(CampaignRecord::id))
                    .limit(limit).toList();
            java.util.List<java.util.concurrent.CompletableFuture<Map<String, Object>>> each = new java.util.ArrayList<>();
            for (int i = 0; i < newest.size(); i++) {
                CampaignRecord c = newest.get(i);
                // AT_ONCE chains: campaign i is asked once campaign i - AT_ONCE was answered
                java.util.concurrent.CompletableFuture<?> after = i < AT_ONCE
                        ? java.util.concurrent.CompletableFuture.completedFuture(null) : each.get(i - AT_ONCE);
                each.add(after.thenCompose(x -> campaigns.<RecipientLookup>ask(r -> new CampaignManager.OutcomeOf(c.id(),
                                recipient, r)))
                        .thenApply(l -> l.inAudience() ? outcomeOf(l) : null)
                        .exceptionally(e -> {
                            // a damaged campaign (or one that did not answer in time) gives no outcome: say so
                            // rather than fail the whole answer
                            Throwable why = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                                    ? e.getCause() : e;
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("campaign", c.id());
                            m.put("error", why instanceof java.util.concurrent.TimeoutException
                                    ? "did not answer in time (busy): ask again" : why.getMessage());
                            return m;
                        })
                        .thenApply(m -> {
                            if (m != null) {
                                m.put("name", c.name());
                                m.put("status", c.status().wire());
                                m.put("createdAt", c.createdAt());
                            }
                            return m;
                        }).toCompletableFuture());
            }
            return java.util.concurrent.CompletableFuture.allOf(each.toArray(new java.util.concurrent.CompletableFuture[0]))
                    .thenApply(v -> {
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("phone", phone.strip());
                        directory.get(recipient).ifPresent(r -> out.put("zone", r.zone()));
                        out.put("campaigns", each.stream().map(java.util.concurrent.CompletableFuture::join)
                                .filter(java.util.Objects::nonNull).toList());
                        out.put("looked", newest.size());
                        out.put("more", list.size() > newest.size());
                        return out;
                    });
        });
        return onSuccess(answer, out -> completeJson(200, out));
    }

    /** A recipient's outcome in one campaign whose audience has them: outcome, reason, deferral and local time, variant. */
    private Map<String, Object> outcomeOf(RecipientLookup l) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("campaign", l.campaign().id());
        RecipientOutcome o = l.outcome();
        String outcome = o != null ? o.outcome() : l.inFlight() ? "inFlight" : "pending";
        out.put("outcome", outcome);
        out.put("reason", o != null && o.deferredUntil() != null ? deferral(l, o.deferredUntil()) : reason(outcome, o));
        out.put("at", o == null ? null : o.deferredUntil());
        if (o != null && o.deferredUntil() != null) {
            localTime(l.recipient(), o.deferredUntil()).ifPresent(local -> out.putAll(local));
        }
        CampaignRecord c = l.campaign();
        if (c.variants() != null) {
            out.put("variant", l.variant() < 0 ? null : c.variants().get(l.variant()).name());
        }
        return out;
    }

    /** {@code zone} and {@code localAt}: an instant as the recipient's wall clock shows it, if their zone is known. */
    private Optional<Map<String, Object>> localTime(int recipient, Instant at) {
        return directory.get(recipient).filter(r -> r.zone() != null && !r.zone().isBlank()).flatMap(r -> {
            try {
                java.time.ZoneId zone = java.time.ZoneId.of(r.zone());
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("zone", zone.getId());
                m.put("localAt", LOCAL.format(at.atZone(zone)));
                return Optional.of(m);
            } catch (java.time.DateTimeException e) {
                return Optional.empty();
            }
        });
    }

    private Route preview(CampaignRoutes.CreateCampaign body, Optional<String> idempotencyKey) {
        // the text is checked once per campaign, never per recipient: a preview warns where a create refuses
        CampaignIntake.Draft draft = intake.preview(body, idempotencyKey);
        CampaignRecord record = draft.record();
        ImmutableRoaringBitmap audience = draft.audience();
        CampaignPreview.validate(record, audience);
        Instant at = record.startAt() != null ? record.startAt() : record.createdAt();
        CompletableFuture<Map<String, Object>> done = CompletableFuture.supplyAsync(() -> {
            CampaignPreview.Result r;
            ImmutableRoaringBitmap previewed = audience;
            Map<String, Object> test = null;
            long held = 0;
            if (record.test() != null) {
                // an A/B test: the sample goes first, the rest is held until the decision
                dev.herald.dispatcher.experiment.VariantAssignment.Split split = dev.herald.dispatcher.experiment.VariantAssignment
                        .split(dev.herald.dispatcher.experiment.VariantAssignment.campaignKey(record.id()), audience,
                                deps.zones().snapshot(), record.test().sample(), record.variants().size());
                previewed = split.sample();
                held = split.held().getLongCardinality();
                Map<String, Long> sizes = new LinkedHashMap<>();
                for (int v = 0; v < record.variants().size(); v++) {
                    sizes.put(record.variants().get(v).name(), split.variants().get(v).getLongCardinality());
                }
                test = new LinkedHashMap<>();
                test.put("sample", sizes);
                test.put("held", held);
                test.put("decideAt", at.plus(record.test().waitDuration()));
                test.put("metric", record.test().metric());
            }
            try {
                r = CampaignPreview.of(deps, previewed, record.sender(), record.channel(), record.category(), at,
                        record.expiresAt());
            } catch (IllegalArgumentException e) {
                // e.g. a category the quiet-hours policy has no rule for: a run of it would fail too
                throw ApiError.badRequest("invalid_campaign", "cannot preview: " + e.getMessage(), null);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("total", r.total() + held);
            Map<String, Long> counts = new LinkedHashMap<>(r.counts());
            Map<String, Long> outcomes = new LinkedHashMap<>(r.outcomes());
            if (test != null) {
                counts.put(dev.herald.dispatcher.outcome.Outcomes.HELD, held);
                if (held > 0) {
                    outcomes.put(dev.herald.dispatcher.outcome.Outcomes.HELD, held);
                }
            }
            out.put("counts", counts);
            out.put("outcomes", outcomes);
            if (test != null) {
                out.put("test", test);
            }
            out.put("at", r.at());
            out.put("caps", "checked read-only against the cap ledger as it is now");
            out.put("elapsedMs", r.elapsedNanos() / 1_000_000.0);
            out.put("footer", draft.compliance().footer());
            out.put("warnings", CampaignCompliance.warnings(draft.compliance()));
            return out;
        }, blockingIo);
        return onSuccess(done, out -> completeJson(200, out));
    }

    private Route recipient(String id, String phone, boolean withText) {
        int recipient = phoneId(directory, phone);
        CompletionStage<RecipientLookup> lookup = campaigns.ask(r -> new CampaignManager.OutcomeOf(id, recipient, r));
        java.util.concurrent.atomic.AtomicReference<CampaignRecord> record = new java.util.concurrent.atomic.AtomicReference<>();
        CompletionStage<Map<String, Object>> shown = lookup.thenApply(l -> {
            record.set(l.campaign());
            if (!l.inAudience()) {
                throw ApiError.notFound("the recipient '" + phone.strip() + "' is not in the audience of campaign "
                        + l.campaign().id());
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("phone", phone.strip());
            out.putAll(outcomeOf(l));
            CampaignRecord c = l.campaign();
            String outcome = (String) out.get("outcome");
            if (c.trackLinks() && c.template() != null && deps.linkTokens() != null && "sent".equals(outcome) && l.variant() >= 0) {
                // the links this recipient's message carried (for support: what they were sent): its
                // variant's, numbered after the earlier variants' as its tokens are
                java.util.List<String> texts = c.texts();
                int first = dev.herald.dispatcher.pipeline.CampaignGraph.linkUrls(texts.subList(0, l.variant())).size();
                java.util.List<String> urls = dev.herald.dispatcher.pipeline.CampaignGraph.linkUrls(
                        texts.subList(l.variant(), l.variant() + 1));
                dev.herald.dispatcher.render.Template.LinkUrls tracked = deps.linkTokens().urls(c.id());
                java.util.List<Map<String, Object>> links = new java.util.ArrayList<>();
                for (int i = 0; i < urls.size(); i++) {
                    Map<String, Object> link = new LinkedHashMap<>();
                    link.put("index", first + i);
                    link.put("url", urls.get(i));
                    link.put("tracked", tracked.url(recipient, first + i));
                    links.add(link);
                }
                out.put("links", links);
            }
            return out;
        }).thenApplyAsync(out -> {
            if (messages != null && ("sent".equals(out.get("outcome")) || "unknown".equals(out.get("outcome")))) {
                // what was sent, rebuilt from the message log (the newest hand-over: a message is sent once)
                try {
                    dev.herald.suppression.Recipient r = directory.get(recipient).orElseThrow();
                    java.util.List<Map<String, Object>> sentOnes = messages.of(record.get(), recipient, r.e164(), withText);
                    out.put("message", sentOnes.isEmpty() ? null : sentOnes.get(0));
                } catch (java.io.IOException e) {
                    out.put("message", Map.of("error", "the message log could not be read: " + e.getMessage()));
                }
            }
            // the delivery step, from the campaign's delivery ledger (read from its file: on the I/O pool)
            if (deliveries != null && "sent".equals(out.get("outcome"))) {
                try {
                    deliveries.of(id, recipient).ifPresentOrElse(d -> {
                        Map<String, Object> delivery = new LinkedHashMap<>();
                        delivery.put("result", d.result() == null ? "partly reported" : d.result());
                        delivery.put("messageIds", d.messageIds());
                        delivery.put("at", d.at());
                        delivery.put("acceptedAt", d.acceptedAt());
                        out.put("delivery", delivery);
                    }, () -> out.put("delivery", Map.of("result", "no receipt yet")));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            if (conversions != null && "sent".equals(out.get("outcome"))) {
                try {
                    java.util.List<Map<String, Object>> converted = new java.util.ArrayList<>();
                    for (dev.herald.dispatcher.funnel.Conversion c : conversions.ofRecipient(id, recipient)) {
                        Map<String, Object> one = new LinkedHashMap<>();
                        one.put("orderId", c.orderId());
                        one.put("value", c.value().toPlainString());
                        one.put("currency", c.currency());
                        one.put("occurredAt", Instant.ofEpochMilli(c.occurredAtMillis()));
                        one.put("attributedBy", c.source().label());
                        converted.add(one);
                    }
                    out.put("conversions", converted);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            if (out.containsKey("links")) {
                // the recipient's clicks, read from the campaign's click log
                try {
                    java.util.List<Map<String, Object>> clicks = new java.util.ArrayList<>();
                    for (dev.herald.dispatcher.links.ClickLedger.Click k : dev.herald.dispatcher.links.ClickLedger.clicksOf(
                            deps.ledgerRoot().resolve(id).resolve(dev.herald.dispatcher.links.ClickLedger.FILE), recipient)) {
                        Map<String, Object> click = new LinkedHashMap<>();
                        click.put("at", Instant.ofEpochMilli(k.atMillis()));
                        click.put("link", k.link());
                        click.put("class", k.clickClass().label());
                        click.put("head", k.head());
                        click.put("secondsSinceDelivery", k.sinceDeliveryMs() < 0 ? null : k.sinceDeliveryMs() / 1_000);
                        click.put("userAgent", k.userAgent());
                        clicks.add(click);
                    }
                    out.put("clicks", clicks);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return out;
        }, blockingIo);
        return onSuccess(shown, out -> completeJson(200, out));
    }

    /**
     * Why a recipient waits: the ledger keeps only the instant, so the cause is told from the
     * recipient's quiet hours now (closed: quiet hours; open: a frequency cap that defers).
     */
    private String deferral(RecipientLookup l, Instant until) {
        Instant now = clock.instant();
        if (!until.isAfter(now)) {
            return "deferred until " + until + ": due now, to be checked again and sent";
        }
        try {
            dev.herald.suppression.Recipient r = directory.get(l.recipient()).orElse(null);
            String sendAt = sendTimeOf(l);
            if (r != null && sendAt != null && r.zone() != null && !r.zone().isBlank()
                    && until.atZone(java.time.ZoneId.of(r.zone())).toLocalTime().equals(java.time.LocalTime.parse(sendAt))) {
                return "waiting for the campaign's local send time, " + sendAt + " in the recipient's zone (" + r.zone()
                        + "), until " + until;
            }
            if (r != null) {
                dev.herald.throttle.ZoneSet zones = deps.quietHours().zonesFor(dev.herald.throttle.ZoneSet.forRecipient(r));
                if (!deps.quietHours().rule(l.campaign().category(), r.region()).isOpen(now, zones)) {
                    return "in quiet hours until " + until;
                }
                return "deferred by a frequency cap until " + until;
            }
        } catch (RuntimeException e) {
            // no rule for the category or region: fall back to the plain sentence
        }
        return "deferred until " + until;
    }

    /** The local time of day this recipient's message is sent at (their variant's, else the campaign's), or null. */
    private static String sendTimeOf(RecipientLookup l) {
        CampaignRecord c = l.campaign();
        if (c.variants() != null && l.variant() >= 0 && c.variants().get(l.variant()).localTime() != null) {
            return c.variants().get(l.variant()).localTime();
        }
        return c.localTime();
    }

    /** A human sentence for an outcome. */
    static String reason(String outcome, RecipientOutcome o) {
        if (outcome.equals("inFlight")) {
            return "being sent: handed towards the connector, no answer yet";
        }
        Outcome typed;
        try {
            typed = Outcome.parse(outcome);
        } catch (IllegalArgumentException e) {
            return "not processed yet";
        }
        if (typed instanceof Outcome.Suppressed s) {
            return "opted out (" + s.scope() + ")";
        } else if (typed instanceof Outcome.Capped c) {
            return "over cap '" + c.rule() + "'";
        } else if (typed instanceof Outcome.Failed f) {
            return "not sent: " + f.reason();
        } else if (typed instanceof Outcome.Sent) {
            return "sent: accepted by the connector";
        } else if (typed instanceof Outcome.Deferred) {
            return "deferred until " + o.deferredUntil() + " (quiet hours, or a frequency cap that defers)";
        } else if (typed instanceof Outcome.Held) {
            return "held back by the campaign's A/B test until its decision, then sent the chosen variant";
        } else if (typed.equals(new Outcome.Expired("no-winner"))) {
            return "not sent: the campaign's A/B test found no winner and its policy stops the rest";
        } else if (typed.equals(Outcome.Expired.NEVER_OPEN)) {
            return "not sent: quiet hours are never open in all of the recipient's time zones at once";
        } else if (typed instanceof Outcome.Expired) {
            return "not sent: the campaign expired first";
        }
        return "handed over when the service stopped abruptly: maybe sent, never resent"; // Outcome.Unknown
    }

}
