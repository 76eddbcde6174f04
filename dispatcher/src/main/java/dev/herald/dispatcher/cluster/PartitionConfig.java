package dev.herald.dispatcher.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration a partition opens its folder with, and the way back from the links it makes.
 *
 * <ul>
 *   <li>Stores sized by the service's settings get the partition's share: the message-id map is
 *       sized for twice an even share of {@code herald.receipts.capacity} (at least 100,000), as the
 *       directory is by {@code herald.cluster.partition-capacity}.</li>
 *   <li>The links a partition's messages carry ({@code {{unsubscribe_url}}}, tracked links) name
 *       the partition: its base URLs are the configured ones plus {@code p<N>/}, so
 *       {@code https://example.com/u/p12/<token>}. A node routes such a request to partition 12 as
 *       {@code /u/<token>}, which the partition's own routes answer (its tokens are signed with its
 *       own key and name its own recipient ids).</li>
 *   <li>A partition never recomputes its RFM tiers on a schedule of its own
 *       ({@code herald.segments.rfm.recompute-every = 0s}): its buyers are not all buyers, so its cut
 *       points would not be the cluster's; {@link ClusterRfm} recomputes every partition together.</li>
 * </ul>
 *
 * <pre>{@code
 * Config c = PartitionConfig.of(config, 64, 12);
 * PartitionConfig.route("/u/p12/AbC...")   // Optional[(12, "/u/AbC...")]
 * }</pre>
 */
final class PartitionConfig {

    private static final Pattern LINK = Pattern.compile("^/([ul])/p(\\d{1,4})/([^/]+)$");

    /** A link's partition and the path that partition answers it on. */
    record Routed(int partition, String path) {
    }

    private PartitionConfig() {
    }

    /** @return {@code config} as partition {@code partition} of {@code partitions} opens its folder with */
    static Config of(Config config, int partitions, int partition) {
        long receipts = config.getLong("herald.receipts.capacity");
        long share = Math.max(100_000, 2 * receipts / partitions);
        return ConfigFactory.parseMap(Map.of(
                        "herald.receipts.capacity", Math.min(receipts, share),
                        "herald.unsubscribe.base-url", config.getString("herald.unsubscribe.base-url").strip() + "p" + partition + "/",
                        "herald.links.base-url", config.getString("herald.links.base-url").strip() + "p" + partition + "/",
                        // RFM tiers are recomputed cluster-wide (ClusterRfm, on the node's schedule), never by a
                        // partition alone with its own buyers' cut points
                        "herald.segments.rfm.recompute-every", "0s",
                        // a campaign is made on every partition, also those with none of its audience
                        dev.herald.dispatcher.service.PartitionEngine.SLICES, true))
                .withFallback(config);
    }

    /**
     * @param path a request's path
     * @return the partition and path of a partition's link ({@code /u/p<N>/<token>} or {@code /l/p<N>/<token>}
     *         with N below {@code partitions}), or empty
     */
    static Optional<Routed> route(String path, int partitions) {
        Matcher m = LINK.matcher(path);
        if (!m.matches()) {
            return Optional.empty();
        }
        int p = Integer.parseInt(m.group(2));
        return p < partitions ? Optional.of(new Routed(p, "/" + m.group(1) + "/" + m.group(3))) : Optional.empty();
    }
}
