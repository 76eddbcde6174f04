package dev.herald.throttle.internal;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Send-ledger records in a Chronicle Map keyed by id, each value the K slots as 8K bytes.
 *
 * <p>{@code SendLedgerChronicleStore store = SendLedgerChronicleStore.open(dir, 8, 10_000_000);}
 *
 * <p>Benchmarked against {@link SendLedgerMmapStore} and kept as the alternative (see
 * BENCHMARKS.md): every access hashes, locks a segment and copies the whole value.
 *
 * <p>Durability: like the memory-mapped store, kill-safe but not power-loss safe. A marker
 * file exists while the map is open; found at open, it means the last process died with the
 * map open, and the map is opened with {@code recoverPersistedTo} (segment locks and entries a
 * killed process left behind are repaired).
 *
 * <p>Thread-safe (Chronicle locks per segment).
 */
public final class SendLedgerChronicleStore implements SendLedgerStore {

    static {
        if (System.getProperty("chronicle.analytics.disable") == null) {
            System.setProperty("chronicle.analytics.disable", "true"); // never phone home
        }
    }

    private static final String FILE = "slots.cmap";
    private static final String OPEN_MARKER = "slots.cmap.open";
    /** Part of the on-disk layout: recovery rebuilds the map from the same builder configuration. */
    private static final double MAX_BLOAT = 4.0;

    private final ChronicleMap<Integer, byte[]> map;
    private final Path marker;
    private final int slots;
    private final ThreadLocal<byte[]> scratch;

    private SendLedgerChronicleStore(ChronicleMap<Integer, byte[]> map, Path marker, int slots) {
        this.map = map;
        this.marker = marker;
        this.slots = slots;
        this.scratch = ThreadLocal.withInitial(() -> new byte[slots * 8]);
    }

    /**
     * @param dir      the ledger directory (exists)
     * @param slots    K
     * @param capacity ids the map is sized for; its file is allocated up front
     * @return the store
     * @throws IOException if the map cannot be created, mapped or recovered
     */
    public static SendLedgerChronicleStore open(Path dir, int slots, int capacity) throws IOException {
        Path file = dir.resolve(FILE);
        Path marker = dir.resolve(OPEN_MARKER);
        ChronicleMapBuilder<Integer, byte[]> builder = ChronicleMap.of(Integer.class, byte[].class)
                .name("herald-send-ledger")
                .entries(capacity)
                .constantValueSizeBySample(new byte[slots * 8])
                .maxBloatFactor(MAX_BLOAT)
                .putReturnsNull(true)
                .removeReturnsNull(true)
                // Herald closes its maps itself, in order: Chronicle's JVM exit hook would close them
                // under a service still stopping on SIGTERM (campaigns still reading the directory).
                .skipCloseOnExitHook(true);
        boolean recover = Files.exists(marker) && Files.size(file) > 0;
        Files.write(marker, new byte[0]);
        ChronicleMap<Integer, byte[]> map = recover ? builder.recoverPersistedTo(file.toFile(), true)
                : builder.createPersistedTo(file.toFile());
        return new SendLedgerChronicleStore(map, marker, slots);
    }

    @Override
    public int slots() {
        return slots;
    }

    @Override
    public void load(int id, long[] into) {
        byte[] value = map.get(id);
        if (value == null) {
            Arrays.fill(into, 0, slots, 0L);
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < slots; i++) {
            into[i] = b.getLong(i << 3);
        }
    }

    @Override
    public void write(int id, int slot, long value, long[] record) {
        byte[] bytes = scratch.get();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < slots; i++) {
            b.putLong(i << 3, i == slot ? value : record[i]);
        }
        map.put(id, bytes);
    }

    @Override
    public void close() {
        map.close();
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            // The next open recovers the map, which is safe, only slower.
        }
    }
}
