package dev.herald.dispatcher.funnel;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.delivery.DeliveryLedger;
import dev.herald.dispatcher.links.ClickLedger;
import dev.herald.dispatcher.links.ClickRules.ClickClass;
import dev.herald.dispatcher.links.Clicks;
import dev.herald.dispatcher.links.DelayHistogram;
import dev.herald.dispatcher.render.Template;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A campaign's funnel — sent → delivered → clicked (as a person) → converted — with the steps'
 * rates, the clicks Herald does not count as a person's shown apart, the delays between the steps
 * as percentiles and chart buckets, and each tracked link's clicks. Every count is a bitmap's
 * cardinality or a counter the ledgers keep as they record, so a report over a campaign of
 * 10,000,000 recipients reads no click or receipt record.
 *
 * <pre>{@code
 * FunnelReport report = new FunnelReport(deliveries, clicks, conversions);
 * Map<String, Object> json = report.of(campaignRecord);    // as GET /v1/campaigns/{id}/funnel answers
 * }</pre>
 *
 * <p>Thread-safe; a report opens (replays) a campaign's ledgers that are not open, so call it off
 * the routing threads.
 */
public final class FunnelReport {

    /** What conversions a campaign was given. */
    @FunctionalInterface
    public interface ConversionTotals {
        /** None recorded. */
        ConversionTotals NONE = id -> CampaignConversions.EMPTY;

        /** @return the campaign's attributed conversions ({@link Conversions#of}) */
        CampaignConversions of(String campaignId) throws IOException;
    }

    /** How many of a campaign's recipients opted out because of it (STOP replies, its unsubscribe links). */
    @FunctionalInterface
    public interface OptOutCount {
        /** None counted. */
        OptOutCount NONE = (id, sent) -> 0;

        /** @return the campaign's opt-outs */
        long of(String campaignId, long sent) throws IOException;
    }

    private final Deliveries deliveries;
    private final Clicks clicks;
    private final ConversionTotals conversions;
    private final OptOutCount optOuts;

    /**
     * @param deliveries  the receipts (null: none, as with the simulated connector only)
     * @param clicks      the tracked links' clicks
     * @param conversions the conversions ({@link ConversionTotals#NONE}: none)
     * @param optOuts     the opt-outs each campaign caused
     */
    public FunnelReport(Deliveries deliveries, Clicks clicks, ConversionTotals conversions, OptOutCount optOuts) {
        this.deliveries = deliveries;
        this.clicks = clicks;
        this.conversions = conversions;
        this.optOuts = optOuts;
    }

    /**
     * @param r the campaign's live record (its counts)
     * @return the funnel, as JSON-ready maps
     * @throws IOException if a ledger cannot be read (a damaged file, named)
     */
    public Map<String, Object> of(CampaignRecord r) throws IOException {
        return of(r, false);
    }

