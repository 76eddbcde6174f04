package dev.herald.dispatcher.api;

import dev.herald.dispatcher.funnel.Conversion;
import dev.herald.dispatcher.funnel.Conversions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A batch of conversions ({@code application/x-ndjson}) read, attributed and stored: each line
 * answered on its own, in order, the good ones stored in one group commit, the refused ones
 * answered with their error and not stored.
 *
 * <pre>{@code
 * Map<String, Object> answer = ConversionBatch.ingest(body, intake, conversions);   // {"recorded", "duplicates", "rejected", "results"}
 * }</pre>
 *
 * <p>Stateless; thread-safe (the intake and the store are).
 */
public final class ConversionBatch {

    private static final Logger LOG = LoggerFactory.getLogger(ConversionBatch.class);

    private ConversionBatch() {
    }

    /**
     * Reads, attributes and stores every line of an NDJSON body (one group commit).
     *
     * @param body        the body: one JSON object a line, blank lines skipped
     * @param intake      reads each line
     * @param conversions stores the good ones
     * @return {@code {"recorded", "duplicates", "rejected", "results": [one per non-blank line]}}
     * @throws ApiError 400 {@code missing_body} without a line, 413 {@code too_many_lines} beyond the
     *     limit, 503 {@code storage_failed} if the good lines could not be made durable (none is stored)
     */
    public static Map<String, Object> ingest(byte[] body, ConversionIntake intake, Conversions conversions) {
        Map<String, Boolean> known = new HashMap<>();
        return NdjsonBatch.ingest(body, intake.settings().maxBatchLines(), "herald.funnel.conversions.max-batch-lines",
                line -> intake.read(line, known), batch -> store(conversions, batch), Conversions.Outcome::duplicate,
                ConversionBatch::answer);
    }

    /** The non-blank lines of an NDJSON body: {1-based line number, start, end without the line break}. */
    static List<int[]> lines(byte[] body) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        int number = 1;
        for (int i = 0; i <= body.length; i++) {
            if (i == body.length || body[i] == '\n') {
                int end = i > start && body[i - 1] == '\r' ? i - 1 : i;
                boolean blank = true;
                for (int j = start; j < end && blank; j++) {
                    blank = body[j] == ' ' || body[j] == '\t';
                }
                if (!blank) {
                    out.add(new int[]{number, start, end});
                }
                number++;
                start = i + 1;
            }
        }
        return out;
    }

    /** Stores {@code batch}: 503 {@code storage_failed} (logged) if it could not be made durable. */
    static List<Conversions.Outcome> store(Conversions conversions, List<Conversion> batch) {
        try {
            return conversions.record(batch);
        } catch (IOException | UncheckedIOException e) {
            LOG.error("{} conversion(s) could not be made durable", batch.size(), ApiDirectives.masked(e));
            throw new ApiError(503, "storage_failed", "the conversions could not be made durable (none was stored); retry", null);
        }
    }

    /** The answer for one conversion: orderId, status, campaign, attributedBy, occurredAt, value, currency. */
    static Map<String, Object> answer(Conversions.Outcome o) {
        Conversion c = o.conversion();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("orderId", c.orderId());
        r.put("status", o.duplicate() ? "duplicate" : "recorded");
        r.put("campaign", c.campaignId());
        r.put("attributedBy", c.source().label());
        r.put("occurredAt", Instant.ofEpochMilli(c.occurredAtMillis()).toString());
        r.put("value", c.value().toPlainString());
        r.put("currency", c.currency());
        return r;
    }
}
