package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code GET /v1/segments/rfm} on a cluster: every partition's summary of its last recompute
 * ({@code RfmRoutes}' answer) merged into the cluster's, in a single node's form: tier and stage
 * sizes, buyers, recipients, purchases and activities read summed; the cut points, the window and
 * {@code computedAt} shared (the cluster recompute's, {@link ClusterRfm}); {@code elapsedMillis}
 * the longest partition's; plus {@code "partitions": {"answered", "of"}}.
 *
 * <p>Never a mix: if the partitions' last recomputes are not the same one (a partition missed the
 * last, or has none, or its stored tiers are damaged), the answer is 409 {@code out_of_step} with
 * {@code "partitions": [{"partition", "computedAt" | "error"}]}, and a recompute
 * ({@code POST /v1/segments/rfm/recompute}) puts them in step. A partition that does not answer:
 * 503 naming it. None computed yet: the single node's 404 {@code not_computed}.
 */
final class RfmViews {

    private static final List<String> SUMMED = List.of("buyers", "recipients", "purchasesRead", "activitiesRead");
    /** What every partition of one cluster recompute has alike. */
    private static final List<String> SHARED = List.of("computedAt", "window", "windowStart", "quintiles", "tierRules");

    private RfmViews() {
    }

    static HttpAnswer summary(List<HttpAnswer> answers) {
        List<Integer> unanswered = new ArrayList<>();
        for (int p = 0; p < answers.size(); p++) {
            if (answers.get(p).status() >= 500) {
                unanswered.add(p);
            }
        }
        if (!unanswered.isEmpty()) {
            return HttpAnswer.error(503, "partition_unavailable", "the RFM summary needs every partition; partitions "
                    + unanswered + " did not answer: " + answers.get(unanswered.get(0)).text());
        }
        if (answers.stream().allMatch(a -> a.status() == 404)) {
            return answers.get(0); // none computed yet: the single node's answer
        }
        List<ObjectNode> views = new ArrayList<>();
        for (HttpAnswer a : answers) {
            JsonNode j = ClusterRoutes.json(a);
            views.add(a.ok() && j != null && j.isObject() ? (ObjectNode) j : null);
        }
        if (views.contains(null) || !inStep(views)) {
            return outOfStep(answers, views);
        }
        ObjectNode out = views.get(0).deepCopy();
        for (String k : SUMMED) {
            out.put(k, views.stream().mapToLong(v -> v.path(k).asLong()).sum());
        }
        out.put("elapsedMillis", views.stream().mapToLong(v -> v.path("elapsedMillis").asLong()).max().orElse(0));
        for (String k : List.of("tiers", "lifecycle")) {
            ArrayNode merged = (ArrayNode) out.get(k);
            for (int i = 0; i < merged.size(); i++) {
                int at = i;
                ((ObjectNode) merged.get(i)).put("size", views.stream().mapToLong(v -> v.path(k).path(at).path("size").asLong())
                        .sum());
            }
        }
        out.putObject("partitions").put("answered", answers.size()).put("of", answers.size());
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /** The same recompute on every partition: its shared figures, and the same tiers and stages in the same order. */
    private static boolean inStep(List<ObjectNode> views) {
        ObjectNode first = views.get(0);
        for (ObjectNode v : views) {
            for (String k : SHARED) {
                if (!Objects.equals(first.get(k), v.get(k))) {
                    return false;
                }
            }
            for (String k : List.of("tiers", "lifecycle")) {
                if (!names(first.path(k)).equals(names(v.path(k)))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static List<String> names(JsonNode list) {
        List<String> n = new ArrayList<>();
        list.forEach(x -> n.add(x.path("name").asText()));
        return n;
    }

    private static HttpAnswer outOfStep(List<HttpAnswer> answers, List<ObjectNode> views) {
        ObjectNode out = ClusterRoutes.object();
        out.put("error", "out_of_step");
        out.put("message", "the partitions' RFM tiers are not from the same recompute (a partition missed the last one, or"
                + " its stored tiers are damaged), so they are not merged: POST /v1/segments/rfm/recompute puts every"
                + " partition in step");
        out.putNull("field");
        ArrayNode each = out.putArray("partitions");
        for (int p = 0; p < answers.size(); p++) {
            ObjectNode one = each.addObject().put("partition", p);
            if (views.get(p) != null) {
                one.put("computedAt", views.get(p).path("computedAt").asText());
            } else {
                JsonNode j = ClusterRoutes.json(answers.get(p));
                one.put("status", answers.get(p).status());
                one.put("error", j == null ? answers.get(p).text() : j.path("error").asText());
            }
        }
        return ClusterRoutes.jsonAnswer(409, out);
    }
}
