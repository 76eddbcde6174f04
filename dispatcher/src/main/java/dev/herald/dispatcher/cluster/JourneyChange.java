package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.journey.JourneyDefinition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A change to a journey made on every partition, so that each partition's engine runs the same
 * journey for its own recipients, and answered once every partition made it.
 *
 * <ul>
 *   <li><b>pause, resume, archive</b>: sent to every partition. A partition that refuses with 409
 *       because its journey already has the status asked for (an earlier try reached it) counts as
 *       done, so sending a request again after a {@code partly_changed} answer completes it. Refused
 *       by every partition: the refusal, as one node gives it (nothing changed).</li>
 *   <li><b>a new version</b> ({@code PUT}): the partitions' versions are read first. When they
 *       agree, the version is made on every partition. When an earlier {@code PUT} reached only some
 *       (they are one version apart), the same definition sent again is made only on those behind,
 *       which brings every partition to the same version; another definition is refused with 409
 *       {@code journey_out_of_step} naming each partition's version (a journey's versions must mean
 *       the same everywhere).</li>
 * </ul>
 * Done on some partitions only: 503 {@code partly_changed} naming the partitions that did not and
 * why ({@link JourneyViews#changed}).
 */
final class JourneyChange {

    /** The lifecycle actions and the status each leads to. */
    static final Map<String, String> STATUS_OF = Map.of("pause", "paused", "resume", "active", "archive", "archived");

    private final ClusterRoutes routes;
    private final Duration timeout;

    JourneyChange(ClusterRoutes routes, ClusterSettings cluster) {
        this.routes = routes;
        this.timeout = cluster.askTimeout();
    }

    /** {@code POST /v1/journeys/{id}/pause|resume|archive} on every partition. */
    CompletionStage<HttpAnswer> status(HttpCall c, String id, String action) {
        String target = STATUS_OF.get(action);
        return routes.all(c, timeout).thenCompose(answers -> {
            if (answers.stream().noneMatch(HttpAnswer::ok)) {
                return CompletableFuture.completedFuture(JourneyViews.changed(answers, action));
            }
            List<CompletableFuture<HttpAnswer>> settled = new ArrayList<>();
            for (int p = 0; p < answers.size(); p++) {
                HttpAnswer a = answers.get(p);
                if (a.status() != 409) {
                    settled.add(CompletableFuture.completedFuture(a));
                    continue;
                }
                // already so (an earlier try got here): done
                settled.add(routes.ask(p, view(c, id), timeout).thenApply(v -> v.ok() && status(v).equals(target) ? v : a)
                        .toCompletableFuture());
            }
            return all(settled).thenApply(list -> JourneyViews.changed(list, action + " of journey " + id));
        });
    }

    /** {@code PUT /v1/journeys/{id}}: a new version on every partition (or on those an earlier try missed). */
    CompletionStage<HttpAnswer> update(HttpCall c, String id) {
        return routes.all(view(c, id), timeout).thenCompose(views -> {
            if (views.stream().noneMatch(HttpAnswer::ok)) {
                return CompletableFuture.completedFuture(ClusterViews.firstRefusal(views)); // e.g. no such journey
            }
            List<Integer> unread = new ArrayList<>();
            for (int p = 0; p < views.size(); p++) {
                if (!views.get(p).ok()) {
                    unread.add(p);
                }
            }
            if (!unread.isEmpty()) {
                return done(HttpAnswer.error(503, "journey_unavailable", "journey " + id + " could not be read on "
                        + JourneyViews.describe(views, unread) + "; nothing was changed; try again"
                        + JourneyViews.missedCreate(views, unread)));
            }
            int[] version = new int[views.size()];
            int newest = 0;
            int oldest = Integer.MAX_VALUE;
            for (int p = 0; p < views.size(); p++) {
                version[p] = ClusterRoutes.json(views.get(p)).path("version").asInt();
                newest = Math.max(newest, version[p]);
                oldest = Math.min(oldest, version[p]);
            }
            List<Integer> targets = new ArrayList<>();
            for (int p = 0; p < views.size(); p++) {
                if (newest == oldest || version[p] < newest) {
                    targets.add(p);
                }
            }
            if (newest != oldest) {
                int leader = -1;
                for (int p = 0; p < views.size(); p++) {
                    leader = version[p] == newest ? p : leader;
                }
                JsonNode newestDefinition = normalized(ClusterRoutes.json(views.get(leader)).path("definition").toString()
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                JsonNode sent = normalized(c.body());
                if (sent == null) {
                    return routes.ask(targets.get(0), c, timeout); // not a definition: the partition says what is wrong
                }
                if (newest - oldest > 1 || !sent.equals(newestDefinition)) {
                    return done(HttpAnswer.error(409, "journey_out_of_step", "journey " + id + " is at version " + newest
                            + " on partitions " + at(version, newest) + " but not on partitions " + below(version, newest)
                            + " (an earlier change reached only some); send the definition of version " + newest
                            + " again (GET /v1/journeys/" + id + "?version=" + newest + ") to bring them all to it"
                            + (newest - oldest > 1 ? ", once for each version they are behind" : "")));
                }
            }
            List<CompletableFuture<HttpAnswer>> asked = new ArrayList<>();
            for (int p = 0; p < views.size(); p++) {
                asked.add(targets.contains(p) ? routes.ask(p, c, timeout).toCompletableFuture()
                        : CompletableFuture.completedFuture(views.get(p)));
            }
            return all(asked).thenApply(list -> JourneyViews.changed(list, "the new version of journey " + id));
        });
    }

    /** {@code GET /v1/journeys/{id}} with the call's key. */
    private static HttpCall view(HttpCall c, String id) {
        return new HttpCall("GET", "/v1/journeys/" + id, c.headers(), null, new byte[0]);
    }

    private static String status(HttpAnswer a) {
        JsonNode n = ClusterRoutes.json(a);
        return n == null ? "" : n.path("status").asText();
    }

    /** A definition as the journeys' store reads it (null if it is not one), so that two spellings of one compare equal. */
    private static JsonNode normalized(byte[] json) {
        try {
            return ApiDirectives.JSON.valueToTree(ApiDirectives.JSON.readValue(json, JourneyDefinition.class));
        } catch (java.io.IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private static String at(int[] version, int v) {
        List<Integer> out = new ArrayList<>();
        for (int p = 0; p < version.length; p++) {
            if (version[p] == v) {
                out.add(p);
            }
        }
        return out.toString();
    }

    private static String below(int[] version, int v) {
        StringBuilder b = new StringBuilder();
        for (int p = 0; p < version.length; p++) {
            if (version[p] < v) {
                b.append(b.length() == 0 ? "" : ", ").append(p).append(" (version ").append(version[p]).append(')');
            }
        }
        return b.toString();
    }

    private static CompletionStage<HttpAnswer> done(HttpAnswer a) {
        return CompletableFuture.completedFuture(a);
    }

    private static CompletableFuture<List<HttpAnswer>> all(List<CompletableFuture<HttpAnswer>> asked) {
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
                .thenApply(x -> asked.stream().map(CompletableFuture::join).toList());
    }
}
