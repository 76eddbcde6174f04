package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link StorageRoot}: the partition count is written by the first node and held against every later one. */
class StorageRootTest {

    @TempDir
    Path dir;

    @Test
    void shouldWriteThePartitionCountTheFirstTime() throws Exception {
        Path root = dir.resolve("a/b/root");
        StorageRoot.claim(root, 64);
        Path file = root.resolve(StorageRoot.FILE);
        assertTrue(Files.isRegularFile(file));
        assertEquals(64, new ObjectMapper().readTree(Files.readString(file)).path("partitions").asInt());
        try (var files = Files.list(root)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        StorageRoot.claim(root, 64); // the same count again: fine
        assertEquals(64, new ObjectMapper().readTree(Files.readString(file)).path("partitions").asInt());
    }

    @Test
    void shouldRefuseAnotherPartitionCountNamingBothAndTheKey() throws Exception {
        StorageRoot.claim(dir, 64);
        String before = Files.readString(dir.resolve(StorageRoot.FILE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StorageRoot.claim(dir, 32));
        assertTrue(e.getMessage().contains("32") && e.getMessage().contains("64"), e.getMessage());
        assertTrue(e.getMessage().contains("herald.cluster.partitions"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), "names the root: " + e.getMessage());
        assertEquals(before, Files.readString(dir.resolve(StorageRoot.FILE)), "the stored count is left as it was");
    }

    @Test
    void shouldRefuseADamagedFileNamingIt() throws Exception {
        Path file = dir.resolve(StorageRoot.FILE);
        for (String damaged : new String[] {"garbage{", "{}", "", "[64]", "{\"partitions\": \"64\"}", "{\"partitions\": 0}",
                "{\"partitions\": -4}", "{\"partitions\": 99999999999}", "null"}) {
            Files.writeString(file, damaged, StandardCharsets.UTF_8);
            IOException e = assertThrows(IOException.class, () -> StorageRoot.claim(dir, 64), "'" + damaged + "'");
            assertTrue(e.getMessage().contains(file.toString()), "'" + damaged + "': names the file: " + e.getMessage());
            assertEquals(damaged, Files.readString(file), "a damaged file is not overwritten");
        }
    }

    @Test
    void shouldNotTakeAFileForItsRoot() throws Exception {
        Path notADir = dir.resolve("plain");
        Files.writeString(notADir, "x");
        assertThrows(IOException.class, () -> StorageRoot.claim(notADir, 8));
    }
}
