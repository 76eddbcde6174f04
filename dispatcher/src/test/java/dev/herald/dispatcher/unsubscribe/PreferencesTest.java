package dev.herald.dispatcher.unsubscribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

class PreferencesTest {

    @TempDir
    Path dir;

    @Test
    void shouldKeepChoicesAcrossReopenAndFeedTheCapSegments() throws Exception {
        try (Preferences p = Preferences.open(dir)) {
            p.set(1, Frequency.WEEKLY);
            p.set(2, Frequency.MONTHLY);
            p.set(3, Frequency.WEEKLY);
            p.set(3, Frequency.AS_SENT);
        }
        try (Preferences p = Preferences.open(dir)) {
            assertEquals(Frequency.WEEKLY, p.frequency(1));
            assertEquals(Frequency.MONTHLY, p.frequency(2));
            assertEquals(Frequency.AS_SENT, p.frequency(3));
            assertEquals(Frequency.AS_SENT, p.frequency(4));
            Function<String, ImmutableRoaringBitmap> seg = p.segments(name -> null);
            assertEquals(ImmutableRoaringBitmap.bitmapOf(1), seg.apply(Preferences.WEEKLY_SEGMENT));
            assertEquals(ImmutableRoaringBitmap.bitmapOf(2), seg.apply(Preferences.MONTHLY_SEGMENT));
            assertEquals(null, seg.apply("other"));
        }
    }

    @Test
    void shouldCutATornLastLineButRefuseACorruptEarlierOne() throws Exception {
        try (Preferences p = Preferences.open(dir)) {
            p.set(1, Frequency.WEEKLY);
        }
        Path log = dir.resolve("preferences.log");
        Files.write(log, "2 mont".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND); // a crash mid-write
        try (Preferences p = Preferences.open(dir)) {
            assertEquals(Frequency.WEEKLY, p.frequency(1));
            p.set(2, Frequency.MONTHLY);
        }
        try (Preferences p = Preferences.open(dir)) {
            assertEquals(Frequency.MONTHLY, p.frequency(2), "the record after the cut tail is whole");
        }
        String text = Files.readString(log);
        Files.writeString(log, text.replaceFirst("1 weekly", "1 monthl"));
        IOException e = assertThrows(IOException.class, () -> Preferences.open(dir));
        assertTrue(e.getMessage().contains("damaged at offset 0") && e.getMessage().contains(log.toString()), e.getMessage());
    }

    /**
     * A damaged last line was deleted from disk with no word, and the recipient's "at most weekly"
     * silently became "as sent": it is damage, refused naming the file and offset, the file kept.
     */
    @Test
    void shouldRefuseADamagedLastLineInsteadOfDroppingTheChoice() throws Exception {
        try (Preferences p = Preferences.open(dir)) {
            p.set(1, Frequency.MONTHLY);
            p.set(2, Frequency.WEEKLY);
        }
        Path log = dir.resolve("preferences.log");
        String text = Files.readString(log);
        int last = text.indexOf("2 weekly");
        Files.writeString(log, text.replace("2 weekly", "2 weekle"));
        dev.herald.suppression.store.DamagedStoreException e =
                assertThrows(dev.herald.suppression.store.DamagedStoreException.class, () -> Preferences.open(dir));
        assertEquals(last, e.offset());
        assertEquals(log, e.file());
        assertEquals(text.replace("2 weekly", "2 weekle"), Files.readString(log), "never cut");
    }
}
