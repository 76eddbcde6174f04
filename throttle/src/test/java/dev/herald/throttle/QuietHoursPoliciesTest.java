package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.MonthDay;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuietHoursPoliciesTest {
    private static final String PREFIX = "herald.quiet-hours.policies.p";

    private static QuietHoursPolicies load(String policyBody) {
        Config c = ConfigFactory.parseString("herald.quiet-hours.policies.p {" + policyBody + "}").resolve();
        return QuietHoursPolicies.fromConfig(c);
    }

    @Test
    void shouldLoadTheShippedDefaults() {
        Config c = ConfigFactory.parseResources("herald-quiet-hours.conf").resolve();
        QuietHoursPolicy p = QuietHoursPolicies.fromConfig(c).get("default");
        assertEquals(List.of(SendWindow.parse("08:00-21:00")), p.rule("marketing", "GB").windows());
        assertTrue(p.rule("transactional", "FR").isExempt());
        QuietHoursRule fr = p.rule("marketing", "FR");
        assertEquals(List.of(SendWindow.parse("08:00-20:00")), fr.windows());
        assertEquals(Set.of(DayOfWeek.SUNDAY), fr.closedDays());
        assertTrue(fr.closedYearly().contains(MonthDay.of(7, 14)));
        assertTrue(fr.closedDates().contains(LocalDate.of(2026, 5, 25)));
        assertEquals(ZoneSet.of("UTC"), p.zonesFor(ZoneSet.EMPTY));
    }

    @Test
    void shouldMergeCountryRulesOverThePolicy() {
        QuietHoursPolicy p = load("unknown-zones = [UTC]\n"
                + "categories { marketing { windows = [\"09:00-12:00\", \"14:00-18:00\"], closed-dates = [\"2026-01-02\"] },"
                + "             transactional { exempt = true } }\n"
                + "countries { DE { closed-dates = [\"--10-03\"], closed-days = [sunday] },"
                + "            US { categories { marketing { windows = [\"10:00-20:00\"] }, alerts { windows = [\"07:00-22:00\"] } } } }")
                .get("p");
        QuietHoursRule de = p.rule("marketing", "DE");
        assertEquals(2, de.windows().size());
        assertEquals(Set.of(DayOfWeek.SUNDAY), de.closedDays());
        assertEquals(Set.of(LocalDate.of(2026, 1, 2)), de.closedDates());
        assertEquals(Set.of(MonthDay.of(10, 3)), de.closedYearly());
        assertSame(QuietHoursRule.EXEMPT, p.rule("transactional", "DE"));
        assertEquals(List.of(SendWindow.parse("10:00-20:00")), p.rule("marketing", "US").windows());
        assertEquals(Set.of(LocalDate.of(2026, 1, 2)), p.rule("marketing", "US").closedDates());
        assertEquals(List.of(SendWindow.parse("07:00-22:00")), p.rule("alerts", "US").windows());
        assertEquals(2, p.rule("marketing", null).windows().size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.rule("alerts", "GB"));
        assertTrue(e.getMessage().contains("no rule for category 'alerts'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "unknown-zones = [UTC], categories { marketing { windows = [\"25:00-21:00\"] } }"
                    + " | .categories.marketing.windows[0] | \"25:00\" is not a time HH:mm",
            "unknown-zones = [UTC], categories { marketing { windows = [\"10:00-10:00\"] } }"
                    + " | .categories.marketing.windows[0] | is empty",
            "unknown-zones = [UTC], categories { marketing { windows = \"08:00-21:00\" } }"
                    + " | .categories.marketing.windows | must be a list",
            "unknown-zones = [UTC], categories { marketing { closed-days = [MONDAY] } }"
                    + " | .categories.marketing.windows | missing",
            "unknown-zones = [UTC], categories { marketing { windows = [] } }"
                    + " | .categories.marketing.windows | empty",
            "unknown-zones = [UTC], categories { marketing { windows = [\"08:00-21:00\"], closed-days = [FUNDAY] } }"
                    + " | .categories.marketing.closed-days[0] | not a day of the week",
            "unknown-zones = [UTC], categories { m { windows = [\"08:00-21:00\"], closed-days = [MONDAY,TUESDAY,WEDNESDAY,THURSDAY,FRIDAY,SATURDAY,SUNDAY] } }"
                    + " | .categories.m.closed-days | every day of the week is closed",
            "unknown-zones = [UTC], categories { marketing { windows = [\"08:00-21:00\"], closed-dates = [\"2026-02-30\"] } }"
                    + " | .categories.marketing.closed-dates[0] | not a date",
            "unknown-zones = [UTC], categories { marketing { window = [\"08:00-21:00\"] } }"
                    + " | .categories.marketing.window | unknown key",
            "unknown-zones = [UTC], categories { marketing { windows = [\"08:00-21:00\"], exempt = maybe } }"
                    + " | .categories.marketing.exempt | true or false",
            "unknown-zones = [Mars/Olympus], categories {}"
                    + " | .unknown-zones[0] | not a time-zone id",
            "unknown-zones = [], categories {}"
                    + " | .unknown-zones | must not be empty",
            "categories {}"
                    + " | .unknown-zones | missing",
            "unknown-zones = [UTC]"
                    + " | .categories | missing",
            "unknown-zones = [UTC], categories { marketing { windows = [\"08:00-21:00\"] } }, countries { XX { closed-days = [SUNDAY] } }"
                    + " | .countries.XX | not an ISO 3166",
            "unknown-zones = [UTC], categories { marketing { windows = [\"08:00-21:00\"] } }, countries { fr { closed-days = [SUNDAY] } }"
                    + " | .countries.fr | not an ISO 3166",
            "unknown-zones = [UTC], categories { marketing { windows = [\"08:00-21:00\"] } }, countries { FR { categories { marketing { windows = [\"8-20\"] } } } }"
                    + " | .countries.FR.categories.marketing.windows[0] | \"8\" is not a time HH:mm",
            "unknown-zones = [UTC], categories { marketing { windows = [\"08:00-21:00\"], closed-days = [SATURDAY] } }, countries { FR { closed-days = [SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY] } }"
                    + " | .countries.FR.closed-days | every day of the week is closed",
    })
    void shouldRejectBadConfigurationNamingTheKeyPath(String body, String path, String problem) {
        QuietHoursConfigException e = assertThrows(QuietHoursConfigException.class, () -> load(body));
        assertEquals(PREFIX + path, e.keyPath(), e.getMessage());
        assertTrue(e.getMessage().startsWith(PREFIX + path + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void shouldRejectAMissingSection() {
        QuietHoursConfigException e = assertThrows(QuietHoursConfigException.class,
                () -> QuietHoursPolicies.fromConfig(ConfigFactory.empty()));
        assertEquals("herald.quiet-hours.policies: missing", e.getMessage());
    }

    @Test
    void shouldNameTheConfiguredPoliciesWhenOneIsUnknown() {
        QuietHoursPolicies ps = load("unknown-zones = [UTC], categories {}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ps.get("strict"));
        assertTrue(e.getMessage().contains("configured: [p]"), e.getMessage());
        assertFalse(ps.names().isEmpty());
    }
}
