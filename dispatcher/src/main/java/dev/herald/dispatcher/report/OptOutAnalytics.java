package dev.herald.dispatcher.report;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.suppression.ConsentAction;
import dev.herald.suppression.ConsentLedger;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Scope;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.roaringbitmap.RoaringBitmap;

/**
 * Opt-out analytics from the consent ledger: which campaigns, categories, senders and hours of the
 * day make people leave, and how long after the send.
 *
 * <pre>{@code
 * OptOutAnalytics.CampaignOptOuts c = OptOutAnalytics.campaign(index.ledger(), "c-42", 10_000, reasons);
 * OptOutAnalytics.PeriodOptOuts p = OptOutAnalytics.period(index.ledger(), from, to, ZoneOffset.UTC, campaigns::get);
 * }</pre>
 *
 * <p>An opt-out is an {@code opt-out} record of the ledger; opt-ins are not subtracted (a report
 * says who left, not who is still gone). It is <em>attributed</em> to the campaign its evidence
 * names (the STOP reply or the unsubscribe link of that campaign's message). Each recipient counts
 * once per campaign (a second STOP to the same campaign is not a second opt-out), and an
 * unattributed opt-out counts once per recipient and scope. Every report is one pass over the
 * ledger with a bitmap of the recipients seen per campaign or scope: linear in the records read,
 * memory bounded by the distinct opt-outs. Stateless and thread-safe.
 */
public final class OptOutAnalytics {

    /** The hours-since-send buckets, in order; {@code unknown}: no send time in the evidence (or one after the opt-out). */
    public static final List<String> HOUR_BUCKETS = List.of("0-1", "1-2", "2-4", "4-8", "8-24", "24-72", "72+", "unknown");
    private static final long[] BUCKET_ENDS_HOURS = {1, 2, 4, 8, 24, 72};

    /** Reasons when none was given on the unsubscribe page: by source ({@code link} without a reason: {@code unspecified}). */
    public static final List<String> SOURCE_REASONS = List.of("keyword", "unspecified", "api", "import", "carrier", "operator");

    /** The {@code byCampaign} and {@code byCategory} key of an unattributed opt-out. */
    public static final String NONE = "(none)";
    /** The {@code bySender} key of an unattributed global opt-out. */
    public static final String GLOBAL = "(global)";
    /** The category and sender of an attributed campaign that is not (or no longer) stored. */
    public static final String UNKNOWN_CAMPAIGN = "(unknown campaign)";

    private OptOutAnalytics() {
    }

    /**
     * One campaign's opt-outs.
     *
     * @param campaign         the campaign id
     * @param sent             messages it sent
     * @param optOuts          recipients who opted out attributed to it
     * @param rate             optOuts / sent, or null when nothing was sent
     * @param byReason         the reason given on the unsubscribe page, else by source (see {@link #SOURCE_REASONS})
     * @param bySource         by source of the evidence (keyword, link, ...)
     * @param byHoursSinceSend by time from the send to the opt-out ({@link #HOUR_BUCKETS})
     */
    public record CampaignOptOuts(String campaign, long sent, long optOuts, Double rate, Map<String, Long> byReason,
                                  Map<String, Long> bySource, Map<String, Long> byHoursSinceSend) {
    }

    /**
     * The opt-outs of a period.
     *
     * @param from        start, inclusive
     * @param to          end, exclusive
     * @param timeZone    the zone of {@code byHourOfDay}
     * @param optOuts     all opt-outs in the period
     * @param byCampaign  by attributed campaign ({@link #NONE} for unattributed), most first
     * @param byCategory  by the campaign's category (or the scope's for an unattributed category opt-out), most first
     * @param bySender    by the campaign's sender (or the scope's, {@link #GLOBAL}), most first
     * @param byHourOfDay {@code "00"}–{@code "23"}: the hour of the opt-out in {@code timeZone}
     */
    public record PeriodOptOuts(Instant from, Instant to, String timeZone, long optOuts, Map<String, Long> byCampaign,
                                Map<String, Long> byCategory, Map<String, Long> bySender, Map<String, Long> byHourOfDay) {
    }

