package dev.herald.dispatcher.api;

import dev.herald.dispatcher.journey.Event;
import dev.herald.dispatcher.journey.Events;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A batch of events ({@code application/x-ndjson}) read and stored: each line answered on its own,
 * in order, the good ones stored in one group commit, the refused ones answered with their error
 * and not stored.
 *
 * <pre>{@code
 * Map<String, Object> answer = EventBatch.ingest(body, intake, events);   // {"recorded", "duplicates", "rejected", "results"}
 * }</pre>
 *
 * <p>Stateless; thread-safe (the intake and the store are).
 */
public final class EventBatch {

    private static final Logger LOG = LoggerFactory.getLogger(EventBatch.class);

    private EventBatch() {
    }

    /**
     * Reads and stores every line of an NDJSON body (one group commit).
     *
     * @param body   the body: one JSON object a line, blank lines skipped
     * @param intake reads each line
     * @param events stores the good ones
     * @return {@code {"recorded", "duplicates", "rejected", "results": [one per non-blank line]}}
     * @throws ApiError 400 {@code missing_body} without a line, 413 {@code too_many_lines} beyond the
     *     limit, 503 {@code storage_failed} if the good lines could not be made durable (none is stored)
     */
    public static Map<String, Object> ingest(byte[] body, EventIntake intake, Events events) {
        List<int[]> lines = ConversionBatch.lines(body); // {line number, from, to}
        if (lines.isEmpty()) {
            throw ApiError.badRequest("missing_body", "the body holds no line; one JSON object a line is expected", null);
        }
        int max = intake.settings().maxBatchLines();
        if (lines.size() > max) {
            throw new ApiError(413, "too_many_lines", "the batch has " + lines.size() + " lines; at most " + max
                    + " (herald.journeys.events.max-batch-lines): split it", null);
        }
        List<Map<String, Object>> results = new ArrayList<>(Arrays.asList(newResults(lines.size())));
        List<Event> accepted = new ArrayList<>(lines.size());
        List<Integer> at = new ArrayList<>(lines.size());
        long rejected = 0;
        for (int i = 0; i < lines.size(); i++) {
            int[] l = lines.get(i);
            try {
                accepted.add(intake.read(Arrays.copyOfRange(body, l[1], l[2])));
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
        List<Events.Outcome> outcomes = store(events, accepted);
        long recorded = 0;
        for (int k = 0; k < outcomes.size(); k++) {
            Events.Outcome o = outcomes.get(k);
            recorded += o.duplicate() ? 0 : 1;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("line", lines.get(at.get(k))[0]);
            r.putAll(answer(o));
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

    /** Stores {@code batch}: 503 {@code storage_failed} (logged) if it could not be made durable. */
    static List<Events.Outcome> store(Events events, List<Event> batch) {
        try {
            return events.record(batch);
        } catch (IOException | UncheckedIOException e) {
            LOG.error("{} event(s) could not be made durable", batch.size(), ApiDirectives.masked(e));
            throw new ApiError(503, "storage_failed", "the events could not be made durable (none was stored); retry", null);
        }
    }

    /** The answer for one event: id, status, name, at (of the stored event, for a duplicate). */
    static Map<String, Object> answer(Events.Outcome o) {
        Event e = o.event();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", e.id());
        r.put("status", o.duplicate() ? "duplicate" : "recorded");
        r.put("name", e.name());
        r.put("at", Instant.ofEpochMilli(e.atMillis()).toString());
        return r;
    }
}
