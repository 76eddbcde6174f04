package dev.herald.dispatcher.inbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.TornTails;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replay keys across restarts under the store rule: torn tails dropped and reported, damage refused. */
class ReplayGuardTest {

    @TempDir
    Path dir;

    private final Clock clock = Clock.fixed(Instant.parse("2026-12-06T12:00:00Z"), ZoneOffset.UTC);
    private final Duration window = Duration.ofMinutes(10);

    private Path keysAfterTaking(long... nonces) throws IOException {
        try (ReplayGuard g = ReplayGuard.open(dir, window, clock)) {
            for (long n : nonces) {
                assertTrue(g.claim(n));
            }
        }
        return dir.resolve("replay-keys.bin");
    }

    @Test
    void shouldRefuseAReplayAfterARestart() throws IOException {
        keysAfterTaking(11, 12);
        try (ReplayGuard g = ReplayGuard.open(dir, window, clock)) {
            assertFalse(g.claim(12), "a replayed message id is refused after a restart");
            assertTrue(g.claim(13));
        }
    }

    /** Before: a zero-filled replay-keys.bin opened as "no keys", and a replayed message id was accepted (200, not 409). */
    @Test
    void shouldRefuseAZeroFilledKeyFileInsteadOfForgettingTheKeys() throws IOException {
        Path f = keysAfterTaking(11, 12);
        Files.write(f, new byte[(int) Files.size(f)]);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> ReplayGuard.open(dir, window, clock));
        assertEquals(f, e.file());
        assertEquals(0, e.offset());
    }

    @Test
    void shouldRefuseADamagedKeyNamingTheFileAndOffset() throws IOException {
        Path f = keysAfterTaking(11, 12, 13);
        byte[] b = Files.readAllBytes(f);
        int second = 8 + 24;
        b[second + 20] ^= 1; // the key of the second frame
        Files.write(f, b);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> ReplayGuard.open(dir, window, clock));
        assertEquals(second, e.offset());
        assertArrayEquals(b, Files.readAllBytes(f));
        b[second + 20] ^= 1;
        b[b.length - 1] ^= 1; // the last complete frame
        Files.write(f, b);
        assertEquals(b.length - 24, assertThrows(DamagedStoreException.class, () -> ReplayGuard.open(dir, window, clock)).offset());
    }

    @Test
    void shouldDropAndReportATornLastKeyAndAppendCleanly() throws IOException {
        Path f = keysAfterTaking(11, 12);
        long end = Files.size(f);
        Files.write(f, new byte[] {0, 0, 0, 16, 7, 7}, StandardOpenOption.APPEND);
        long counted = TornTails.count();
        try (ReplayGuard g = ReplayGuard.open(dir, window, clock)) {
            assertEquals(counted + 1, TornTails.count());
            assertEquals(end, Files.size(f));
            assertFalse(g.claim(11));
            assertTrue(g.claim(14));
        }
        try (ReplayGuard g = ReplayGuard.open(dir, window, clock)) {
            assertFalse(g.claim(14), "the key appended after the dropped tail is read back");
        }
        assertTrue(ReplayGuard.verify(dir).get(0).ok());
    }

    /** A file the earlier version wrote (bare 16-byte entries: time, key) is migrated on open and its keys kept. */
    @Test
    void shouldMigrateAKeyFileOfTheEarlierVersion() throws IOException {
        Path f = dir.resolve("replay-keys.bin");
        long now = clock.millis();
        ByteBuffer old = ByteBuffer.allocate(16 * 2 + 5).putLong(now - 1000).putLong(11).putLong(now - 500).putLong(12)
                .put(new byte[] {1, 2, 3, 4, 5}); // and a torn last entry
        Files.write(f, old.array());
        assertTrue(ReplayGuard.verify(dir).get(0).ok(), "not damaged: to be migrated");
        try (ReplayGuard g = ReplayGuard.open(dir, window, clock)) {
            assertFalse(g.claim(11));
            assertFalse(g.claim(12));
        }
        assertTrue(new String(Files.readAllBytes(f), 0, 8, StandardCharsets.US_ASCII).equals("HRLDRPK1"));
        assertTrue(ReplayGuard.verify(dir).get(0).ok());
        Files.write(f, new byte[0]); // the earlier version created the file empty before the first key
        try (ReplayGuard g = ReplayGuard.open(dir, window, clock)) {
            assertTrue(g.claim(11));
        }
        Files.write(f, new byte[64]); // an old-format file zero-filled
        assertThrows(DamagedStoreException.class, () -> ReplayGuard.open(dir, window, clock));
        assertEquals(64, Files.size(f));
        assertTrue(Arrays.equals(new byte[64], Files.readAllBytes(f)));
    }
}
