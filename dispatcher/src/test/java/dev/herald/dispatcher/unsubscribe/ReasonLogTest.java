package dev.herald.dispatcher.unsubscribe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.report.UnsubscribeReasons;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.TornTails;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** reasons.jsonl under the store rule: checksummed JSON lines, damage refused by offset, torn tails reported. */
class ReasonLogTest {

    @TempDir
    Path dir;

    private static final Instant T = Instant.parse("2026-11-23T01:02:03Z");

    private Path threeReasons() throws IOException {
        try (ReasonLog log = ReasonLog.open(dir)) {
            log.append(T, 1, "+447700900001", "c1", "acme", Reason.TOO_FREQUENT, null);
            log.append(T, 2, "+447700900002", "c1", "acme", Reason.OTHER, "too long");
            log.append(T, 3, "+447700900003", "c1", "acme", Reason.NOT_RELEVANT, null);
        }
        return dir.resolve("reasons.jsonl");
    }

    private static int offsetOfLine(Path f, int line) throws IOException {
        List<String> lines = Files.readAllLines(f);
        int at = 0;
        for (int i = 0; i < line; i++) {
            at += lines.get(i).getBytes(StandardCharsets.UTF_8).length + 1;
        }
        return at;
    }

    @Test
    void shouldWriteOneJsonObjectALineWithItsChecksum() throws IOException {
        Path f = threeReasons();
        for (String line : Files.readAllLines(f)) {
            assertTrue(new ObjectMapper().readTree(line).path("lineCrc32").asText().matches("[0-9a-f]{8}"), line);
        }
        assertEquals(1, UnsubscribeReasons.read(f, "c1"::equals).reasonOf(1, "c1").map(Object::toString).stream().count());
        assertTrue(ReasonLog.verify(f).ok());
    }

    /** Before: a flipped byte in a line (here its campaign) made the line skip silently, without the promised log line. */
    @Test
    void shouldRefuseADamagedLineWhenOpeningAndWhenReading() throws IOException {
        Path f = threeReasons();
        int second = offsetOfLine(f, 1);
        byte[] b = Files.readAllBytes(f);
        int c = new String(b, StandardCharsets.UTF_8).indexOf("\"c1\"", second) + 2;
        b[c] = '9';
        Files.write(f, b);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> ReasonLog.open(dir));
        assertEquals(second, e.offset());
        assertEquals(f, e.file());
        e = assertThrows(DamagedStoreException.class, () -> UnsubscribeReasons.read(f, "c1"::equals));
        assertEquals(second, e.offset());
        assertArrayEquals(b, Files.readAllBytes(f));
        assertTrue(ReasonLog.verify(f).isDamaged());
    }

    @Test
    void shouldRefuseADamagedLastCompleteLineAndZeroFilledBytes() throws IOException {
        Path f = threeReasons();
        int third = offsetOfLine(f, 2);
        byte[] b = Files.readAllBytes(f);
        b[b.length - 5] ^= 1;
        Files.write(f, b);
        assertEquals(third, assertThrows(DamagedStoreException.class, () -> ReasonLog.open(dir)).offset());
        b[b.length - 5] ^= 1;
        Files.write(f, b);
        Files.write(f, new byte[100], StandardOpenOption.APPEND);
        assertEquals(b.length, assertThrows(DamagedStoreException.class, () -> ReasonLog.open(dir)).offset());
        assertEquals(b.length + 100, Files.size(f));
    }

    @Test
    void shouldDropAndReportATornLastLineAndAppendCleanly() throws IOException {
        Path f = threeReasons();
        long end = Files.size(f);
        Files.write(f, "{\"time\":\"2026-11-2".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        assertEquals(end, ReasonLog.verify(f).tornAt());
        long counted = TornTails.count();
        try (ReasonLog log = ReasonLog.open(dir)) {
            assertEquals(counted + 1, TornTails.count());
            log.append(T, 4, "+447700900004", null, "acme", Reason.OTHER, null);
        }
        assertEquals(4, Files.readAllLines(f).size());
        assertTrue(ReasonLog.verify(f).ok());
    }

    /** A file as the earlier version wrote it (plain JSON lines, and a torn last line) is migrated on open. */
    @Test
    void shouldMigrateReasonsOfTheEarlierVersion() throws IOException {
        Path f = dir.resolve("reasons.jsonl");
        String old = "{\"time\":\"2026-11-23T01:02:03Z\",\"recipientId\":5,\"phone\":\"+447700900005\",\"campaign\":\"c1\","
                + "\"sender\":\"acme\",\"reason\":\"too-frequent\",\"text\":null}\n"
                + "{\"time\":\"2026-11-23T01:02:04Z\",\"recipientId\":6,\"phone\":\"+447700900006\",\"campaign\":null,"
                + "\"sender\":\"acme\",\"reason\":\"other\",\"text\":\"a\\nb\"}\n"
                + "{\"time\":\"2026-11";
        Files.writeString(f, old);
        assertTrue(ReasonLog.verify(f).ok(), "an earlier-format file is not damage");
        assertTrue(UnsubscribeReasons.read(f, "c1"::equals).reasonOf(5, "c1").isPresent(), "still read before migration");
        try (ReasonLog log = ReasonLog.open(dir)) {
            log.append(T, 7, "+447700900007", "c1", "acme", Reason.OTHER, null);
        }
        List<String> lines = Files.readAllLines(f);
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).endsWith("\"text\":null,\"lineCrc32\":\"" + lines.get(0).substring(lines.get(0).length() - 10, lines.get(0).length() - 2) + "\"}"));
        assertEquals("a\nb", new ObjectMapper().readTree(lines.get(1)).path("text").asText());
        assertTrue(ReasonLog.verify(f).ok());
        UnsubscribeReasons r = UnsubscribeReasons.read(f, c -> true);
        assertTrue(r.reasonOf(5, "c1").isPresent() && r.reasonOf(7, "c1").isPresent());

        Files.writeString(f, old.replace("{\"time\":\"2026-11-23T01:02:04Z\"", "{\"time\"2026"));
        byte[] damaged = Files.readAllBytes(f);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> ReasonLog.open(dir));
        assertEquals(old.indexOf('\n') + 1, e.offset());
        assertTrue(Arrays.equals(damaged, Files.readAllBytes(f)), "a file that cannot be migrated is left as it is");
    }
}
