package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.PeekableIntIterator;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Eight threads reserve for overlapping recipients, through the batch and the single-id API,
 * with two channels and releases mixed in: nobody may ever go over a cap.
 */
class SendLedgerStressTest {
    private static final long SEED = 0xCA95_7E57L;
    private static final int THREADS = 8;
    private static final int USERS = 5_000;
    private static final int ROUNDS = 300;

    @TempDir
    Path dir;

    @Test
    void shouldNeverLetARecipientOverACapUnderEightConcurrentReservers() throws Exception {
        System.out.println("SendLedgerStressTest seed = " + SEED);
        CapRule daily = new CapRule("daily", 3, CapWindow.calendar(CapWindow.Period.DAY), CapScope.MARKETING, Optional.empty(), CapAction.DROP);
        CapRule sms = new CapRule("sms-hourly", 2, CapWindow.rolling(Duration.ofHours(1)), CapScope.parse("channel:sms"),
                Optional.empty(), CapAction.DEFER);
        Instant now = Instant.parse("2026-06-01T12:00:00Z");
        CapContext[] contexts = {CapContext.marketing("sms", "promo", ZoneId.of("UTC")), CapContext.marketing("email", "promo", ZoneId.of("UTC"))};
        AtomicIntegerArray total = new AtomicIntegerArray(USERS);
        AtomicIntegerArray smsCount = new AtomicIntegerArray(USERS);
        try (SendLedger ledger = SendLedger.open(dir, FrequencyCaps.of(List.of(daily, sms)), SendLedgerOptions.defaults(), n -> null)) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                SplittableRandom rnd = new SplittableRandom(SEED + t);
                done.add(pool.submit(() -> {
                    start.await();
                    for (int round = 0; round < ROUNDS; round++) {
                        int c = rnd.nextInt(2);
                        if (rnd.nextInt(4) == 0) {
                            int id = rnd.nextInt(USERS);
                            Reservation r = ledger.reserve(id, contexts[c], now);
                            if (r.isReserved()) {
                                count(id, c, total, smsCount, 1);
                                if (rnd.nextInt(8) == 0 && ledger.release(id, r.stamp())) {
                                    count(id, c, total, smsCount, -1);
                                }
                            }
                            continue;
                        }
                        MutableRoaringBitmap chunk = new MutableRoaringBitmap();
                        int from = rnd.nextInt(USERS);
                        chunk.add((long) from, Math.min(USERS, from + 1 + rnd.nextInt(2_000)));
                        ReservationBatch b = ledger.reserve(chunk, contexts[c], now);
                        for (PeekableIntIterator it = b.reserved().getIntIterator(); it.hasNext(); ) {
                            count(it.next(), c, total, smsCount, 1);
                        }
                        ledger.confirm(b.reserved(), b.stamp());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            int full = 0;
            for (int id = 0; id < USERS; id++) {
                assertTrue(total.get(id) <= 3, "user " + id + " got " + total.get(id) + " marketing sends today");
                assertTrue(smsCount.get(id) <= 2, "user " + id + " got " + smsCount.get(id) + " sms this hour");
                assertEquals(total.get(id), ledger.recorded(id), "user " + id + ": ledger and grants disagree");
                full += total.get(id) == 3 ? 1 : 0;
            }
            assertTrue(full > USERS / 2, "the test must drive most users to their cap, got " + full);
        }
    }

    private static void count(int id, int channel, AtomicIntegerArray total, AtomicIntegerArray sms, int delta) {
        total.addAndGet(id, delta);
        if (channel == 0) {
            sms.addAndGet(id, delta);
        }
    }
}
