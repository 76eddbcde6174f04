package dev.herald.suppression.internal;

import dev.herald.suppression.DirectoryOptions;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

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
                .removeReturnsNull(true), file, recover);
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
                .removeReturnsNull(true), file, recover);
    }

    private static <K, V> ChronicleMap<K, V> open(ChronicleMapBuilder<K, V> builder, File file, boolean recover)
            throws IOException {
        if (recover && file.length() > 0) {
            // Same builder configuration as at creation: the capacity comes from directory.properties.
            return builder.recoverPersistedTo(file, true);
        }
        return builder.createPersistedTo(file);
    }
}
