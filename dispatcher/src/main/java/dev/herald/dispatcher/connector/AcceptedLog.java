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
import java.util.Arrays;
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
    private static final int INITIAL_BYTES = 1 << 16;
    // Guarded by this: the batch being written, and the UTF-8 of the last campaign id.
    private byte[] bytes = new byte[INITIAL_BYTES];
    private String lastCampaign;
    private byte[] lastCampaignBytes;

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
            dev.herald.dispatcher.store.LineLog.cutTornLine(file, ch);
            return new AcceptedLog(file, ch, lock, fsync);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Writes one line per message (all or, on an I/O error, a prefix), then forces if configured. */
    synchronized void append(List<OutboundMessage> messages, List<String> messageIds, long acceptedAtMillis)
            throws IOException {
        // The lines' UTF-8 bytes straight into one reused array: no String of the batch, no copy of it.
        byte[] at = Long.toString(acceptedAtMillis).getBytes(StandardCharsets.US_ASCII);
        int len = 0;
        for (int i = 0; i < messages.size(); i++) {
            OutboundMessage m = messages.get(i);
            byte[] campaign = campaignBytes(m.campaignId());
            String messageId = messageIds.get(i);
            // Digits of the id (≤ 10) and 4 separators; a message id char is at most 3 UTF-8 bytes.
            ensure(len + at.length + campaign.length + 14 + 3 * messageId.length());
            System.arraycopy(at, 0, bytes, len, at.length);
            len += at.length;
            bytes[len++] = '\t';
            System.arraycopy(campaign, 0, bytes, len, campaign.length);
            len += campaign.length;
            bytes[len++] = '\t';
            len = putDigits(m.recipientId(), len);
            bytes[len++] = '\t';
            len = putUtf8(messageId, len);
            bytes[len++] = '\n';
        }
        ByteBuffer out = ByteBuffer.wrap(bytes, 0, len);
        while (out.hasRemaining()) {
            channel.write(out);
        }
        if (fsync) {
            channel.force(false);
        }
        if (bytes.length > 1 << 20) {
            bytes = new byte[INITIAL_BYTES];
        }
    }

    /** The UTF-8 of a campaign id, kept for the last one seen (a batch is usually one campaign). */
    private byte[] campaignBytes(String campaignId) {
        if (!campaignId.equals(lastCampaign)) {
            lastCampaign = campaignId;
            lastCampaignBytes = campaignId.getBytes(StandardCharsets.UTF_8);
        }
        return lastCampaignBytes;
    }

    /** Writes the decimal digits of {@code v} (≥ 0) at {@code pos}; returns the position after them. */
    private int putDigits(int v, int pos) {
        int digits = 1;
        for (int x = v; x >= 10; x /= 10) {
            digits++;
        }
        int end = pos + digits;
        for (int i = end - 1; i >= pos; i--) {
            bytes[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return end;
    }

    /** Writes {@code s} as UTF-8 at {@code pos} (room for 3 bytes per char is ensured); returns the end. */
    private int putUtf8(String s, int pos) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                System.arraycopy(utf8, 0, bytes, pos, utf8.length);
                return pos + utf8.length;
            }
        }
        for (int i = 0; i < s.length(); i++) {
            bytes[pos + i] = (byte) s.charAt(i);
        }
        return pos + s.length();
    }

    private void ensure(int capacity) {
        if (capacity > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(capacity, 2 * bytes.length));
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
