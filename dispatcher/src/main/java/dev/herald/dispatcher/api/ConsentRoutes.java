package dev.herald.dispatcher.api;

import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.api.campaign.CampaignView;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.report.OptOutAnalytics;
import dev.herald.dispatcher.report.UnsubscribeReasons;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * Consent and opt-out analytics (role viewer), read from the consent ledger:
 * <ul>
 *   <li>{@code GET /v1/recipients/{phone}/consent}: the scopes in force and the whole consent
 *       history with its evidence (source, channel, the recipient's words, campaign, send time).</li>
 *   <li>{@code GET /v1/campaigns/{id}/optouts}: the opt-outs attributed to a campaign, their rate
 *       per message sent, by reason, by source and by hours since the send ({@link OptOutAnalytics#campaign}).</li>
 *   <li>{@code GET /v1/reports/optouts?from=&to=[&tz=]}: the opt-outs of a period by campaign,
 *       category, sender and hour of the day ({@link OptOutAnalytics#period}).</li>
 * </ul>
 *
 * <pre>{@code
 * Route r = new ConsentRoutes(keys, limits, campaigns, index, directory, dataDir.resolve(UnsubscribeReasons.FILE),
 *         blockingIo).route();
 * }</pre>
 *
 * <p>Each report is one pass over the ledger, on {@code blockingIo}. Phone numbers are not logged.
 * Thread-safety: immutable; the index, the directory and the manager are thread-safe.
 */
public final class ConsentRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/recipients/{phone}/consent"),
            new Endpoint("GET", "/v1/campaigns/{id}/optouts"), new Endpoint("GET", "/v1/reports/optouts"));

    /** The longest period one report covers. */
    public static final Duration MAX_PERIOD = Duration.ofDays(400);

    private final CampaignAsks campaigns;
    private final SuppressionIndex index;
    private final RecipientDirectory directory;
    private final Path reasonsFile;
    private final Executor blockingIo;

    /**
     * @param keys         who may call
     * @param limits       JSON body limits (these routes read none)
     * @param campaigns    the campaign manager's asks: campaign records and sent counts (a timeout answers 503)
     * @param index        the suppression index and its consent ledger
     * @param directory    the recipient directory
     * @param reasonsFile  the unsubscribe page's reasons ({@link UnsubscribeReasons#FILE} in the data directory)
     * @param blockingIo   where ledger scans run
     */
    public ConsentRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, SuppressionIndex index,
                         RecipientDirectory directory, Path reasonsFile, Executor blockingIo) {
        super(keys, limits);
        this.campaigns = campaigns;
        this.index = index;
        this.directory = directory;
        this.reasonsFile = reasonsFile;
        this.blockingIo = blockingIo;
    }

    /** @return the routes */
    public Route route() {
        return pathPrefix("v1", () -> concat(
                path(segment("recipients").slash(segment()).slash("consent"), phone ->
                        get(() -> authorized(Role.VIEWER, key -> consent(phone)))),
                path(segment("campaigns").slash(segment()).slash("optouts"), id ->
                        get(() -> authorized(Role.ANALYST, key -> campaignOptOuts(id)))),
                path(segment("reports").slash("optouts"), () ->
                        get(() -> authorized(Role.ANALYST, key -> parameterOptional("from", from ->
                                parameterOptional("to", to -> parameterOptional("tz", tz -> period(from, to, tz)))))))));
    }

    // ---- GET /v1/recipients/{phone}/consent ----

    private Route consent(String phone) {
        int id;
        try {
            id = phoneId(directory, phone);
        } catch (ApiError e) {
            if (e.status() == 404) {
                throw new ApiError(404, "unknown_recipient", "no recipient with the phone number '" + phone.strip()
                        + "' has been seen: no consent history", "phone");
            }
            throw e;
        }
        CompletableFuture<Map<String, Object>> done = CompletableFuture.supplyAsync(() -> {
            // an erased person's record is gone, the number still finds the id (its keyed hash): the evidence stays answerable
            java.util.Optional<Recipient> r = directory.get(id);
            String e164 = r.map(Recipient::e164).orElseGet(() -> directory.phoneNumbers().normalize(phone.strip()).e164());
            dev.herald.suppression.ConsentLedger.History history;
            try {
                history = index.ledger().historyOf(id);
            } catch (IOException e) {
                throw new UncheckedIOException("the consent ledger could not be read: " + e.getMessage(), e);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("phone", e164);
            body.put("recipientId", id);
            body.put("erased", r.isEmpty());
            body.put("suppressed", index.snapshot().scopesOf(id).stream().map(Scope::toString).toList());
            body.put("history", history.records().stream().map(ConsentRoutes::entry).toList());
            putCompleteness(body, history);
            return body;
        }, blockingIo);
        return onSuccess(done, body -> completeJson(200, body));
    }

    private static Map<String, Object> entry(ConsentRecord r) {
        return consentEntry(r, "text");
    }

    /**
     * Adds {@code "complete"} and, when an archived ledger segment could not be read, {@code "damaged":
     * [{"file", "firstSeq", "lastSeq", "error"}]}: the records of this recipient from there may be
     * missing (a damaged record's recipient cannot be known). Files are named by their directory
     * and name, without the server's path.
     */
    static void putCompleteness(Map<String, Object> body, dev.herald.suppression.ConsentLedger.History history) {
        body.put("complete", history.complete());
        if (!history.complete()) {
            List<Map<String, Object>> damaged = new java.util.ArrayList<>();
            for (dev.herald.suppression.ConsentLedger.DamagedSegment d : history.damaged()) {
                java.nio.file.Path dir = d.file().getParent();
                String shown = (dir == null || dir.getFileName() == null ? "" : dir.getFileName() + "/") + d.file().getFileName();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("file", shown);
                m.put("firstSeq", d.firstSeq());
                m.put("lastSeq", d.lastSeq());
                m.put("error", dir == null ? d.error() : d.error().replace(dir.toString() + java.io.File.separator,
                        dir.getFileName() + "/"));
                damaged.add(m);
            }
            body.put("damaged", damaged);
        }
    }

    // ---- GET /v1/campaigns/{id}/optouts ----

    private Route campaignOptOuts(String id) {
        try {
            CampaignRecord.checkId(id);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", e.getMessage(), "id");
        }
        CompletionStage<OptOutAnalytics.CampaignOptOuts> report = campaigns.get(id)
                .thenApplyAsync(c -> {
                    long sent = CampaignView.of(c).counts().getOrDefault("sent", 0L);
                    try {
                        UnsubscribeReasons reasons = UnsubscribeReasons.read(reasonsFile, id::equals);
                        return OptOutAnalytics.campaign(index.ledger(), id, sent, reasons);
                    } catch (IOException e) {
                        throw new UncheckedIOException("the consent ledger or the reasons could not be read: "
                                + e.getMessage(), e);
                    }
                }, blockingIo);
        return onSuccess(report, r -> completeJson(200, r));
    }

    // ---- GET /v1/reports/optouts ----

    private Route period(Optional<String> fromText, Optional<String> toText, Optional<String> tzText) {
        ZoneId zone = tzText.map(ConsentRoutes::zone).orElse(ZoneId.of("UTC"));
        Instant from = instant(fromText, "from", zone);
        Instant to = instant(toText, "to", zone);
        if (!from.isBefore(to)) {
            throw ApiError.badRequest("invalid_parameter", "'from' (" + from + ") must be before 'to' (" + to + ")", "from");
        }
        if (Duration.between(from, to).compareTo(MAX_PERIOD) > 0) {
            throw ApiError.badRequest("invalid_parameter", "the period from " + from + " to " + to + " is longer than "
                    + MAX_PERIOD.toDays() + " days; ask for several shorter ones", "to");
        }
        CompletionStage<OptOutAnalytics.PeriodOptOuts> report = campaigns.list()
                .thenApplyAsync(list -> {
                    Map<String, CampaignRecord> byId = new HashMap<>();
                    list.forEach(c -> byId.put(c.id(), c));
                    try {
                        return OptOutAnalytics.period(index.ledger(), from, to, zone, byId::get);
                    } catch (IOException e) {
                        throw new UncheckedIOException("the consent ledger could not be read: " + e.getMessage(), e);
                    }
                }, blockingIo);
        return onSuccess(report, r -> completeJson(200, r));
    }

    private static ZoneId zone(String tz) {
        try {
            return ZoneId.of(tz.strip());
        } catch (DateTimeException e) {
            throw ApiError.badRequest("invalid_parameter", "'tz' must be a time-zone id such as UTC or Europe/London, got '"
                    + tz + "'", "tz");
        }
    }

    /** An ISO-8601 instant, or a date (the start of that day in {@code zone}). */
    static Instant instant(Optional<String> text, String name, ZoneId zone) {
        String t = text.map(String::strip).orElseThrow(() -> ApiError.badRequest("missing_parameter", "query parameter '"
                + name + "' is required: an ISO-8601 instant (2026-11-01T00:00:00Z) or a date (2026-11-01)", name));
        try {
            if (t.length() == 10) {
                return LocalDate.parse(t).atStartOfDay(zone).toInstant();
            }
            return Instant.parse(t);
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest("invalid_parameter", "'" + name + "' must be an ISO-8601 instant (2026-11-01T00:00:00Z)"
                    + " or a date (2026-11-01), got '" + t + "'", name);
        }
    }
}
