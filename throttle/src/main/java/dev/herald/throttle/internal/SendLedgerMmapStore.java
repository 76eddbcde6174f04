package dev.herald.throttle.internal;

import dev.herald.suppression.DamagedFileException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Send-ledger records in a dense memory-mapped array indexed by id: the record of id {@code i}
 * is K slots at {@code (i mod 2^20) * 8K} (K padded to a power of two) in the records of segment
 * file {@code slots-<i / 2^20>.bin} ({@link SendLedgerSegment}: a checksummed header, then every
 * slot with its own check byte).
 *
 * <p>{@code SendLedgerMmapStore store = SendLedgerMmapStore.open(dir, 8, false, damage -> {});}
 *
 * <p>Growth: a write past the last segment creates the missing segments, each fully allocated
 * (every slot written as an empty slot, so a full disk fails here with an
 * {@link UncheckedIOException}, not later with SIGBUS), fsynced and renamed into place
 * atomically: after a crash a segment is either complete or absent. Segments are never shrunk.
 * Creating one (64 MiB at K = 8, written and fsynced: 0.1–0.2 s) is done ahead, on a thread of
 * the store's own: the first segment when the store opens empty, the next one once a write
 * lands in the upper half of the last; a write that still finds no segment waits for that
 * growth, or grows itself (and reports a failure of the disk).
 *
 * <p>Damage: a segment whose length or header is wrong is refused at open, a page of records
 * whose slot fails its check the first time the page is read; both name the file and offset
 * ({@link DamagedFileException}). Format 1 (no checks, written before) is migrated at open.
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
    public static final int SEGMENT_SHIFT = SendLedgerSegment.SEGMENT_SHIFT;
    private static final Logger LOG = LoggerFactory.getLogger(SendLedgerMmapStore.class);

    private final Path dir;
    private final int slots;
    private final int recordShift;
    private final Consumer<DamagedFileException> onDamage;
    private final Object growLock = new Object();
    private volatile SendLedgerSegment[] segments;
    /** Creates the next segment ahead of the writes that need it; null until first used. */
    private java.util.concurrent.ExecutorService growAhead;
    /** The highest segment growth ahead was asked for (guarded by {@code this}). */
    private int askedAhead = -1;

    private SendLedgerMmapStore(Path dir, int slots, Consumer<DamagedFileException> onDamage) {
        this.dir = dir;
        this.slots = slots;
        this.recordShift = recordShift(slots);
        this.onDamage = onDamage;
        this.segments = new SendLedgerSegment[0];
    }

    /** @return log2 of the bytes of a record of {@code slots} slots (padded to a power of two) */
    public static int recordShift(int slots) {
        return 3 + (32 - Integer.numberOfLeadingZeros(slots - 1));
    }

    /** @return the file of segment {@code s} in {@code dir} */
    public static Path segmentFile(Path dir, int s) {
        return dir.resolve(String.format("slots-%05d.bin", s));
    }

    /**
     * @param dir      the ledger directory (exists, locked by the caller)
     * @param slots    K; records are padded to the next power of two of longs
     * @param format1  the ledger was written in format 1 (slots without checks): its segments are
     *                 migrated (new file, fsync, atomic rename each) and an INFO line names them
     * @param onDamage told when a page fails verification, before the failing load throws
     * @return the store over the segments already there
     * @throws DamagedFileException if a segment has the wrong length or header, or (migrating) holds
     *                              a slot format 1 cannot have written: named, with the offset
     * @throws IOException          if a segment cannot be mapped or migrated
     */
    public static SendLedgerMmapStore open(Path dir, int slots, boolean format1, Consumer<DamagedFileException> onDamage)
            throws IOException {
        Files.deleteIfExists(dir.resolve("slots.tmp"));
        SendLedgerMmapStore store = new SendLedgerMmapStore(dir, slots, onDamage);
        List<SendLedgerSegment> found = new ArrayList<>();
        List<String> migrated = new ArrayList<>();
        try {
            for (int s = 0; Files.exists(segmentFile(dir, s)); s++) {
                Path file = segmentFile(dir, s);
                if (format1 && Files.size(file) == SendLedgerSegment.recordBytes(store.recordShift)) {
                    migrate(dir, file, s, slots, store.recordShift);
                    migrated.add(file.getFileName().toString());
                }
                found.add(SendLedgerSegment.map(file, s, slots, store.recordShift, onDamage));
            }
        } catch (IOException | RuntimeException e) {
            found.forEach(SendLedgerSegment::close);
            throw e;
        }
        if (!migrated.isEmpty()) {
            LOG.info("send ledger {}: migrated {} to format 2 (a check byte per slot, a checksummed header)",
                    dir.toAbsolutePath(), String.join(", ", migrated));
        }
        store.segments = found.toArray(SendLedgerSegment[]::new);
        if (found.isEmpty()) {
            store.growAhead(0);
        }
        return store;
    }

    /** Rewrites a format-1 segment (bare slots) as format 2, refusing it if a slot is not one format 1 writes. */
    private static void migrate(Path dir, Path file, int s, int slots, int recordShift) throws IOException {
        MappedByteBuffer old;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            old = ch.map(FileChannel.MapMode.READ_ONLY, 0, SendLedgerSegment.recordBytes(recordShift));
        }
        old.order(ByteOrder.nativeOrder());
        int limit = old.capacity();
        for (int at = 0; at < limit; at += 8) {
            if (!SendLedgerSlotCodec.plausibleUnchecked(old.getLong(at))) {
                throw new DamagedFileException(file, at, "not a send-ledger slot (format 1); migration refused, "
                        + "the file was left untouched: restore send-ledger/ from a backup");
            }
        }
        SendLedgerSegment.writeAtomically(dir.resolve("slots.tmp"), file, s, slots, recordShift,
                i -> SendLedgerSlotCodec.encode(old.getLong((int) (i << 3))));
    }

    /**
     * Checks every segment file of a format-2 ledger read only (nothing mapped for write, nothing
     * created): lengths, headers, every slot's check byte. For {@code herald data check}.
     *
     * @param dir   the ledger directory
     * @param slots K, from its {@code ledger.properties}
     * @return the damage found, one per damaged file
     * @throws IOException if a file cannot be read
     */
    public static List<DamagedFileException> verify(Path dir, int slots) throws IOException {
        List<DamagedFileException> damage = new ArrayList<>();
        int shift = recordShift(slots);
        for (int s = 0; Files.exists(segmentFile(dir, s)); s++) {
            Path file = segmentFile(dir, s);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                SendLedgerSegment.checkLengthAndHeader(ch, file, s, slots, shift);
                DamagedFileException d = SendLedgerSegment.verifyAll(ch, file, shift);
                if (d != null) {
                    damage.add(d);
                }
            } catch (DamagedFileException d) {
                damage.add(d);
            }
        }
        return damage;
    }

    @Override
    public int slots() {
        return slots;
    }

    @Override
    public void load(int id, long[] into) {
        SendLedgerSegment[] segs = segments;
        int s = id >>> SEGMENT_SHIFT;
        if (s >= segs.length) {
            Arrays.fill(into, 0, slots, 0L);
            return;
        }
        segs[s].load(id, into, slots);
    }

    /** Stripe passes not in use: their buffers are reused, one per concurrent caller. */
    private final java.util.concurrent.ConcurrentLinkedQueue<FileStripe> idle = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * Reads a stripe's records through the mapping and writes its changes back with one
     * positional write (see {@link SendLedgerSegment}): no write of a pass goes through the
     * mapping, so no page takes a write fault on the batch paths.
     */
    @Override
    public Stripe stripe() {
        FileStripe s = idle.poll();
        return s != null ? s : new FileStripe();
    }

    private final class FileStripe implements Stripe {
        private final java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect((1 << SendLedgerLocks.SHIFT) << recordShift)
                .order(java.nio.ByteOrder.nativeOrder());
        /** The pass's writes: byte offsets in the segment's records and the words to store there. */
        private int[] at = new int[64];
        private long[] words = new long[64];
        private int pending;
        private int segment;
        private int first;
        private int lastWritten;

        @Override
        public void open(int stripe) {
            first = stripe << SendLedgerLocks.SHIFT;
            segment = first >>> SEGMENT_SHIFT;
            pending = 0;
            lastWritten = Integer.MIN_VALUE;
        }

        @Override
        public void load(int id, long[] into) {
            if (pending > 0 && id - first <= lastWritten - first) {
                throw new IllegalStateException("stripe pass: id " + id + " loaded after a write to id " + lastWritten
                        + " (each id is loaded before it is written, in ascending order)");
            }
            SendLedgerMmapStore.this.load(id, into);
        }

        @Override
        public void write(int id, int slot, long value, long[] record) {
            if (pending == at.length) {
                at = Arrays.copyOf(at, pending * 2);
                words = Arrays.copyOf(words, pending * 2);
            }
            at[pending] = ((id & ((1 << SEGMENT_SHIFT) - 1)) << recordShift) + (slot << 3);
            words[pending++] = SendLedgerSlotCodec.encode(value);
            lastWritten = id;
        }

        @Override
        public void writeBack() {
            if (pending == 0) {
                return;
            }
            SendLedgerSegment[] segs = segments;
            if (segment >= segs.length) {
                segs = grow(segment);
            }
            int from = Integer.MAX_VALUE;
            int to = 0;
            for (int i = 0; i < pending; i++) {
                from = Math.min(from, at[i]);
                to = Math.max(to, at[i] + 8);
            }
            SendLedgerSegment seg = segs[segment];
            seg.copy(from, buf, to - from);
            for (int i = 0; i < pending; i++) {
                buf.putLong(at[i] - from, words[i]);
            }
            seg.write(from, buf, to - from);
            if (segment == segs.length - 1 && (first & HALF_SEGMENT) != 0) {
                growAhead(segment + 1);
            }
            pending = 0;
        }

        @Override
        public void close() {
            pending = 0;
            idle.offer(this);
        }
    }

    @Override
    public void write(int id, int slot, long value, long[] record) {
        SendLedgerSegment[] segs = segments;
        int s = id >>> SEGMENT_SHIFT;
        if (s >= segs.length) {
            segs = grow(s);
        }
        segs[s].write(id, slot, value);
        if (s == segs.length - 1 && (id & HALF_SEGMENT) != 0) {
            growAhead(s + 1);
        }
    }

    private static final int HALF_SEGMENT = 1 << (SEGMENT_SHIFT - 1);

    /** Creates segment {@code s} on the grow-ahead thread, once; a failure is logged (the write that needs it grows again and throws). */
    private synchronized void growAhead(int s) {
        if (s <= askedAhead) {
            return;
        }
        askedAhead = s;
        if (growAhead == null) {
            growAhead = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "herald-send-ledger-grow");
                t.setDaemon(true);
                return t;
            });
        }
        growAhead.execute(() -> {
            try {
                grow(s);
            } catch (RuntimeException e) {
                LOG.warn("send ledger {}: creating segment {} ahead failed (retried when a write needs it): {}",
                        dir.toAbsolutePath(), s, e.toString());
            }
        });
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

    private SendLedgerSegment[] grow(int last) {
        synchronized (growLock) {
            SendLedgerSegment[] segs = segments;
            if (last < segs.length) {
                return segs;
            }
            SendLedgerSegment[] grown = Arrays.copyOf(segs, last + 1);
            try {
                for (int s = segs.length; s <= last; s++) {
                    Path file = segmentFile(dir, s);
                    SendLedgerSegment.writeAtomically(dir.resolve("slots.tmp"), file, s, slots, recordShift,
                            i -> SendLedgerSlotCodec.EMPTY_WORD);
                    grown[s] = SendLedgerSegment.map(file, s, slots, recordShift, onDamage);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot grow the send ledger in " + dir, e);
            }
            segments = grown;
            return grown;
        }
    }

    /** Waits for a segment being created ahead (so the directory lock is released with no file being written). */
    @Override
    public void close() {
        java.util.concurrent.ExecutorService g;
        synchronized (this) {
            g = growAhead;
            askedAhead = Integer.MAX_VALUE;
        }
        if (g != null) {
            g.shutdown();
            try {
                if (!g.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                    LOG.warn("send ledger {}: a segment still being created at close", dir.toAbsolutePath());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        SendLedgerSegment[] open = segments;
        segments = new SendLedgerSegment[0]; // mappings are released by the GC; the page cache keeps the data
        for (SendLedgerSegment s : open) {
            s.close();
        }
    }
}
