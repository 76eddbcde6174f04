package dev.herald.dispatcher;

import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Herald's data directory: where the recipient directory and the suppression index (with its
 * consent ledger) live, opened on first use.
 *
 * <pre>
 * herald-data/
 *   directory/     Chronicle Map files: E.164 number ⇄ id, per-recipient attributes
 *   suppression/   base/ (memory-mapped bitmaps), wal/ (write-ahead log), ledger/ (archived evidence)
 * </pre>
 *
 * <pre>{@code
 * try (HeraldData data = HeraldData.at(Path.of("herald-data"))) {
 *     int id = data.directory().register("+447700900123", null, null, Map.of()).id();
 * }
 * }</pre>
 *
 * <p>Not thread-safe for opening; the stores it returns are thread-safe.
 */
public final class HeraldData implements AutoCloseable {
    private final Path root;
    private final DirectoryOptions directoryOptions;
    private final IndexOptions indexOptions;
    private final boolean create;
    private RecipientDirectory directory;
    private SuppressionIndex index;

    private HeraldData(Path root, DirectoryOptions directoryOptions, IndexOptions indexOptions, boolean create) {
        this.root = root;
        this.directoryOptions = directoryOptions;
        this.indexOptions = indexOptions;
        this.create = create;
    }

    /** A data directory with default options, created on first use; nothing is opened yet. */
    public static HeraldData at(Path root) {
        return new HeraldData(root, DirectoryOptions.defaults(), IndexOptions.defaults(), true);
    }

    /**
     * A data directory with these options.
     *
     * @param create create the stores if they do not exist (commands that only read pass false,
     *     so that a mistyped path is an error, not an empty answer)
     */
    public static HeraldData at(Path root, DirectoryOptions directoryOptions, IndexOptions indexOptions, boolean create) {
        return new HeraldData(root, directoryOptions, indexOptions, create);
    }

    public Path root() {
        return root;
    }

    /** The recipient directory, opened (and created) on first call. */
    public RecipientDirectory directory() throws IOException {
        if (directory == null) {
            ensureRoot();
            directory = RecipientDirectory.open(root.resolve("directory"), directoryOptions);
        }
        return directory;
    }

    /** The suppression index, opened (and created) on first call. */
    public SuppressionIndex suppression() throws IOException {
        if (index == null) {
            ensureRoot();
            index = SuppressionIndex.open(root.resolve("suppression"), indexOptions);
        }
        return index;
    }

    private void ensureRoot() throws IOException {
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new IOException("data directory " + root + " is not a directory");
        }
        if (!create && !Files.isDirectory(root.resolve("directory"))) {
            throw new NoSuchFileException(root.toString(), null,
                    "no Herald data there: nothing has been imported (check --data-dir)");
        }
        Files.createDirectories(root);
    }

    @Override
    public void close() {
        if (index != null) {
            index.close();
            index = null;
        }
        if (directory != null) {
            directory.close();
            directory = null;
        }
    }
}
