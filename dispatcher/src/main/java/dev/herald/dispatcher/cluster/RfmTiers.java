package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.api.ApiError;

import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why a cluster does not serve the RFM tiers ({@code rfm:<tier>}, {@code GET /v1/segments/rfm},
 * {@code POST /v1/segments/rfm/recompute}), and the check that refuses a campaign or a journey
 * naming one.
 *
 * <p>A tier is a rule on a buyer's R, F and M scores, and a score is the buyer's quintile among
 * <em>all</em> buyers. Each partition sees only its own buyers, so its cut points are not the whole
 * audience's: a recipient's tier would depend on who shares their partition, and the partitions'
 * tier sizes would not add up to a single node's. Merging them honestly needs the partitions'
 * R, F and M distributions gathered first and the cut points sent back (a change to the
 * partitions' engine), so until then they answer 501 {@code not_in_cluster} rather than
 * partition-local tiers. Lifecycle stages ({@code lifecycle:<stage>}) are rules on one
 * recipient's own dates, the same wherever they are computed, and are served.
 */
final class RfmTiers {

    static final String WHY = "RFM tiers are not available on a Herald cluster yet: a tier is a rule on a buyer's"
            + " quintile among all buyers, and each partition sees only its own buyers, so its tiers would not be the"
            + " whole audience's (lifecycle:<stage> segments are served; see docs/cluster.md)";

    private static final Pattern TIER = Pattern.compile("(?<![A-Za-z0-9_:-])rfm:[A-Za-z0-9_-]*");

    private RfmTiers() {
    }

    /**
     * @param call a campaign (create, preview) or journey definition
     * @throws ApiError 501 {@code not_in_cluster} naming the tier, if a {@code segment} or
     *                  {@code expression} anywhere in the body names an RFM tier
     */
    static void refuseIfNamed(HttpCall call) {
        JsonNode body;
        try {
            body = ApiDirectives.JSON.readTree(call.body());
        } catch (java.io.IOException notJson) {
            return; // the partition says what is wrong with it
        }
        String tier = find(body);
        if (tier != null) {
            throw new ApiError(501, "not_in_cluster", "segment '" + tier + "': " + WHY, null);
        }
    }

    private static String find(JsonNode n) {
        if (n == null) {
            return null;
        }
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if ((e.getKey().equals("segment") || e.getKey().equals("expression")) && e.getValue().isTextual()) {
                    Matcher m = TIER.matcher(e.getValue().asText());
                    if (m.find()) {
                        return m.group();
                    }
                }
                String inside = find(e.getValue());
                if (inside != null) {
                    return inside;
                }
            }
        } else if (n.isArray()) {
            for (JsonNode x : n) {
                String inside = find(x);
                if (inside != null) {
                    return inside;
                }
            }
        }
        return null;
    }
}
