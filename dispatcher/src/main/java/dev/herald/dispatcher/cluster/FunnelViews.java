package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.dispatcher.funnel.FunnelReport;
import dev.herald.dispatcher.links.DelayHistogram;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The funnel reports of the partitions put together as one node's ({@code FunnelReport}).
 *
 * <p>A campaign's recipients are split between the partitions, each counted in one, so every count
 * of recipients, clicks, conversions and delays adds up exactly. Every rate is then recomputed
 * from the sums with the single node's formula and rounding ({@link FunnelReport#rate}), never
 * averaged; {@code noReceipt} is recomputed from the summed steps. Delay histograms are summed
 * bucket by bucket (the node asks the partitions for their buckets, {@code ?detail=histograms}),
 * and their percentiles read from the sum, as one node reads them from its own; the buckets are not
 * shown. Conversion values are summed per currency as decimals.
 *
 * <p>An A/B test is sampled by each partition for its own recipients and decided once for the
 * whole campaign ({@link WholeTests}): the merged funnel shows each partition's test under
 * {@code testByPartition}, the per-variant funnel summed, and once every partition holds the same
 * decision, the test as one under {@code test} ({@link TestViews}).
 *
 * <p>Every merged view says which partitions answered ({@code "partitions"}); a partition that did
 * not (moving) leaves the counts short by its recipients and is named there.
 */
final class FunnelViews {

    private static final List<String> STEPS = List.of("sent", "delivered", "undelivered", "expired", "noReceipt", "clicked",
            "converted", "optedOut");

    private FunnelViews() {
    }

