package dev.herald.suppression;

import dev.herald.suppression.internal.BaseStore;
import dev.herald.suppression.internal.ChronicleSupport;
import dev.herald.suppression.internal.DirectoryFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Read-only checks of this module's stored files, for {@code herald data check}: the same
 * validation the stores run when they open, without opening anything for write, taking a lock
 * or leaving a marker.
 *
 * <p>{@code List<IOException> damage = StoredFiles.checkRecipientDirectory(dataDir.resolve("directory"));}
 *
 * <p>Stateless and thread-safe.
 */
public final class StoredFiles {

    private StoredFiles() {
    }

    /**
     * Checks a recipient directory: {@code directory.properties} (readable, known format, a
     * capacity) and the header of each Chronicle Map file.
     *
     * @param dir the recipient directory ({@code <data>/directory})
     * @return the damage found, one per damaged file (each names its file)
     * @throws IOException if a file cannot be read at all
     */
    public static List<IOException> checkRecipientDirectory(Path dir) throws IOException {
        List<IOException> damage = new ArrayList<>();
        try {
            DirectoryFiles.readCapacity(dir);
        } catch (DamagedFileException e) {
            damage.add(e);
        } catch (IllegalStateException e) {
            damage.add(new DamagedFileException(dir.resolve("directory.properties"), DamagedFileException.NO_OFFSET, e.getMessage()));
        }
        for (String map : List.of("recipients-by-phone.cm3", "recipients-by-id.cm3")) {
            Path file = dir.resolve(map);
            if (Files.exists(file) && Files.size(file) > 0) {
                try {
                    ChronicleSupport.checkHeader(file.toFile());
                } catch (CorruptIndexException e) {
                    damage.add(e);
                }
            }
        }
        return damage;
    }

    /**
     * Checks the suppression base: the manifest's checksum and every bitmap file it names
     * (length, CRC, cardinality), reading them onto the heap.
     *
     * @param suppressionDir the suppression index directory ({@code <data>/suppression})
     * @return the number of bitmap files checked
     * @throws CorruptIndexException naming the manifest or bitmap file that fails its checks
     * @throws IOException           if a file cannot be read
     */
    public static int checkSuppressionBase(Path suppressionDir) throws IOException {
        return BaseStore.load(suppressionDir.resolve("base"), false).bitmaps().size();
    }
}
