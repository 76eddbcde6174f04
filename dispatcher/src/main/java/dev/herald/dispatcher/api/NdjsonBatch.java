package dev.herald.dispatcher.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An {@code application/x-ndjson} batch answered line by line (conversions, events): every
 * non-blank line read on its own, the good ones stored together in one group commit, the bad ones
 * answered with their error and field; nothing of a bad line is stored.
 *
 * <pre>{@code
 * Map<String, Object> answer = NdjsonBatch.ingest(body, 10_000, "herald.funnel.conversions.max-batch-lines",
 *         line -> intake.read(line, known), batch -> ConversionBatch.store(conversions, batch),
 *         Conversions.Outcome::duplicate, ConversionBatch::answer);
 * }</pre>
 *
 * <p>Stateless.
 */
final class NdjsonBatch {

    private NdjsonBatch() {
    }

    /** Reads one line into an item. @throws ApiError naming what is wrong with it */
    @FunctionalInterface
    interface LineReader<T> {
        T read(byte[] line);
    }

    /**
     * @param body      the body: one JSON object a line, blank lines skipped
     * @param maxLines  the most lines taken
     * @param maxKey    the setting that limits them (named in a 413)
     * @param read      reads each line
     * @param store     stores the good items at once, one outcome each in order
     * @param duplicate whether an outcome was stored before
     * @param answer    an outcome as its line's answer
     * @return {@code {"recorded", "duplicates", "rejected", "results": [one per non-blank line]}}
     * @throws ApiError 400 {@code missing_body} without a line, 413 {@code too_many_lines} beyond the
     *     limit, or what {@code store} throws
     */
    static <T, O> Map<String, Object> ingest(byte[] body, int maxLines, String maxKey, LineReader<T> read,
                                             Function<List<T>, List<O>> store, Predicate<O> duplicate,
                                             Function<O, Map<String, Object>> answer) {
        List<int[]> lines = lines(body); // {line number, from, to}
        if (lines.isEmpty()) {
            throw ApiError.badRequest("missing_body", "the body holds no line; one JSON object a line is expected", null);
        }
        if (lines.size() > maxLines) {
            throw new ApiError(413, "too_many_lines", "the batch has " + lines.size() + " lines; at most " + maxLines
                    + " (" + maxKey + "): split it", null);
        }
        List<Map<String, Object>> results = new ArrayList<>(Arrays.asList(newResults(lines.size())));
        List<T> accepted = new ArrayList<>(lines.size());
        List<Integer> at = new ArrayList<>(lines.size());
        long rejected = 0;
        for (int i = 0; i < lines.size(); i++) {
            int[] l = lines.get(i);
            try {
                accepted.add(read.read(Arrays.copyOfRange(body, l[1], l[2])));
                at.add(i);
            } catch (ApiError e) {
                rejected++;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("line", l[0]);
                r.put("status", "rejected");
                r.put("error", e.code());
                r.put("message", e.getMessage());
                r.put("field", e.field());
                results.set(i, r);
            }
        }
        List<O> outcomes = store.apply(accepted);
        long recorded = 0;
        for (int k = 0; k < outcomes.size(); k++) {
            O o = outcomes.get(k);
            recorded += duplicate.test(o) ? 0 : 1;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("line", lines.get(at.get(k))[0]);
            r.putAll(answer.apply(o));
            results.set(at.get(k), r);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("recorded", recorded);
        out.put("duplicates", outcomes.size() - recorded);
        out.put("rejected", rejected);
        out.put("results", results);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object>[] newResults(int n) {
        return (Map<String, Object>[]) new Map[n];
    }

    /** The non-blank lines of an NDJSON body: {1-based line number, start, end without the line break}. */
    static List<int[]> lines(byte[] body) {
        return ConversionBatch.lines(body);
    }
}
