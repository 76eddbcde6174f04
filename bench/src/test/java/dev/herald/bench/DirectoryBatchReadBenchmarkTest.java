package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.RecipientFields;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Runs {@link DirectoryBatchReadBenchmark} once over every batch at a small size and checks that
 * both reads answer the same for every id, so the comparison measures the same work.
 */
class DirectoryBatchReadBenchmarkTest {

    @Test
    void shouldReadTheSameNumberAndFieldsFromThePagesAsFromTheMap() throws Exception {
        DirectoryBatchReadBenchmark b = new DirectoryBatchReadBenchmark();
        b.recipients = 20_000;
        b.density = 0.57;
        b.setUp();
        Blackhole bh = new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        try {
            DirectoryBatchReadBenchmark.Cursor pages = new DirectoryBatchReadBenchmark.Cursor();
            DirectoryBatchReadBenchmark.Cursor map = new DirectoryBatchReadBenchmark.Cursor();
            int read = 0;
            int previous = -1;
            for (int k = 0; k < b.batches.length; k++) {
                int[] ids = b.batches[k];
                assertEquals(DirectoryBatchReadBenchmark.BATCH, ids.length);
                RecipientFields[] got = b.pagesBatch(pages);
                b.mapPerId(map, bh);
                for (int i = 0; i < ids.length; i++) {
                    assertTrue(ids[i] > previous, "ids ascend across the walk");
                    previous = ids[i];
                    RecipientFields expected = b.mapRead(ids[i]);
                    assertNotNull(expected, "id " + ids[i]);
                    assertEquals(expected, got[i], "id " + ids[i]);
                    assertTrue(got[i].fields().containsKey("first_name"));
                    read++;
                }
            }
            assertEquals(0, pages.next, "one batch per call, wrapping at the end");
            assertEquals(0, map.next);
            assertTrue(read > 20_000 * 0.5 && read < 20_000 * 0.65, read + " ids read at density 0.57");
        } finally {
            bh.evaporate("Yes, I am Stephen Hawking, and know a thing or two about black holes.");
            b.tearDown();
        }
    }
}
