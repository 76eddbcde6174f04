package dev.herald.dispatcher.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDate;
import java.time.MonthDay;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The date-attribute rule shared by the attributes API and the date triggers. */
class DateAttributesTest {

    @Test
    void shouldReadMonthAndDayOfADateAMonthDayAndAnInstant() {
        assertEquals(Optional.of(MonthDay.of(3, 14)), DateAttributes.monthDay("1990-03-14"));
        assertEquals(Optional.of(MonthDay.of(2, 29)), DateAttributes.monthDay(" --02-29 "));
        assertEquals(Optional.of(MonthDay.of(12, 1)), DateAttributes.monthDay("2026-12-01T23:30:00Z"));
        assertEquals(Optional.of(MonthDay.of(11, 30)), DateAttributes.monthDay("2026-12-01T00:30:00+01:00"), "its date in UTC");
        for (String bad : new String[] {"--02-30", "--13-01", "14/03/1990", "1990-3-14", "", "gold", "2023-02-29"}) {
            assertEquals(Optional.empty(), DateAttributes.monthDay(bad), bad);
        }
        assertEquals(Optional.empty(), DateAttributes.monthDay(null));
    }

    @Test
    void shouldReadADateButNotAMonthDay() {
        assertEquals(Optional.of(LocalDate.of(1990, 3, 14)), DateAttributes.date("1990-03-14"));
        assertEquals(Optional.of(LocalDate.of(2026, 12, 1)), DateAttributes.date("2026-12-01T10:00:00Z"));
        assertEquals(Optional.empty(), DateAttributes.date("--03-14"));
        assertEquals(Optional.empty(), DateAttributes.date("+12345-01-01"));
        assertEquals(Optional.of(Instant.parse("2026-12-01T09:00:00Z")), DateAttributes.instant("2026-12-01T10:00:00+01:00"));
        assertEquals(Optional.empty(), DateAttributes.instant("2026-12-01"));
    }

    @Test
    void shouldAcceptDatesAndMonthDaysForBirthdayAndDateNames() {
        DateAttributes.validate("birthday", "1990-03-14");
        DateAttributes.validate("birthday", "--03-14");
        DateAttributes.validate("renewal_date", "2027-01-31");
        for (String bad : new String[] {"14/03/1990", "1990-02-30", "2026-12-01T10:00:00Z", "--02-30", "March 14"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DateAttributes.validate("birthday", bad));
            assertTrue(e.getMessage().startsWith("'birthday' must be a date"), e.getMessage());
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> DateAttributes.validate("renewal_date", "tomorrow"));
    }

    @Test
    void shouldAcceptInstantsAndDatesForAtNames() {
        DateAttributes.validate("signed_up_at", "2026-12-01T10:00:00Z");
        DateAttributes.validate("signed_up_at", "2026-12-01T10:00:00.5+05:30");
        DateAttributes.validate("signed_up_at", "2026-12-01");
        for (String bad : new String[] {"--12-01", "2026-12-01 10:00", "2026-13-01", "yesterday", "1764583200"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DateAttributes.validate("signed_up_at", bad));
            assertTrue(e.getMessage().startsWith("'signed_up_at' must be an ISO-8601 instant"), e.getMessage());
        }
    }

    @Test
    void shouldLeaveOtherNamesUnchecked() {
        DateAttributes.validate("tier", "gold");
        DateAttributes.validate("date", "not a date: only birthday and *_date are");
        DateAttributes.validate("birthday_note", "whatever");
    }
}
