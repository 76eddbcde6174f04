package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

class SendLedgerTest {
    static final ZoneId UTC = ZoneOffset.UTC;
    static final ZoneId PARIS = ZoneId.of("Europe/Paris");
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final CapContext SMS_PROMO = CapContext.marketing("sms", "promo", UTC);

    @TempDir
    Path dir;

    static CapRule rule(String name, int limit, CapWindow window, String scope, CapAction action) {
        return new CapRule(name, limit, window, CapScope.parse(scope), Optional.empty(), action);
    }

    static SendLedger open(Path dir, SendLedgerOptions.Store store, CapRule... rules) throws Exception {
        return SendLedger.open(dir, FrequencyCaps.of(List.of(rules)), new SendLedgerOptions(store, 8, 10_000), name -> null);
    }

    @ParameterizedTest
    @EnumSource(SendLedgerOptions.Store.class)
    void shouldAllowExactlyNInARollingWindowAndForgetASendExactlyOneWindowOld(SendLedgerOptions.Store store) throws Exception {
        try (SendLedger ledger = open(dir, store, rule("daily", 3, CapWindow.rolling(Duration.ofHours(24)), "marketing", CapAction.DROP))) {
            for (int h = 0; h < 3; h++) {
                assertTrue(ledger.reserve(7, SMS_PROMO, T0.plusSeconds(3600L * h)).isReserved(), "send " + h);
            }
            Reservation fourth = ledger.reserve(7, SMS_PROMO, T0.plusSeconds(3 * 3600));
            assertEquals("capped:daily", fourth.reason());
            assertEquals("capped:daily", ledger.reserve(7, SMS_PROMO, T0.plus(Duration.ofHours(24)).minusSeconds(1)).reason(),
                    "one second before the first send is a window old it still counts");
            assertTrue(ledger.reserve(7, SMS_PROMO, T0.plus(Duration.ofHours(24))).isReserved(),
                    "a send exactly one window ago no longer counts");
            assertFalse(ledger.reserve(7, SMS_PROMO, T0.plus(Duration.ofHours(24))).isReserved());
        }
    }

    @Test
    void shouldDeferARollingHitUntilTheOldestCountedSendLeavesTheWindow() throws Exception {
        try (SendLedger ledger = open(dir, SendLedgerOptions.Store.MMAP,
                rule("two-a-day", 2, CapWindow.rolling(Duration.ofHours(24)), "channel:sms", CapAction.DEFER))) {
            ledger.reserve(1, SMS_PROMO, T0);
            ledger.reserve(1, SMS_PROMO, T0.plusSeconds(3600));
            Reservation r = ledger.reserve(1, SMS_PROMO, T0.plusSeconds(7200));
            assertEquals(Reservation.Outcome.DEFERRED, r.outcome());
            assertEquals(T0.plus(Duration.ofHours(24)), r.until());
            assertTrue(ledger.reserve(1, SMS_PROMO, r.until()).isReserved(), "the window has room at the deferral instant");
            assertEquals(T0.plus(Duration.ofHours(25)), ledger.reserve(1, SMS_PROMO, r.until()).until());
        }
    }

    @Test
    void shouldDeferACalendarHitToTheNextLocalMidnightAndPreferDropOverDefer() throws Exception {
        CapContext paris = SMS_PROMO.inZone(PARIS);
        try (SendLedger ledger = open(dir, SendLedgerOptions.Store.MMAP,
                rule("a-day", 1, CapWindow.calendar(CapWindow.Period.DAY), "marketing", CapAction.DEFER),
                rule("b-week", 1, CapWindow.calendar(CapWindow.Period.WEEK), "category:promo", CapAction.DROP))) {
            Instant evening = LocalDateTime.parse("2026-03-04T22:30:00").atZone(PARIS).toInstant();
            assertTrue(ledger.reserve(1, paris, evening).isReserved());
            CapContext news = CapContext.marketing("sms", "news", PARIS);
            Reservation deferred = ledger.reserve(1, news, evening.plusSeconds(60));
            assertEquals(LocalDateTime.parse("2026-03-05T00:00:00").atZone(PARIS).toInstant(), deferred.until());
            assertEquals("capped:b-week", ledger.reserve(1, paris, evening.plusSeconds(60)).reason(), "drop wins over defer");
        }
    }