    /**
     * @param r    the campaign's live record (its counts)
     * @param fine whether each delay histogram also shows its buckets ({@code "fine"}: {@link DelayHistogram#fine()}),
     *             so that a cluster can add its partitions' histograms and read percentiles from the sum
     * @return the funnel, as JSON-ready maps
     * @throws IOException if a ledger cannot be read (a damaged file, named)
     */
    public Map<String, Object> of(CampaignRecord r, boolean fine) throws IOException {
        Map<String, Long> outcomes = r.counts();
        long sent = 0;
        for (Map.Entry<String, Long> e : outcomes.entrySet()) {
            if (e.getKey().equals("sent") || e.getKey().startsWith("sent:")) {
                sent += e.getValue();
            }
        }
        Map<String, Long> delivery = deliveries == null ? Map.of() : deliveries.counts(r.id());
        long delivered = delivery.getOrDefault(DeliveryLedger.DELIVERED, 0L);
        long expired = delivery.getOrDefault(DeliveryLedger.EXPIRED, 0L);
        Map<String, Long> undeliveredBy = new LinkedHashMap<>();
        long undelivered = 0;
        for (Map.Entry<String, Long> e : delivery.entrySet()) {
            if (e.getKey().startsWith(DeliveryLedger.UNDELIVERED_PREFIX)) {
                undeliveredBy.put(e.getKey().substring(DeliveryLedger.UNDELIVERED_PREFIX.length()), e.getValue());
                undelivered += e.getValue();
            }
        }
        ClickLedger.Summary c = clicks.summary(r.id());
        long clicked = c.unique().get(ClickClass.HUMAN);
        CampaignConversions conv = conversions.of(r.id());
        long converted = conv.recipients().getLongCardinality();
        // of the recipients who clicked as a person, those who converted (a conversion attributed by
        // delivery alone is in the converted step, not in this rate)
        long convertedAfterClick = org.roaringbitmap.buffer.ImmutableRoaringBitmap.andCardinality(c.humans(), conv.recipients());

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("campaign", r.id());
        out.put("name", r.name());
        out.put("status", r.status().wire());
        out.put("total", r.audienceSize());
        Map<String, Object> steps = new LinkedHashMap<>();
        steps.put("sent", sent);
        steps.put("delivered", delivered);
        steps.put("undelivered", undelivered);
        steps.put("expired", expired);
        steps.put("noReceipt", Math.max(0, sent - delivered - undelivered - expired));
        steps.put("clicked", clicked);
        steps.put("converted", converted);
        steps.put("optedOut", optOuts.of(r.id(), sent));
        out.put("steps", steps);
        Map<String, Object> rates = new LinkedHashMap<>();
        rates.put("delivered", rate(delivered, sent));
        // without receipts (a connector that sends none), clicks are measured against what was sent
        long reached = delivered > 0 ? delivered : sent;
        rates.put("clicked", rate(clicked, reached));
        rates.put("clickedBase", delivered > 0 ? "delivered" : "sent");
        rates.put("converted", rate(convertedAfterClick, clicked));
        rates.put("convertedOfSent", rate(converted, sent));
        rates.put("optedOut", rate((Long) steps.get("optedOut"), sent));
        out.put("rates", rates);
        out.put("undelivered", undeliveredBy);
        Map<String, Object> byClass = new LinkedHashMap<>();
        for (ClickClass k : ClickClass.values()) {
            byClass.put(k.label(), Map.of("recipients", c.unique().get(k), "clicks", c.totals().get(k)));
        }
        out.put("clicks", byClass);
        Map<String, Object> money = new LinkedHashMap<>();
        money.put("conversions", conv.count());
        money.put("recipients", converted);
        money.put("recipientsWhoClicked", convertedAfterClick);
        Map<String, String> values = new LinkedHashMap<>();
        conv.valueByCurrency().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> values.put(e.getKey(), e.getValue().toPlainString()));
        money.put("value", values);
        out.put("conversions", money);
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("sendToDelivery", delays(deliveries == null ? new DelayHistogram() : deliveries.sendToDelivery(r.id()), fine));
        timing.put("deliveryToClick", delays(c.deliveryToClick(), fine));
        out.put("timing", timing);
        List<String> urls = r.template() == null || !r.trackLinks() ? List.of() : r.linkUrls();
        List<Map<String, Object>> links = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            ClickLedger.LinkStats s = i < c.links().size() ? c.links().get(i) : null;
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("index", i);
            l.put("url", urls.get(i));
            l.put("humans", s == null ? 0 : s.humans());
            Map<String, Long> perClass = new LinkedHashMap<>();
            for (ClickClass k : ClickClass.values()) {
                perClass.put(k.label(), s == null ? 0 : s.totals().get(k));
            }
            l.put("clicks", perClass);
            links.add(l);
        }
        out.put("links", links);
        out.put("tracked", r.trackLinks());
        return out;
    }

    /**
     * The funnel split per variant: for each, who was given it, sent, delivered, clicked as a person
     * and converted, with the rates (of the test's sample and of everyone given it alike).
     *
     * @param r      the campaign (with variants)
     * @param groups who got which variant ({@code GetVariants})
     * @return one entry per variant, in the campaign's order
     * @throws IOException as {@link #of}
     */
    public List<Map<String, Object>> variants(CampaignRecord r, dev.herald.dispatcher.campaign.Campaign.VariantGroups groups)
            throws IOException {
        org.roaringbitmap.buffer.ImmutableRoaringBitmap delivered = deliveries == null
                ? new org.roaringbitmap.buffer.MutableRoaringBitmap() : deliveries.delivered(r.id());
        org.roaringbitmap.buffer.ImmutableRoaringBitmap humans = clicks.summary(r.id()).humans();
        org.roaringbitmap.buffer.ImmutableRoaringBitmap converted = conversions.of(r.id()).recipients();
        List<Map<String, Object>> out = new ArrayList<>();
        for (int v = 0; v < groups.names().size(); v++) {
            org.roaringbitmap.buffer.ImmutableRoaringBitmap sent = groups.sent().get(v);
            long nSent = sent.getLongCardinality();
            long nDelivered = org.roaringbitmap.buffer.ImmutableRoaringBitmap.andCardinality(sent, delivered);
            long nClicked = org.roaringbitmap.buffer.ImmutableRoaringBitmap.andCardinality(sent, humans);
            long nConverted = org.roaringbitmap.buffer.ImmutableRoaringBitmap.andCardinality(sent, converted);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("variant", groups.names().get(v));
            m.put("given", groups.assigned().get(v).getLongCardinality());
            if (!groups.sample().isEmpty()) {
                m.put("sample", groups.sample().get(v).getLongCardinality());
            }
            Map<String, Object> steps = new LinkedHashMap<>();
            steps.put("sent", nSent);
            steps.put("delivered", nDelivered);
            steps.put("clicked", nClicked);
            steps.put("converted", nConverted);
            m.put("steps", steps);
            Map<String, Object> rates = new LinkedHashMap<>();
            rates.put("delivered", rate(nDelivered, nSent));
            rates.put("clicked", rate(nClicked, nDelivered > 0 ? nDelivered : nSent));
            rates.put("clickedOfSent", rate(nClicked, nSent));
            rates.put("convertedOfSent", rate(nConverted, nSent));
            m.put("rates", rates);
            out.add(m);
        }
        return out;
    }

    /** The ways {@link #period} groups campaigns. */
    public static final List<String> GROUPS = List.of("campaign", "sender", "category");

    /**
     * The funnels of several campaigns, summed per group.
     *
     * @param campaigns the campaigns (live records)
     * @param groupBy   {@code campaign}, {@code sender} or {@code category}
     * @return per group: its campaigns, the summed steps, their rates, clicks by class, conversions per currency
     * @throws IOException as {@link #of}
     */
    public List<Map<String, Object>> period(List<CampaignRecord> campaigns, String groupBy) throws IOException {
        Map<String, Map<String, Object>> groups = new java.util.TreeMap<>();
        for (CampaignRecord r : campaigns) {
            String key = switch (groupBy) {
                case "campaign" -> r.id();
                case "sender" -> String.valueOf(r.sender());
                case "category" -> String.valueOf(r.category());
                default -> throw new IllegalArgumentException("groupBy must be one of " + GROUPS + ", got " + groupBy);
            };
            Map<String, Object> one = of(r);
            Map<String, Object> g = groups.computeIfAbsent(key, k -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put(groupBy, k);
                m.put("campaigns", new ArrayList<String>());
                m.put("steps", new LinkedHashMap<String, Long>());
                m.put("clicks", new LinkedHashMap<String, Long>());
                m.put("value", new java.util.TreeMap<String, BigDecimal>());
                return m;
            });
            @SuppressWarnings("unchecked") List<String> ids = (List<String>) g.get("campaigns");
            ids.add(r.id());
            @SuppressWarnings("unchecked") Map<String, Long> steps = (Map<String, Long>) g.get("steps");
            @SuppressWarnings("unchecked") Map<String, Object> oneSteps = (Map<String, Object>) one.get("steps");
            oneSteps.forEach((k, v) -> steps.merge(k, (Long) v, Long::sum));
            @SuppressWarnings("unchecked") Map<String, Long> byClass = (Map<String, Long>) g.get("clicks");
            @SuppressWarnings("unchecked") Map<String, Map<String, Long>> oneClicks = (Map<String, Map<String, Long>>) one.get("clicks");
            oneClicks.forEach((k, v) -> byClass.merge(k, v.get("recipients"), Long::sum));
            @SuppressWarnings("unchecked") Map<String, BigDecimal> value = (Map<String, BigDecimal>) g.get("value");
            conversions.of(r.id()).valueByCurrency().forEach((cur, v) -> value.merge(cur, v, BigDecimal::add));
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> g : groups.values()) {
            @SuppressWarnings("unchecked") Map<String, Long> steps = (Map<String, Long>) g.get("steps");
            long sent = steps.getOrDefault("sent", 0L);
            long delivered = steps.getOrDefault("delivered", 0L);
            long clicked = steps.getOrDefault("clicked", 0L);
            Map<String, Object> rates = new LinkedHashMap<>();
            rates.put("delivered", rate(delivered, sent));
            rates.put("clicked", rate(clicked, delivered > 0 ? delivered : sent));
            rates.put("converted", rate(steps.getOrDefault("converted", 0L), clicked));
            rates.put("optedOut", rate(steps.getOrDefault("optedOut", 0L), sent));
            g.put("rates", rates);
            @SuppressWarnings("unchecked") Map<String, BigDecimal> value = (Map<String, BigDecimal>) g.get("value");
            Map<String, String> shown = new java.util.TreeMap<>();
            value.forEach((k, v) -> shown.put(k, v.toPlainString()));
            g.put("value", shown);
            out.add(g);
        }
        return out;
    }

    /** @return {@code n / of} to 4 decimals, or null when {@code of} is 0 (no rate, rather than a made-up 0) */
    public static BigDecimal rate(long n, long of) {
        return of == 0 ? null : BigDecimal.valueOf(n).divide(BigDecimal.valueOf(of), 4, RoundingMode.HALF_UP);
    }

    /** @return a histogram as the report shows it: count, p50/p90/p99 in seconds, chart buckets */
    static Map<String, Object> delays(DelayHistogram h) {
        return delays(h, false);
    }

    private static Map<String, Object> delays(DelayHistogram h, boolean fine) {
        Map<String, Object> m = delaysShown(h);
        if (fine) {
            m.put("fine", h.fine());
        }
        return m;
    }

    private static Map<String, Object> delaysShown(DelayHistogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", h.count());
        m.put("p50Seconds", h.count() == 0 ? null : h.percentile(0.50));
        m.put("p90Seconds", h.count() == 0 ? null : h.percentile(0.90));
        m.put("p99Seconds", h.count() == 0 ? null : h.percentile(0.99));
        m.put("buckets", h.buckets());
        return m;
    }
}
