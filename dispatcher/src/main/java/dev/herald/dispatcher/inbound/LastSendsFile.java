package dev.herald.dispatcher.inbound;

import dev.herald.suppression.DamagedFileException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk format of {@code last-sends/marks.bin} (format 2): a checksummed header, then two
 * 8-byte marks per recipient id, each with its own check byte, so a flipped byte, a zero-filled
 * page or a cut file is refused by name instead of read as "no send".
 *
 * <pre>
 * offset 0   "HRLDMRK2", int format 2, int records N, int 0, int CRC32C of bytes 0..20 (little-endian)
 * offset 24  N records of 16 bytes: newest mark, then the one before it from another sender
 * mark word  campaign number (24 bits) | epoch second (32 bits) | check (8 bits)
 * </pre>
 * The check byte is the XOR of the word's upper 7 bytes, XOR {@code 0xA5}: any change inside one
 * byte is detected, and a zeroed word is never valid (an empty mark is stored as {@code 0xA5}).
 * The length is {@code 24 + 16 N}, never a multiple of 16: a file of format 1 (bare marks, no
 * header, written before) has a length that is, and is migrated on open.
 *
 * <p>{@code MappedByteBuffer m = LastSendsFile.open(file, capacity); long w = m.getLong(LastSendsFile.offset(id, 0));}
 *
 * <p>Stateless and thread-safe.
 */
public final class LastSendsFile {

    private static final Logger LOG = LoggerFactory.getLogger(LastSendsFile.class);
    /** Bytes before the first record. */
    static final int HEADER = 24;
    /** Bytes per record. */
    static final int RECORD = 16;
    /** Largest campaign number a mark holds. */
    static final int MAX_NUMBER = (1 << 24) - 1;
    private static final long EMPTY = 0xA5;
    private static final byte[] MAGIC = {'H', 'R', 'L', 'D', 'M', 'R', 'K', '2'};

    private LastSendsFile() {
    }

    /** @return the byte offset of mark {@code k} (0 newest, 1 the one before) of {@code id} */
    static int offset(int id, int k) {
        return HEADER + id * RECORD + 8 * k;
    }

    /** @return the stored word of a mark; {@code number} 0 is no mark */
    static long encode(int number, long epochSecond) {
        long packed = (long) number << 32 | (epochSecond & 0xFFFF_FFFFL);
        return packed << 8 | check(packed);
    }

    /** @return the campaign number of a valid word (0: no mark) */
    static int number(long word) {
        return (int) (word >>> 40);
    }

    /** @return the epoch second of a valid word */
    static long second(long word) {
        return (word >>> 8) & 0xFFFF_FFFFL;
    }

    private static boolean valid(long word) {
        return (word & 0xFF) == check(word >>> 8);
    }

    private static long check(long packed) {
        long x = packed ^ (packed >>> 32);
        x ^= x >>> 16;
        x ^= x >>> 8;
        return (x & 0xFF) ^ EMPTY;
    }

