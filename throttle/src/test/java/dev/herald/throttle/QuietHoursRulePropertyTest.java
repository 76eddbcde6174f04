package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.MonthDay;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Next-open-instant against a brute-force oracle that steps minute by minute: the answer is open,
 * and no instant between the start and the answer is. Starts are drawn near each zone's DST
 * transitions (2010-2031; Pacific/Apia skipped 2011-12-30 entirely) as well as anywhere in those years.
 */
class QuietHoursRulePropertyTest {
    private static final List<String> ZONES = List.of("America/New_York", "Europe/London", "Australia/Lord_Howe",
            "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns", "Asia/Tokyo", "Pacific/Apia");

    record Case(QuietHoursRule rule, ZoneSet zones, Instant from) {
    }

    @Property(tries = 600, seed = "20261122")
    void shouldAnswerTheFirstOpenInstantInOneZone(@ForAll("singleZone") Case c) {
        Instant answer = c.rule.nextOpen(c.zones, c.from);
        assertOracle(c, answer);
    }

    @Property(tries = 200, seed = "20261123")
    void shouldAnswerTheFirstInstantOpenInAllZones(@ForAll("multiZone") Case c) {
        Instant answer;
        try {
            answer = c.rule.nextOpen(c.zones, c.from);
        } catch (IllegalStateException neverOpenTogether) {
            // then no instant of the next two weeks may be open in all zones
            for (long m = 0; m < 14 * 24 * 60; m++) {
                Instant t = c.from.plusSeconds(m * 60);
                assertFalse(c.rule.isOpen(t, c.zones), () -> "open at " + t + " for " + c);
            }
            return;
        }
        assertOracle(c, answer);
    }

    private static void assertOracle(Case c, Instant answer) {
        assertFalse(answer.isBefore(c.from), () -> answer + " before start " + c);
        assertTrue(c.rule.isOpen(answer, c.zones), () -> answer + " is in a closed window " + c);
        Instant t = c.from;
        while (t.isBefore(answer)) {
            Instant probe = t;
            assertFalse(c.rule.isOpen(probe, c.zones), () -> "open earlier at " + probe + " than " + answer + " " + c);
            t = t.getEpochSecond() % 60 == 0 && t.getNano() == 0 ? t.plusSeconds(60)
                    : Instant.ofEpochSecond(Math.floorDiv(t.getEpochSecond(), 60) * 60 + 60);
        }
    }

    @Provide
    Arbitrary<Case> singleZone() {
        return Arbitraries.of(ZONES).flatMap(z -> Combinators.combine(rules(), start(ZoneId.of(z)))
                .as((r, from) -> new Case(r, ZoneSet.of(z), from)));
    }

    @Provide
    Arbitrary<Case> multiZone() {
        return Arbitraries.of(ZONES).list().ofMinSize(2).ofMaxSize(3).uniqueElements().flatMap(zs ->
                Combinators.combine(rules(), start(ZoneId.of(zs.get(0))))
                        .as((r, from) -> new Case(r, ZoneSet.of(zs.toArray(String[]::new)), from)));
    }

    /** 1-3 windows on a 15-minute grid (so starts and ends hit DST times), some days and dates closed. */
    private static Arbitrary<QuietHoursRule> rules() {
        Arbitrary<SendWindow> window = Combinators.combine(Arbitraries.integers().between(0, 95),
                        Arbitraries.integers().between(1, 95))
                .as((start, quarters) -> {
                    int end = (start + quarters) * 15;
                    return new SendWindow(start * 15, end > 1440 ? end - 1440 : end);
                });
        Arbitrary<Set<DayOfWeek>> days = Arbitraries.of(DayOfWeek.class).set().ofMaxSize(3);
        Arbitrary<Set<MonthDay>> yearly = Arbitraries.integers().between(1, 365)
                .map(d -> MonthDay.from(LocalDate.ofYearDay(2025, d))).set().ofMaxSize(3);
        return Combinators.combine(window.list().ofMinSize(1).ofMaxSize(3), days, yearly)
                .as((ws, ds, ys) -> QuietHoursRule.of("generated", ws, ds, Set.of(), ys));
    }

    /** Half the starts within two days of one of the zone's transitions, half anywhere in 2010-2031. */
    private static Arbitrary<Instant> start(ZoneId zone) {
        List<Instant> transitions = new ArrayList<>();
        ZoneOffsetTransition t = zone.getRules().nextTransition(Instant.parse("2010-01-01T00:00:00Z"));
        while (t != null && t.getInstant().isBefore(Instant.parse("2031-12-31T00:00:00Z"))) {
            transitions.add(t.getInstant());
            t = zone.getRules().nextTransition(t.getInstant());
        }
        Arbitrary<Instant> anywhere = Arbitraries.longs().between(Instant.parse("2010-01-01T00:00:00Z").getEpochSecond(),
                Instant.parse("2031-12-31T00:00:00Z").getEpochSecond()).map(Instant::ofEpochSecond);
        if (transitions.isEmpty()) {
            return anywhere;
        }
        Arbitrary<Instant> near = Combinators.combine(Arbitraries.of(transitions),
                        Arbitraries.longs().between(-2 * 86_400L, 2 * 86_400L))
                .as((tr, delta) -> tr.plusSeconds(delta % 7 == 0 ? delta / 60 * 60 : delta));
        return Arbitraries.oneOf(near, anywhere);
    }
}
