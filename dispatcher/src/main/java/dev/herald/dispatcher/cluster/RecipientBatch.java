package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.api.ApiError;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Events ({@code POST /v1/events}) and conversions ({@code POST /v1/conversions}) on a cluster: each
 * names its recipient by {@code phone} (or, for a conversion, by a tracked link's {@code token}),
 * and goes to that recipient's partition, where the journeys, the funnel and the RFM segments that
 * read it live.
 *
 * <p>One JSON object goes whole to its partition. An NDJSON batch is split by line: each partition
 * gets the batch with every line that is not its own blanked, so the line numbers of its answer
 * are the batch's; the answers are put together ({@code recorded}, {@code duplicates},
 * {@code rejected} added up, {@code results} in line order). A line that names no recipient the
 * node can read goes to partition {@link Partitioner#FALLBACK}, which rejects it in a single node's
 * words. A token made by partition N reads {@code p<N>/<token>} in its link; given so, it is sent
 * to partition N as the bare token.
 */
final class RecipientBatch {

    private RecipientBatch() {
    }

    /** The partition a line (or a single body) belongs to, and the line to send it (its token unprefixed). */
    record Target(int partition, byte[] line) {
    }

    static Target target(byte[] line, Partitioner partitioner) {
        JsonNode n;
        try {
            n = ApiDirectives.JSON.readTree(line);
        } catch (java.io.IOException notJson) {
            return new Target(Partitioner.FALLBACK, line);
        }
        if (n == null || !n.isObject()) {
            return new Target(Partitioner.FALLBACK, line);
        }
        if (n.path("phone").isTextual()) {
            return new Target(partitioner.ofInput(n.path("phone").asText()), line);
        }
        if (n.path("token").isTextual()) {
            String token = n.path("token").asText();
            java.util.Optional<PartitionConfig.Routed> r = PartitionConfig.route("/l/" + token, partitioner.count());
            if (r.isPresent()) {
                ((ObjectNode) n).put("token", r.get().path().substring(3));
                return new Target(r.get().partition(), n.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return new Target(Partitioner.FALLBACK, line);
    }

    /**
     * An NDJSON body split by partition: each partition's body has its lines in their places and
     * every other line blank.
     *
     * @throws ApiError 400 {@code missing_body} without a line, 413 {@code too_many_lines} beyond {@code maxLines}
     */
    static Map<Integer, byte[]> split(byte[] body, Partitioner partitioner, int maxLines, String maxKey) {
        String text = new String(body, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        int nonBlank = 0;
        for (String l : lines) {
            if (!l.isBlank()) {
                nonBlank++;
            }
        }
        if (nonBlank == 0) {
            throw ApiError.badRequest("missing_body", "the body holds no line; one JSON object a line is expected", null);
        }
        if (nonBlank > maxLines) {
            throw new ApiError(413, "too_many_lines", "the batch has " + nonBlank + " lines; at most " + maxLines + " ("
                    + maxKey + "): split it", null);
        }
        Map<Integer, StringBuilder> parts = new TreeMap<>();
        Map<Integer, int[]> written = new TreeMap<>(); // lines in each part so far
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            Target t = target(lines[i].getBytes(StandardCharsets.UTF_8), partitioner);
            StringBuilder b = parts.computeIfAbsent(t.partition(), k -> new StringBuilder(text.length() / 4));
            // pad with blank lines up to line i, so that the partition numbers its lines as the batch does
            int[] have = written.computeIfAbsent(t.partition(), k -> new int[1]);
            for (; have[0] < i; have[0]++) {
                b.append('\n');
            }
            b.append(new String(t.line(), StandardCharsets.UTF_8)).append('\n');
            have[0]++;
        }
        Map<Integer, byte[]> out = new TreeMap<>();
        parts.forEach((p, b) -> out.put(p, b.toString().getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    /** The partitions' answers to their parts of one batch, as one answer. */
    static HttpAnswer merge(List<HttpAnswer> answers) {
        for (HttpAnswer a : answers) {
            if (!a.ok()) {
                return a; // a part refused whole (or not answered): the batch is answered so, and may be sent again
            }
        }
        long recorded = 0;
        long duplicates = 0;
        long rejected = 0;
        List<JsonNode> results = new ArrayList<>();
        for (HttpAnswer a : answers) {
            JsonNode n = ClusterRoutes.json(a);
            if (n == null) {
                continue;
            }
            recorded += n.path("recorded").asLong();
            duplicates += n.path("duplicates").asLong();
            rejected += n.path("rejected").asLong();
            n.path("results").forEach(results::add);
        }
        results.sort(Comparator.comparingLong(r -> r.path("line").asLong()));
        ObjectNode out = ClusterRoutes.object();
        out.put("recorded", recorded);
        out.put("duplicates", duplicates);
        out.put("rejected", rejected);
        out.putArray("results").addAll(results);
        return ClusterRoutes.jsonAnswer(200, out);
    }
}
