package dev.herald.throttle.internal;

import dev.herald.suppression.DamagedFileException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.LongUnaryOperator;
import java.util.zip.CRC32C;

/**
 * One segment file of the memory-mapped send ledger ({@code slots-<n>.bin}, format 2): a
 * checksummed header page, then the records of 2^20 ids, every slot word carrying its own check
 * byte ({@link SendLedgerSlotCodec}).
 *
 * <pre>
 * offset 0     header (4,096 bytes): "HRLDSLOT", format 2, K, segment number, record shift,
 *              CRC32C of the 24 bytes before it (little-endian ints), zeros
 * offset 4096  2^20 records × 2^shift bytes, each word a checked slot (native byte order)
 * </pre>
 *
 * <p>{@code SendLedgerSegment seg = SendLedgerSegment.map(file, 3, 8, 6); seg.load(id, into, 8);}
 *
 * <p>Reads go through the mapping ({@link #load}, {@link #copy}). Writes either through it (one
 * record, {@link #write(int, int, long)}) or — the batch paths — as one positional write of a
 * stripe's changed range ({@link #write(int, ByteBuffer, int)}), on the same page cache, so
 * each sees the other. The first write to a page through a shared file mapping takes a
 * write-protect fault (the file system marks the page dirty), and it takes it again after every
 * writeback; on a virtual machine such faults cost far more than copying the page (a standalone
 * test: ~310 ns against ~18 ns per 64-byte record, BENCHMARKS.md). Reading a mapped page costs
 * nothing once mapped.
 *
 * <p>Verification: the header and the file's length at open; each 4 KiB page of records the
 * first time one of its records is read (either way in), once per process: a page whose word
 * fails its check refuses the whole ledger (the {@code onDamage} callback) with a
 * {@link DamagedFileException} naming the file and the word's offset. Writes only ever store
 * valid words, so a verified page stays valid.
 *
 * <p>Thread-safety: loads and writes of different ids may run concurrently; two threads may both
 * verify a page (harmless). A record's consistency comes from the caller's per-id lock.
 */
public final class SendLedgerSegment {

    /** Bytes before the first record. */
    public static final int HEADER_BYTES = 4096;
    /** log2 of the ids per segment file. */
    public static final int SEGMENT_SHIFT = 20;
    private static final int SEGMENT_MASK = (1 << SEGMENT_SHIFT) - 1;
    private static final int PAGE_SHIFT = 12;
    private static final byte[] MAGIC = {'H', 'R', 'L', 'D', 'S', 'L', 'O', 'T'};
    private static final int FORMAT = 2;
    private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(long[].class);

    private final Path file;
    /** Open for the region reads and writes until {@link #close}. */
    private final FileChannel channel;
    private final ByteBuffer records;
    private final int recordShift;
    /** One bit per page of records: set once the page was verified. */
    private final long[] verified;
    private final java.util.function.Consumer<DamagedFileException> onDamage;

    private SendLedgerSegment(Path file, FileChannel channel, ByteBuffer records, int recordShift,
                              java.util.function.Consumer<DamagedFileException> onDamage) {
        this.file = file;
        this.channel = channel;
        this.records = records;
        this.recordShift = recordShift;
        this.verified = new long[(int) (recordBytes(recordShift) >>> PAGE_SHIFT >>> 6) + 1];
        this.onDamage = onDamage;
    }

    /** @return the bytes of the records of one segment */
    public static long recordBytes(int recordShift) {
        return (long) (1 << SEGMENT_SHIFT) << recordShift;
    }

    /** @return the length of a segment file */
    public static long fileBytes(int recordShift) {
        return HEADER_BYTES + recordBytes(recordShift);
    }