    /**
     * Opens {@code file} for reading and writing marks, creating it, migrating a format-1 file or
     * growing it to {@code capacity} records first (each a new file, fsync, atomic rename), after
     * checking every byte of it.
     *
     * @return the mapping of the whole file (little-endian)
     * @throws DamagedFileException if the file is damaged (named, with the offset); it is left untouched
     * @throws IOException          if it cannot be read, written or mapped
     */
    static MappedByteBuffer open(Path file, int capacity) throws IOException {
        Files.deleteIfExists(tmp(file));
        if (!Files.exists(file) || Files.size(file) == 0) {
            rewrite(file, capacity, null, 0);
        } else if (Files.size(file) % RECORD == 0) {
            migrate(file, capacity);
        } else {
            int records = check(file);
            if (records < capacity) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    MappedByteBuffer old = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
                    rewrite(file, capacity, old.order(ByteOrder.LITTLE_ENDIAN), records);
                }
                LOG.info("last sends {}: grown from {} to {} recipients", file.toAbsolutePath(), records, capacity);
            }
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
            map.order(ByteOrder.LITTLE_ENDIAN);
            return map;
        }
    }

    /**
     * Checks a format-2 file (header, length, every mark) read only.
     *
     * @return its record count
     * @throws DamagedFileException naming the file and the offset of the first thing wrong
     */
    static int check(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
            while (h.hasRemaining() && ch.read(h, h.position()) > 0) {
                // the whole header
            }
            if (h.hasRemaining() || !Arrays.equals(Arrays.copyOf(h.array(), 8), MAGIC)) {
                throw new DamagedFileException(file, 0, "no last-sends header (zero-filled, overwritten or cut)");
            }
            CRC32C crc = new CRC32C();
            crc.update(h.array(), 0, 20);
            if ((int) crc.getValue() != h.getInt(20) || h.getInt(8) != 2) {
                throw new DamagedFileException(file, 0, "last-sends header fails its checksum");
            }
            int records = h.getInt(12);
            long want = HEADER + (long) records * RECORD;
            if (size != want) {
                throw new DamagedFileException(file, Math.min(size, want), "holds " + size + " bytes, its header says "
                        + want + " (cut short or extended)");
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (long pos = HEADER; pos < size; ) {
                buf.clear();
                if (size - pos < buf.capacity()) {
                    buf.limit((int) (size - pos));
                }
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0) {
                    // fill
                }
                buf.flip();
                for (int i = 0; i + 8 <= buf.limit(); i += 8) {
                    long w = buf.getLong(i);
                    if (!valid(w)) {
                        throw new DamagedFileException(file, pos + i, "last-send mark fails its check byte"
                                + (w == 0 ? " (zero-filled)" : ""));
                    }
                }
                pos += buf.limit();
            }
            return records;
        }
    }

    /**
     * What {@code herald data check} says of the file, read only.
     *
     * @return empty if it is sound (or absent, or of format 1, which the next open migrates), else the damage
     * @throws IOException if it cannot be read
     */
    static Optional<DamagedFileException> verify(Path file) throws IOException {
        if (!Files.exists(file) || Files.size(file) == 0) {
            return Optional.empty();
        }
        try {
            if (Files.size(file) % RECORD == 0) {
                checkFormat1(file, null);
            } else {
                check(file);
            }
            return Optional.empty();
        } catch (DamagedFileException e) {
            return Optional.of(e);
        }
    }

    /** Checks a format-1 file (bare marks), copying each mark re-encoded into {@code into} when given. */
    private static void checkFormat1(Path file, MappedByteBuffer into) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer old = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            old.order(ByteOrder.LITTLE_ENDIAN);
            if (old.capacity() >= 8 && old.getLong(0) == ByteBuffer.wrap(MAGIC).order(ByteOrder.LITTLE_ENDIAN).getLong()) {
                throw new DamagedFileException(file, old.capacity(), "a last-sends file of format 2 cut short");
            }
            for (int at = 0; at < old.capacity(); at += 8) {
                long v = old.getLong(at);
                long number = v >>> 32;
                if (number > MAX_NUMBER) {
                    throw new DamagedFileException(file, at, "not a last-send mark (campaign number " + number + ")");
                }
                if (into != null) {
                    into.putLong(HEADER + at, v == 0 ? EMPTY : encode((int) number, v & 0xFFFF_FFFFL));
                }
            }
        }
    }

    private static void migrate(Path file, int capacity) throws IOException {
        checkFormat1(file, null);
        int records = (int) (Files.size(file) / RECORD);
        int n = Math.max(records, capacity);
        Path tmp = tmp(file);
        writeEmpty(tmp, n);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
            m.order(ByteOrder.LITTLE_ENDIAN);
            checkFormat1(file, m);
            m.force();
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LOG.info("last sends {}: migrated to format 2 (a check byte per mark, a checksummed header), {} recipients",
                file.toAbsolutePath(), n);
    }

    /** Writes a new file of {@code records} records (the first {@code copy} copied from {@code old}) and renames it onto {@code file}. */
    private static void rewrite(Path file, int records, ByteBuffer old, int copy) throws IOException {
        Path tmp = tmp(file);
        writeEmpty(tmp, records);
        if (old != null) {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer src = old.duplicate().position(HEADER).limit(HEADER + copy * RECORD);
                long pos = HEADER;
                while (src.hasRemaining()) {
                    pos += ch.write(src, pos);
                }
                ch.force(true);
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeEmpty(Path tmp, int records) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putInt(2).putInt(records).putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 20);
        h.putInt((int) crc.getValue()).flip();
        ByteBuffer empties = ByteBuffer.allocateDirect(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        while (empties.hasRemaining()) {
            empties.putLong(EMPTY);
        }
        long end = HEADER + (long) records * RECORD;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (h.hasRemaining()) {
                ch.write(h, h.position());
            }
            for (long pos = HEADER; pos < end; ) {
                empties.clear();
                if (end - pos < empties.capacity()) {
                    empties.limit((int) (end - pos));
                }
                pos += ch.write(empties, pos);
            }
            ch.force(true);
        }
    }

    private static Path tmp(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }
}
