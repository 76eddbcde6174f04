package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** {@link SendLedger#check}: the same decisions as {@code reserve}, and nothing recorded. */
class SendLedgerCheckTest {
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final CapContext SMS_PROMO = CapContext.marketing("sms", "promo", java.time.ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void shouldDecideAsReserveWouldWithoutRecordingAnything() throws Exception {
        long seed = 20261122L;
        System.out.println("SendLedgerCheckTest seed " + seed);
        Random random = new Random(seed);
        FrequencyCaps caps = FrequencyCaps.of(List.of(
                new CapRule("daily", 2, CapWindow.rolling(Duration.ofHours(24)), CapScope.parse("marketing"), Optional.empty(),
                        CapAction.DROP),
                new CapRule("hourly", 1, CapWindow.rolling(Duration.ofHours(1)), CapScope.parse("channel:sms"), Optional.empty(),
                        CapAction.DEFER)));
        try (SendLedger ledger = SendLedger.open(dir, caps, new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 8, 10_000),
                name -> null)) {
            // history: 0, 1 or 2 earlier sends per recipient
            for (int id = 0; id < 5_000; id++) {
                int sends = random.nextInt(3);
                for (int s = 0; s < sends; s++) {
                    ledger.reserve(id, SMS_PROMO, T0.minus(Duration.ofMinutes(30 + 120L * (sends - 1 - s))));
                }
            }
            MutableRoaringBitmap chunk = new MutableRoaringBitmap();
            chunk.add(0L, 5_000L);
            int[] recorded = new int[5_000];
            for (int id = 0; id < recorded.length; id++) {
                recorded[id] = ledger.recorded(id);
            }

            ReservationBatch checked = ledger.check(chunk, SMS_PROMO, T0);
            ReservationBatch checkedAgain = ledger.check(chunk, SMS_PROMO, T0);
            for (int id = 0; id < recorded.length; id++) {
                assertEquals(recorded[id], ledger.recorded(id), "check recorded nothing for " + id);
            }
            assertEquals(checked.reserved(), checkedAgain.reserved(), "a check changes no later check");
            ReservationBatch reserved = ledger.reserve(chunk, SMS_PROMO, T0);
            assertEquals(reserved.reserved(), checked.reserved());
            assertEquals(reserved.capped(), checked.capped());
            assertEquals(reserved.deferred(), checked.deferred());
            for (int i = 0; i < checked.deferredCount(); i++) {
                assertEquals(reserved.deferredUntil(checked.deferredIdAt(i)), checked.deferredUntilAt(i));
            }
            assertEquals(true, checked.reserved().getCardinality() > 0 && !checked.capped().isEmpty()
                    && checked.deferredCount() > 0, "the fixture exercises every outcome");
        }
    }
}
