package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Rules limited to a segment (such as the recipients' frequency preferences, which Herald adds to
 * the configured rules): they cap only members, and a long window of theirs must not hold the
 * slots of everybody else.
 */
class SegmentRuleTest {
    static final CapContext SMS_PROMO = CapContext.marketing("sms", "promo", ZoneOffset.UTC);
    static final Instant MONDAY = Instant.parse("2026-03-02T10:00:00Z");

    @TempDir
    Path dir;

    static FrequencyCaps caps() {
        return FrequencyCaps.of(List.of(new CapRule("daily", 1, CapWindow.calendar(CapWindow.Period.DAY), CapScope.MARKETING,
                Optional.empty(), CapAction.DROP))).plus(List.of(new CapRule("pref-monthly", 1,
                CapWindow.calendar(CapWindow.Period.MONTH), CapScope.MARKETING, Optional.of("monthly"), CapAction.DROP)));
    }

    static ImmutableRoaringBitmap of(int... ids) {
        return MutableRoaringBitmap.bitmapOf(ids).toImmutableRoaringBitmap();
    }

    @Test
    void shouldCapOnlyMembersAndKeepNoSlotLiveForOthers() throws Exception {
        ImmutableRoaringBitmap monthly = of(1);
        // K = 2: without membership-aware slots, recipient 5's first two sends would stay live for
        // the month (the monthly rule's window) and the third day's send would be capped:ledger-full
        try (SendLedger ledger = SendLedger.open(dir, caps(), new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 2, 1_000),
                name -> name.equals("monthly") ? monthly : null)) {
            for (int day = 0; day < 5; day++) {
                Instant t = MONDAY.plus(Duration.ofDays(day));
                ReservationBatch b = ledger.reserve(of(1, 5), SMS_PROMO, t);
                assertTrue(b.reserved().contains(5), "day " + day + ": a non-member is capped only daily: " + b.capped());
                if (day == 0) {
                    assertTrue(b.reserved().contains(1));
                } else {
                    assertTrue(b.capped().getOrDefault("capped:pref-monthly", new MutableRoaringBitmap()).contains(1),
                            "day " + day + ": the member had its one message of the month: " + b.capped());
                }
            }
            assertEquals("capped:pref-monthly", ledger.reserve(1, SMS_PROMO, MONDAY.plus(Duration.ofDays(9))).reason());
            assertTrue(ledger.reserve(1, SMS_PROMO, Instant.parse("2026-04-01T10:00:00Z")).isReserved(), "a new month");
        }
    }

    @Test
    void shouldIgnoreARuleWhoseSegmentIsEmpty() throws Exception {
        try (SendLedger ledger = SendLedger.open(dir, caps(), new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 2, 1_000),
                name -> name.equals("monthly") ? new MutableRoaringBitmap().toImmutableRoaringBitmap() : null)) {
            for (int day = 0; day < 5; day++) {
                assertTrue(ledger.reserve(7, SMS_PROMO, MONDAY.plus(Duration.ofDays(day))).isReserved(), "day " + day);
            }
        }
    }

    @Test
    void shouldAddBuiltInRulesBeyondTheConfiguredLimitButRefuseAClash() {
        List<CapRule> ten = new ArrayList<>();
        for (int i = 0; i < FrequencyCaps.MAX_RULES; i++) {
            ten.add(new CapRule("r" + i, 2, CapWindow.calendar(CapWindow.Period.DAY), CapScope.MARKETING, Optional.empty(),
                    CapAction.DROP));
        }
        CapRule extra = new CapRule("pref-weekly", 1, CapWindow.calendar(CapWindow.Period.WEEK), CapScope.MARKETING,
                Optional.of("weekly"), CapAction.DROP);
        FrequencyCaps all = FrequencyCaps.of(ten).plus(List.of(extra));
        assertEquals(11, all.rules().size());
        assertEquals(2, all.maxLimit());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrequencyCaps.of(List.of(extra)).plus(List.of(extra)));
        assertTrue(e.getMessage().contains("'pref-weekly' is reserved"), e.getMessage());
    }
}
