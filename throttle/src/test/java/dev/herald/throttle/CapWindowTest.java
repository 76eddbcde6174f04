package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/** Calendar windows in local time (DST, odd offsets, midnight gaps) and the rolling-window boundary. */
class CapWindowTest {

    @Provide
    Arbitrary<ZoneId> zones() {
        return Arbitraries.of("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu",
                "Pacific/Chatham", "America/St_Johns", "America/Santiago", "Asia/Tokyo", "UTC").map(ZoneId::of);
    }

    private static LocalDate localDate(long second, ZoneId zone) {
        return LocalDate.ofInstant(Instant.ofEpochSecond(second), zone);
    }

    @Property(seed = "20261122", tries = 2000)
    void calendarDayStartsAndEndsAtLocalMidnight(@ForAll("zones") ZoneId zone,
                                                 @ForAll @LongRange(min = 1_577_836_800L, max = 1_924_992_000L) long now) {
        CapWindow day = CapWindow.calendar(CapWindow.Period.DAY);
        long start = day.startSecond(now, zone);
        long next = day.nextPeriodSecond(now, zone);
        LocalDate today = localDate(now, zone);
        assertTrue(start <= now && now < next);
        assertEquals(today, localDate(start, zone));
        assertEquals(today.minusDays(1), localDate(start - 1, zone), "the second before the start is yesterday");
        assertEquals(today, localDate(next - 1, zone));
        assertEquals(today.plusDays(1), localDate(next, zone));
    }

    @Property(seed = "20261123", tries = 2000)
    void calendarWeekRunsMondayToSundayInLocalTime(@ForAll("zones") ZoneId zone,
                                                   @ForAll @LongRange(min = 1_577_836_800L, max = 1_924_992_000L) long now) {
        CapWindow week = CapWindow.calendar(CapWindow.Period.WEEK);
        long start = week.startSecond(now, zone);
        long next = week.nextPeriodSecond(now, zone);
        assertTrue(start <= now && now < next);
        assertEquals(DayOfWeek.MONDAY, localDate(start, zone).getDayOfWeek());
        assertEquals(DayOfWeek.SUNDAY, localDate(start - 1, zone).getDayOfWeek());
        assertEquals(DayOfWeek.MONDAY, localDate(next, zone).getDayOfWeek());
        long hours = Duration.ofSeconds(next - start).toMinutes();
        assertTrue(Math.abs(hours - 7 * 24 * 60) <= 60, "a week is 168 h give or take one DST shift, got " + hours + " min");
    }

    @Property(seed = "20261124", tries = 1000)
    void calendarMonthAndQuarterStartOnTheirFirstLocalDay(@ForAll("zones") ZoneId zone,
                                                          @ForAll @LongRange(min = 1_577_836_800L, max = 1_924_992_000L) long now) {
        LocalDate today = localDate(now, zone);
        long month = CapWindow.calendar(CapWindow.Period.MONTH).startSecond(now, zone);
        assertEquals(today.withDayOfMonth(1), localDate(month, zone));
        long quarter = CapWindow.calendar(CapWindow.Period.QUARTER).startSecond(now, zone);
        LocalDate q = localDate(quarter, zone);
        assertEquals(1, q.getDayOfMonth());
        assertEquals(0, (q.getMonthValue() - 1) % 3);
        assertTrue(!q.isAfter(today) && q.plusMonths(3).isAfter(today));
    }

