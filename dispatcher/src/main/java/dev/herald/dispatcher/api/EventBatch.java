package dev.herald.dispatcher.api;

import dev.herald.dispatcher.journey.Event;
import dev.herald.dispatcher.journey.Events;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
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
        return NdjsonBatch.ingest(body, intake.settings().maxBatchLines(), "herald.journeys.events.max-batch-lines",
                intake::read, batch -> store(events, batch), Events.Outcome::duplicate, EventBatch::answer);
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
