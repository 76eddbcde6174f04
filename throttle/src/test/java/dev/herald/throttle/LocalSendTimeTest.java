package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;

class LocalSendTimeTest {
    private static final LocalSendTime TEN_THIRTY = LocalSendTime.parse("10:30");

    private static Instant at(String local, String zone) {
        return LocalDateTime.parse(local).atZone(ZoneId.of(zone)).toInstant();
    }

    @Test
    void shouldReachEachZoneAtItsOwnTenThirty() {
        Instant now = Instant.parse("2026-06-10T00:00:00Z");
        assertEquals(at("2026-06-10T10:30", "Asia/Kathmandu"), TEN_THIRTY.nextAtOrAfter(ZoneId.of("Asia/Kathmandu"), now));
        assertEquals(at("2026-06-10T10:30", "America/St_Johns"), TEN_THIRTY.nextAtOrAfter(ZoneId.of("America/St_Johns"), now));
        assertEquals(at("2026-06-11T10:30", "Pacific/Chatham"), TEN_THIRTY.nextAtOrAfter(ZoneId.of("Pacific/Chatham"), now));
        Instant exactly = at("2026-06-10T10:30", "Europe/London");
        assertEquals(exactly, TEN_THIRTY.nextAtOrAfter(ZoneId.of("Europe/London"), exactly));
    }

    @Test
    void shouldReachATimeInADstGapAtTheTransition() {
        LocalSendTime t = LocalSendTime.parse("02:15");
        assertEquals(Instant.parse("2026-03-08T07:00:00Z"),
                t.nextAtOrAfter(ZoneId.of("America/New_York"), Instant.parse("2026-03-08T00:00:00Z")));
    }

    @Test
    void shouldTakeTheSecondOccurrenceInAnOverlapWhenTheFirstHasPassed() {
        LocalSendTime t = LocalSendTime.parse("01:30");
        // 01:30 EDT = 05:30Z has passed; 01:30 EST = 06:30Z has not
        assertEquals(Instant.parse("2026-11-01T06:30:00Z"),
                t.nextAtOrAfter(ZoneId.of("America/New_York"), Instant.parse("2026-11-01T05:40:00Z")));
    }

    @Test
    void shouldWaitForTheLastZoneOfASet() {
        ZoneSet us = ZoneSet.of("America/New_York", "America/Los_Angeles");
        assertEquals(at("2026-06-10T10:30", "America/Los_Angeles"), TEN_THIRTY.nextAtOrAfter(us, Instant.parse("2026-06-10T12:00:00Z")));
        assertThrows(IllegalArgumentException.class, () -> TEN_THIRTY.nextAtOrAfter(ZoneSet.EMPTY, Instant.EPOCH));
        assertThrows(IllegalArgumentException.class, () -> LocalSendTime.parse("10.30"));
    }
}
