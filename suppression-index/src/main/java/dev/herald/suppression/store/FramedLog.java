package dev.herald.suppression.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A framed, checksummed, append-only log file, and the one place where the damage rule of every
 * Herald log is applied (see the package documentation).
 *
 * <pre>{@code
 * LogFormat fmt = LogFormat.lines(4096);
 * try (FramedLog log = FramedLog.open(file, fmt, (data, at, p, n) -> replay(data, p, n))) {
 *     log.append("42 weekly".getBytes(UTF_8));     // fsynced before it returns
 * }
 * VerifyResult r = FramedLog.verify(file, fmt);   // read-only
 * }</pre>
 *
 * <p>Stores with their own hot writer (the suppression write-ahead log, the outcome ledger's log)
 * use only {@link #scan} and {@link #dropTornTail} and write frames with {@link FrameFormat}; small
 * stores use an instance: {@link #append} is synchronized, one process owns the file.
 */
public final class FramedLog implements AutoCloseable {

    /** Receives each whole frame in file order; {@code data} is the whole file, do not move it. */
    @FunctionalInterface
    public interface Visitor {
        void frame(ByteBuffer data, int frameOffset, int payloadOffset, int payloadLength) throws IOException;
    }

    /**
     * What {@link #scan} found.
     *
     * @param frames    whole frames read
     * @param end       the offset after the last whole frame
     * @param tornBytes bytes after {@code end}: an incomplete last frame (0 if none)
     */
    public record Scan(long frames, long end, long tornBytes) {
    }

    private final Path file;
    private final LogFormat format;
    private final FileChannel channel;

    private FramedLog(Path file, LogFormat format, FileChannel channel) {
        this.file = file;
        this.format = format;
        this.channel = channel;
    }

    /**
     * Reads every frame of a whole file, applying the rule: an incomplete last frame is returned as
     * {@link Scan#tornBytes()} (not dropped nor reported: that is {@link #dropTornTail}'s job), and
     * anything damaged is refused.
     *
     * @param data the file's bytes from offset 0 to its limit (the buffer's position is ignored)
     * @throws DamagedStoreException naming the file and offset of a bad header, a damaged frame, an
     *     incomplete frame followed by whole frames, or zero-filled bytes
     * @throws IOException what the visitor throws
     */
    public static Scan scan(Path file, ByteBuffer data, LogFormat fmt, Visitor visitor) throws IOException {
        int limit = data.limit();
        if (limit < fmt.headerBytes() || !fmt.magicMatches(data)) {
            throw new DamagedStoreException(file, 0, limit < fmt.headerBytes()
                    ? "shorter than its " + fmt.headerBytes() + "-byte header (" + limit + " bytes)"
                    : "not a file of this kind (bad header)");
        }
        FrameFormat frames = fmt.frames();
        int pos = fmt.headerBytes();
        long count = 0;
        while (pos < limit) {
            int n = frames.check(data, pos, limit, fmt.minPayload(), fmt.maxPayload());
            if (n > 0) {
                visitor.frame(data, pos, frames.payloadOffset(pos), frames.payloadLength(n));
                pos += n;
                count++;
                continue;
            }
            if (n != FrameFormat.TORN) {
                throw new DamagedStoreException(file, pos, FrameFormat.describe(n) + (allZero(data, pos, limit)
                        ? "; the rest of the file is zero bytes" : ""));
            }
            if (allZero(data, pos, limit)) {
                throw new DamagedStoreException(file, pos, (limit - pos) + " zero bytes at the end (zero-filled, not a torn write)");
            }
            int whole = wholeFrameAfter(data, pos, limit, fmt);
            if (whole >= 0) {
                throw new DamagedStoreException(file, pos, "a frame that looks incomplete is followed by a whole frame at offset "
                        + whole + ": its length is damaged");
            }
            return new Scan(count, pos, limit - pos);
        }
        return new Scan(count, pos, 0);
    }

    private static boolean allZero(ByteBuffer data, int from, int limit) {
        for (int i = from; i < limit; i++) {
            if (data.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** A whole BINARY frame starting inside what looks like a torn tail means the tail is damage. */
    private static int wholeFrameAfter(ByteBuffer data, int from, int limit, LogFormat fmt) {
        if (fmt.frames() != FrameFormat.BINARY) {
            return -1; // an incomplete line holds no line feed, so no whole line follows it
        }
        for (int p = from + 1; p + FrameFormat.BINARY_HEADER < limit; p++) {
            if (FrameFormat.BINARY.check(data, p, limit, fmt.minPayload(), fmt.maxPayload()) > 0) {
                return p;
            }
        }
        return -1;
    }

    /** Maps the whole file read-only ({@code ch} may be closed afterwards). */
    public static ByteBuffer map(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size > Integer.MAX_VALUE) {
            throw new DamagedStoreException(file, Integer.MAX_VALUE, "log is larger than 2 GiB (" + size + " bytes)");
        }
        return size == 0 ? ByteBuffer.allocate(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
    }

    /**
     * Checks a log without changing it: never writes, truncates or creates anything.
     *
     * @throws NoSuchFileException if it does not exist
     * @throws IOException if it cannot be read
     */
    public static VerifyResult verify(Path file, LogFormat fmt) throws IOException {
        return verify(file, fmt, (d, a, p, n) -> { });
    }

    /** {@link #verify(Path, LogFormat)}, passing every whole frame to {@code visitor} for store-specific checks. */
    public static VerifyResult verify(Path file, LogFormat fmt, Visitor visitor) throws IOException {
        long[] frames = {0};
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Scan s = scan(file, map(file, ch), fmt, (d, a, p, n) -> {
                visitor.frame(d, a, p, n);
                frames[0]++;
            });
            return s.tornBytes() > 0 ? new VerifyResult(file, s.frames(), s.tornBytes(), s.end(), null)
                    : VerifyResult.clean(file, s.frames());
        } catch (DamagedStoreException e) {
            return VerifyResult.damaged(file, frames[0], e);
        }
    }

    /**
     * Drops the torn tail {@code scan} found, and reports it ({@link TornTails}): the bytes are
     * copied to {@code <file>.torn-<millis>} beside it, the file is cut at {@link Scan#end()} and fsynced.
     * Does nothing if there is no torn tail.
     *
     * @param ch the file, open for writing
     */
    public static void dropTornTail(Path file, FileChannel ch, Scan scan) throws IOException {
        if (scan.tornBytes() == 0) {
            return;
        }
        Path copy = file.resolveSibling(file.getFileName() + ".torn-" + System.currentTimeMillis());
        try (FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.transferTo(scan.end(), scan.tornBytes(), out);
            out.force(true);
        }
        ch.truncate(scan.end());
        ch.force(true);
        TornTails.report(file, scan.end(), scan.tornBytes(), copy);
    }

    /**
     * Writes a new file holding only {@code header}: aside, fsynced, renamed into place and the
     * directory fsynced, so a crash never leaves a file without its header.
     */
    public static void create(Path file, ByteBuffer header) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = header.duplicate();
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(file.toAbsolutePath().getParent());
    }

    /**
     * Opens a log for appending: creates it (with the format's magic as its header, which must then
     * be the whole header) if missing, else reads every frame, drops and reports a torn tail, and
     * refuses damage.
     *
     * @throws DamagedStoreException naming the file and offset if it is damaged (nothing is changed)
     */
    public static FramedLog open(Path file, LogFormat fmt, Visitor visitor) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!Files.exists(file)) {
            if (fmt.headerBytes() != fmt.magic().length) {
                throw new IllegalArgumentException("a log with header fields is created by its store");
            }
            create(file, ByteBuffer.wrap(fmt.magic()));
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            Scan s = scan(file, map(file, ch), fmt, visitor);
            dropTornTail(file, ch, s);
            ch.position(s.end());
            return new FramedLog(file, fmt, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Appends one frame holding {@code payload} and fsyncs it before returning. If the write or
     * the fsync fails the file is cut back to where it was, so no partial frame is left behind.
     *
     * @param payload the record; for JSON_LINE a whole JSON object (the frame adds its checksum member)
     * @throws IllegalArgumentException if the payload is longer than the format allows, or (LINE,
     *     JSON_LINE) holds a line feed, or (JSON_LINE) is not an object
     */
    public void append(byte[] payload) throws IOException {
        append(payload, true);
    }

    /**
     * Appends one frame; with {@code fsync}, as {@link #append(byte[])}, without, it survives a
     * killed process but not a power loss (a store that accepts losing its last records then).
     */
    public synchronized void append(byte[] payload, boolean fsync) throws IOException {
        if (payload.length > format.maxPayload() || payload.length < format.minPayload()) {
            throw new IllegalArgumentException("a record of " + payload.length + " bytes is outside "
                    + format.minPayload() + ".." + format.maxPayload());
        }
        ByteBuffer b = ByteBuffer.allocate(format.frames().frameLength(payload.length));
        if (format.frames() == FrameFormat.BINARY) {
            int start = FrameFormat.beginBinary(b);
            b.put(payload);
            FrameFormat.endBinary(b, start);
        } else {
            for (byte x : payload) {
                if (x == '\n') {
                    throw new IllegalArgumentException("a line record must not hold a line feed");
                }
            }
            if (format.frames() == FrameFormat.LINE) {
                FrameFormat.putLine(b, payload);
            } else {
                b = ByteBuffer.allocate(format.frames().frameLength(payload.length - 1));
                FrameFormat.putJsonLine(b, payload, payload.length);
            }
        }
        b.flip();
        if (fsync) {
            appendDurably(channel, b);
            return;
        }
        appendWhole(channel, b);
    }

    /**
     * Writes {@code b} at {@code channel}'s position, whole or not at all: if a write fails (a full
     * disk), the file is cut back to where it was, so nothing partial stays behind. Not fsynced:
     * stores with their own durability point (a companion log forced with its ledger) use it.
     */
    public static void appendWhole(FileChannel channel, ByteBuffer b) throws IOException {
        long before = channel.position();
        try {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } catch (IOException e) {
            try {
                channel.truncate(before);
                channel.position(before);
            } catch (IOException cut) {
                e.addSuppressed(cut);
            }
            throw e;
        }
    }

    /**
     * Writes {@code b} at the end of {@code channel} and fsyncs it; if that fails, cuts the file
     * back to where it was, so that a failed append (a full disk) leaves nothing partial behind.
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

    /** Makes a create or rename in {@code dir} durable (where the file system allows fsyncing a directory). */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /**
     * Replaces {@code file} by {@code content} (a migration to a new format): written aside,
     * fsynced, renamed over it atomically, directory fsynced.
     */
    public static void replace(Path file, ByteBuffer content) throws IOException {
        create(file, content);
    }

    /**
     * Forces what {@link #append(byte[], boolean)} wrote without fsync to the disk: a group commit
     * of the appends since the last sync.
     */
    public synchronized void sync() throws IOException {
        channel.force(false);
    }

    /** @return the log's file */
    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "FramedLog[" + file + "]";
    }
}
