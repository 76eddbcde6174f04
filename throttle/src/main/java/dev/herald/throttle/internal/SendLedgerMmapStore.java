package dev.herald.throttle.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Send-ledger records in a dense memory-mapped array indexed by id: the record of id {@code i}
 * is K longs at {@code (i mod 2^20) * 8K} in segment file {@code slots-<i / 2^20>.bin}.
 *
 * <p>{@code SendLedgerMmapStore store = SendLedgerMmapStore.open(dir, 8);}
 *
 * <p>Growth: a write past the last segment creates the missing segments, each fully allocated
 * (zeros written, so a full disk fails here with an {@link UncheckedIOException}, not later
 * with SIGBUS), fsynced and renamed into place atomically: after a crash a segment is either
 * complete or absent. Segments are never shrunk.
 *
 * <p>Durability: writes go to the page cache through the mapping, one aligned 8-byte store
 * per slot, and are never fsynced: a killed process (kill -9) loses nothing, power loss can
 * lose recent writes (the OS flushes dirty pages within about 30 s).
 *
 * <p>Thread-safety: safe for concurrent calls on different ids; growth is serialised and
 * publishes the new segment array through a volatile field. Visibility of a slot between
 * threads comes from the caller's per-id lock.
 */
public final class SendLedgerMmapStore implements SendLedgerStore {

    /** log2 of the ids per segment file. */
    public static final int SEGMENT_SHIFT = 20;
    private static final int SEGMENT_MASK = (1 << SEGMENT_SHIFT) - 1;

    private final Path dir;
    private final int slots;
    private final int recordShift;
    private final Object growLock = new Object();
    private volatile ByteBuffer[] segments;

    private SendLedgerMmapStore(Path dir, int slots, ByteBuffer[] segments) {
        this.dir = dir;
        this.slots = slots;
        this.recordShift = 3 + (32 - Integer.numberOfLeadingZeros(slots - 1));
        this.segments = segments;
    }

    /**
     * @param dir   the ledger directory (exists)
     * @param slots K; records are padded to the next power of two of longs
     * @return the store over the segments already there
     * @throws IOException           if a segment cannot be mapped
     * @throws IllegalStateException if a segment has the wrong size (written with another K)
     */
    public static SendLedgerMmapStore open(Path dir, int slots) throws IOException {
        Files.deleteIfExists(dir.resolve("slots.tmp"));
        SendLedgerMmapStore store = new SendLedgerMmapStore(dir, slots, new ByteBuffer[0]);
        ByteBuffer[] found = new ByteBuffer[0];
        for (int s = 0; Files.exists(store.segmentFile(s)); s++) {
            long size = Files.size(store.segmentFile(s));
            if (size != store.segmentBytes()) {
                throw new IllegalStateException(store.segmentFile(s) + " holds " + size + " bytes, expected "
                        + store.segmentBytes() + " for " + slots + " slots per user");
            }
            found = Arrays.copyOf(found, s + 1);
            found[s] = store.map(store.segmentFile(s));
        }
        store.segments = found;
        return store;
    }

    private Path segmentFile(int s) {
        return dir.resolve(String.format("slots-%05d.bin", s));
    }

    private long segmentBytes() {
        return (long) (1 << SEGMENT_SHIFT) << recordShift;
    }

    private ByteBuffer map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, segmentBytes());
            return m.order(ByteOrder.nativeOrder());
        }
    }

    @Override
    public int slots() {
        return slots;
    }

    @Override
    public void load(int id, long[] into) {
        ByteBuffer[] segs = segments;
        int s = id >>> SEGMENT_SHIFT;
        if (s >= segs.length) {
            Arrays.fill(into, 0, slots, 0L);
            return;
        }
        ByteBuffer b = segs[s];
        int base = (id & SEGMENT_MASK) << recordShift;
        for (int i = 0; i < slots; i++) {
            into[i] = b.getLong(base + (i << 3));
        }
    }

    @Override
    public void write(int id, int slot, long value, long[] record) {
        ByteBuffer[] segs = segments;
        int s = id >>> SEGMENT_SHIFT;
        if (s >= segs.length) {
            segs = grow(s);
        }
        segs[s].putLong(((id & SEGMENT_MASK) << recordShift) + (slot << 3), value);
    }

    /**
     * Makes sure ids below {@code ids} have space (used to preallocate).
     *
     * @param ids the number of ids
     */
    public void ensureCapacity(int ids) {
        if (ids > 0) {
            grow((ids - 1) >>> SEGMENT_SHIFT);
        }
    }

    private ByteBuffer[] grow(int last) {
        synchronized (growLock) {
            ByteBuffer[] segs = segments;
            if (last < segs.length) {
                return segs;
            }
            ByteBuffer[] grown = Arrays.copyOf(segs, last + 1);
            try {
                for (int s = segs.length; s <= last; s++) {
                    grown[s] = createSegment(s);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot grow the send ledger in " + dir, e);
            }
            segments = grown;
            return grown;
        }
    }

    private ByteBuffer createSegment(int s) throws IOException {
        Path tmp = dir.resolve("slots.tmp");
        ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0; pos < segmentBytes(); pos += zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    ch.write(zeros, pos + zeros.position());
                }
            }
            ch.force(true);
        }
        Files.move(tmp, segmentFile(s), StandardCopyOption.ATOMIC_MOVE);
        return map(segmentFile(s));
    }

    @Override
    public void close() {
        segments = new ByteBuffer[0]; // mappings are released by the GC; the page cache keeps the data
    }
}
