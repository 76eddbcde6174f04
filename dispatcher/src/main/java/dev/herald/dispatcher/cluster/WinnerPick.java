package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.api.ApiDirectives;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /v1/campaigns/{id}/winner} on a cluster: an operator's pick of an A/B test's winner
 * is the same decision for every partition (each sends it to its own held recipients), so it is
 * sent to every partition and answered with the merged campaign once every partition made it.
 *
 * <p>A partition that refuses because the operator's pick of this same variant already reached it
 * (an earlier try) counts as done, so sending the request again completes a partial pick. Refused
 * by every partition (no test under way, no such variant, already decided): the refusal, as one
 * node gives it. Made on some only: 503 {@code partly_changed} naming the partitions that did not
 * answer (send it again), or 409 {@code partly_decided} naming those whose test had already been
 * decided by its rule at the end of its wait (once for the whole campaign, {@link WholeTests}, when
 * no operator picks first; those keep that decision).
 */
final class WinnerPick {

    private final ClusterRoutes routes;
    private final Duration timeout;

    WinnerPick(ClusterRoutes routes, ClusterSettings cluster) {
        this.routes = routes;
        this.timeout = cluster.askTimeout();
    }

    CompletionStage<HttpAnswer> pick(HttpCall c, String campaignId) {
        String variant = variant(c);
        return routes.all(c, timeout).thenCompose(answers -> {
            if (answers.stream().noneMatch(HttpAnswer::ok) || variant == null) {
                return CompletableFuture.completedFuture(ClusterViews.firstRefusal(answers));
            }
            List<CompletableFuture<HttpAnswer>> settled = new ArrayList<>();
            for (int p = 0; p < answers.size(); p++) {
                HttpAnswer a = answers.get(p);
                if (a.status() != 409) {
                    settled.add(CompletableFuture.completedFuture(a));
                    continue;
                }
                HttpCall view = new HttpCall("GET", "/v1/campaigns/" + campaignId, c.headers(), null, new byte[0]);
                settled.add(routes.ask(p, view, timeout).thenApply(v -> pickedAlready(v, variant) ? v : a).toCompletableFuture());
            }
            return CompletableFuture.allOf(settled.toArray(CompletableFuture[]::new))
                    .thenApply(x -> merge(settled.stream().map(CompletableFuture::join).toList(), variant));
        });
    }

    private static HttpAnswer merge(List<HttpAnswer> answers, String variant) {
        List<Integer> failed = new ArrayList<>();
        boolean absent = false;
        for (int p = 0; p < answers.size(); p++) {
            if (!answers.get(p).ok()) {
                failed.add(p);
                absent |= answers.get(p).status() == 503;
            }
        }
        if (failed.isEmpty()) {
            return ClusterViews.campaign(answers);
        }
        String done = "variant '" + variant + "' was picked on " + (answers.size() - failed.size()) + " of " + answers.size()
                + " partitions; not on " + JourneyViews.describe(answers, failed);
        return absent ? HttpAnswer.error(503, "partly_changed", done + "; send the same request again: the partitions where"
                + " it is picked already count as done")
                : HttpAnswer.error(409, "partly_decided", done + "; their held recipients keep what each partition's test"
                + " decided (the whole campaign's decision by the test's rule)");
    }

    private static boolean pickedAlready(HttpAnswer view, String variant) {
        JsonNode n = view.ok() ? ClusterRoutes.json(view) : null;
        return n != null && n.path("experiment").path("decidedBy").asText().equals("operator")
                && n.path("experiment").path("send").asText().equals(variant);
    }

    /** The body's {@code variant}, stripped; null if there is none (every partition then refuses it alike). */
    private static String variant(HttpCall c) {
        try {
            JsonNode n = ApiDirectives.JSON.readTree(c.body());
            String v = n == null ? null : n.path("variant").asText(null);
            return v == null || v.isBlank() ? null : v.strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