    /** {@code GET /v1/campaigns/{id}/funnel}. */
    static HttpAnswer campaign(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.isEmpty()) {
            return ClusterViews.firstRefusal(answers);
        }
        List<ObjectNode> views = new ArrayList<>();
        List<Integer> from = new ArrayList<>();
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n != null && n.isObject()) {
                views.add((ObjectNode) n);
                from.add(a.partition());
            }
        }
        if (views.isEmpty()) {
            return ClusterViews.firstRefusal(answers);
        }
        ObjectNode out = views.get(0).deepCopy();
        String status = out.path("status").asText();
        long total = 0;
        for (ObjectNode v : views) {
            total += v.path("total").asLong();
            if (ClusterViews.rank(v.path("status").asText()) < ClusterViews.rank(status)) {
                status = v.path("status").asText();
            }
        }
        out.put("status", status);
        out.put("total", total);

        ObjectNode steps = sum(views, "steps");
        long sent = steps.path("sent").asLong();
        long delivered = steps.path("delivered").asLong();
        steps.put("noReceipt", Math.max(0, sent - delivered - steps.path("undelivered").asLong() - steps.path("expired").asLong()));
        ObjectNode orderedSteps = ClusterRoutes.object();
        STEPS.forEach(k -> orderedSteps.put(k, steps.path(k).asLong()));
        out.set("steps", orderedSteps);

        ObjectNode conversions = out.putObject("conversions");
        ObjectNode summed = sum(views, "conversions");
        for (String k : List.of("conversions", "recipients", "recipientsWhoClicked")) {
            conversions.put(k, summed.path(k).asLong());
        }
        conversions.set("value", values(views.stream().map(v -> v.path("conversions").path("value")).toList()));

        long clicked = orderedSteps.path("clicked").asLong();
        ObjectNode rates = out.putObject("rates");
        rates.put("delivered", FunnelReport.rate(delivered, sent));
        long reached = delivered > 0 ? delivered : sent;
        rates.put("clicked", FunnelReport.rate(clicked, reached));
        rates.put("clickedBase", delivered > 0 ? "delivered" : "sent");
        rates.put("converted", FunnelReport.rate(conversions.path("recipientsWhoClicked").asLong(), clicked));
        rates.put("convertedOfSent", FunnelReport.rate(orderedSteps.path("converted").asLong(), sent));
        rates.put("optedOut", FunnelReport.rate(orderedSteps.path("optedOut").asLong(), sent));

        out.set("undelivered", sum(views, "undelivered"));
        out.set("clicks", sumNested(views.stream().map(v -> v.path("clicks")).toList()));
        ObjectNode timing = out.putObject("timing");
        for (String h : List.of("sendToDelivery", "deliveryToClick")) {
            timing.set(h, delays(views.stream().map(v -> v.path("timing").path(h)).toList()));
        }
        out.set("links", links(views));
        if (views.stream().anyMatch(v -> v.has("variants"))) {
            out.set("variants", variants(views));
        }
        if (views.stream().anyMatch(v -> v.has("test"))) {
            out.remove("test");
            ArrayNode tests = out.putArray("testByPartition");
            for (int i = 0; i < views.size(); i++) {
                if (views.get(i).has("test")) {
                    ObjectNode t = tests.addObject();
                    t.put("partition", from.get(i));
                    t.setAll((ObjectNode) views.get(i).path("test"));
                }
            }
            // as one only from every partition: one that did not answer may hold another decision
            ObjectNode whole = views.size() == answers.size()
                    ? TestViews.whole(views.stream().filter(v -> v.has("test")).map(v -> v.get("test")).toList()) : null;
            if (whole != null) {
                out.set("test", whole);
            }
        }
        out.set("partitions", ClusterViews.partitions(answers, ok.size()));
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /**
     * {@code GET /v1/reports/funnel}: each group's partitions summed (its campaigns, steps, clicks by
     * class, value per currency), the rates recomputed as one node computes a group's.
     */
    static HttpAnswer period(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.size() < answers.size()) {
            return ClusterViews.firstRefusal(answers); // a report short of a partition would understate every group
        }
        ObjectNode out = null;
        String groupBy = "campaign";
        Map<String, List<JsonNode>> byKey = new TreeMap<>();
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n == null || !n.isObject()) {
                continue;
            }
            if (out == null) {
                out = ((ObjectNode) n).deepCopy();
                groupBy = n.path("groupBy").asText("campaign");
            }
            for (JsonNode g : n.path("groups")) {
                byKey.computeIfAbsent(g.path(groupBy).asText(), k -> new ArrayList<>()).add(g);
            }
        }
        if (out == null) {
            return ClusterViews.firstRefusal(answers);
        }
        Set<String> allCampaigns = new LinkedHashSet<>();
        ArrayNode groups = ClusterRoutes.array();
        for (Map.Entry<String, List<JsonNode>> e : byKey.entrySet()) {
            ObjectNode g = groups.addObject();
            g.put(groupBy, e.getKey());
            Set<String> ids = new LinkedHashSet<>();
            e.getValue().forEach(x -> x.path("campaigns").forEach(id -> ids.add(id.asText())));
            allCampaigns.addAll(ids);
            ArrayNode list = g.putArray("campaigns");
            ids.forEach(list::add);
            ObjectNode steps = ClusterRoutes.object();
            ObjectNode clicks = ClusterRoutes.object();
            for (JsonNode x : e.getValue()) {
                ClusterViews.sumInto(steps, "steps", wrap("steps", x.path("steps")));
                ClusterViews.sumInto(clicks, "clicks", wrap("clicks", x.path("clicks")));
            }
            g.set("steps", steps.path("steps").isObject() ? steps.get("steps") : ClusterRoutes.object());
            g.set("clicks", clicks.path("clicks").isObject() ? clicks.get("clicks") : ClusterRoutes.object());
            g.set("value", values(e.getValue().stream().map(x -> x.path("value")).toList()));
            JsonNode s = g.path("steps");
            long sent = s.path("sent").asLong();
            long delivered = s.path("delivered").asLong();
            long clicked = s.path("clicked").asLong();
            ObjectNode rates = ClusterRoutes.object();
            rates.put("delivered", FunnelReport.rate(delivered, sent));
            rates.put("clicked", FunnelReport.rate(clicked, delivered > 0 ? delivered : sent));
            rates.put("converted", FunnelReport.rate(s.path("converted").asLong(), clicked));
            rates.put("optedOut", FunnelReport.rate(s.path("optedOut").asLong(), sent));
            // the single node's key order: the group, campaigns, steps, clicks, value, rates
            g.set("rates", rates);
        }
        out.put("campaigns", allCampaigns.size());
        out.set("groups", groups);
        return ClusterRoutes.jsonAnswer(200, out);
    }

    // ---- parts ----

    /** Each tracked link (by its index) with its clicks summed. */
    private static ArrayNode links(List<ObjectNode> views) {
        Map<Integer, ObjectNode> byIndex = new TreeMap<>();
        for (ObjectNode v : views) {
            for (JsonNode l : v.path("links")) {
                ObjectNode have = byIndex.get(l.path("index").asInt());
                if (have == null) {
                    byIndex.put(l.path("index").asInt(), ((ObjectNode) l).deepCopy());
                    continue;
                }
                have.put("humans", have.path("humans").asLong() + l.path("humans").asLong());
                ClusterViews.sumInto(have, "clicks", l);
            }
        }
        ArrayNode out = ClusterRoutes.array();
        byIndex.values().forEach(out::add);
        return out;
    }

    /** Each variant's funnel summed, its rates recomputed ({@code FunnelReport.variants}'s formulas). */
    private static ArrayNode variants(List<ObjectNode> views) {
        Map<String, ObjectNode> byName = new LinkedHashMap<>();
        for (ObjectNode v : views) {
            for (JsonNode x : v.path("variants")) {
                ObjectNode have = byName.get(x.path("variant").asText());
                if (have == null) {
                    byName.put(x.path("variant").asText(), ((ObjectNode) x).deepCopy());
                    continue;
                }
                for (String f : List.of("given", "sample")) {
                    if (x.has(f)) {
                        have.put(f, have.path(f).asLong() + x.path(f).asLong());
                    }
                }
                ClusterViews.sumInto(have, "steps", x);
            }
        }
        ArrayNode out = ClusterRoutes.array();
        for (ObjectNode x : byName.values()) {
            JsonNode s = x.path("steps");
            long sent = s.path("sent").asLong();
            long delivered = s.path("delivered").asLong();
            long clicked = s.path("clicked").asLong();
            ObjectNode rates = x.putObject("rates");
            rates.put("delivered", FunnelReport.rate(delivered, sent));
            rates.put("clicked", FunnelReport.rate(clicked, delivered > 0 ? delivered : sent));
            rates.put("clickedOfSent", FunnelReport.rate(clicked, sent));
            rates.put("convertedOfSent", FunnelReport.rate(s.path("converted").asLong(), sent));
            out.add(x);
        }
        return out;
    }

    /**
     * Delay histograms summed: the count and the chart buckets added, the fine buckets added by
     * their low ends and the percentiles read from that sum ({@link DelayHistogram#percentile(SortedMap, double)}).
     * A partition that did not send its fine buckets (an older node) makes the percentiles
     * unknown (null) rather than guessed.
     */
    static ObjectNode delays(List<JsonNode> histograms) {
        long count = 0;
        ObjectNode buckets = ClusterRoutes.object();
        SortedMap<Long, Long> fine = new TreeMap<>();
        boolean complete = true;
        for (JsonNode h : histograms) {
            long c = h.path("count").asLong();
            count += c;
            for (Iterator<Map.Entry<String, JsonNode>> it = h.path("buckets").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                buckets.put(e.getKey(), buckets.path(e.getKey()).asLong() + e.getValue().asLong());
            }
            JsonNode lows = h.path("fine").path("lowSeconds");
            JsonNode counts = h.path("fine").path("counts");
            if (c > 0 && (!lows.isArray() || lows.size() != counts.size())) {
                complete = false;
            }
            for (int i = 0; i < lows.size(); i++) {
                fine.merge(lows.get(i).asLong(), counts.get(i).asLong(), Long::sum);
            }
        }
        ObjectNode out = ClusterRoutes.object();
        out.put("count", count);
        for (Object[] p : new Object[][] {{"p50Seconds", 0.50}, {"p90Seconds", 0.90}, {"p99Seconds", 0.99}}) {
            if (count == 0 || !complete) {
                out.putNull((String) p[0]);
            } else {
                out.put((String) p[0], DelayHistogram.percentile(fine, (Double) p[1]));
            }
        }
        out.set("buckets", buckets);
        return out;
    }

    /** Amounts per currency (decimal strings) summed exactly, by currency. */
    private static ObjectNode values(List<JsonNode> perPartition) {
        Map<String, BigDecimal> sum = new TreeMap<>();
        for (JsonNode v : perPartition) {
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                sum.merge(e.getKey(), new BigDecimal(e.getValue().asText()), BigDecimal::add);
            }
        }
        ObjectNode out = ClusterRoutes.object();
        sum.forEach((k, v) -> out.put(k, v.toPlainString()));
        return out;
    }

    /** The numbers under {@code field} of every view, added key by key. */
    private static ObjectNode sum(List<ObjectNode> views, String field) {
        ObjectNode holder = ClusterRoutes.object();
        holder.putObject(field);
        views.forEach(v -> ClusterViews.sumInto(holder, field, v));
        return (ObjectNode) holder.get(field);
    }

    /** Objects of objects of numbers ({@code {"human": {"recipients", "clicks"}, ...}}) added key by key. */
    private static ObjectNode sumNested(List<JsonNode> nodes) {
        ObjectNode out = ClusterRoutes.object();
        for (JsonNode n : nodes) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ClusterViews.sumInto(out, e.getKey(), wrap(e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    private static ObjectNode wrap(String field, JsonNode value) {
        ObjectNode o = ClusterRoutes.object();
        o.set(field, value);
        return o;
    }
}
