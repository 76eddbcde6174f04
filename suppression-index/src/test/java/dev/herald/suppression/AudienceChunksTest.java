package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

class AudienceChunksTest {

    @Test
    void shouldSplitByContainerAndCoverEveryIdOnce() {
        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        audience.add(10L, 200_000L);
        audience.add(1_000_000);
        audience.add(Integer.MAX_VALUE);
        List<ImmutableRoaringBitmap> chunks = AudienceChunks.split(audience);
        assertEquals(audience.getContainerCount(), chunks.size());
        MutableRoaringBitmap union = new MutableRoaringBitmap();
        long total = 0;
        for (ImmutableRoaringBitmap c : chunks) {
            assertTrue(c.getCardinality() <= AudienceChunks.MAX_CHUNK);
            assertEquals(c.first() >>> 16, c.last() >>> 16, "one container per chunk");
            total += c.getLongCardinality();
            union.or(c);
        }
        assertEquals(audience.getLongCardinality(), total);
        assertEquals(audience, union);
    }
}
