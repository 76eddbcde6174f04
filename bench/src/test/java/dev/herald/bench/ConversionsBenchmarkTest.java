package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Runs {@link ConversionsBenchmark} at a small size and checks that each batch is recorded whole and attributed. */
class ConversionsBenchmarkTest {

    @Test
    void shouldRecordEveryLineOfEachBatchAttributedToTheBenchCampaign() throws Exception {
        ConversionsBenchmark b = new ConversionsBenchmark();
        b.recipients = 1_000;
        b.setUp();
        try {
            for (int i = 0; i < 2; i++) {
                b.nextBatch();
                Map<String, Object> answer = b.ingestBatch();
                assertEquals((long) ConversionsBenchmark.BATCH, answer.get("recorded"), String.valueOf(answer.get("results")));
                assertEquals(0L, answer.get("rejected"));
                assertEquals(0L, answer.get("duplicates"));
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> results = (List<Map<String, Object>>) answer.get("results");
                assertEquals(ConversionsBenchmark.CAMPAIGN, results.get(0).get("campaign"));
            }
            assertEquals(2L * ConversionsBenchmark.BATCH, b.conversions.of(ConversionsBenchmark.CAMPAIGN).count());
        } finally {
            b.tearDown();
        }
    }
}
