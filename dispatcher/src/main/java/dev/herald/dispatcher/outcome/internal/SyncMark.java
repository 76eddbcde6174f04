package dev.herald.dispatcher.outcome.internal;

import dev.herald.suppression.store.DamagedStoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * What the outcome log is known to hold: {@code log-<generation>.mark}, the sequence number of the
 * last record fsynced to {@code log-<generation>.log}. The log is compared against it on open, so
 * a log cut below what was durably written (half of it cut away, cut at a record boundary) is
 * refused instead of being read as "those recipients are still pending".
 *
 * <pre>
 * magic "HRLDOMK1" | u64 generation | u64 syncedSeq | u32 crc32c(previous 24 bytes)    (28 bytes)
 * </pre>
 * Created (aside, fsynced, renamed) with the log, holding the checkpoint's sequence number. After
 * each fsync of the log it is overwritten in place with one 28-byte write and <em>not</em> fsynced:
 * it is written only after the log's fsync, so whatever a power loss leaves of it never claims more
 * than the log durably holds (a stale mark is a weaker check, never a false one). No extra fsync
 * on the hot path; one small write per group commit.
 *
 * <p>Not thread-safe: written under the journal's sync lock.
 */
final class SyncMark implements AutoCloseable {
    private static final byte[] MAGIC = "HRLDOMK1".getBytes(StandardCharsets.US_ASCII);
    static final int SIZE = 28;

    private final Path file;
    private final FileChannel channel;
    private final long generation;
    private final ByteBuffer buffer = ByteBuffer.allocate(SIZE);
    private final CRC32C crc = new CRC32C();

    private SyncMark(Path file, FileChannel channel, long generation) {
        this.file = file;
        this.channel = channel;
        this.generation = generation;
    }

    static Path name(Path dir, long generation) {
        return dir.resolve(String.format("log-%012d.mark", generation));
    }

    /**
     * Creates the mark of a new log (written aside, fsynced, renamed) and opens it for updates. The
     * directory is not fsynced here: the caller creates the log next, in the same directory, and
     * that fsync makes both renames durable (so a checkpoint costs no extra directory fsync).
     */
    static SyncMark create(Path file, long generation, long syncedSeq) throws IOException {
        SyncMark m = new SyncMark(file, null, generation);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = m.encode(syncedSeq);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return open(file, generation);
    }

    static SyncMark open(Path file, long generation) throws IOException {
        return new SyncMark(file, FileChannel.open(file, StandardOpenOption.WRITE), generation);
    }

    /**
     * Reads the mark.
     *
     * @throws DamagedStoreException naming the file if its length, magic, generation or checksum is wrong
     */
    static long read(Path file, long generation) throws IOException {
        byte[] all = Files.readAllBytes(file);
        if (all.length != SIZE || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new DamagedStoreException(file, 0, "not an outcome-log sync mark (" + all.length + " bytes, bad header)");
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        CRC32C c = new CRC32C();
        c.update(all, 0, SIZE - 4);
        if ((int) c.getValue() != b.getInt(SIZE - 4)) {
            throw new DamagedStoreException(file, 0, "sync mark checksum does not match");
        }
        if (b.getLong(8) != generation) {
            throw new DamagedStoreException(file, 8, "sync mark of generation " + b.getLong(8) + ", expected " + generation);
        }
        return b.getLong(16);
    }

    private ByteBuffer encode(long syncedSeq) {
        buffer.clear();
        buffer.put(MAGIC).putLong(generation).putLong(syncedSeq);
        crc.reset();
        crc.update(buffer.array(), 0, SIZE - 4);
        buffer.putInt((int) crc.getValue());
        return buffer.flip();
    }

    /** Records that the log is fsynced up to {@code syncedSeq}: one positional write, no fsync. */
    void update(long syncedSeq) throws IOException {
        ByteBuffer b = encode(syncedSeq);
        int at = 0;
        while (b.hasRemaining()) {
            at += channel.write(b, at);
        }
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        if (channel != null && channel.isOpen()) {
            channel.close();
        }
    }
}
