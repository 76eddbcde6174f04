package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Recipient;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ZoneSetTest {

    @Test
    void shouldSortDeduplicateAndIntern() {
        ZoneSet a = ZoneSet.of("America/New_York", "America/Chicago", "America/New_York");
        ZoneSet b = ZoneSet.of(List.of(ZoneId.of("America/Chicago"), ZoneId.of("America/New_York")));
        assertSame(a, b);
        assertEquals(List.of(ZoneId.of("America/Chicago"), ZoneId.of("America/New_York")), a.zones());
        assertEquals("[America/Chicago, America/New_York]", a.toString());
        assertTrue(ZoneSet.EMPTY.isEmpty());
        assertThrows(DateTimeException.class, () -> ZoneSet.of("Mars/Olympus"));
    }

    @Test
    void shouldPreferTheDirectoryZoneThenTheNumbersZones() {
        Recipient withZone = new Recipient(1, "+33612345678", "FR", "Indian/Reunion", null, Map.of());
        assertEquals(ZoneSet.of("Indian/Reunion"), ZoneSet.forRecipient(withZone));
        Recipient paris = new Recipient(2, "+33612345678", "FR", null, null, Map.of());
        assertEquals(ZoneSet.of("Europe/Paris"), ZoneSet.forRecipient(paris));
        Recipient staleZone = new Recipient(3, "+33612345678", "FR", "Europe/Atlantis", null, Map.of());
        assertEquals(ZoneSet.of("Europe/Paris"), ZoneSet.forRecipient(staleZone));
    }

    @Test
    void shouldGiveEveryZoneOfANumberThatSpansSeveral() {
        String tollFree = "+18002345678";
        List<String> zones = PhoneNumbers.zonesOf(tollFree);
        Recipient r = new Recipient(4, tollFree, "US", null, null, Map.of());
        ZoneSet set = ZoneSet.forRecipient(r);
        assertTrue(set.size() > 1, set::toString);
        assertEquals(ZoneSet.of(zones.toArray(String[]::new)), set);
    }
}
