package dev.herald.dispatcher.funnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.funnel.Touches.Touch;
import dev.herald.dispatcher.links.Clicks;
import dev.herald.suppression.CorruptIndexException;

/** {@link TouchStore}: the rules of {@link Touches}, its file across reopen and recovery, and damage. */
class TouchStoreTest {

    private static final long T = 1_796_600_000_000L;

    @TempDir
    Path dir;

    @Test
    void aNewerTouchReplacesTheLastAndAnOlderOrEqualOneChangesNothing() throws Exception {
        try (TouchStore t = TouchStore.open(dir, 1_000)) {
            assertEquals(Optional.empty(), t.lastDelivered(42));
            assertEquals(Optional.empty(), t.lastClicked(42));
            t.delivered(42, 7, T);
            assertEquals(Optional.of(new Touch(7, T)), t.lastDelivered(42));
            assertEquals(Optional.empty(), t.lastClicked(42), "a delivery is not a click");
            t.delivered(42, 8, T + 1);
            assertEquals(Optional.of(new Touch(8, T + 1)), t.lastDelivered(42), "newer wins, whatever its campaign");
            t.delivered(42, 9, T);
            assertEquals(Optional.of(new Touch(8, T + 1)), t.lastDelivered(42), "a late receipt changes nothing");
            t.delivered(42, 9, T + 1);
            assertEquals(Optional.of(new Touch(8, T + 1)), t.lastDelivered(42), "the same instant: the first stays");

            t.clicked(42, 7, T + 10);
            t.clicked(42, 6, T + 5);
            assertEquals(Optional.of(new Touch(7, T + 10)), t.lastClicked(42));
            assertEquals(Optional.of(new Touch(8, T + 1)), t.lastDelivered(42), "each kind is kept apart");
            t.delivered(42, 9, T + 20);
            assertEquals(Optional.of(new Touch(7, T + 10)), t.lastClicked(42));
            assertEquals(Optional.of(new Touch(9, T + 20)), t.lastDelivered(42));

            t.clicked(43, CampaignNumbers.MAX, 0);
            assertEquals(Optional.of(new Touch(CampaignNumbers.MAX, 0)), t.lastClicked(43), "time 0 and the largest number");
            assertEquals(Optional.empty(), t.lastDelivered(43));
            assertEquals(2, t.size());
        }
    }

    @Test
    void badArgumentsAreRefusedAndChangeNothing() throws Exception {
        try (TouchStore t = TouchStore.open(dir, 1_000)) {
            assertThrows(IllegalArgumentException.class, () -> t.delivered(-1, 1, T));
            assertThrows(IllegalArgumentException.class, () -> t.delivered(1, 0, T));
            assertThrows(IllegalArgumentException.class, () -> t.clicked(1, CampaignNumbers.MAX + 1, T));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.clicked(1, 1, -1));
            assertTrue(e.getMessage().contains("-1"), e.getMessage());
            assertEquals(0, t.size());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TouchStore.open(dir, 0));
        assertTrue(e.getMessage().contains("herald.funnel.touches-capacity"), e.getMessage());
    }

    @Test
    void touchesSurviveACloseAndAReopenAndManyRecipientsFitBeyondTheCapacity() throws Exception {
        int n = 5_000; // five times the capacity: the map grows
        try (TouchStore t = TouchStore.open(dir, 1_000)) {
            for (int r = 0; r < n; r++) {
                t.delivered(r, 1 + r % 5, T + r);
                if (r % 3 == 0) {
                    t.clicked(r, 1 + r % 5, T + 2 * r);
                }
            }
        }
        assertFalse(Files.exists(dir.resolve("touches.open")), "a clean close leaves no marker");
        try (TouchStore t = TouchStore.open(dir, 1_000)) {
            assertEquals(n, t.size());
            for (int r = 0; r < n; r++) {
                assertEquals(Optional.of(new Touch(1 + r % 5, T + r)), t.lastDelivered(r), "recipient " + r);
                assertEquals(r % 3 == 0 ? Optional.of(new Touch(1 + r % 5, T + 2 * r)) : Optional.empty(), t.lastClicked(r));
            }
            t.delivered(0, 4, T - 1);
            assertEquals(Optional.of(new Touch(1, T)), t.lastDelivered(0), "older than what was kept before the reopen");
        }
    }

    @Test
    void anUncleanShutdownIsRecoveredEvenWithAnotherCapacityConfigured() throws Exception {
        try (TouchStore t = TouchStore.open(dir, 2_000)) {
            t.delivered(5, 3, T);
        }
        Files.writeString(dir.resolve("touches.open"), "open\n"); // as a killed process leaves it
        try (TouchStore t = TouchStore.open(dir, 50_000)) {
            assertEquals(Optional.of(new Touch(3, T)), t.lastDelivered(5));
            t.clicked(5, 3, T + 1);
        }
        try (TouchStore t = TouchStore.open(dir, 1_000)) {
            assertEquals(Optional.of(new Touch(3, T + 1)), t.lastClicked(5));
        }
    }

    @Test
    void aFileThatIsNotAChronicleMapIsRefusedNamingItAndLeftAsItIs() throws Exception {
        try (TouchStore t = TouchStore.open(dir, 1_000)) {
            t.delivered(1, 1, T);
        }
        assertEquals(Optional.empty(), TouchStore.verify(dir));
        Path file = dir.resolve(TouchStore.FILE);
        byte[] b = Files.readAllBytes(file);
        java.util.Arrays.fill(b, 0, 64, (byte) 0);
        Files.write(file, b);
        Optional<IOException> found = TouchStore.verify(dir);
        assertTrue(found.isPresent() && found.get().getMessage().startsWith(file.toString()), found.toString());
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> TouchStore.open(dir, 1_000));
        assertEquals(file, e.file());
        assertArrayEquals(b, Files.readAllBytes(file), "left untouched");
    }

    @Test
    void verifyOfAnAbsentStoreFindsNothingAndCreatesNothing() throws Exception {
        Path absent = dir.resolve("none");
        assertEquals(Optional.empty(), TouchStore.verify(absent));
        assertFalse(Files.exists(absent));
    }

    @Test
    void deliveredAtAnswersTheLastDeliveryOnlyForItsOwnCampaign() throws Exception {
        try (TouchStore t = TouchStore.open(dir.resolve("funnel"), 1_000);
             CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("campaign-numbers.log"))) {
            int spring = numbers.numberOf("spring");
            int summer = numbers.numberOf("summer");
            Clicks.DeliveredAt at = TouchStore.deliveredAt(t, numbers);
            assertEquals(-1, at.deliveredAtMillis("spring", 7), "not delivered");
            t.delivered(7, spring, T);
            assertEquals(T, at.deliveredAtMillis("spring", 7));
            assertEquals(-1, at.deliveredAtMillis("summer", 7));
            t.delivered(7, summer, T + 60_000);
            assertEquals(T + 60_000, at.deliveredAtMillis("summer", 7));
            assertEquals(-1, at.deliveredAtMillis("spring", 7), "an earlier campaign's delivery time is not kept");
            assertEquals(-1, at.deliveredAtMillis("autumn", 7), "a campaign without a number");
            assertEquals(Optional.empty(), numbers.existing("autumn"), "and none is given to it by asking");
        }
    }
}
