package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The partitions' answers about journeys, put together as one node's answer.
 *
 * <p>A journey is defined on every partition under one id (the create's {@code Idempotency-Key});
 * each partition runs it for its own recipients. So a journey's definition, status and version are
 * the same everywhere when every change reached every partition; when one did not (a partition
 * failed a pause, say), the view says so: {@code "status": "mixed"} (or the version differs) and
 * {@code "outOfStep": [{"partition", "status", "version"}]} lists every partition's (a partition a
 * create did not reach: {@code "status": "missing"}). Its counts are
 * sums of the partitions' (their recipients are disjoint, so a count of recipients adds up
 * exactly): {@code entered}, {@code waiting}, {@code exited} by reason, per step {@code now},
 * {@code arrived}, {@code sent}, {@code delivered}, {@code clicked}, {@code converted} and the
 * pipeline's {@code outcomes}, {@code runs}, and the flow per day; the conversion rate is recomputed
 * from the sums (converted / entered, as {@code JourneyReports} computes it), never averaged.
 *
 * <p>Like every merged view, it says which partitions answered ({@code "partitions": {"answered",
 * "of", "unanswered"}}); one that did not (moving) leaves the counts short by its recipients.
 */
final class JourneyViews {

    private JourneyViews() {
    }

    /** A create on every partition: all made it (201, 200 if every one had it already), else 503 naming the key to retry with. */
    static HttpAnswer created(List<HttpAnswer> answers, String idempotencyKey) {
        List<Integer> failed = failed(answers);
        if (!failed.isEmpty()) {
            return error(503, "partly_created", "the journey was made on " + (answers.size() - failed.size()) + " of "
                    + answers.size() + " partitions; not on " + describe(answers, failed) + "; send the same request again"
                    + " with Idempotency-Key: " + idempotencyKey + " to make it on the others (those that have it keep it)");
        }
        boolean fresh = answers.stream().anyMatch(a -> a.status() == 201);
        HttpAnswer merged = journey(answers);
        return new HttpAnswer(-1, fresh ? 201 : 200, List.of(List.of("Idempotent-Replayed", fresh ? "false" : "true")),
                merged.contentType(), merged.body());
    }