    @Provide
    Arbitrary<Long> anyInstantSecond() {
        // every second an Instant holds, with its two ends and the calendar bounds hit often
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.longs().between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond())),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(Instant.MAX.getEpochSecond() - 40L * 86_400,
                        Instant.MAX.getEpochSecond())),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(Instant.MIN.getEpochSecond(),
                        Instant.MIN.getEpochSecond() + 40L * 86_400)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(CapWindow.CALENDAR_MAX_SECOND - 200L * 86_400,
                        CapWindow.CALENDAR_MAX_SECOND + 200L * 86_400)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(CapWindow.CALENDAR_MIN_SECOND - 200L * 86_400,
                        CapWindow.CALENDAR_MIN_SECOND + 200L * 86_400)));
    }

    @Provide
    Arbitrary<ZoneId> extremeZones() {
        return Arbitraries.of("Pacific/Kiritimati", "Etc/GMT+12", "Pacific/Chatham", "America/New_York", "Asia/Kathmandu",
                "Australia/Lord_Howe", "UTC", "+18:00", "-18:00").map(ZoneId::of);
    }

    @Property(seed = "20261206", tries = 3000)
    void everyWindowAnswersForAnyInstantWithTheStartNotAfterNowAndTheNextPeriodAfterIt(
            @ForAll("extremeZones") ZoneId zone, @ForAll("anyInstantSecond") long now, @ForAll CapWindow.Period period,
            @ForAll @LongRange(min = 1, max = 400L * 86_400) long rollingSeconds) {
        for (CapWindow w : new CapWindow[] {CapWindow.calendar(period), CapWindow.rolling(Duration.ofSeconds(rollingSeconds))}) {
            long start = w.startSecond(now, zone);
            long next = w.nextPeriodSecond(now, zone);
            assertTrue(start <= now, w + " at " + now + " in " + zone + ": start " + start);
            assertTrue(now < next, w + " at " + now + " in " + zone + ": next " + next);
        }
    }

    @Example
    void calendarWindowsAtTheLastInstantNeverResetAndCountFromTheirLastNamedPeriod() {
        long last = Instant.MAX.getEpochSecond(); // year 1,000,000,000: no LocalDate names it
        for (CapWindow.Period p : CapWindow.Period.values()) {
            CapWindow w = CapWindow.calendar(p);
            assertEquals(Long.MAX_VALUE, w.nextPeriodSecond(last, ZoneId.of("Pacific/Kiritimati")));
            assertTrue(w.startSecond(last, ZoneId.of("Pacific/Kiritimati")) <= CapWindow.CALENDAR_MAX_SECOND);
            assertTrue(w.startSecond(Instant.MIN.getEpochSecond(), ZoneId.of("Etc/GMT+12")) <= Instant.MIN.getEpochSecond());
        }
    }

    @Example
    void dayWhoseMidnightIsSkippedByDstStartsAtTheEndOfTheGap() {
        ZoneId santiago = ZoneId.of("America/Santiago"); // 2026-09-06 00:00 -> 01:00
        long noon = LocalDateTime.parse("2026-09-06T12:00:00").atZone(santiago).toEpochSecond();
        ZonedDateTime start = Instant.ofEpochSecond(CapWindow.calendar(CapWindow.Period.DAY).startSecond(noon, santiago)).atZone(santiago);
        assertEquals(LocalDateTime.parse("2026-09-06T01:00:00"), start.toLocalDateTime());
    }

    @Example
    void weekAcrossTheSpringForwardChangeIsOneHourShort() {
        ZoneId ny = ZoneId.of("America/New_York"); // DST starts Sunday 2026-03-08
        CapWindow week = CapWindow.calendar(CapWindow.Period.WEEK);
        long wednesday = LocalDateTime.parse("2026-03-04T09:00:00").atZone(ny).toEpochSecond();
        long start = week.startSecond(wednesday, ny);
        long next = week.nextPeriodSecond(wednesday, ny);
        assertEquals(LocalDateTime.parse("2026-03-02T00:00:00").atZone(ny).toEpochSecond(), start);
        assertEquals(LocalDateTime.parse("2026-03-09T00:00:00").atZone(ny).toEpochSecond(), next);
        assertEquals(Duration.ofHours(167), Duration.ofSeconds(next - start));
    }

    @Example
    void rollingWindowCountsTheLastDSecondsExcludingTheSendExactlyDAgo() {
        CapWindow w = CapWindow.rolling(Duration.ofHours(24));
        assertEquals(1_000_000 - 86_400 + 1, w.startSecond(1_000_000, ZoneId.of("UTC")));
        assertEquals(Long.MAX_VALUE, w.nextPeriodSecond(1_000_000, ZoneId.of("UTC")));
        assertThrows(IllegalArgumentException.class, () -> CapWindow.rolling(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> CapWindow.rolling(Duration.ofMillis(1500)));
    }
}
