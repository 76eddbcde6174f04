package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The opt-out reports of the partitions put together as one node's ({@code OptOutAnalytics}):
 * each partition's consent ledger holds its own recipients' opt-outs, so every count adds up
 * exactly; a campaign's opt-out rate is recomputed from the sums (opt-outs / sent, null when
 * nothing was sent), never averaged.
 *
 * <p>A report short of a partition would understate every count: a partition that does not answer
 * (moving) makes the report 503, naming it; retry.
 */
final class OptOutReportViews {

    private OptOutReportViews() {
    }

    /** {@code GET /v1/campaigns/{id}/optouts}: {@code sent}, {@code optOuts} and every breakdown summed; the rate from the sums. */
    static HttpAnswer campaign(List<HttpAnswer> answers) {
        List<ObjectNode> views = all(answers);
        if (views == null) {
            return ClusterViews.firstRefusal(answers);
        }
        ObjectNode out = views.get(0).deepCopy();
        for (int i = 1; i < views.size(); i++) {
            ObjectNode v = views.get(i);
            for (String f : List.of("sent", "optOuts")) {
                out.put(f, out.path(f).asLong() + v.path(f).asLong());
            }
            for (String f : List.of("byReason", "bySource", "byHoursSinceSend")) {
                ClusterViews.sumInto(out, f, v);
            }
        }
        long sent = out.path("sent").asLong();
        if (sent > 0) {
            out.put("rate", (double) out.path("optOuts").asLong() / sent);
        } else {
            out.putNull("rate");
        }
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /** {@code GET /v1/reports/optouts}: {@code optOuts} and every breakdown (campaign, category, sender, hour) summed. */
    static HttpAnswer period(List<HttpAnswer> answers) {
        List<ObjectNode> views = all(answers);
        if (views == null) {
            return ClusterViews.firstRefusal(answers);
        }
        ObjectNode out = views.get(0).deepCopy();
        for (int i = 1; i < views.size(); i++) {
            ObjectNode v = views.get(i);
            out.put("optOuts", out.path("optOuts").asLong() + v.path("optOuts").asLong());
            for (String f : List.of("byCampaign", "byCategory", "bySender", "byHourOfDay")) {
                ClusterViews.sumInto(out, f, v);
            }
        }
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /** Every partition's report, or null if one refused or did not answer. */
    private static List<ObjectNode> all(List<HttpAnswer> answers) {
        List<ObjectNode> views = new ArrayList<>();
        for (HttpAnswer a : answers) {
            JsonNode n = a.ok() ? ClusterRoutes.json(a) : null;
            if (n == null || !n.isObject()) {
                return null;
            }
            views.add((ObjectNode) n);
        }
        return views.isEmpty() ? null : views;
    }
}