    @Test
    void shouldApplyASegmentRuleOnlyToItsSegment() throws Exception {
        MutableRoaringBitmap newCustomers = MutableRoaringBitmap.bitmapOf(1, 70_000);
        CapRule weekly = new CapRule("new-weekly", 1, CapWindow.rolling(Duration.ofDays(7)), CapScope.MARKETING,
                Optional.of("new-customers"), CapAction.DROP);
        CapRule daily = rule("daily", 3, CapWindow.calendar(CapWindow.Period.DAY), "marketing", CapAction.DROP);
        try (SendLedger ledger = SendLedger.open(dir, FrequencyCaps.of(List.of(daily, weekly)), SendLedgerOptions.defaults(),
                Map.of("new-customers", newCustomers)::get)) {
            ImmutableRoaringBitmap chunk = ImmutableRoaringBitmap.bitmapOf(1, 2, 70_000, 70_001);
            assertEquals(chunk, ledger.reserve(chunk, SMS_PROMO, T0).reserved());
            ReservationBatch second = ledger.reserve(chunk, SMS_PROMO, T0.plusSeconds(60));
            assertEquals(ImmutableRoaringBitmap.bitmapOf(2, 70_001), second.reserved());
            assertEquals(Map.of("capped:new-weekly", MutableRoaringBitmap.bitmapOf(1, 70_000)), second.capped());
            assertEquals(chunk.getCardinality(), second.size());
            assertEquals("capped:new-weekly", ledger.reserve(70_000, SMS_PROMO, T0.plusSeconds(120)).reason(), "single-id path");
            assertTrue(ledger.reserve(70_001, SMS_PROMO, T0.plusSeconds(120)).isReserved());
        }
    }

