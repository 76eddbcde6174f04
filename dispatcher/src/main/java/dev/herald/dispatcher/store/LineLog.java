package dev.herald.dispatcher.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;

/**
 * An append-only log of short text records, one per line with its CRC-32
 * ({@code <record>\t<crc32 hex>\n}), each fsynced before {@link #append} returns.
 *
 * <pre>{@code
 * LineLog log = LineLog.open(dir.resolve("preferences.log"));
 * List<String> earlier = log.records();   // replayed at start
 * log.append("42 weekly");                // durable on return
 * }</pre>
 *
 * <p>A torn last line (a crash mid-write: no newline, or a wrong checksum on the last line) is cut
 * off when the log is opened; a bad line anywhere else is corruption and refuses to open.
 * Thread-safety: {@link #append} is synchronized; one process at a time owns the file.
 */
public final class LineLog implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private final List<String> records;

    private LineLog(Path file, FileChannel channel, List<String> records) {
        this.file = file;
        this.channel = channel;
        this.records = records;
    }

    /**
     * @param file the log file (created, with its directory, if missing)
     * @return the open log
     * @throws IOException if it cannot be read or written, or a line before the last is corrupt
     */
    public static LineLog open(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] all = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        List<String> records = new ArrayList<>();
        int start = 0;
        int good = 0;
        int line = 0;
        while (start < all.length) {
            line++;
            int nl = indexOf(all, (byte) '\n', start);
            String text = new String(all, start, (nl < 0 ? all.length : nl) - start, StandardCharsets.UTF_8);
            String record = nl < 0 ? null : check(text);
            if (record == null) {
                if (nl < 0 || nl == all.length - 1) {
                    break; // torn tail: cut below
                }
                throw new IOException(file + ": line " + line + " is corrupt (bad checksum); refusing to open");
            }
            records.add(record);
            start = nl + 1;
            good = start;
        }
        boolean created = !Files.exists(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        if (created) {
            fsyncDirectory(file.getParent());
        }
        try {
            if (ch.size() != good) {
                ch.truncate(good);
            }
            ch.position(good);
            ch.force(true);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new LineLog(file, ch, records);
    }

    private static int indexOf(byte[] b, byte what, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == what) {
                return i;
            }
        }
        return -1;
    }

    private static String check(String line) {
        int tab = line.lastIndexOf('\t');
        if (tab < 0 || line.length() - tab - 1 != 8) {
            return null;
        }
        String record = line.substring(0, tab);
        return crc(record).equals(line.substring(tab + 1)) ? record : null;
    }

    private static String crc(String record) {
        CRC32 c = new CRC32();
        c.update(record.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().toHexDigits((int) c.getValue());
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
        ByteBuffer b = ByteBuffer.wrap((record + "\t" + crc(record) + "\n").getBytes(StandardCharsets.UTF_8));
        appendDurably(channel, b);
    }

    /**
     * Writes {@code b} at the end of {@code channel} and fsyncs it; if that fails, cuts the file back
     * to where it was, so that a failed append (a full disk) leaves no partial or unacknowledged
     * line behind for the next append or the next open to trip over.
     */
    public static void appendDurably(FileChannel channel, ByteBuffer b) throws IOException {
        long before = channel.size();
        try {
            channel.position(before);
            while (b.hasRemaining()) {
                channel.write(b);
            }
            channel.force(false);
        } catch (IOException e) {
            try {
                channel.truncate(before);
                channel.position(before);
                channel.force(false);
            } catch (IOException cut) {
                e.addSuppressed(cut);
            }
            throw e;
        }
    }

    /**
     * Cuts a line torn by a crash mid-write (bytes after the last line end: never acknowledged) off
     * the end of {@code ch}, and positions the channel at the new end.
     *
     * @return the bytes cut
     */
    public static long cutTornLine(FileChannel ch) throws IOException {
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
            ch.truncate(end);
            ch.force(false);
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
        channel.close();
    }

    @Override
    public String toString() {
        return "LineLog[" + file + "]";
    }
}
