package dev.herald.suppression.internal;

import dev.herald.suppression.DirectoryOptions;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

import dev.herald.suppression.CorruptIndexException;

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.io.File;
import java.io.IOException;

/**
 * The one place that configures Chronicle Map for the recipient directory.
 *
 * <p>Chronicle must never phone home: loading this class sets {@code chronicle.analytics.disable}
 * (unless the operator set it), so callers touch it (see {@link #init()}) before any Chronicle
 * class is initialised.
 *
 * <p>Files are not sparse: on Linux Chronicle {@code posix_fallocate}s each map's space (about 23
 * bytes per entry for the phone index and 100 for the records at the configured capacity). That
 * is deliberate: a write to a sparse memory-mapped file on a full disk kills the JVM with SIGBUS,
 * while allocation up front fails cleanly with an {@link IOException} at open, or when a map
 * grows. Growth past the capacity allocates extra segment tiers, up to
 * {@link DirectoryOptions#MAX_BLOAT_FACTOR} times the capacity.
 *
 * <p>Stateless and thread-safe.
 */
public final class ChronicleSupport {
    /** Every Chronicle Map file names its type at this offset, after the header's length word. */
    private static final int HEADER_TYPE_OFFSET = 12;
    private static final byte[] HEADER_TYPE =
            "!net.openhft.chronicle.map.VanillaChronicleMap".getBytes(StandardCharsets.US_ASCII);


    static {
        if (System.getProperty("chronicle.analytics.disable") == null) {
            System.setProperty("chronicle.analytics.disable", "true");
        }
    }

    /*
     * Recovery rebuilds a map from this builder configuration (sameBuilderConfigAndLibraryVersion),
     * so these sizing constants, like DirectoryOptions.MAX_BLOAT_FACTOR, are part of the on-disk
     * layout: changing one needs a new format in directory.properties.
     */

    /** Average encoded record size used for sizing, in bytes; larger records take more chunks. */
    static final int AVERAGE_RECORD_BYTES = 64;

    private ChronicleSupport() {
    }

    /** Forces this class's initialisation; harmless to call more than once. */
    public static void init() {
        // The static initializer above does the work.
    }

    /**
     * Opens (creating if absent) the E.164 key to id map.
     *
     * @param file     the map file
     * @param capacity entries it is sized for
     * @param recover  true after an unclean shutdown: recover segment locks and entries a killed
     *                 process left behind
     * @return the map; the caller closes it
     * @throws IOException if the file cannot be created, mapped or recovered
     */
    public static ChronicleMap<Long, Integer> openPhoneIndex(File file, long capacity, boolean recover)
            throws IOException {
        return open(ChronicleMap.of(Long.class, Integer.class)
                .name("herald-recipients-by-phone")
                .entries(capacity)
                .maxBloatFactor(DirectoryOptions.MAX_BLOAT_FACTOR)
                .putReturnsNull(true)
                .removeReturnsNull(true)
                // Herald closes its maps itself, in order: Chronicle's JVM exit hook would close them
                // under a service still stopping on SIGTERM (campaigns still reading the directory).
                .skipCloseOnExitHook(true), file, recover);
    }

    /**
     * Opens (creating if absent) the id to encoded-record map.
     *
     * @param file     the map file
     * @param capacity entries it is sized for
     * @param recover  true after an unclean shutdown
     * @return the map; the caller closes it
     * @throws IOException if the file cannot be created, mapped or recovered
     */
    public static ChronicleMap<Integer, byte[]> openRecords(File file, long capacity, boolean recover)
            throws IOException {
        return open(ChronicleMap.of(Integer.class, byte[].class)
                .name("herald-recipients-by-id")
                .entries(capacity)
                .averageValueSize(AVERAGE_RECORD_BYTES)
                .maxBloatFactor(DirectoryOptions.MAX_BLOAT_FACTOR)
                .putReturnsNull(true)
                .removeReturnsNull(true)
                // Herald closes its maps itself, in order: Chronicle's JVM exit hook would close them
                // under a service still stopping on SIGTERM (campaigns still reading the directory).
                .skipCloseOnExitHook(true), file, recover);
    }

    private static <K, V> ChronicleMap<K, V> open(ChronicleMapBuilder<K, V> builder, File file, boolean recover)
            throws IOException {
        if (file.length() == 0) {
            return builder.createPersistedTo(file);
        }
        checkHeader(file);
        if (recover) {
            // A damaged file must be refused, never "recovered" by dropping what it lost: open it as
            // it is first (Chronicle checks its header and length), and only then clear the segment
            // locks a killed process may have held. Same builder configuration as at creation: the
            // capacity comes from directory.properties.
            validate(builder, file);
            return builder.recoverPersistedTo(file, true);
        }
        try {
            return builder.createPersistedTo(file);
        } catch (CorruptIndexException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw damaged(file, e);
        }
    }

    private static <K, V> void validate(ChronicleMapBuilder<K, V> builder, File file) throws IOException {
        try {
            builder.createPersistedTo(file).close();
        } catch (CorruptIndexException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw damaged(file, e);
        }
    }

    private static CorruptIndexException damaged(File file, Exception e) {
        return new CorruptIndexException(file.toPath(), "the recipient map cannot be opened (" + e.getMessage()
                + "); it was left untouched: restore the directory from a backup or import the recipients again", e);
    }

    /**
     * Refuses a file whose header is not a Chronicle Map's: Chronicle would take a zeroed header
     * for a map another process is still creating, and wait for it forever.
     */
    public static void checkHeader(File file) throws IOException {
        byte[] head = new byte[HEADER_TYPE_OFFSET + HEADER_TYPE.length];
        int n;
        try (InputStream in = new FileInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n < head.length || !Arrays.equals(head, HEADER_TYPE_OFFSET, head.length, HEADER_TYPE, 0, HEADER_TYPE.length)) {
            throw new CorruptIndexException(file.toPath(), "not a Chronicle Map file, or its header is damaged; it was "
                    + "left untouched: restore the directory from a backup or import the recipients again");
        }
    }
}
