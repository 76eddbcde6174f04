package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Objects;

/**
 * A campaign's A/B test as one, from its partitions' views of it ({@code experiment} of
 * {@code GET /v1/campaigns/{id}}, {@code test} of its funnel): once every partition holds the same
 * decision (the whole campaign's, {@link WholeTests}, or an operator's pick made on every
 * partition), the campaign shows it as a single node shows its test.
 *
 * <p>The merged test: {@code sample} per variant and {@code held} added up, the earliest
 * {@code sampledAt}, the latest {@code decideAt} and {@code decidedAt}, the common
 * {@code decidedBy} and {@code send}, and the {@code decision} when every partition holds the same
 * one (the rule's on the whole campaign's figures); an operator's pick stores each partition's
 * figures of the moment, so its {@code decision} is null here (each partition's is under
 * {@code experimentByPartition}). Until every partition is decided alike there is no merged test.
 */
final class TestViews {

    private TestViews() {
    }

    /** @return the partitions' tests as one, or null if they are not all decided the same way */
    static ObjectNode whole(List<JsonNode> tests) {
        if (tests.isEmpty()) {
            return null;
        }
        JsonNode first = tests.get(0);
        for (JsonNode t : tests) {
            if (!t.isObject() || !t.hasNonNull("decidedAt") || !Objects.equals(t.path("decidedBy").asText(null),
                    first.path("decidedBy").asText(null)) || !Objects.equals(text(t.get("send")), text(first.get("send")))) {
                return null;
            }
        }
        ObjectNode out = ClusterRoutes.object();
        out.put("sampledAt", extreme(tests, "sampledAt", false));
        out.put("decideAt", extreme(tests, "decideAt", true));
        ObjectNode sample = out.putObject("sample");
        long held = 0;
        for (JsonNode t : tests) {
            t.path("sample").fields().forEachRemaining(e -> sample.put(e.getKey(), sample.path(e.getKey()).asLong()
                    + e.getValue().asLong()));
            held += t.path("held").asLong();
        }
        out.put("held", held);
        out.put("decidedAt", extreme(tests, "decidedAt", true));
        out.set("decidedBy", first.get("decidedBy"));
        boolean same = tests.stream().allMatch(t -> t.path("decision").equals(first.path("decision")));
        out.set("decision", same && first.has("decision") ? first.get("decision").deepCopy() : out.nullNode());
        out.set("send", first.get("send"));
        return out;
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    /** @return the latest (or earliest) of the tests' ISO-8601 instants {@code field}, as written */
    private static String extreme(List<JsonNode> tests, String field, boolean latest) {
        String best = null;
        for (JsonNode t : tests) {
            String v = text(t.get(field));
            if (v != null && (best == null || (latest ? java.time.Instant.parse(v).isAfter(java.time.Instant.parse(best))
                    : java.time.Instant.parse(v).isBefore(java.time.Instant.parse(best))))) {
                best = v;
            }
        }
        return best;
    }
}