    @Test
    void shouldFailClearlyWhenASegmentIsUnknown() throws Exception {
        CapRule weekly = new CapRule("new-weekly", 1, CapWindow.rolling(Duration.ofDays(7)), CapScope.MARKETING,
                Optional.of("nobody"), CapAction.DROP);
        try (SendLedger ledger = SendLedger.open(dir, FrequencyCaps.of(List.of(weekly)), SendLedgerOptions.defaults(), n -> null)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ledger.reserve(1, SMS_PROMO, T0));
            assertTrue(e.getMessage().contains("'nobody'"), e.getMessage());
        }
    }

    @Test
    void shouldReportTheSameDeferralInstantsInTheBatchAsOneByOne() throws Exception {
        try (SendLedger ledger = open(dir, SendLedgerOptions.Store.MMAP,
                rule("hourly", 1, CapWindow.rolling(Duration.ofHours(1)), "marketing", CapAction.DEFER))) {
            ledger.reserve(ImmutableRoaringBitmap.bitmapOf(1, 2), SMS_PROMO, T0);
            ledger.reserve(ImmutableRoaringBitmap.bitmapOf(3), SMS_PROMO, T0.plusSeconds(600));
            ReservationBatch b = ledger.reserve(ImmutableRoaringBitmap.bitmapOf(1, 2, 3, 4), SMS_PROMO, T0.plusSeconds(900));
            assertEquals(ImmutableRoaringBitmap.bitmapOf(4), b.reserved());
            assertEquals(3, b.deferredCount());
            assertEquals(T0.plusSeconds(3600), b.deferredUntil(1));
            assertEquals(T0.plusSeconds(4200), b.deferredUntil(3));
            assertEquals(3, b.deferredIdAt(2));
            assertNull(b.deferredUntil(4));
        }
    }

    @Test
    void shouldCountAReservationAtOnceAndForgetItOnlyOnRelease() throws Exception {
        try (SendLedger ledger = open(dir, SendLedgerOptions.Store.MMAP,
                rule("once", 1, CapWindow.calendar(CapWindow.Period.DAY), "marketing", CapAction.DROP))) {
            Reservation r = ledger.reserve(5, SMS_PROMO, T0);
            assertEquals("capped:once", ledger.reserve(5, SMS_PROMO, T0).reason(), "a reservation counts before confirm");
            assertTrue(ledger.release(5, r.stamp()));
            assertEquals(0, ledger.recorded(5));
            assertFalse(ledger.release(5, r.stamp()), "released twice");
            assertFalse(ledger.confirm(5, r.stamp()), "a released reservation cannot be confirmed");

            Reservation again = ledger.reserve(5, SMS_PROMO, T0.plusSeconds(1));
            assertTrue(again.isReserved());
            assertTrue(ledger.confirm(5, again.stamp()));
            assertFalse(ledger.release(5, again.stamp()), "a confirmed send stays counted");
            assertEquals("capped:once", ledger.reserve(5, SMS_PROMO, T0.plusSeconds(2)).reason());
            assertThrows(IllegalArgumentException.class, () -> ledger.release(5, 0L));
        }
    }

    @Test
    void shouldConfirmAndReleaseABatchByItsStamp() throws Exception {
        try (SendLedger ledger = open(dir, SendLedgerOptions.Store.MMAP,
                rule("once", 1, CapWindow.calendar(CapWindow.Period.DAY), "marketing", CapAction.DROP))) {
            ReservationBatch b = ledger.reserve(ImmutableRoaringBitmap.bitmapOf(1, 2, 3, 4), SMS_PROMO, T0);
            assertEquals(2, ledger.confirm(ImmutableRoaringBitmap.bitmapOf(1, 2), b.stamp()));
            assertEquals(2, ledger.release(ImmutableRoaringBitmap.bitmapOf(2, 3, 4), b.stamp()));
            ReservationBatch next = ledger.reserve(ImmutableRoaringBitmap.bitmapOf(1, 2, 3, 4), SMS_PROMO, T0.plusSeconds(5));
            assertEquals(ImmutableRoaringBitmap.bitmapOf(3, 4), next.reserved());
        }
    }

    @Test
    void shouldNotRecordASendNoRuleCounts() throws Exception {
        try (SendLedger ledger = open(dir, SendLedgerOptions.Store.MMAP,
                rule("sms", 1, CapWindow.calendar(CapWindow.Period.DAY), "channel:sms", CapAction.DROP))) {
            CapContext otp = new CapContext("viber", "otp", false, UTC);
            for (int i = 0; i < 20; i++) {
                assertTrue(ledger.reserve(9, otp, T0).isReserved());
            }
            assertEquals(0, ledger.recorded(9));
        }
    }

    @Test
    void shouldDropAsLedgerFullWhenEverySlotStillCountsRatherThanForget() throws Exception {
        CapWindow day = CapWindow.calendar(CapWindow.Period.DAY);
        try (SendLedger ledger = SendLedger.open(dir, FrequencyCaps.of(List.of(rule("a", 1, day, "channel:sms", CapAction.DROP),
                        rule("b", 1, day, "channel:email", CapAction.DROP), rule("c", 1, day, "category:news", CapAction.DROP))),
                new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 2, 1), n -> null)) {
            assertTrue(ledger.reserve(1, CapContext.marketing("sms", "promo", UTC), T0).isReserved());
            assertTrue(ledger.reserve(1, CapContext.marketing("email", "promo", UTC), T0).isReserved());
            assertEquals("capped:ledger-full", ledger.reserve(1, CapContext.marketing("push", "news", UTC), T0).reason());
            assertTrue(ledger.reserve(1, CapContext.marketing("push", "news", UTC), T0.plus(Duration.ofDays(1))).isReserved(),
                    "yesterday's sends count no more: their slots are reused");
        }
    }

    @ParameterizedTest
    @EnumSource(SendLedgerOptions.Store.class)
    void shouldKeepTheLedgerAcrossCloseAndReopen(SendLedgerOptions.Store store) throws Exception {
        CapRule daily = rule("daily", 1, CapWindow.calendar(CapWindow.Period.DAY), "marketing", CapAction.DROP);
        boolean mmap = store == SendLedgerOptions.Store.MMAP;
        int count = mmap ? 2_500_000 : 20_000; // mmap: crosses segment files
        MutableRoaringBitmap ids = new MutableRoaringBitmap();
        ids.add(0L, count);
        try (SendLedger ledger = open(dir, store, daily)) {
            assertEquals(count, ledger.reserve(ids, SMS_PROMO, T0).reserved().getCardinality());
        }
        try (SendLedger ledger = open(dir, store, daily)) {
            ReservationBatch again = ledger.reserve(ids, SMS_PROMO, T0.plusSeconds(1));
            assertTrue(again.reserved().isEmpty());
            assertEquals(ids, again.capped().get("capped:daily"));
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SendLedger.open(dir,
                FrequencyCaps.of(List.of(daily)), new SendLedgerOptions(store, 4, 10_000), n -> null));
        assertTrue(e.getMessage().contains("slots-per-user"), e.getMessage());
    }

    @Test
    void shouldRefuseTooFewSlotsForTheLargestLimit() {
        CapRule r = rule("many", 8, CapWindow.calendar(CapWindow.Period.WEEK), "marketing", CapAction.DROP);
        assertThrows(IllegalArgumentException.class, () -> open(dir, SendLedgerOptions.Store.MMAP, r));
    }

    /**
     * The batch paths read and write a stripe of records at once; the single-id paths go through
     * the mapping. Both see each other's writes, across stripes, batch boundaries and a segment
     * created by a batch write, and across a reopen.
     */
    @Test
    void shouldSeeBatchAndSingleWritesAlikeAcrossStripesAndSegments() throws Exception {
        int edge = 1 << 20; // the first id of segment 1
        MutableRoaringBitmap chunk = new MutableRoaringBitmap();
        chunk.add(0L, 10_000L);                    // ten stripes, more than one batch of the iterator
        chunk.add((long) edge - 700, (long) edge + 700); // two segments, the second not there yet
        CapRule once = rule("daily", 1, CapWindow.rolling(Duration.ofHours(24)), "marketing", CapAction.DROP);
        long stamp;
        try (SendLedger ledger = open(dir, SendLedgerOptions.Store.MMAP, once)) {
            ReservationBatch b = ledger.reserve(chunk, SMS_PROMO, T0);
            assertEquals(chunk.getCardinality(), b.reserved().getCardinality());
            stamp = b.stamp();
            for (int id : new int[] {0, 1023, 1024, 4095, 4096, 9999, edge - 1, edge, edge + 699}) {
                assertFalse(ledger.reserve(id, SMS_PROMO, T0.plusSeconds(1)).isReserved(), "single read of batch write, id " + id);
            }
            assertTrue(ledger.reserve(10_000, SMS_PROMO, T0).isReserved());
            assertEquals(chunk.getCardinality(), ledger.confirm(chunk, stamp));
            assertEquals(0, ledger.release(chunk, stamp), "confirmed, so no longer releasable");
        }
        try (SendLedger ledger = open(dir, SendLedgerOptions.Store.MMAP, once)) {
            ReservationBatch again = ledger.reserve(ImmutableRoaringBitmap.bitmapOf(5, 9999, 10_000, edge, edge + 700),
                    SMS_PROMO, T0.plusSeconds(2));
            assertEquals(ImmutableRoaringBitmap.bitmapOf(edge + 700), again.reserved(), "only the id never sent to");
            assertEquals(1, ledger.recorded(edge));
        }
    }
}
