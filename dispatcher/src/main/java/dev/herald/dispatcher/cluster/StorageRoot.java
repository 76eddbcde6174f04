package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The storage root's {@code cluster.json}: how many partitions its folders were made for. The first
 * node to use a root writes it; every node after checks it, so that no node routes numbers with
 * another partition count than the one the recipients were stored by.
 *
 * <pre>{@code
 * StorageRoot.claim(root, 64);   // writes {"partitions": 64} the first time; refuses 32 afterwards
 * }</pre>
 */
final class StorageRoot {

    /** The file, in the storage root. */
    static final String FILE = "cluster.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private StorageRoot() {
    }

    /**
     * @throws IllegalArgumentException if the root was made for another partition count (naming both)
     * @throws IOException              if the root cannot be made or its file read (a damaged file is named)
     */
    static void claim(Path root, int partitions) throws IOException {
        Files.createDirectories(root);
        Path file = root.resolve(FILE);
        if (!Files.exists(file)) {
            Path tmp = root.resolve(FILE + ".tmp-" + ProcessHandle.current().pid());
            Files.writeString(tmp, "{\"partitions\": " + partitions + "}\n", StandardCharsets.UTF_8);
            try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.createLink(file, tmp); // fails if another node wrote it first: then its count is checked
            } catch (FileAlreadyExistsException raced) {
                // checked below
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        int stored;
        try {
            JsonNode n = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            if (n == null || !n.path("partitions").canConvertToInt() || n.path("partitions").asInt() < 1) {
                throw new IOException(file + " is damaged: no partition count in it");
            }
            stored = n.path("partitions").asInt();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + " is damaged: " + e.getOriginalMessage(), e);
        }
        if (stored != partitions) {
            throw new IllegalArgumentException("herald.cluster.partitions is " + partitions + " but the storage root " + root
                    + " was made for " + stored + " partitions (" + file + "); recipients are placed by that count: set"
                    + " herald.cluster.partitions = " + stored);
        }
    }
}
