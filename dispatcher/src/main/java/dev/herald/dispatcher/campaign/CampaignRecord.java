package dev.herald.dispatcher.campaign;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

import dev.herald.dispatcher.experiment.AbTest;
import dev.herald.dispatcher.experiment.CampaignVariant;
import dev.herald.dispatcher.experiment.ExperimentState;

/**
 * What Herald keeps about one campaign besides its audience and outcomes: its definition and where
 * it is in its life, stored as {@code campaign.json} by {@link CampaignStore}.
 *
 * <pre>{@code
 * CampaignRecord r = CampaignRecord.create("c42", "Spring sale", "sms", "marketing", "acme",
 *         "Hi {{first_name}}", "Reply STOP to opt out", audience.getLongCardinality(), now, null, null);
 * CampaignRecord running = r.withStatus(CampaignStatus.RUNNING, now);
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param id           campaign id: 1–64 of {@code [A-Za-z0-9._-]}, not starting with a dot
 * @param name         human name
 * @param channel      channel, e.g. {@code sms}
 * @param category     category, e.g. {@code marketing}
 * @param sender       sender / brand id
 * @param template     message template with {@code {{field}}} placeholders
 * @param footer       compliance footer (may be empty)
 * @param audienceSize recipients in the audience
 * @param status       where it is in its life
 * @param createdAt    when it was created
 * @param startAt      when it is to start (null: at once)
 * @param expiresAt    after this nobody is sent to (null: never)
 * @param startedAt    when it first ran (null: not yet)
 * @param finishedAt   when it became completed, cancelled or failed (null: not yet)
 * @param error        why it failed (null unless failed)
 * @param counts       outcome counts at the last status change (empty before the first run)
 * @param localTime    {@code HH:mm}: at its first start each recipient is deferred to the next such
 *                     time in their own zone (null: everyone at once)
 * @param tps          this campaign's own send rate, messages per second, combined with the connector's:
 *                     a send needs a token of both (null: only the connector's)
 * @param connector    the connector it sends through, by name (null: the embedded default)
 * @param trackLinks   whether each http(s) URL of its text becomes a tracked link per recipient
 * @param attribution  its own conversion attribution windows (null: the configured ones)
 * @param variants     2–8 versions of the message (null: one, {@code template}); each recipient gets one
 *                     by a hash of (campaign, recipient), or, with a {@code test}, as the test says
 * @param test         its A/B test (null: none; needs {@code variants})
 * @param experiment   where the test is (null until its sample is drawn)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CampaignRecord(String id, String name, String channel, String category, String sender, String template,
                             String footer, long audienceSize, CampaignStatus status, Instant createdAt, Instant startAt,
                             Instant expiresAt, Instant startedAt, Instant finishedAt, String error,
                             Map<String, Long> counts, String localTime, Double tps, String connector,
                             boolean trackLinks, AttributionWindows attribution,
                             List<CampaignVariant> variants, AbTest test, ExperimentState experiment) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");

    /** @throws IllegalArgumentException naming the first invalid component */
    public CampaignRecord {
        checkId(id);
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
        footer = Objects.requireNonNullElse(footer, "");
        counts = counts == null ? Map.of() : Map.copyOf(counts);
        if (localTime != null) {
            parseLocalTime(localTime);
        }
        if (tps != null && !(tps > 0 && tps <= MAX_TPS)) {
            throw new IllegalArgumentException("tps must be > 0 and <= " + (long) MAX_TPS + ", got " + tps);
        }
        if (variants != null) {
            variants = List.copyOf(variants);
            if (variants.size() < 2 || variants.size() > 8) {
                throw new IllegalArgumentException("'variants' must hold 2 to 8 variants, got " + variants.size());
            }
            java.util.Set<String> names = new java.util.HashSet<>();
            for (CampaignVariant v : variants) {
                if (!names.add(v.name())) {
                    throw new IllegalArgumentException("variant name '" + v.name() + "' is given twice");
                }
                if (v.localTime() != null) {
                    parseLocalTime(v.localTime());
                }
            }
        }
        if (test != null && variants == null) {
            throw new IllegalArgumentException("'test' needs 'variants': an A/B test compares 2 to 8 of them");
        }
        if (audienceSize < 0) {
            throw new IllegalArgumentException("campaign " + id + ": negative audience size " + audienceSize);
        }
    }

    /** A new campaign record, {@code scheduled}. */
    public static CampaignRecord create(String id, String name, String channel, String category, String sender,
                                        String template, String footer, long audienceSize, Instant createdAt,
                                        Instant startAt, Instant expiresAt) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize,
                CampaignStatus.SCHEDULED, createdAt, startAt, expiresAt, null, null, null, Map.of(), null, null, null, false, null, null, null, null);
    }

    /**
     * A campaign whose stored state cannot be read: status {@link CampaignStatus#DAMAGED}, nothing
     * known but its id.
     *
     * @param id        the campaign id (its directory's name)
     * @param createdAt when its record was last written, as far as known (for the listing's order)
     * @param error     the file and what is wrong with it
     */
    public static CampaignRecord damaged(String id, Instant createdAt, String error) {
        return new CampaignRecord(id, null, null, null, null, null, "", 0, CampaignStatus.DAMAGED, createdAt, null, null,
                null, null, error, Map.of(), null, null, null, false, null, null, null, null);
    }

    /**
     * @param id a candidate campaign id
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("campaign id must be 1-64 characters of A-Z a-z 0-9 . _ - "
                    + "and not start with a dot, got " + (id == null ? "nothing" : "'" + id + "'"));
        }
    }

    /** The spec a run of this campaign needs, over {@code audience} (its variants by hash: a test's plan is the actor's). */
    public CampaignSpec spec(ImmutableRoaringBitmap audience) {
        return new CampaignSpec(id, name, channel, category, sender, template, footer, audience, expiresAt, connector,
                trackLinks, variants, null);
    }

    /** @return its message texts: each variant's in order, or its one template */
    public List<String> texts() {
        return variants == null ? (template == null ? List.of() : List.of(template))
                : variants.stream().map(CampaignVariant::text).toList();
    }

    /** @return the URLs of its tracked links, numbered as its link tokens are (its variants' in order) */
    public List<String> linkUrls() {
        return dev.herald.dispatcher.pipeline.CampaignGraph.linkUrls(texts());
    }

    /**
     * @param next the new status
     * @param now  the time of the change: sets {@code startedAt} on the first {@code running},
     *             {@code finishedAt} on {@code completed}, {@code cancelled} or {@code failed}
     *             (cleared when a failed campaign runs again)
     */
    public CampaignRecord withStatus(CampaignStatus next, Instant now) {
        Instant started = startedAt == null && next == CampaignStatus.RUNNING ? now : startedAt;
        boolean finishing = next.isTerminal() || next == CampaignStatus.FAILED;
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, next, createdAt,
                startAt, expiresAt, started, finishing ? now : null, next == CampaignStatus.FAILED ? error : null, counts, localTime, tps, connector, trackLinks, attribution, variants, test, experiment);
    }

    /** @return this record starting at {@code hhmm} in each recipient's zone (see {@link #localTime()}) */
    /** @return this record shown as {@link CampaignStatus#DAMAGED}, {@code why} (the file and what is wrong) as its error */
    public CampaignRecord asDamaged(String why) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, CampaignStatus.DAMAGED,
                createdAt, startAt, expiresAt, startedAt, finishedAt, why, counts, localTime, tps, connector, trackLinks, attribution, variants, test, experiment);
    }

    public CampaignRecord withLocalTime(String hhmm) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, error, counts, hhmm, tps, connector, trackLinks, attribution, variants, test, experiment);
    }

    /** @return this record sending through the connector {@code connectorName} (null: the default) */
    public CampaignRecord withConnector(String connectorName) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, error, counts, localTime, tps, connectorName, trackLinks, attribution, variants, test, experiment);
    }

    /** @return this record with its links tracked, or not */
    public CampaignRecord withTrackLinks(boolean track) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, error, counts, localTime, tps, connector, track, attribution, variants, test, experiment);
    }

    /** @return this record with its own attribution windows (null: the configured ones) */
    public CampaignRecord withAttribution(AttributionWindows windows) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, error, counts, localTime, tps, connector, trackLinks, windows, variants, test, experiment);
    }

    /**
     * A campaign's own last-touch attribution windows (issue 15): how long after its human click, and
     * after its delivery, a conversion is still this campaign's. Each is an ISO-8601 duration
     * ({@code PT72H}, {@code P2D}), 0 to 90 days, or null for the configured window.
     *
     * @param clickWindow    after a human click on its tracked link
     * @param deliveryWindow after its delivery
     */
    public record AttributionWindows(String clickWindow, String deliveryWindow) {
        /** The longest window. */
        public static final Duration MAX = Duration.ofDays(90);

        /** @throws IllegalArgumentException naming the window that is not a duration of 0 to 90 days */
        public AttributionWindows {
            parse(clickWindow, "clickWindow");
            parse(deliveryWindow, "deliveryWindow");
        }

        /** @return the click window, if set */
        public java.util.Optional<Duration> click() {
            return java.util.Optional.ofNullable(parse(clickWindow, "clickWindow"));
        }

        /** @return the delivery window, if set */
        public java.util.Optional<Duration> delivery() {
            return java.util.Optional.ofNullable(parse(deliveryWindow, "deliveryWindow"));
        }

        private static Duration parse(String text, String name) {
            if (text == null) {
                return null;
            }
            Duration d;
            try {
                d = Duration.parse(text.strip());
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("'attribution." + name + "' must be an ISO-8601 duration such as PT72H"
                        + " or P2D, got '" + text + "'");
            }
            if (d.isNegative() || d.compareTo(MAX) > 0) {
                throw new IllegalArgumentException("'attribution." + name + "' must be 0 to 90 days, got " + text);
            }
            return d;
        }
    }

    /** Highest per-campaign rate accepted, messages per second. */
    public static final double MAX_TPS = 1_000_000;

    /** @return this record with its own send rate {@code perSecond} (null: none) */
    public CampaignRecord withTps(Double perSecond) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, error, counts, localTime, perSecond, connector, trackLinks, attribution, variants, test, experiment);
    }

    /**
     * @param hhmm a time of day, {@code HH:mm} (24 h)
     * @return it parsed
     * @throws IllegalArgumentException saying what is expected
     */
    public static java.time.LocalTime parseLocalTime(String hhmm) {
        if (hhmm == null || !hhmm.matches("([01][0-9]|2[0-3]):[0-5][0-9]")) {
            throw new IllegalArgumentException("local time must be HH:mm (00:00-23:59), got " + (hhmm == null ? "nothing"
                    : "'" + hhmm + "'"));
        }
        return java.time.LocalTime.parse(hhmm);
    }

    /** @return this record with {@code error} as the reason it failed */
    public CampaignRecord withError(String why) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, why, counts, localTime, tps, connector, trackLinks, attribution, variants, test, experiment);
    }

    /** @return this record with its variants and A/B test (both null: one message, no test) */
    public CampaignRecord withVariants(List<CampaignVariant> vs, AbTest t) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, error, counts, localTime, tps, connector, trackLinks, attribution, vs, t, experiment);
    }

    /** @return this record with its A/B test at {@code state} */
    public CampaignRecord withExperiment(ExperimentState state) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, error, counts, localTime, tps, connector, trackLinks, attribution, variants, test, state);
    }

    /** @return the index of the variant named {@code variantName}, or -1 */
    public int variantIndex(String variantName) {
        if (variants != null) {
            for (int i = 0; i < variants.size(); i++) {
                if (variants.get(i).name().equals(variantName)) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** @return this record with the outcome counts {@code latest} */
    public CampaignRecord withCounts(Map<String, Long> latest) {
        return new CampaignRecord(id, name, channel, category, sender, template, footer, audienceSize, status, createdAt,
                startAt, expiresAt, startedAt, finishedAt, error, latest, localTime, tps, connector, trackLinks, attribution, variants, test, experiment);
    }
}
