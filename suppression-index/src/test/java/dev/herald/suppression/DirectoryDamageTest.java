package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged directory files are refused by name, every time, and left as they are: never
 * "recovered" by dropping what they lost, never waited on forever.
 */
class DirectoryDamageTest {
    private static final DirectoryOptions SMALL = DirectoryOptions.defaults().withCapacity(10_000);

    @TempDir
    Path dir;

    private void fill() {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 2_000; i++) {
                d.register("+4474001" + String.format("%05d", i), null, null, Map.of("first_name", "N" + i));
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private Path mapFile(String name) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(name)).findFirst().orElseThrow();
        }
    }

    @Test
    void shouldRefuseATruncatedMapFileEvenAfterAnUncleanShutdown() throws IOException {
        fill();
        Path records = mapFile("recipients-by-id");
        try (RandomAccessFile f = new RandomAccessFile(records.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        long size = Files.size(records);
        for (boolean unclean : new boolean[] {false, true}) {
            if (unclean) {
                Files.writeString(dir.resolve("directory.open"), "pid=1\n"); // as a killed process leaves it
            }
            CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> RecipientDirectory.open(dir, SMALL));
            assertTrue(e.getMessage().contains(records.getFileName().toString()), e.getMessage());
            assertEquals(size, Files.size(records), "the damaged file must be left as it is");
        }
    }

    @Test
    void shouldRefuseAZeroedHeaderInsteadOfWaitingForever() throws IOException {
        fill();
        Path phones = mapFile("recipients-by-phone");
        try (RandomAccessFile f = new RandomAccessFile(phones.toFile(), "rw")) {
            f.write(new byte[4096]);
        }
        CorruptIndexException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(CorruptIndexException.class, () -> RecipientDirectory.open(dir, SMALL)));
        assertTrue(e.getMessage().contains(phones.getFileName().toString()) && e.getMessage().contains("header"),
                e.getMessage());
    }
}
