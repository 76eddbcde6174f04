package dev.herald.suppression;

import dev.herald.suppression.internal.BaseStore;
import dev.herald.suppression.internal.ChronicleSupport;
import dev.herald.suppression.internal.DirectoryFiles;
import dev.herald.suppression.internal.PageFormat;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.StandardOpenOption;
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
     * Checks the recipient directory's id-ordered record pages ({@code pages/ids-<first id>.pages}):
     * each file's header, every frame's checksum and page layout. An incomplete last page is a
     * torn write (the next open drops, reports and rebuilds it), not damage.
     *
     * @param dir the recipient directory ({@code <data>/directory})
     * @return one result per page file, in name order (none if the directory has no pages, as one
     *     written by an earlier version)
     * @throws IOException if a file cannot be read at all
     */
    public static List<VerifyResult> checkRecipientPages(Path dir) throws IOException {
        Path pages = dir.resolve("pages");
        List<VerifyResult> results = new ArrayList<>();
        if (!Files.isDirectory(pages)) {
            return results;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(pages, "ids-*.pages")) {
            all.forEach(files::add);
        }
        files.sort(null);
        for (Path file : files) {
            int first = PageFormat.firstIdOf(file.getFileName().toString());
            if (first < 0) {
                continue; // not a name the directory writes or reads
            }
            boolean sealed;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer head = ByteBuffer.allocate(PageFormat.HEADER_BYTES);
                while (head.hasRemaining() && ch.read(head) >= 0) {
                    // read the header, or as much as there is (a short file is refused by the scan)
                }
                PageFormat.checkHeader(file, head.flip(), first);
                byte[] magic = new byte[8];
                head.get(0, magic);
                sealed = Boolean.TRUE.equals(PageFormat.sealedMagic(magic));
            } catch (DamagedStoreException e) {
                results.add(VerifyResult.damaged(file, 0, e));
                continue;
            }
            // Sealed pages (an encrypted directory) are checked frame by frame without the key.
            results.add(FramedLog.verify(file, PageFormat.format(sealed), (data, at, payload, length) ->
                    PageFormat.checkPage(file, data, at, payload, length, first, sealed)));
        }
        return results;
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