    /**
     * Maps an existing segment file after checking its length and header.
     *
     * @param file        the file
     * @param number      its segment number (ids {@code number << 20} and up)
     * @param slots       K
     * @param recordShift log2 of the record bytes
     * @param onDamage    told when a page fails verification (before the load throws)
     * @return the mapped segment
     * @throws DamagedFileException if the length or header is wrong (named, with the offset)
     * @throws IOException          if it cannot be mapped
     */
    public static SendLedgerSegment map(Path file, int number, int slots, int recordShift,
                                        java.util.function.Consumer<DamagedFileException> onDamage) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            checkLengthAndHeader(ch, file, number, slots, recordShift);
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, HEADER_BYTES, recordBytes(recordShift));
            return new SendLedgerSegment(file, ch, m.order(ByteOrder.nativeOrder()), recordShift, onDamage);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Checks the length and header of a segment file through {@code ch} (read only).
     *
     * @throws DamagedFileException naming the file and the offset of the first thing wrong
     */
    static void checkLengthAndHeader(FileChannel ch, Path file, int number, int slots, int recordShift) throws IOException {
        long size = ch.size();
        if (size != fileBytes(recordShift)) {
            throw new DamagedFileException(file, Math.min(size, fileBytes(recordShift)), "holds " + size
                    + " bytes, a send-ledger segment of " + slots + " slots per user holds " + fileBytes(recordShift)
                    + " (cut short or extended)");
        }
        ByteBuffer h = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        while (h.hasRemaining() && ch.read(h, h.position()) >= 0) {
            // read the whole header prefix
        }
        h.flip();
        byte[] magic = new byte[MAGIC.length];
        h.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new DamagedFileException(file, 0, "no send-ledger segment header (zero-filled or overwritten)");
        }
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 24);
        if ((int) crc.getValue() != h.getInt(24)) {
            throw new DamagedFileException(file, 0, "send-ledger segment header fails its checksum");
        }
        int format = h.getInt(8);
        int k = h.getInt(12);
        int n = h.getInt(16);
        int shift = h.getInt(20);
        if (format != FORMAT || k != slots || n != number || shift != recordShift) {
            throw new DamagedFileException(file, 0, "header says format " + format + ", " + k + " slots per user, segment "
                    + n + ", record shift " + shift + "; expected format " + FORMAT + ", " + slots + ", " + number + ", " + recordShift);
        }
    }

    /** @return the header page of segment {@code number} */
    static ByteBuffer header(int number, int slots, int recordShift) {
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putInt(FORMAT).putInt(slots).putInt(number).putInt(recordShift);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 24);
        h.putInt(24, (int) crc.getValue());
        h.clear();
        return h;
    }

    /**
     * Writes a complete segment file: header, then every word of the records as {@code words}
     * gives it for its index; via {@code tmp}, fsync and an atomic rename onto {@code file}, so
     * after a crash the file is either the old one (or absent) or complete.
     *
     * @param words the stored word for the word index {@code i} of the records (already encoded)
     * @throws IOException if it cannot be written (e.g. the disk is full)
     */
    static void writeAtomically(Path tmp, Path file, int number, int slots, int recordShift, LongUnaryOperator words)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.nativeOrder());
        long wordCount = recordBytes(recordShift) >>> 3;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer h = header(number, slots, recordShift);
            while (h.hasRemaining()) {
                ch.write(h, h.position());
            }
            long pos = HEADER_BYTES;
            for (long i = 0; i < wordCount; ) {
                buf.clear();
                while (buf.hasRemaining() && i < wordCount) {
                    buf.putLong(words.applyAsLong(i++));
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    pos += ch.write(buf, pos);
                }
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Copies the record of {@code id} (its slots decoded) into {@code into[0..slots)}.
     *
     * @throws UncheckedIOException wrapping a {@link DamagedFileException} if its page fails verification
     */
    public void load(int id, long[] into, int slots) {
        int base = (id & SEGMENT_MASK) << recordShift;
        int page = base >>> PAGE_SHIFT;
        if (((long) BITS.getOpaque(verified, page >>> 6) & (1L << page)) == 0) {
            verifyPage(page);
        }
        decode(records, base, into, slots);
    }

    /** Decodes the {@code slots} words from {@code base} of {@code b} into {@code into}. */
    static void decode(ByteBuffer b, int base, long[] into, int slots) {
        for (int i = 0; i < slots; i++) {
            long w = b.getLong(base + (i << 3));
            into[i] = w == SendLedgerSlotCodec.EMPTY_WORD ? SendLedgerSlots.EMPTY : SendLedgerSlotCodec.decode(w);
        }
    }

    /** Stores one slot of {@code id}'s record. */
    public void write(int id, int slot, long value) {
        records.putLong(((id & SEGMENT_MASK) << recordShift) + (slot << 3), SendLedgerSlotCodec.encode(value));
    }

    private void verifyPage(int page) {
        int start = page << PAGE_SHIFT;
        ByteBuffer b = records;
        for (int i = 0; i < 1 << PAGE_SHIFT; i += 8) {
            long w = b.getLong(start + i);
            if (w != SendLedgerSlotCodec.EMPTY_WORD && !SendLedgerSlotCodec.valid(w)) {
                DamagedFileException e = new DamagedFileException(file, (long) HEADER_BYTES + start + i,
                        "send-ledger slot fails its check byte" + (w == 0 ? " (zero-filled)" : "")
                                + "; the ledger was refused and left untouched: restore send-ledger/ from a backup");
                onDamage.accept(e);
                throw new UncheckedIOException(e);
            }
        }
        BITS.getAndBitwiseOr(verified, page >>> 6, 1L << page);
    }

    /**
     * Copies {@code length} bytes of the records from byte {@code offset} through the mapping into
     * {@code into[0, length)} (reads only: no page is made writable).
     */
    public void copy(int offset, ByteBuffer into, int length) {
        into.clear();
        into.put(0, records, offset, length);
    }

    /**
     * Writes {@code from[0, length)} at byte {@code offset} of the records: one positional write,
     * into the page cache (a killed process loses nothing; each 8-byte word is written whole, as
     * the pages are copied one at a time).
     *
     * @throws UncheckedIOException if the file cannot be written
     */
    public void write(int offset, ByteBuffer from, int length) {
        ByteBuffer w = from.duplicate();
        w.limit(length).position(0);
        try {
            while (w.hasRemaining()) {
                channel.write(w, (long) HEADER_BYTES + offset + w.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write send-ledger segment " + file, e);
        }
    }

    /** Closes the file (the mapping is released by the GC). */
    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close send-ledger segment " + file, e);
        }
    }

    /**
     * Verifies every word of the records through {@code ch} (read only): what {@code herald data
     * check} does without mapping anything for write.
     *
     * @return null if every word is valid, else the damage at the first bad word
     */
    static DamagedFileException verifyAll(FileChannel ch, Path file, int recordShift) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.nativeOrder());
        long end = fileBytes(recordShift);
        for (long pos = HEADER_BYTES; pos < end; ) {
            buf.clear();
            while (buf.hasRemaining()) {
                int n = ch.read(buf, pos + buf.position());
                if (n < 0) {
                    return new DamagedFileException(file, pos + buf.position(), "ends early");
                }
            }
            buf.flip();
            for (int i = 0; i < buf.limit(); i += 8) {
                long w = buf.getLong(i);
                if (w != SendLedgerSlotCodec.EMPTY_WORD && !SendLedgerSlotCodec.valid(w)) {
                    return new DamagedFileException(file, pos + i,
                            "send-ledger slot fails its check byte" + (w == 0 ? " (zero-filled)" : ""));
                }
            }
            pos += buf.limit();
        }
        return null;
    }
}
