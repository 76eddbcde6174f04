package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The review queue ({@code /v1/inbound/review}, see {@code ReviewRoutes}) on a cluster. A reply held
 * for an operator is held by its sender's partition, in that partition's own queue, whose ids
 * ({@code 1}, {@code 2}, ...) are the partition's own. On a cluster an item's id names its
 * partition: {@code p<N>.<id>} ({@code p3.17}: item 17 of partition 3), wherever the node shows one
 * (the list, a decision's answer, the {@code "review"} of a reply's answer).
 *
 * <ul>
 *   <li><b>List</b> ({@code GET /v1/inbound/review[?status=]}): asked of every partition (each
 *       checks the key's role and the filter as one node does) and merged oldest first: by
 *       {@code receivedAt}, each partition's own order kept, a tie to the lower partition. A list
 *       short of a partition would hide replies waiting for a decision: a partition that does not
 *       answer makes it 503 {@code partition_unavailable}, naming it; retry.</li>
 *   <li><b>Decision</b> ({@code POST /v1/inbound/review/{id}/opt-out|dismiss}): sent to the id's
 *       partition as its own id; that partition decides exactly as one node does (an opt-out is
 *       durable in the sender's partition, which is the one that sends to them, before the answer;
 *       the same decision again: the item unchanged; the other: 409). Its answer names the
 *       cluster id. An id that names no partition ({@code p99.1} on 64 partitions, {@code 17},
 *       {@code p3.x}) is no item: one node's 404 {@code not_found} naming it, given after
 *       partition {@link Partitioner#FALLBACK} has checked the key's role as it would for an item
 *       (it is asked about an id no queue has).</li>
 *   <li>Anything else under {@code /v1/inbound/review} is no route of one node either: partition
 *       {@link Partitioner#FALLBACK} answers it (404, 405) unchanged.</li>
 * </ul>
 * The consent ledger's evidence of a decided opt-out names the partition's own id
 * ({@code review 17 by key ...}), in the folder of that partition.
 */
final class ReviewViews {

    /** A cluster id: the partition and the partition's own id, both without leading zeros. */
    static final Pattern ID = Pattern.compile("p(0|[1-9][0-9]{0,3})\\.([1-9][0-9]{0,17})");

    /** Asked for an id that names no partition: never an item's id (those are numbers). */
    private static final String NO_ITEM = "no-item";

    private static final String PATH = "/v1/inbound/review/";

    /** An item's partition and its id there. */
    record Routed(int partition, String localId) {
    }

    private final ClusterRoutes routes;
    private final int partitions;
    private final Duration timeout;

    ReviewViews(ClusterRoutes routes, ClusterSettings cluster) {
        this.routes = routes;
        this.partitions = cluster.partitions();
        this.timeout = cluster.askTimeout();
    }

    /**
     * @param c   the request, under {@code /v1/inbound/review}
     * @param seg its path's segments ({@code v1}, {@code inbound}, {@code review}, ...)
     */
    CompletionStage<HttpAnswer> answer(HttpCall c, List<String> seg) {
        if (seg.size() == 3) {
            return routes.all(c, timeout).thenApply(ReviewViews::list);
        }
        if (seg.size() == 5 && (seg.get(4).equals("opt-out") || seg.get(4).equals("dismiss"))) {
            String id = seg.get(3);
            Optional<Routed> r = route(id, partitions);
            if (r.isPresent()) {
                return routes.ask(r.get().partition(), c.withPath(PATH + r.get().localId() + "/" + seg.get(4)), timeout)
                        .thenApply(a -> decided(a, id, r.get()));
            }
            return routes.ask(Partitioner.FALLBACK, c.withPath(PATH + NO_ITEM + "/" + seg.get(4)), timeout)
                    .thenApply(a -> a.status() == 404 ? notFound(id) : a);
        }
        return routes.ask(Partitioner.FALLBACK, c, timeout);
    }

    /** @return {@code id}'s partition (below {@code partitions}) and its own id there, or empty if it names none */
    static Optional<Routed> route(String id, int partitions) {
        Matcher m = ID.matcher(id);
        if (!m.matches()) {
            return Optional.empty();
        }
        int p = Integer.parseInt(m.group(1));
        return p < partitions ? Optional.of(new Routed(p, m.group(2))) : Optional.empty();
    }

    /** @return the cluster id of partition {@code partition}'s item {@code localId} */
    static String clusterId(int partition, String localId) {
        return "p" + partition + "." + localId;
    }

    /** {@code GET /v1/inbound/review}: every partition's items, oldest first, their ids the cluster's. */
    static HttpAnswer list(List<HttpAnswer> answers) {
        List<List<ObjectNode>> each = new ArrayList<>();
        for (HttpAnswer a : answers) {
            JsonNode n = a.ok() ? ClusterRoutes.json(a) : null;
            if (n == null || !n.path("items").isArray()) {
                return ClusterViews.firstRefusal(answers); // short of a partition: refused, never a short list
            }
            List<ObjectNode> items = new ArrayList<>();
            for (JsonNode i : n.path("items")) {
                ObjectNode item = ((ObjectNode) i).deepCopy();
                item.put("id", clusterId(a.partition(), i.path("id").asText()));
                items.add(item);
            }
            each.add(items);
        }
        // a merge of the partitions' lists, each already oldest first in its own order
        int[] next = new int[each.size()];
        ObjectNode out = ClusterRoutes.object();
        ArrayNode merged = out.putArray("items");
        while (true) {
            int pick = -1;
            Instant earliest = null;
            for (int p = 0; p < each.size(); p++) {
                if (next[p] >= each.get(p).size()) {
                    continue;
                }
                Instant at = receivedAt(each.get(p).get(next[p]));
                if (pick < 0 || at.isBefore(earliest)) {
                    pick = p;
                    earliest = at;
                }
            }
            if (pick < 0) {
                return ClusterRoutes.jsonAnswer(200, out);
            }
            merged.add(each.get(pick).get(next[pick]++));
        }
    }

    /**
     * A partition's answer to a decision on its item {@code r}: the item with the cluster id; a
     * 404 or 409 naming the cluster id; anything else (403, 503) as it is.
     */
    static HttpAnswer decided(HttpAnswer a, String id, Routed r) {
        if (a.status() == 404) {
            return notFound(id);
        }
        JsonNode n = ClusterRoutes.json(a);
        if (n == null || !n.isObject()) {
            return a;
        }
        ObjectNode body = (ObjectNode) n;
        if (a.ok() && body.has("id")) {
            body.put("id", id);
            return new HttpAnswer(a.partition(), a.status(), a.headers(), a.contentType(), ClusterRoutes.jsonAnswer(
                    a.status(), body).body());
        }
        if (a.status() == 409 && body.path("message").isTextual()) {
            body.put("message", body.path("message").asText().replace("review item " + r.localId() + " ",
                    "review item " + id + " "));
            return new HttpAnswer(a.partition(), a.status(), a.headers(), a.contentType(), ClusterRoutes.jsonAnswer(
                    a.status(), body).body());
        }
        return a;
    }

    /**
     * A reply's answer from its sender's partition ({@code POST /v1/inbound/sms}): a reply held for
     * review names its item by the cluster id, so that the id decides it on any node.
     */
    static HttpAnswer held(HttpAnswer a) {
        if (!a.ok() || a.partition() < 0) {
            return a;
        }
        JsonNode n = ClusterRoutes.json(a);
        if (n == null || !n.isObject() || !n.path("review").isTextual()) {
            return a;
        }
        ObjectNode body = (ObjectNode) n;
        body.put("review", clusterId(a.partition(), body.path("review").asText()));
        return new HttpAnswer(a.partition(), a.status(), a.headers(), a.contentType(),
                ClusterRoutes.jsonAnswer(a.status(), body).body());
    }

    /** One node's answer to a decision on an id it has no item for. */
    private static HttpAnswer notFound(String id) {
        return HttpAnswer.error(404, "not_found", "no review item '" + id + "'");
    }

    private static Instant receivedAt(JsonNode item) {
        try {
            return Instant.parse(item.path("receivedAt").asText());
        } catch (DateTimeParseException e) {
            return Instant.MAX; // never written so; such an item goes last rather than failing the list
        }
    }
}
