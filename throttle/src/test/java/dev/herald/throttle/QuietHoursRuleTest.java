package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.MonthDay;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class QuietHoursRuleTest {
    private static final QuietHoursPolicy DEFAULT = QuietHoursPolicies
            .fromConfig(ConfigFactory.parseResources("herald-quiet-hours.conf").resolve()).get("default");
    private static final ZoneSet PARIS = ZoneSet.of("Europe/Paris");

    private static QuietHoursRule rule(String... windows) {
        return QuietHoursRule.of("test", List.of(windows).stream().map(SendWindow::parse).toList(), Set.of(), Set.of(), Set.of());
    }

    private static Instant at(String local, String zone) {
        return LocalDateTime.parse(local).atZone(ZoneId.of(zone)).toInstant();
    }

    @Test
    void shouldSendNowInsideTheWindowAndDeferToTheNextMorningAfterIt() {
        QuietHoursRule marketing = DEFAULT.rule("marketing", "GB");
        Instant noon = at("2026-06-10T12:00", "Europe/London");
        assertEquals(noon, marketing.nextOpen(ZoneSet.of("Europe/London"), noon));
        assertEquals(at("2026-06-11T08:00", "Europe/London"),
                marketing.nextOpen(ZoneSet.of("Europe/London"), at("2026-06-10T21:00", "Europe/London")));
    }

    @Test
    void shouldDeferFrenchMarketingFromSundayToMondayMorning() {
        QuietHoursRule fr = DEFAULT.rule("marketing", "FR");
        Instant saturdayEvening = at("2026-06-13T20:30", "Europe/Paris"); // after the French 20:00 end
        assertEquals(at("2026-06-15T08:00", "Europe/Paris"), fr.nextOpen(PARIS, saturdayEvening));
        Instant sundayNoon = at("2026-06-14T12:00", "Europe/Paris");
        assertFalse(fr.isOpen(sundayNoon, PARIS));
        assertEquals(at("2026-06-15T08:00", "Europe/Paris"), fr.nextOpen(PARIS, sundayNoon));
        // the same Sunday is open for a British number: the rule is the country's, not the zone's
        assertTrue(DEFAULT.rule("marketing", "GB").isOpen(sundayNoon, PARIS));
        assertTrue(DEFAULT.rule("transactional", "FR").isOpen(sundayNoon, PARIS));
    }

    @Test
    void shouldSkipHolidayDatesOneOffAndYearly() {
        QuietHoursRule fr = DEFAULT.rule("marketing", "FR");
        // Tuesday 14 July 2026 (yearly --07-14): deferred to Wednesday 08:00
        assertEquals(at("2026-07-15T08:00", "Europe/Paris"), fr.nextOpen(PARIS, at("2026-07-13T21:00", "Europe/Paris")));
        // Whit Monday 2026-05-25 follows a Sunday: from Saturday night to Tuesday
        assertEquals(at("2026-05-26T08:00", "Europe/Paris"), fr.nextOpen(PARIS, at("2026-05-23T20:00", "Europe/Paris")));
        QuietHoursRule xmasWeek = QuietHoursRule.of("x", List.of(SendWindow.parse("09:00-17:00")), Set.of(),
                Set.of(LocalDate.of(2030, 12, 26)), Set.of(MonthDay.of(12, 25)));
        ZoneSet tokyo = ZoneSet.of("Asia/Tokyo");
        assertEquals(at("2030-12-27T09:00", "Asia/Tokyo"), xmasWeek.nextOpen(tokyo, at("2030-12-24T17:00", "Asia/Tokyo")));
    }

    @Test
    void shouldOpenAcrossMidnightWithTheClosedDayTakenFromEachInstantsOwnDate() {
        QuietHoursRule night = QuietHoursRule.of("night", List.of(SendWindow.parse("22:00-06:00")),
                Set.of(DayOfWeek.SUNDAY), Set.of(), Set.of());
        ZoneSet z = ZoneSet.of("Asia/Tokyo");
        assertTrue(night.isOpen(at("2026-06-13T23:30", "Asia/Tokyo"), z));   // Saturday night
        assertFalse(night.isOpen(at("2026-06-14T01:00", "Asia/Tokyo"), z));  // Sunday early morning
        assertEquals(at("2026-06-15T00:00", "Asia/Tokyo"),
                night.nextOpen(z, at("2026-06-14T00:00", "Asia/Tokyo")));      // Monday 00:00
        assertEquals(at("2026-06-16T03:00", "Asia/Tokyo"), night.nextOpen(z, at("2026-06-16T03:00", "Asia/Tokyo")));
        assertEquals(at("2026-06-16T22:00", "Asia/Tokyo"), night.nextOpen(z, at("2026-06-16T06:00", "Asia/Tokyo")));
    }

    @Test
    void shouldDeferAMultiZoneNumberUntilEveryZoneIsOpen() {
        QuietHoursRule marketing = DEFAULT.rule("marketing", "US");
        ZoneSet us = ZoneSet.of("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles");
        Instant eightInNewYork = at("2026-06-10T08:00", "America/New_York");
        assertTrue(marketing.isOpen(eightInNewYork, ZoneSet.of("America/New_York")));
        assertFalse(marketing.isOpen(eightInNewYork, us));
        assertEquals(at("2026-06-10T08:00", "America/Los_Angeles"), marketing.nextOpen(us, eightInNewYork));
        // 21:00 in New York closes the shared window although Los Angeles is still open
        Instant late = at("2026-06-10T21:00", "America/New_York");
        assertEquals(at("2026-06-11T08:00", "America/Los_Angeles"), marketing.nextOpen(us, late));
    }

    @Test
    void shouldFailClearlyWhenZonesAreNeverOpenTogether() {
        QuietHoursRule narrow = rule("09:00-10:00");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> narrow.nextOpen(ZoneSet.of("Asia/Tokyo", "Europe/London"), Instant.parse("2026-01-01T00:00:00Z")));
        assertTrue(e.getMessage().contains("[Asia/Tokyo, Europe/London]"), e.getMessage());
    }

    @Test
    void shouldOpenAtTheTransitionWhenTheWindowStartFallsInADstGap() {
        // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 never happens that night
        QuietHoursRule r = rule("02:30-05:00");
        ZoneSet ny = ZoneSet.of("America/New_York");
        assertEquals(Instant.parse("2026-03-08T07:00:00Z"), r.nextOpen(ny, at("2026-03-08T01:00", "America/New_York")));
    }

    @Test
    void shouldOpenWhenAnOverlapTurnsTheClockBackIntoTheWindow() {
        // New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:45 EDT is after the window,
        // but 15 minutes later local time is 01:00 again, inside it
        QuietHoursRule r = rule("00:00-01:30");
        ZoneSet ny = ZoneSet.of("America/New_York");
        Instant from = ZonedDateTime.ofLocal(LocalDateTime.parse("2026-11-01T01:45"), ZoneId.of("America/New_York"), null).toInstant();
        assertEquals(Instant.parse("2026-11-01T05:45:00Z"), from);
        assertEquals(Instant.parse("2026-11-01T06:00:00Z"), r.nextOpen(ny, from));
    }

    @Test
    void shouldHonourFortyFiveMinuteOffsets() {
        QuietHoursRule marketing = DEFAULT.rule("marketing", "NP");
        assertEquals(Instant.parse("2026-06-10T02:15:00Z"), // 08:00 +05:45
                marketing.nextOpen(ZoneSet.of("Asia/Kathmandu"), Instant.parse("2026-06-09T18:00:00Z")));
    }

    @Test
    void shouldFollowAZoneThatChangedItsRulesAndSkippedADay() {
        // Samoa moved across the date line: 2011-12-29 23:59:59 -10:00 was followed by 2011-12-31 00:00 +14:00
        QuietHoursRule r = rule("08:00-21:00");
        ZoneSet apia = ZoneSet.of("Pacific/Apia");
        assertEquals(Instant.parse("2011-12-30T18:00:00Z"), // 2011-12-31T08:00+14:00
                r.nextOpen(apia, Instant.parse("2011-12-30T07:00:00Z"))); // 2011-12-29T21:00-10:00
        // Kathmandu went from +05:30 to +05:45 on 1986-01-01
        assertEquals(Instant.parse("1985-12-31T02:30:00Z"),
                r.nextOpen(ZoneSet.of("Asia/Kathmandu"), Instant.parse("1985-12-30T22:00:00Z")));
        assertEquals(Instant.parse("1986-01-01T02:15:00Z"),
                r.nextOpen(ZoneSet.of("Asia/Kathmandu"), Instant.parse("1985-12-31T22:00:00Z")));
    }

    @Test
    void shouldTreatExemptAsAlwaysOpen() {
        Instant t = Instant.parse("2026-06-14T03:00:00Z");
        assertEquals(t, QuietHoursRule.EXEMPT.nextOpen(PARIS, t));
        assertTrue(QuietHoursRule.EXEMPT.isOpen(t, PARIS));
    }
}
