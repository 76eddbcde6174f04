package dev.herald.dispatcher.store;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.TornTails;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only log of short text records, one per line with its CRC-32
 * ({@code <record>\t<crc32 hex>\n}), each fsynced before {@link #append} returns: the LINE frames of
 * the store rule ({@link FramedLog}).
 *
 * <pre>{@code
 * LineLog log = LineLog.open(dir.resolve("preferences.log"));
 * List<String> earlier = log.records();   // replayed at start
 * log.append("42 weekly");                // durable on return
 * }</pre>
 *
 * <p><b>Damage.</b> An incomplete last line (a crash mid-write: no line feed) is dropped and
 * reported (a warning naming the file, offset and bytes, and {@code herald_store_torn_tails_total});
 * a complete line whose checksum fails — anywhere, the last one too — or zero-filled bytes refuse
 * the log with a {@link DamagedStoreException} naming the file and offset, and nothing is changed.
 * Files written by earlier versions have exactly this format and are read in place (no migration).
 * {@link #verify} checks a file without changing it.
 *
 * <p>Thread-safety: {@link #append} is synchronized; one process at a time owns the file.
 */
public final class LineLog implements AutoCloseable {

    /** The format: LINE frames, no header, records up to 64 KiB. */
    public static final LogFormat FORMAT = LogFormat.lines(64 * 1024);

    private final Path file;
    private final FramedLog log;
    private final List<String> records;

    private LineLog(Path file, FramedLog log, List<String> records) {
        this.file = file;
        this.log = log;
        this.records = records;
    }

    /**
     * @param file the log file (created, with its directory, if missing)
     * @return the open log
     * @throws DamagedStoreException naming the file and offset if a complete line is damaged
     * @throws IOException if it cannot be read or written
     */
    public static LineLog open(Path file) throws IOException {
        List<String> records = new ArrayList<>();
        FramedLog log = FramedLog.open(file, FORMAT, (data, at, p, n) -> records.add(text(data, p, n)));
        return new LineLog(file, log, records);
    }

    /**
     * Checks a line log without changing it.
     *
     * @throws java.nio.file.NoSuchFileException if it does not exist
     */
    public static VerifyResult verify(Path file) throws IOException {
        return FramedLog.verify(file, FORMAT);
    }

    private static String text(ByteBuffer data, int from, int length) {
        byte[] b = new byte[length];
        data.get(from, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** @return the records read at open, oldest first */
    public List<String> records() {
        return List.copyOf(records);
    }

    /**
     * Appends one record and fsyncs it.
     *
     * @throws IllegalArgumentException if the record holds a tab or a line break
     * @throws IOException              if it cannot be written durably
     */
    public synchronized void append(String record) throws IOException {
        if (record.indexOf('\n') >= 0 || record.indexOf('\r') >= 0 || record.indexOf('\t') >= 0) {
            throw new IllegalArgumentException("a log record must not hold tabs or line breaks");
        }
        log.append(record.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code b} at the end of {@code channel} and fsyncs it; if that fails, cuts the file back
     * to where it was, so that a failed append (a full disk) leaves no partial or unacknowledged
     * line behind for the next append or the next open to trip over.
     */
    public static void appendDurably(FileChannel channel, ByteBuffer b) throws IOException {
        FramedLog.appendDurably(channel, b);
    }

    /**
     * Cuts a line torn by a crash mid-write (bytes after the last line end: never acknowledged) off
     * the end of {@code ch}, reports it ({@link TornTails}), and positions the channel at the new
     * end. For plain line files without checksums (JSON lines, TSV) that users read with their own tools.
     *
     * @return the bytes cut
     * @throws DamagedStoreException if the bytes after the last line end are all zero (zero-filled, not torn)
     */
    public static long cutTornLine(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        long end = size;
        ByteBuffer one = ByteBuffer.allocate(1);
        while (end > 0) {
            one.clear();
            ch.read(one, end - 1);
            if (one.get(0) == '\n') {
                break;
            }
            end--;
        }
        if (end < size) {
            ByteBuffer tail = ByteBuffer.allocate((int) Math.min(size - end, 1 << 20));
            ch.read(tail, end);
            boolean zeros = tail.position() == size - end;
            for (int i = 0; i < tail.position() && zeros; i++) {
                zeros = tail.get(i) == 0;
            }
            if (zeros) {
                throw new DamagedStoreException(file, end, (size - end) + " zero bytes at the end (zero-filled, not a torn write)");
            }
            ch.truncate(end);
            ch.force(false);
            TornTails.report(file, end, size - end, null);
        }
        ch.position(end);
        return size - end;
    }

    /** Fsyncs {@code dir}, so that a file just created in it survives a power loss (where the file system allows it). */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems cannot fsync a directory; the file's own contents are fsynced
        }
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }

    @Override
    public String toString() {
        return "LineLog[" + file + "]";
    }
}
