package dev.herald.dispatcher.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.store.DamagedStoreException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The erasure log: durable across a restart, a torn tail dropped, a damaged line named by file and line, nothing lost. */
class ErasuresTest {

    private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");

    @Test
    void shouldKeepEveryErasureAcrossARestart(@TempDir Path data) throws Exception {
        try (Erasures e = Erasures.open(data)) {
            e.record(42, 0xfedc_ba98_7654_3210L, AT, "key-7");
            e.record(7, 1L, AT.plusSeconds(1), "cli");
            assertTrue(e.isErased(42));
        }
        try (Erasures e = Erasures.open(data)) {
            assertEquals(2, e.erasedIds().getCardinality());
            assertTrue(e.erasedIds().contains(7) && e.erasedIds().contains(42));
            assertFalse(e.isErased(8));
            List<Erasures.Erasure> all = e.list();
            assertEquals(new Erasures.Erasure(42, 0xfedc_ba98_7654_3210L, AT, "key-7"), all.get(0), "the hash survives as hex");
            assertEquals("cli", all.get(1).by());
        }
        String text = Files.readString(data.resolve(Erasures.FILE));
        assertTrue(text.startsWith("42 fedcba9876543210 " + AT.toEpochMilli() + " key-7\t"), text);
        assertTrue(Erasures.verify(data).ok());
    }

    @Test
    void shouldRefuseMalformedInputNamingIt(@TempDir Path data) throws Exception {
        try (Erasures e = Erasures.open(data)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> e.record(-1, 0, AT, "cli")).getMessage().contains("-1"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> e.record(1, 0, AT, "two words")).getMessage()
                    .contains("'two words'"));
            assertThrows(IllegalArgumentException.class, () -> e.record(1, 0, AT, ""));
            assertTrue(e.erasedIds().isEmpty(), "nothing recorded");
        }
    }

    @Test
    void shouldDropATornLastLineAndKeepTheRest(@TempDir Path data) throws Exception {
        try (Erasures e = Erasures.open(data)) {
            e.record(1, 1, AT, "cli");
        }
        Files.writeString(data.resolve(Erasures.FILE), "2 00000000000000", StandardOpenOption.APPEND); // a crash mid-write
        try (Erasures e = Erasures.open(data)) {
            assertEquals(1, e.erasedIds().getCardinality());
            e.record(3, 3, AT, "cli");
        }
        try (Erasures e = Erasures.open(data)) {
            assertTrue(e.erasedIds().contains(1) && e.erasedIds().contains(3));
        }
    }

    @Test
    void shouldRefuseADamagedLineNamingFileAndLineAndChangeNothing(@TempDir Path data) throws Exception {
        try (Erasures e = Erasures.open(data)) {
            e.record(1, 1, AT, "cli");
            e.record(22, 2, AT, "cli");
            e.record(3, 3, AT, "cli");
        }
        Path file = data.resolve(Erasures.FILE);
        byte[] good = Files.readAllBytes(file);
        byte[] bad = good.clone();
        int second = new String(good, StandardCharsets.US_ASCII).indexOf("\n22 ") + 1;
        bad[second + 1] = '9'; // "22" → "29": the line's checksum no longer holds
        Files.write(file, bad);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> Erasures.open(data));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("line 2"), e.getMessage());
        assertArrayEquals(bad, Files.readAllBytes(file), "nothing cut or rewritten");
        assertTrue(Erasures.verify(data).isDamaged());

        // a line whose checksum holds but that is no erasure
        Files.write(file, good);
        Files.write(file, framed("1 nothex 5 cli"), StandardOpenOption.APPEND);
        IOException notOne = assertThrows(IOException.class, () -> Erasures.open(data));
        assertTrue(notOne.getMessage().contains(file.toString()) && notOne.getMessage().contains("line 4"), notOne.getMessage());
        assertTrue(Erasures.verify(data).isDamaged());
    }

    private static byte[] framed(String record) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(record.length() + dev.herald.suppression.store.FrameFormat.LINE_TRAILER);
        dev.herald.suppression.store.FrameFormat.putLine(b, record.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }
}