    /** {@code GET /v1/journeys/{id}}: the definition as stored (the same everywhere), the partitions' status checked. */
    static HttpAnswer journey(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.isEmpty()) {
            return ClusterViews.firstRefusal(answers);
        }
        List<ObjectNode> views = objects(ok);
        if (views.isEmpty()) {
            return ClusterViews.firstRefusal(answers);
        }
        ObjectNode out = views.get(0).deepCopy();
        spanTimes(out, views);
        inStep(out, ok, views);
        missing(out, answers);
        out.set("partitions", ClusterViews.partitions(answers, ok.size()));
        return ClusterRoutes.jsonAnswer(ok.get(0).status(), out);
    }

    /** {@code GET /v1/journeys}: each journey merged across the partitions ({@code entered} and {@code waiting} summed), oldest first. */
    static HttpAnswer list(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.isEmpty()) {
            return ClusterViews.firstRefusal(answers);
        }
        Map<String, List<ObjectNode>> byId = new LinkedHashMap<>();
        Map<String, List<HttpAnswer>> from = new LinkedHashMap<>();
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n == null) {
                continue;
            }
            for (JsonNode j : n.path("journeys")) {
                String id = j.path("id").asText();
                byId.computeIfAbsent(id, k -> new ArrayList<>()).add((ObjectNode) j);
                from.computeIfAbsent(id, k -> new ArrayList<>()).add(a);
            }
        }
        List<ObjectNode> merged = new ArrayList<>();
        byId.forEach((id, views) -> {
            ObjectNode out = views.get(0).deepCopy();
            for (int i = 1; i < views.size(); i++) {
                for (String f : List.of("entered", "waiting")) {
                    if (views.get(i).has(f)) {
                        out.put(f, out.path(f).asLong() + views.get(i).path(f).asLong());
                    }
                }
            }
            spanTimes(out, views);
            inStep(out, from.get(id), views);
            merged.add(out);
        });
        merged.sort(Comparator.comparing((ObjectNode j) -> {
            Instant at = ClusterViews.instant(j, "createdAt");
            return at == null ? Instant.MAX : at;
        }).thenComparing(j -> j.path("id").asText()));
        ObjectNode out = ClusterRoutes.object();
        ArrayNode list = out.putArray("journeys");
        merged.forEach(list::add);
        out.set("partitions", ClusterViews.partitions(answers, ok.size()));
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /**
     * A change (pause, resume, archive, a new version) sent to every partition: done on all, the
     * merged journey; refused by all, the first refusal (as one node refuses it: nothing changed);
     * done on some only, 503 {@code partly_changed} naming the partitions that did not and why.
     */
    static HttpAnswer changed(List<HttpAnswer> answers, String what) {
        List<Integer> failed = failed(answers);
        if (failed.isEmpty()) {
            return journey(answers);
        }
        if (failed.size() == answers.size()) {
            return ClusterViews.firstRefusal(answers);
        }
        return error(503, "partly_changed", what + " was done on " + (answers.size() - failed.size()) + " of "
                + answers.size() + " partitions; not on " + describe(answers, failed) + "; send the same request again:"
                + " the partitions where it is done already count as done" + missedCreate(answers, failed));
    }

    /** {@code GET /v1/journeys/{id}/report}: every count summed, the conversion rate recomputed, the flow summed by day. */
    static HttpAnswer report(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.isEmpty()) {
            return ClusterViews.firstRefusal(answers);
        }
        List<ObjectNode> views = objects(ok);
        if (views.isEmpty()) {
            return ClusterViews.firstRefusal(answers);
        }
        ObjectNode out = views.get(0).deepCopy();
        for (int i = 1; i < views.size(); i++) {
            ObjectNode v = views.get(i);
            for (String f : List.of("entered", "waiting", "converted", "runs")) {
                out.put(f, out.path(f).asLong() + v.path(f).asLong());
            }
            ClusterViews.sumInto(out, "exited", v);
        }
        long entered = out.path("entered").asLong();
        out.put("conversionRate", entered == 0 ? 0.0 : Math.round(out.path("converted").asLong() * 10000.0 / entered) / 10000.0);
        out.set("versions", versions(views));
        out.set("flow", flow(views));
        inStep(out, ok, views);
        missing(out, answers);
        out.set("partitions", ClusterViews.partitions(answers, ok.size()));
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /**
     * Partitions that answered 404 (a create that reached only some: send it again with its key)
     * are listed in {@code outOfStep} as {@code missing}, and the status is {@code mixed}.
     */
    private static void missing(ObjectNode out, List<HttpAnswer> answers) {
        List<Integer> absent = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            if (answers.get(i).status() == 404) {
                absent.add(i);
            }
        }
        if (absent.isEmpty()) {
            return;
        }
        ArrayNode each = out.path("outOfStep").isArray() ? (ArrayNode) out.get("outOfStep") : out.putArray("outOfStep");
        if (each.isEmpty()) {
            // every partition that has it is in step: list them too, so that the list names every partition
            for (int i = 0; i < answers.size(); i++) {
                if (answers.get(i).ok()) {
                    each.addObject().put("partition", i).put("status", out.path("status").asText())
                            .put("version", out.path("version").asInt());
                }
            }
        }
        for (int p : absent) {
            each.addObject().put("partition", p).put("status", "missing");
        }
        out.put("status", "mixed");
    }

    // ---- the report's parts ----

    /** Each version's steps (matched by step id), their counts summed. */
    private static ArrayNode versions(List<ObjectNode> views) {
        Map<Integer, Map<String, ObjectNode>> byVersion = new java.util.TreeMap<>();
        for (ObjectNode v : views) {
            for (JsonNode ver : v.path("versions")) {
                Map<String, ObjectNode> steps = byVersion.computeIfAbsent(ver.path("version").asInt(), k -> new LinkedHashMap<>());
                for (JsonNode s : ver.path("steps")) {
                    ObjectNode have = steps.get(s.path("id").asText());
                    if (have == null) {
                        steps.put(s.path("id").asText(), ((ObjectNode) s).deepCopy());
                        continue;
                    }
                    for (String f : List.of("now", "arrived", "sent", "delivered", "clicked", "converted")) {
                        if (s.has(f)) {
                            have.put(f, have.path(f).asLong() + s.path(f).asLong());
                        }
                    }
                    ClusterViews.sumInto(have, "outcomes", s);
                }
            }
        }
        ArrayNode out = ClusterRoutes.array();
        byVersion.forEach((version, steps) -> {
            ObjectNode v = out.addObject();
            v.put("version", version);
            ArrayNode list = v.putArray("steps");
            steps.values().forEach(list::add);
        });
        return out;
    }

    /** The flow: the partitions' days (the same days: one clock, one zone), each day's counts summed. */
    private static ObjectNode flow(List<ObjectNode> views) {
        ObjectNode first = (ObjectNode) views.get(0).path("flow");
        if (first.isMissingNode()) {
            return ClusterRoutes.object();
        }
        Set<String> steps = new LinkedHashSet<>();
        Set<String> reasons = new LinkedHashSet<>();
        Map<String, ObjectNode> days = new java.util.TreeMap<>();
        for (ObjectNode v : views) {
            JsonNode f = v.path("flow");
            f.path("steps").forEach(s -> steps.add(s.asText()));
            f.path("reasons").forEach(r -> reasons.add(r.asText()));
            for (JsonNode row : f.path("rows")) {
                ObjectNode have = days.get(row.path("day").asText());
                if (have == null) {
                    days.put(row.path("day").asText(), ((ObjectNode) row).deepCopy());
                    continue;
                }
                have.put("entered", have.path("entered").asLong() + row.path("entered").asLong());
                ClusterViews.sumInto(have, "arrived", row);
                ClusterViews.sumInto(have, "exited", row);
            }
        }
        ArrayNode rows = ClusterRoutes.array();
        for (ObjectNode row : days.values()) {
            // every row lists every step and reason (zeros too), as one node's report does
            row.set("arrived", filled(row.path("arrived"), steps));
            row.set("exited", filled(row.path("exited"), reasons));
            rows.add(row);
        }
        ObjectNode out = first.deepCopy();
        ArrayNode s = out.putArray("steps");
        steps.forEach(s::add);
        ArrayNode r = out.putArray("reasons");
        reasons.forEach(r::add);
        out.put("days", days.size());
        out.set("rows", rows);
        return out;
    }

    private static ObjectNode filled(JsonNode counts, Set<String> keys) {
        ObjectNode out = ClusterRoutes.object();
        keys.forEach(k -> out.put(k, counts.path(k).asLong()));
        for (Iterator<String> it = counts.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!out.has(k)) {
                out.put(k, counts.path(k).asLong());
            }
        }
        return out;
    }

    // ---- helpers ----

    /**
     * Status and version are the same on every partition that answered, or {@code outOfStep} lists
     * each partition's (and the status says {@code mixed}: a change reached only some).
     */
    private static void inStep(ObjectNode out, List<HttpAnswer> from, List<ObjectNode> views) {
        Set<String> statuses = new LinkedHashSet<>();
        Set<Integer> versions = new LinkedHashSet<>();
        views.forEach(v -> {
            statuses.add(v.path("status").asText());
            versions.add(v.path("version").asInt());
        });
        if (statuses.size() <= 1 && versions.size() <= 1) {
            return;
        }
        ArrayNode each = out.putArray("outOfStep");
        for (int i = 0; i < views.size(); i++) {
            ObjectNode p = each.addObject();
            p.put("partition", from.get(i).partition());
            p.put("status", views.get(i).path("status").asText());
            p.put("version", views.get(i).path("version").asInt());
        }
        if (statuses.size() > 1) {
            out.put("status", "mixed");
        }
        out.put("version", versions.stream().mapToInt(Integer::intValue).max().orElse(0));
    }

    /** The earliest {@code createdAt} (each partition stamps its own) and the latest {@code updatedAt}. */
    private static void spanTimes(ObjectNode out, List<ObjectNode> views) {
        Instant created = null;
        Instant updated = null;
        for (ObjectNode v : views) {
            Instant c = ClusterViews.instant(v, "createdAt");
            Instant u = ClusterViews.instant(v, "updatedAt");
            created = c != null && (created == null || c.isBefore(created)) ? c : created;
            updated = u != null && (updated == null || u.isAfter(updated)) ? u : updated;
        }
        if (created != null) {
            out.put("createdAt", created.toString());
        }
        if (updated != null) {
            out.put("updatedAt", updated.toString());
        }
    }

    private static List<ObjectNode> objects(List<HttpAnswer> ok) {
        List<ObjectNode> views = new ArrayList<>();
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n != null && n.isObject()) {
                views.add((ObjectNode) n);
            }
        }
        return views;
    }

    private static List<Integer> failed(List<HttpAnswer> answers) {
        List<Integer> failed = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            if (!answers.get(i).ok()) {
                failed.add(i);
            }
        }
        return failed;
    }

    /** "partition 1 (503 partition_unavailable: ...), partition 3 (...)" */
    static String describe(List<HttpAnswer> answers, List<Integer> failed) {
        StringBuilder b = new StringBuilder();
        for (int i : failed) {
            HttpAnswer a = answers.get(i);
            JsonNode n = ClusterRoutes.json(a);
            String why = n != null && n.has("error") ? n.path("error").asText() + ": " + n.path("message").asText() : a.text();
            b.append(b.length() == 0 ? "" : ", ").append("partition ").append(i).append(" (").append(a.status()).append(' ')
                    .append(why).append(')');
        }
        return b.toString();
    }

    /** A hint when a failed partition has no such journey: its create did not reach it. */
    static String missedCreate(List<HttpAnswer> answers, List<Integer> failed) {
        for (int i : failed) {
            if (answers.get(i).status() == 404) {
                return " (a partition without the journey missed its create: send the create again with the same"
                        + " Idempotency-Key first)";
            }
        }
        return "";
    }

    static HttpAnswer error(int status, String code, String message) {
        return HttpAnswer.error(status, code, message);
    }
}