    /**
     * @param ledger   the consent ledger
     * @param campaign the campaign id
     * @param sent     how many messages the campaign sent
     * @param reasons  the unsubscribe page's reasons
     * @throws IOException if the ledger cannot be read
     */
    public static CampaignOptOuts campaign(ConsentLedger ledger, String campaign, long sent, UnsubscribeReasons reasons)
            throws IOException {
        RoaringBitmap seen = new RoaringBitmap();
        Map<String, Long> byReason = zeros(concat(UnsubscribeReasons.REASONS, SOURCE_REASONS));
        Map<String, Long> bySource = zeros(java.util.Arrays.stream(ConsentSource.values()).map(ConsentSource::label).toList());
        Map<String, Long> byHours = zeros(HOUR_BUCKETS);
        long[] n = {0};
        ledger.scan(-1, Instant.MIN, Instant.MAX, r -> {
            if (r.action() != ConsentAction.OPT_OUT || !campaign.equals(r.evidence().campaignId())
                    || !seen.checkedAdd(r.recipientId())) {
                return;
            }
            n[0]++;
            byReason.merge(reasons.reasonOf(r.recipientId(), campaign).orElseGet(() -> sourceReason(r.evidence().source())),
                    1L, Long::sum);
            bySource.merge(r.evidence().source().label(), 1L, Long::sum);
            byHours.merge(hoursBucket(r.evidence().sentAt(), r.time()), 1L, Long::sum);
        });
        Double rate = sent > 0 ? (double) n[0] / sent : null;
        return new CampaignOptOuts(campaign, sent, n[0], rate, byReason, bySource, byHours);
    }

    /**
     * @param ledger    the consent ledger
     * @param from      start, inclusive
     * @param to        end, exclusive
     * @param zone      the zone of the hours of the day
     * @param campaigns a campaign's record by id, or null if it is not stored
     * @throws IOException if the ledger cannot be read
     */
    public static PeriodOptOuts period(ConsentLedger ledger, Instant from, Instant to, ZoneId zone,
                                       Function<String, CampaignRecord> campaigns) throws IOException {
        Map<String, RoaringBitmap> seenByCampaign = new HashMap<>();
        Map<Scope, RoaringBitmap> seenByScope = new HashMap<>();
        Map<String, CampaignRecord> records = new HashMap<>();
        Map<String, Long> byCampaign = new HashMap<>();
        Map<String, Long> byCategory = new HashMap<>();
        Map<String, Long> bySender = new HashMap<>();
        long[] byHour = new long[24];
        long[] n = {0};
        ledger.scan(-1, from, to, r -> {
            if (r.action() != ConsentAction.OPT_OUT) {
                return;
            }
            String campaign = r.evidence().campaignId();
            boolean first = campaign != null
                    ? seenByCampaign.computeIfAbsent(campaign, c -> new RoaringBitmap()).checkedAdd(r.recipientId())
                    : seenByScope.computeIfAbsent(r.scope(), s -> new RoaringBitmap()).checkedAdd(r.recipientId());
            if (!first) {
                return;
            }
            n[0]++;
            byCampaign.merge(campaign == null ? NONE : campaign, 1L, Long::sum);
            String category;
            String sender;
            if (campaign != null) {
                CampaignRecord c = records.computeIfAbsent(campaign, campaigns);
                category = c == null ? UNKNOWN_CAMPAIGN : c.category();
                sender = c == null ? UNKNOWN_CAMPAIGN : senderName(c.sender());
            } else {
                category = r.scope().kind() == Scope.Kind.CATEGORY ? r.scope().name() : NONE;
                sender = switch (r.scope().kind()) {
                    case GLOBAL -> GLOBAL;
                    case SENDER -> r.scope().name();
                    case SENDER_CHANNEL -> r.scope().name().substring(0, r.scope().name().indexOf('/'));
                    default -> NONE;
                };
            }
            byCategory.merge(category, 1L, Long::sum);
            bySender.merge(sender, 1L, Long::sum);
            byHour[r.time().atZone(zone).getHour()]++;
        });
        Map<String, Long> hours = new LinkedHashMap<>();
        for (int h = 0; h < 24; h++) {
            hours.put(String.format("%02d", h), byHour[h]);
        }
        return new PeriodOptOuts(from, to, zone.getId(), n[0], mostFirst(byCampaign), mostFirst(byCategory),
                mostFirst(bySender), hours);
    }

    /** The bucket of an opt-out at {@code at} of a message sent at {@code sentAt} (null: unknown). */
    static String hoursBucket(Instant sentAt, Instant at) {
        if (sentAt == null || at.isBefore(sentAt)) {
            return "unknown";
        }
        long millis = Duration.between(sentAt, at).toMillis();
        for (int i = 0; i < BUCKET_ENDS_HOURS.length; i++) {
            if (millis < BUCKET_ENDS_HOURS[i] * 3_600_000L) {
                return HOUR_BUCKETS.get(i);
            }
        }
        return "72+";
    }

    /** The reason of an opt-out for which the unsubscribe page has none. */
    static String sourceReason(ConsentSource source) {
        return source == ConsentSource.LINK ? "unspecified" : source.label();
    }

    private static String senderName(String sender) {
        try {
            return Scope.sender(sender).name(); // the scope's spelling, so a campaign's "ACME" and scope sender:acme meet
        } catch (IllegalArgumentException e) {
            return sender;
        }
    }

    private static Map<String, Long> zeros(List<String> keys) {
        Map<String, Long> m = new LinkedHashMap<>();
        keys.forEach(k -> m.put(k, 0L));
        return m;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static Map<String, Long> mostFirst(Map<String, Long> counts) {
        Map<String, Long> out = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
