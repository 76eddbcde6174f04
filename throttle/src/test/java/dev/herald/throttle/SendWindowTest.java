package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalTime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SendWindowTest {

    @Test
    void shouldParseADaytimeWindowWithExclusiveEnd() {
        SendWindow w = SendWindow.parse("08:00-21:00");
        assertEquals(new SendWindow(480, 1260), w);
        assertTrue(w.contains(LocalTime.of(8, 0)));
        assertTrue(w.contains(LocalTime.of(20, 59, 59)));
        assertFalse(w.contains(LocalTime.of(21, 0)));
        assertFalse(w.contains(LocalTime.of(7, 59)));
        assertEquals("08:00-21:00", w.toString());
    }

    @Test
    void shouldOpenAcrossMidnightWhenEndIsBeforeStart() {
        SendWindow w = SendWindow.parse(" 21:00 - 08:00 ");
        assertTrue(w.crossesMidnight());
        assertTrue(w.contains(LocalTime.of(23, 0)));
        assertTrue(w.contains(LocalTime.MIDNIGHT));
        assertTrue(w.contains(LocalTime.of(7, 59)));
        assertFalse(w.contains(LocalTime.of(8, 0)));
        assertFalse(w.contains(LocalTime.NOON));
    }

    @Test
    void shouldAcceptTwentyFourHundredAsEndOfDay() {
        SendWindow w = SendWindow.parse("00:00-24:00");
        assertFalse(w.crossesMidnight());
        assertTrue(w.contains(LocalTime.MAX));
        assertTrue(w.contains(LocalTime.MIDNIGHT));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "25:00-21:00 | \"25:00\" is not a time HH:mm",
            "08:00-8:00 | \"8:00\" is not a time HH:mm",
            "08:60-21:00 | \"08:60\" is not a time HH:mm",
            "24:30-01:00 | \"24:30\" is not a time HH:mm",
            "24:00-08:00 | 24:00 is only an end",
            "09:00-09:00 | is empty",
            "09:00 | is not a window",
    })
    void shouldRejectMalformedWindowsSayingWhy(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SendWindow.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
