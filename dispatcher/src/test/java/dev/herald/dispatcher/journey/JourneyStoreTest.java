package dev.herald.dispatcher.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.store.DamagedStoreException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Journeys' definitions and status survive a reopen, every version kept; bad transitions and damage are refused. */
class JourneyStoreTest {

    @TempDir
    Path dir;

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void versionsAndStatusAreKeptAcrossAReopen() throws Exception {
        JourneyDefinition v1 = JourneyValidatorTest.parse(JourneyValidatorTest.CART);
        JourneyDefinition v2 = JourneyValidatorTest.cart(n -> n.put("name", "Abandoned cart v2"));
        String id;
        try (JourneyStore s = JourneyStore.open(dir, CLOCK)) {
            JourneyStore.Journey j = s.create(v1);
            id = j.id();
            assertTrue(id.startsWith("j-20261207-100000-"), id);
            assertEquals(JourneyStore.Status.ACTIVE, j.status());
            assertEquals(2, s.update(id, v2).versions().size());
            assertEquals(JourneyStore.Status.PAUSED, s.status(id, JourneyStore.Status.PAUSED).status());
            assertThrows(IllegalStateException.class, () -> s.status(id, JourneyStore.Status.PAUSED), "already paused");
        }
        try (JourneyStore s = JourneyStore.open(dir, CLOCK)) {
            JourneyStore.Journey j = s.get(id).orElseThrow();
            assertEquals(JourneyStore.Status.PAUSED, j.status());
            assertEquals(List.of(1, 2), j.versions().stream().map(JourneyStore.Version::version).toList());
            assertEquals("Abandoned cart v2", j.current().definition().name());
            assertEquals(v1, j.versions().get(0).definition(), "version 1 as given");
            assertEquals(JourneyStore.Status.ACTIVE, s.status(id, JourneyStore.Status.ACTIVE).status());
            assertEquals(JourneyStore.Status.ARCHIVED, s.status(id, JourneyStore.Status.ARCHIVED).status());
            assertThrows(IllegalStateException.class, () -> s.update(id, v1), "an archived journey takes no version");
            assertThrows(IllegalStateException.class, () -> s.status(id, JourneyStore.Status.ACTIVE));
            assertThrows(java.util.NoSuchElementException.class, () -> s.update("j-none", v1));
        }
        assertTrue(JourneyStore.verify(dir.resolve(JourneyStore.FILE)).ok());
    }

    @Test
    void aDamagedLineRefusesTheFileAndATornTailIsDropped() throws Exception {
        try (JourneyStore s = JourneyStore.open(dir, CLOCK)) {
            s.create(JourneyValidatorTest.parse(JourneyValidatorTest.CART));
        }
        Path f = dir.resolve(JourneyStore.FILE);
        long size = Files.size(f);
        Files.write(f, "{\"op\":\"define\",\"id\":\"j-x\"".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        try (JourneyStore s = JourneyStore.open(dir, CLOCK)) {
            assertEquals(1, s.list().size(), "the torn tail is dropped");
        }
        assertEquals(size, Files.size(f));
        byte[] b = Files.readAllBytes(f);
        b[20] = (byte) (b[20] == 'x' ? 'y' : 'x');
        Files.write(f, b);
        assertFalse(JourneyStore.verify(f).ok());
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> JourneyStore.open(dir, CLOCK));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }
}
