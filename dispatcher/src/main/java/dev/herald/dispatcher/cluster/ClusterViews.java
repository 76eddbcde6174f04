package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The partitions' answers to one request, put together as one node's answer.
 *
 * <p>A campaign is the sum of its slices: {@code total}, every count of {@code counts},
 * {@code outcomes} and {@code delivery} add up; its status is the most pressing of its slices'
 * ({@code damaged}, {@code failed}, {@code running}, {@code paused}, {@code scheduled},
 * {@code cancelled}, then {@code completed}: completed only when every slice is); it started when
 * its first slice started and finished when its last did. Every merged answer says how many
 * partitions answered ({@code "partitions": {"answered", "of", "unanswered": [...]}}); a partition
 * that did not answer in time (moving to another node) leaves the counts short by its slice, and
 * is named there.
 *
 * <p>When no partition answered with success, the first refusal is the answer: a refusal that
 * depends only on the request (a bad key, a bad body, an unknown campaign) is the same on every
 * partition.
 */
final class ClusterViews {

    private static final List<String> STATUS_ORDER = List.of("damaged", "failed", "running", "paused", "scheduled",
            "cancelled", "completed");

    private ClusterViews() {
    }

    /** {@code GET /v1/campaigns/{id}} and pause, resume, cancel: one view from every slice. */
    static HttpAnswer campaign(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.isEmpty()) {
            return firstRefusal(answers);
        }
        List<ObjectNode> views = new ArrayList<>();
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n != null && n.isObject()) {
                views.add((ObjectNode) n);
            }
        }
        ObjectNode merged = mergeCampaign(views);
        experiments(merged, ok, views, views.size() == answers.size());
        merged.set("partitions", partitions(answers, ok.size()));
        return ClusterRoutes.jsonAnswer(ok.get(0).status(), merged);
    }

    /**
     * An A/B test is sampled by each partition for its own recipients and decided once for the
     * whole campaign ({@link WholeTests}): the campaign shows each partition's {@code experiment}
     * under {@code experimentByPartition}, and, once every partition holds the same decision, the
     * test as one under {@code experiment} ({@link TestViews}).
     */
    private static void experiments(ObjectNode merged, List<HttpAnswer> ok, List<ObjectNode> views, boolean everyPartition) {
        if (views.stream().noneMatch(v -> v.has("experiment"))) {
            return;
        }
        merged.remove("experiment");
        ArrayNode each = merged.putArray("experimentByPartition");
        for (int i = 0; i < views.size() && i < ok.size(); i++) {
            if (views.get(i).has("experiment")) {
                ObjectNode e = each.addObject();
                e.put("partition", ok.get(i).partition());
                e.setAll((ObjectNode) views.get(i).get("experiment"));
            }
        }
        // as one only from every partition: one that did not answer may hold another decision, and its held recipients
        ObjectNode whole = everyPartition
                ? TestViews.whole(views.stream().filter(v -> v.has("experiment")).map(v -> v.get("experiment")).toList()) : null;
        if (whole != null) {
            merged.set("experiment", whole);
        }
    }

    /** A create: every partition made its slice; otherwise 503 naming the key to retry with. */
    static HttpAnswer created(List<HttpAnswer> answers, String idempotencyKey) {
        List<HttpAnswer> failed = answers.stream().filter(a -> !a.ok()).toList();
        if (!failed.isEmpty()) {
            ObjectNode e = ClusterRoutes.object();
            e.put("error", "partly_created");
            e.put("message", "the campaign was made on " + (answers.size() - failed.size()) + " of " + answers.size()
                    + " partitions (first failure: " + failed.get(0).text() + "); send the same request again with"
                    + " Idempotency-Key: " + idempotencyKey + " to make it on the others");
            e.putNull("field");
            return ClusterRoutes.jsonAnswer(503, e);
        }
        boolean fresh = answers.stream().anyMatch(a -> a.status() == 201);
        HttpAnswer merged = campaign(answers);
        return new HttpAnswer(-1, fresh ? 201 : 200, merged.headers(), merged.contentType(), merged.body());
    }

    /** {@code GET /v1/campaigns}: each campaign merged across the partitions, oldest first. */
    static HttpAnswer list(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.isEmpty()) {
            return firstRefusal(answers);
        }
        Map<String, List<ObjectNode>> byId = new LinkedHashMap<>();
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n == null) {
                continue;
            }
            for (JsonNode c : n.path("campaigns")) {
                byId.computeIfAbsent(c.path("id").asText(), k -> new ArrayList<>()).add((ObjectNode) c);
            }
        }
        List<ObjectNode> merged = new ArrayList<>();
        byId.values().forEach(v -> merged.add(mergeCampaign(v)));
        // by instant: Instant's text has 0, 3, 6 or 9 decimals, so its text does not sort as its time does
        merged.sort(Comparator.comparing((ObjectNode c) -> {
            Instant at = instant(c, "createdAt");
            return at == null ? Instant.MAX : at;
        }).thenComparing(c -> c.path("id").asText()));
        ObjectNode out = ClusterRoutes.object();
        ArrayNode list = out.putArray("campaigns");
        merged.forEach(list::add);
        out.set("partitions", partitions(answers, ok.size()));
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /**
     * {@code POST /v1/campaigns/preview}: what every slice would decide, added up; a partition
     * holding none of the audience (400 {@code empty_audience} there) adds nothing, and only if
     * every partition says so is the preview refused as one node refuses it.
     */
    static HttpAnswer preview(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        // a partition with none of the audience (a small segment, an RFM tier) has a slice of 0, not a refusal
        long empty = answers.stream().filter(ClusterViews::emptyAudience).count();
        if (ok.size() + empty < answers.size() || ok.isEmpty()) {
            return firstRefusal(answers); // a preview short of a slice would mislead: refused whole
        }
        ObjectNode out = null;
        long elapsed = 0;
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n == null || !n.isObject()) {
                continue;
            }
            elapsed = Math.max(elapsed, n.path("elapsedMs").asLong());
            if (out == null) {
                out = ((ObjectNode) n).deepCopy();
                continue;
            }
            out.put("total", out.path("total").asLong() + n.path("total").asLong());
            sumInto(out, "counts", n);
            sumInto(out, "outcomes", n);
        }
        if (out == null) {
            return firstRefusal(answers);
        }
        out.put("elapsedMs", elapsed);
        ObjectNode parts = partitions(answers, (int) (ok.size() + empty));
        parts.putArray("unanswered"); // every partition answered: those with none of the audience, by saying so
        out.set("partitions", parts);
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /** @return whether {@code a} is a partition's 400 {@code empty_audience}: none of the audience is there */
    static boolean emptyAudience(HttpAnswer a) {
        if (a.status() != 400) {
            return false;
        }
        JsonNode j = ClusterRoutes.json(a);
        return j != null && "empty_audience".equals(j.path("error").asText());
    }

    /**
     * {@code POST /v1/suppressions}: the partitions' counts added; each partition's refusals (whose
     * {@code index} is a position in its own list) and those refused by the node, by position in the
     * request. A partition that failed fails the request: its opt-outs may not be durable.
     */
    static HttpAnswer optOuts(List<HttpAnswer> answers, List<List<Integer>> positions, List<Map<String, Object>> rejectedHere) {
        for (HttpAnswer a : answers) {
            if (!a.ok()) {
                return a;
            }
        }
        long suppressed = 0;
        long already = 0;
        long rejected = rejectedHere.size();
        List<JsonNode> errors = new ArrayList<>();
        rejectedHere.forEach(e -> errors.add(dev.herald.dispatcher.api.ApiDirectives.JSON.valueToTree(e)));
        for (int i = 0; i < answers.size(); i++) {
            JsonNode n = ClusterRoutes.json(answers.get(i));
            if (n == null) {
                continue;
            }
            suppressed += n.path("suppressed").asLong();
            already += n.path("alreadySuppressed").asLong();
            rejected += n.path("rejected").asLong();
            for (JsonNode e : n.path("errors")) {
                ObjectNode copy = ((ObjectNode) e).deepCopy();
                int local = e.path("index").asInt();
                if (local >= 0 && local < positions.get(i).size()) {
                    copy.put("index", positions.get(i).get(local));
                }
                errors.add(copy);
            }
        }
        errors.sort(Comparator.comparingLong(e -> e.path("index").asLong()));
        ObjectNode out = ClusterRoutes.object();
        out.put("suppressed", suppressed);
        out.put("alreadySuppressed", already);
        out.put("rejected", rejected);
        ArrayNode list = out.putArray("errors");
        errors.stream().limit(100).forEach(list::add);
        return ClusterRoutes.jsonAnswer(suppressed > 0 ? 201 : 200, out);
    }

    /**
     * {@code GET /v1/segments}: each segment's slices added up ({@code size}, {@code lines},
     * {@code rejected}; the latest {@code createdAt}); a slice that is damaged is listed as a
     * partition single node lists it, with its {@code partition}.
     */
    static HttpAnswer segments(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.size() < answers.size()) {
            return firstRefusal(answers); // a list short of a partition's slices would understate every size
        }
        Map<String, ObjectNode> byName = new java.util.TreeMap<>();
        ArrayNode damaged = ClusterRoutes.array();
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n == null || !n.isArray()) {
                continue;
            }
            for (JsonNode seg : n) {
                if (seg.path("status").asText().equals("damaged")) {
                    damaged.add(((ObjectNode) seg).deepCopy().put("partition", a.partition()));
                    continue;
                }
                byName.merge(seg.path("name").asText(), ((ObjectNode) seg).deepCopy(), ClusterViews::addSegment);
            }
        }
        ArrayNode out = ClusterRoutes.array();
        byName.values().forEach(out::add);
        out.addAll(damaged);
        return ClusterRoutes.jsonAnswer(200, out);
    }

    /** {@code GET /v1/segments/{name}}: its slices added up; unknown everywhere: the first refusal (404). */
    static HttpAnswer segment(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.isEmpty() || answers.stream().anyMatch(a -> a.status() == 503)) {
            return firstRefusal(answers);
        }
        ObjectNode merged = null;
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n != null && n.isObject()) {
                merged = merged == null ? ((ObjectNode) n).deepCopy() : addSegment(merged, (ObjectNode) n);
            }
        }
        return merged == null ? firstRefusal(answers) : ClusterRoutes.jsonAnswer(200, merged);
    }

    /** A delete made on every partition: 204 if any partition had the segment, else the first refusal. */
    static HttpAnswer deleted(List<HttpAnswer> answers) {
        for (HttpAnswer a : answers) {
            if (a.status() == 503) {
                return a; // some slices may remain: the caller retries (deleting twice is harmless)
            }
        }
        for (HttpAnswer a : answers) {
            if (a.ok()) {
                return a;
            }
        }
        return firstRefusal(answers);
    }

    /** {@code GET /v1/suppressions}: each scope's count added up; {@code seq}: the partitions' ledger positions added. */
    static HttpAnswer suppressionCounts(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.size() < answers.size()) {
            return firstRefusal(answers);
        }
        Map<String, ObjectNode> byScope = new LinkedHashMap<>();
        long seq = 0;
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n == null) {
                continue;
            }
            seq += n.path("seq").asLong();
            for (JsonNode sc : n.path("scopes")) {
                byScope.merge(sc.path("scope").asText(), ((ObjectNode) sc).deepCopy(), (x, y) -> {
                    x.put("count", x.path("count").asLong() + y.path("count").asLong());
                    return x;
                });
            }
        }
        List<ObjectNode> scopes = new ArrayList<>(byScope.values());
        scopes.sort(Comparator.comparingInt((ObjectNode x) -> KIND_ORDER.indexOf(x.path("kind").asText()))
                .thenComparing(x -> x.path("name").asText()));
        ObjectNode out = ClusterRoutes.object();
        out.put("seq", seq);
        ArrayNode list = out.putArray("scopes");
        scopes.forEach(list::add);
        return ClusterRoutes.jsonAnswer(200, out);
    }

    private static final List<String> KIND_ORDER = List.of("global", "sender", "channel", "category", "sender-channel");

    /** {@code POST /v1/campaigns/{id}/resend-unknown}: the recipients queued on every partition, and the merged campaign. */
    static HttpAnswer resent(List<HttpAnswer> answers) {
        List<HttpAnswer> ok = answers.stream().filter(HttpAnswer::ok).toList();
        if (ok.size() < answers.size()) {
            return firstRefusal(answers); // retrying queues nothing twice: only those still unknown are queued
        }
        long queued = 0;
        List<HttpAnswer> views = new ArrayList<>();
        String id = null;
        for (HttpAnswer a : ok) {
            JsonNode n = ClusterRoutes.json(a);
            if (n == null) {
                continue;
            }
            id = n.path("id").asText();
            queued += n.path("queued").asLong();
            views.add(ClusterRoutes.jsonAnswer(200, n.path("campaign")));
        }
        ObjectNode out = ClusterRoutes.object();
        out.put("id", id);
        out.put("queued", queued);
        out.set("campaign", ClusterRoutes.json(campaign(views)));
        return ClusterRoutes.jsonAnswer(200, out);
    }

    private static ObjectNode addSegment(ObjectNode into, ObjectNode add) {
        for (String k : List.of("size", "lines", "rejected")) {
            into.put(k, into.path(k).asLong() + add.path(k).asLong());
        }
        Instant a = instant(into, "createdAt");
        Instant b = instant(add, "createdAt");
        if (b != null && (a == null || b.isAfter(a))) {
            into.put("createdAt", b.toString());
        }
        return into;
    }

    // ---- merging ----

    private static ObjectNode mergeCampaign(List<ObjectNode> views) {
        ObjectNode out = views.get(0).deepCopy();
        String status = out.path("status").asText();
        Instant started = instant(out, "startedAt");
        Instant finished = instant(out, "finishedAt");
        boolean allFinished = finished != null;
        for (int i = 1; i < views.size(); i++) {
            ObjectNode v = views.get(i);
            out.put("total", out.path("total").asLong() + v.path("total").asLong());
            sumInto(out, "counts", v);
            sumInto(out, "outcomes", v);
            sumInto(out, "delivery", v);
            String s = v.path("status").asText();
            if (rank(s) < rank(status)) {
                status = s;
            }
            Instant st = instant(v, "startedAt");
            if (st != null && (started == null || st.isBefore(started))) {
                started = st;
            }
            Instant fin = instant(v, "finishedAt");
            if (fin == null) {
                allFinished = false;
            } else if (finished == null || fin.isAfter(finished)) {
                finished = fin;
            }
            if (out.path("error").isNull() && !v.path("error").isNull() && v.has("error")) {
                out.set("error", v.get("error"));
            }
        }
        out.put("status", status);
        if (out.has("startedAt")) {
            out.put("startedAt", started == null ? null : started.toString());
        }
        if (out.has("finishedAt")) {
            out.put("finishedAt", allFinished && finished != null ? finished.toString() : null);
        }
        return out;
    }

    static int rank(String status) {
        int i = STATUS_ORDER.indexOf(status);
        return i < 0 ? 0 : i;
    }

    static Instant instant(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isTextual()) {
            return null;
        }
        try {
            return Instant.parse(v.asText());
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /** Adds {@code from}'s numbers under {@code field} to {@code into}'s, key by key. */
    static void sumInto(ObjectNode into, String field, JsonNode from) {
        JsonNode add = from.path(field);
        if (!add.isObject()) {
            return;
        }
        ObjectNode target = into.path(field).isObject() ? (ObjectNode) into.get(field) : into.putObject(field);
        for (Iterator<Map.Entry<String, JsonNode>> it = add.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNumber()) {
                target.put(e.getKey(), target.path(e.getKey()).asLong() + e.getValue().asLong());
            }
        }
    }

    static ObjectNode partitions(List<HttpAnswer> answers, int answered) {
        ObjectNode p = ClusterRoutes.object();
        p.put("answered", answered);
        p.put("of", answers.size());
        ArrayNode missing = p.putArray("unanswered");
        for (int i = 0; i < answers.size(); i++) {
            if (!answers.get(i).ok()) {
                missing.add(i);
            }
        }
        return p;
    }

    /**
     * The first refusal that is not a partition's absence (503), else the first absence; never an
     * answer with success (a preview short of a slice would otherwise be answered by one slice).
     */
    static HttpAnswer firstRefusal(List<HttpAnswer> answers) {
        HttpAnswer unavailable = null;
        for (HttpAnswer a : answers) {
            if (a.ok()) {
                continue;
            }
            if (a.status() != 503) {
                return a;
            }
            if (unavailable == null) {
                unavailable = a;
            }
        }
        return unavailable != null ? unavailable : answers.get(0);
    }
}
