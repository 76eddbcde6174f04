package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RfmRecompute}'s on-disk run, small: it reads every purchase it wrote, and a second run reuses the log. */
class RfmRecomputeTest {

    @Test
    void shouldReadEveryPurchaseItWroteFromTheLog(@TempDir Path data) throws Exception {
        Map<String, Long> first = RfmRecompute.onDisk(data, 20_000, 150_000, 1_800_000_000_000L);
        assertEquals(150_000, first.get("purchases"));
        assertTrue(first.get("buyers") > 10_000 && first.get("buyers") <= 20_000, first.toString());
        Map<String, Long> again = RfmRecompute.onDisk(data, 20_000, 150_000, 1_800_000_000_000L);
        assertEquals(first.get("buyers"), again.get("buyers"), "the same log, the same buyers");
    }
}
