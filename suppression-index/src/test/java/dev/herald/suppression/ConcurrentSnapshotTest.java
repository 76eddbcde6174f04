package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** Filters running while opt-outs arrive never see a half-applied change. */
class ConcurrentSnapshotTest {

    @TempDir
    Path dir;

    @Test
    void shouldNeverShowHalfOfABatchToAConcurrentFilter() throws Exception {
        ConsentEvidence api = ConsentEvidence.of(ConsentSource.API);
        List<Scope> message = List.of(Scope.GLOBAL, Scope.sender("acme"));
        try (SuppressionIndex index = SuppressionIndex.open(dir, IndexOptions.defaults().withAutoCompactChanges(3_000))) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            MutableRoaringBitmap chunk = new MutableRoaringBitmap();
            chunk.add(0L, 65_536L);
            Runnable reader = () -> {
                long lastSuppressed = 0;
                try {
                    while (!done.get()) {
                        long before = index.snapshot().seq();
                        MutableRoaringBitmap kept = index.filter(chunk, message);
                        long suppressed = 65_536 - kept.getLongCardinality();
                        // each batch opts out a pair (2k in global, 2k+1 in sender:acme): never half a pair
                        kept.forEach((int id) -> {
                            int partner = id ^ 1;
                            if (!kept.contains(partner)) {
                                throw new AssertionError("saw half a batch: " + id + " kept, " + partner + " not");
                            }
                        });
                        assertTrue(suppressed >= lastSuppressed, "an acknowledged opt-out disappeared");
                        assertTrue(index.snapshot().seq() >= before);
                        lastSuppressed = suppressed;
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            };
            Thread r1 = new Thread(reader);
            Thread r2 = new Thread(reader);
            r1.start();
            r2.start();
            for (int pair = 0; pair < 4_000; pair++) {
                int id = pair * 2;
                index.apply(List.of(ConsentChange.optOut(id, null, Scope.GLOBAL, api),
                        ConsentChange.optOut(id + 1, null, Scope.sender("acme"), api)));
                // acknowledged means visible to every filter that starts now
                assertTrue(!index.filter(MutableRoaringBitmap.bitmapOf(id, id + 1), message).contains(id + 1));
            }
            done.set(true);
            r1.join();
            r2.join();
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(8_000, 65_536 - index.filter(chunk, message).getLongCardinality());
        }
    }
}
