package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.CampaignRoutes.CreateCampaign;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.experiment.AbTest;
import dev.herald.dispatcher.experiment.CampaignVariant;
import dev.herald.dispatcher.experiment.WinnerDecision;
import dev.herald.dispatcher.render.Template;
import dev.herald.dispatcher.render.TemplateException;
import dev.herald.throttle.QuietHoursRule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks a create (or preview) body and turns it into the campaign's record: the first thing wrong
 * is a 400 naming its field, in the order the checks are written here (required fields, their
 * forms, segment or expression, template syntax, connector, tps, schedule, expiry, then the
 * {@code Idempotency-Key}).
 *
 * <pre>{@code
 * CampaignValidation v = new CampaignValidation("sim", Clock.systemUTC());
 * CampaignRecord r = v.validate(body, Optional.of("spring-1")); // id CampaignIds.forKey("spring-1"), audience 0
 * }</pre>
 *
 * <p>The audience (segments, the template's fields against the uploads) and the sender's
 * compliance are checked by {@link Audiences} and {@link CampaignCompliance}.
 *
 * <p>Thread-safety: immutable.
 */
public final class CampaignValidation {

    /**
     * How far ahead {@code schedule.at} may be, for a create and a preview alike (400
     * {@code schedule_too_far} beyond): 366 days, as far as quiet hours look for an open
     * instant ({@link QuietHoursRule#HORIZON_DAYS}).
     */
    public static final Duration MAX_SCHEDULE_AHEAD = Duration.ofDays(QuietHoursRule.HORIZON_DAYS);

    private static final String NAME_LIKE = "[a-z0-9][a-z0-9_-]{0,31}";
    private static final String SENDER_LIKE = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

    private final java.util.Set<String> connectorNames;
    private final Clock clock;
    private final String policy;
    private final java.util.Set<String> categories;

    /**
     * @param connectorName the one connector a campaign may name
     * @param clock         "now": the creation instant and what a schedule must be after
     */
    public CampaignValidation(String connectorName, Clock clock) {
        this(java.util.Set.of(Objects.requireNonNull(connectorName, "connectorName")), clock);
    }

    /**
     * @param connectorNames the connectors a campaign may name (none named: the default)
     * @param clock          "now": the creation instant and what a schedule must be after
     */
    public CampaignValidation(java.util.Set<String> connectorNames, Clock clock) {
        this(connectorNames, clock, null, null);
    }

    /**
     * As the other constructor; a campaign's category must also have a rule in the quiet-hours
     * policy, or it is refused at once (else every run of it would fail, category by category).
     *
     * @param policy     the quiet-hours policy's name, for the message
     * @param categories the categories it has a rule for; null: any category
     */
    public CampaignValidation(java.util.Set<String> connectorNames, Clock clock, String policy, java.util.Set<String> categories) {
        this.connectorNames = new java.util.TreeSet<>(connectorNames);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.policy = policy;
        this.categories = categories == null ? null : new java.util.TreeSet<>(categories);
    }

    /**
     * @param b              the body
     * @param idempotencyKey the request's {@code Idempotency-Key}, if any
     * @return the campaign's record: audience size 0, footer as given, id {@link CampaignIds#mint minted}
     * @throws ApiError 400 naming the field for whatever is wrong
     */
    public CampaignRecord validate(CreateCampaign b, Optional<String> idempotencyKey) {
        String name = required(b.name(), "name");
        String channel = required(b.channel(), "channel").toLowerCase(Locale.ROOT);
        String category = required(b.category(), "category").toLowerCase(Locale.ROOT);
        String sender = required(b.sender(), "sender");
        java.util.List<CampaignVariant> variants = variants(b);
        if (variants != null && b.text() != null) {
            throw ApiError.badRequest("invalid_value", "give 'text' or 'variants', not both: with variants each has its own text",
                    "text");
        }
        String text = variants != null ? variants.get(0).text() : required(b.text(), "text");
        AbTest test = test(b.test(), variants);
        if (name.length() > 200) {
            throw ApiError.badRequest("invalid_value", "'name' is longer than 200 characters", "name");
        }
        if (!channel.matches(NAME_LIKE)) {
            throw ApiError.badRequest("invalid_value", "'channel' must be 1-32 of a-z 0-9 _ -, got '" + b.channel() + "'", "channel");
        }
        if (!category.matches(NAME_LIKE)) {
            throw ApiError.badRequest("invalid_value", "'category' must be 1-32 of a-z 0-9 _ -, got '" + b.category() + "'",
                    "category");
        }
        if (categories != null && !categories.contains(category)) {
            throw ApiError.badRequest("invalid_value", "'category' " + category + " has no quiet-hours rule in policy '"
                    + policy + "' (configured: " + String.join(", ", categories) + "); add one under herald.quiet-hours"
                    + " or use a configured category", "category");
        }
        if (!sender.matches(SENDER_LIKE)) {
            throw ApiError.badRequest("invalid_value", "'sender' must be 1-64 of A-Z a-z 0-9 . _ -, got '" + sender + "'", "sender");
        }
        boolean hasSegment = blankToNull(b.segment()) != null;
        boolean hasExpression = blankToNull(b.expression()) != null;
        if (hasSegment == hasExpression) {
            throw ApiError.badRequest(hasSegment ? "invalid_value" : "missing_field",
                    "give exactly one of 'segment' and 'expression'", "segment");
        }
        boolean track = Boolean.TRUE.equals(b.trackLinks());
        int links = 0;
        if (variants != null) {
            for (int i = 0; i < variants.size(); i++) {
                int own = parse(variants.get(i).text(), track, "variants[" + i + "].text").links().size();
                if (test != null && test.metric() == AbTest.Metric.HUMAN_CLICK && (!track || own == 0)) {
                    throw new ApiError(422, "untestable_metric", "'test.metric' human-click needs a tracked link in every"
                            + " variant (trackLinks true, and variants[" + i + "].text " + (track ? "has no link)" : "with a link)"),
                            "test.metric");
                }
                links += own;
            }
        }
        Template template;
        try {
            template = Template.parse(text, track);
        } catch (TemplateException e) {
            if (Template.LINK_ERROR.equals(e.field())) {
                throw new ApiError(422, "invalid_link", "'text': " + e.getMessage(), "text");
            }
            throw ApiError.badRequest("invalid_template", "'text': " + e.getMessage(), "text");
        } catch (RuntimeException e) {
            throw ApiError.badRequest("invalid_template", "'text': " + e.getMessage(), "text");
        }
        links = variants == null ? template.links().size() : links;
        if (links > dev.herald.dispatcher.links.LinkTokens.MAX_LINKS) {
            throw new ApiError(422, "too_many_links", (variants == null ? "'text' has " : "the variants' texts have ")
                    + links + " links; at most " + dev.herald.dispatcher.links.LinkTokens.MAX_LINKS + " can be tracked",
                    variants == null ? "text" : "variants");
        }
        if (b.connector() != null && !connectorNames.contains(b.connector())) {
            throw ApiError.badRequest("unknown_connector", "unknown connector '" + b.connector() + "'; this server has "
                    + connectorNames.stream().map(c -> "'" + c + "'").collect(java.util.stream.Collectors.joining(", ")),
                    "connector");
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
            startAt = startAt(b.schedule().at(), now);
        }
        if (b.expiresAt() != null && !b.expiresAt().isAfter(startAt == null ? now : startAt)) {
            throw ApiError.badRequest("invalid_value", "'expiresAt' must be after the start", "expiresAt");
        }
        String id = CampaignIds.mint(idempotencyKey, now);
        return CampaignRecord.create(id, name, channel, category, sender, text, b.footer() == null ? "" : b.footer(), 0, now,
                startAt, b.expiresAt()).withLocalTime(localTime).withTps(b.tps()).withConnector(b.connector()).withTrackLinks(track).withAttribution(b.attribution())
                .withVariants(variants, test);
    }

    /** The body's {@code variants}, checked (null when it has none); names default to A, B, … */
    private static java.util.List<CampaignVariant> variants(CreateCampaign b) {
        if (b.variants() == null) {
            return null;
        }
        if (b.variants().size() < 2 || b.variants().size() > 8) {
            throw ApiError.badRequest("invalid_value", "'variants' must hold 2 to 8 variants, got " + b.variants().size(),
                    "variants");
        }
        java.util.List<CampaignVariant> out = new java.util.ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < b.variants().size(); i++) {
            dev.herald.dispatcher.api.CampaignRoutes.Variant v = b.variants().get(i);
            String at = "variants[" + i + "]";
            if (v == null) {
                throw ApiError.badRequest("invalid_value", "'" + at + "' is null: each variant is an object with a text", at);
            }
            String name = v.name() == null ? CampaignVariant.defaultName(i) : v.name().strip();
            String text = required(v.text(), at + ".text");
            String sender = blankToNull(v.sender());
            if (sender != null && !sender.matches(SENDER_LIKE)) {
                throw ApiError.badRequest("invalid_value", "'" + at + ".sender' must be 1-64 of A-Z a-z 0-9 . _ -, got '"
                        + sender + "'", at + ".sender");
            }
            String localTime = null;
            if (v.localTime() != null) {
                try {
                    localTime = CampaignRecord.parseLocalTime(v.localTime()).toString();
                } catch (IllegalArgumentException e) {
                    throw ApiError.badRequest("invalid_value", "'" + at + ".localTime': " + e.getMessage(), at + ".localTime");
                }
            }
            CampaignVariant variant;
            try {
                variant = new CampaignVariant(name, text, sender, localTime, "");
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("invalid_value", "'" + at + ".name': " + e.getMessage(), at + ".name");
            }
            if (!names.add(name)) {
                throw ApiError.badRequest("invalid_value", "'" + at + ".name': variant name '" + name + "' is given twice",
                        at + ".name");
            }
            out.add(variant);
        }
        return java.util.List.copyOf(out);
    }

    /** The body's {@code test}, checked, with its defaults (null when it has none). */
    private static AbTest test(dev.herald.dispatcher.api.CampaignRoutes.Test t, java.util.List<CampaignVariant> variants) {
        if (t == null) {
            return null;
        }
        if (variants == null) {
            throw ApiError.badRequest("invalid_value", "'test' needs 'variants': an A/B test compares 2 to 8 of them", "test");
        }
        if (t.sample() == null) {
            throw ApiError.badRequest("missing_field", "'test.sample' is required: the share of the audience tested, e.g. 0.05",
                    "test.sample");
        }
        AbTest.Metric metric;
        WinnerDecision.NoWinnerPolicy noWinner;
        try {
            metric = t.metric() == null ? AbTest.Metric.HUMAN_CLICK : AbTest.Metric.fromWire(t.metric());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", e.getMessage(), "test.metric");
        }
        try {
            noWinner = t.noWinner() == null ? WinnerDecision.NoWinnerPolicy.SEND_BEST
                    : WinnerDecision.NoWinnerPolicy.fromWire(t.noWinner());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", "'test.noWinner': " + e.getMessage(), "test.noWinner");
        }
        try {
            return new AbTest(t.sample(), metric, t.waitFor() == null ? "PT3H" : t.waitFor(), t.alpha() == null ? 0.05 : t.alpha(),
                    t.minPerVariant() == null ? 1000 : t.minPerVariant(), noWinner);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            String field = m.startsWith("'test.") ? m.substring(1, m.indexOf('\'', 1)) : "test";
            throw ApiError.badRequest("invalid_value", m, field);
        }
    }

    /** @return {@code text} parsed, a 400 (or 422 for a bad link) naming {@code field} otherwise */
    private static Template parse(String text, boolean track, String field) {
        try {
            return Template.parse(text, track);
        } catch (TemplateException e) {
            if (Template.LINK_ERROR.equals(e.field())) {
                throw new ApiError(422, "invalid_link", "'" + field + "': " + e.getMessage(), field);
            }
            throw ApiError.badRequest("invalid_template", "'" + field + "': " + e.getMessage(), field);
        } catch (RuntimeException e) {
            throw ApiError.badRequest("invalid_template", "'" + field + "': " + e.getMessage(), field);
        }
    }

    /** {@code schedule.at}: required in a schedule without a local time, in the future, at most {@link #MAX_SCHEDULE_AHEAD}. */
    private static Instant startAt(Instant at, Instant now) {
        if (at == null) {
            throw ApiError.badRequest("missing_field", "'schedule' needs 'at' (an ISO-8601 instant) or 'localTime' (HH:mm)",
                    "schedule.at");
        }
        if (!at.isAfter(now)) {
            throw ApiError.badRequest("schedule_in_past", "'schedule.at' " + at + " is not in the future (now " + now + ")",
                    "schedule.at");
        }
        if (at.isAfter(now.plus(MAX_SCHEDULE_AHEAD))) {
            throw ApiError.badRequest("schedule_too_far", "'schedule.at' " + at + " is more than "
                    + MAX_SCHEDULE_AHEAD.toDays() + " days ahead (now " + now + "); schedule at most "
                    + MAX_SCHEDULE_AHEAD.toDays() + " days ahead", "schedule.at");
        }
        return at;
    }

    private static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw ApiError.badRequest("missing_field", "'" + field + "' is required", field);
        }
        return value.strip();
    }

    /** @return {@code s} stripped, or null when it is null or blank (an absent segment or expression) */
    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
