package dev.herald.dispatcher.connector;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;

/**
 * The append-only file of accepted messages behind {@link SimulatedConnector}; the format is
 * documented there.
 *
 * <p>Thread-safe: {@link #append} is synchronized, one writer per file (held by an OS file lock,
 * which the OS releases when the process dies).
 */
final class AcceptedLog implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean fsync;
    private final StringBuilder text = new StringBuilder(4096);

    private AcceptedLog(Path file, FileChannel channel, FileLock lock, boolean fsync) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.fsync = fsync;
    }

    /**
     * Opens the log for appending, first cutting a torn last line (no line feed) left by a crash:
     * its message was never acknowledged, since acknowledgement follows the complete write.
     */
    static AcceptedLog open(Path file, boolean fsync) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IOException("accepted log " + file + " is in use by another connector");
            }
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
            }
            ch.position(end);
            return new AcceptedLog(file, ch, lock, fsync);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Writes one line per message (all or, on an I/O error, a prefix), then forces if configured. */
    synchronized void append(List<OutboundMessage> messages, List<String> messageIds, long acceptedAtMillis)
            throws IOException {
        text.setLength(0);
        for (int i = 0; i < messages.size(); i++) {
            OutboundMessage m = messages.get(i);
            text.append(acceptedAtMillis).append('\t').append(m.campaignId()).append('\t')
                    .append(m.recipientId()).append('\t').append(messageIds.get(i)).append('\n');
        }
        ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        if (fsync) {
            channel.force(false);
        }
        if (text.capacity() > 1 << 20) {
            text.setLength(0);
            text.trimToSize();
        }
    }

    /** Forces the file to the device, releases the lock and closes it. */
    @Override
    public synchronized void close() throws IOException {
        try {
            channel.force(false);
            lock.release();
        } finally {
            channel.close();
        }
    }

    Path file() {
        return file;
    }

    /**
     * Streams a log's entries in file order, reading only the size the file had when called; a
     * last line without a line feed (torn by a crash, or being written) is ignored.
     */
    static void forEach(Path file, Consumer<AcceptedLogEntry> sink) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long limit = ch.size();
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            long pos = 0;
            int number = 0;
            while (pos < limit) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), limit - pos));
                int n = ch.read(buf, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (b == '\n') {
                        sink.accept(parse(file, ++number, line.toString(StandardCharsets.UTF_8)));
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
            }
        }
    }

    private static AcceptedLogEntry parse(Path file, int number, String line) throws IOException {
        String[] f = line.split("\t", -1);
        if (f.length != 4 || f[1].isEmpty() || f[3].isEmpty()) {
            throw new IOException(file + ":" + number + ": expected 4 tab-separated fields "
                    + "(acceptedAtMillis, campaignId, recipientId, messageId), got '" + line + "'");
        }
        try {
            return new AcceptedLogEntry(Long.parseLong(f[0]), f[1], Integer.parseInt(f[2]), f[3]);
        } catch (NumberFormatException e) {
            throw new IOException(file + ":" + number + ": bad number in '" + line + "': " + e.getMessage(), e);
        }
    }
}
