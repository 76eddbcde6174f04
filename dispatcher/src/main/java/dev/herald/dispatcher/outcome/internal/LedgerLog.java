package dev.herald.dispatcher.outcome.internal;

import dev.herald.suppression.CorruptIndexException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * The append-only outcome log of one checkpoint generation: {@code log-<generation>.log}, a
 * 16-byte header (magic, generation) then {@link LogCodec} frames with increasing sequence numbers.
 *
 * <p>Appends go straight to the file (one {@code write} per batch, no user-space buffer), so a
 * killed process loses nothing it appended; {@link #sync} fsyncs for power loss. On open, a
 * damaged last record is a torn write: it is copied aside and cut off. Damage followed by a
 * whole record is corruption and refused, because cutting there would drop acknowledged batches.
 *
 * <p>Not thread-safe: used by the ledger's single writer.
 */
public final class LedgerLog implements AutoCloseable {
    private static final byte[] MAGIC = "HRLDOLG1".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER = 16;

    /** Receives each whole record during {@link #open}. */
    @FunctionalInterface
    public interface Visitor {
        void visit(LogCodec.Entry entry, long offset) throws IOException;
    }

    /** What {@link #open} read: records, the last sequence number (-1 if none), torn bytes dropped. */
    public record Replay(LedgerLog log, long records, long lastSeq, long tornBytes) {
    }

    private final Path file;
    private final FileChannel channel;
    private ByteBuffer buffer = ByteBuffer.allocate(1 << 16);

    private LedgerLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    public static Path name(Path dir, long generation) {
        return dir.resolve(String.format("log-%012d.log", generation));
    }

    /** Creates an empty log (header written aside, fsynced, renamed into place) and opens it for appending. */
    public static LedgerLog create(Path file, long generation) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(HEADER).put(MAGIC).putLong(generation).flip());
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(file.getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
        ch.position(ch.size());
        return new LedgerLog(file, ch);
    }

    /**
     * Replays every whole record of {@code file} after {@code afterSeq}, drops a torn tail, and
     * opens the log for appending at the end of its last whole record.
     *
     * @throws CorruptIndexException naming the file if its header, a record or the sequence is damaged
     */
    public static Replay open(Path file, long generation, long afterSeq, Visitor visitor, List<String> warnings)
            throws IOException {
        long records = 0;
        long lastSeq = afterSeq;
        long validEnd;
        long size;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            if (size < HEADER || size > Integer.MAX_VALUE) {
                throw new CorruptIndexException(file, "log is " + size + " bytes: shorter than its header or over 2 GiB");
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            byte[] magic = new byte[MAGIC.length];
            buf.get(magic);
            if (!Arrays.equals(magic, MAGIC) || buf.getLong() != generation) {
                throw new CorruptIndexException(file, "not the outcome log of generation " + generation + " (bad header)");
            }
            while (true) {
                int len = LogCodec.check(buf);
                if (len < 0) {
                    break;
                }
                LogCodec.Entry entry;
                try {
                    entry = LogCodec.decode(buf, len);
                } catch (RuntimeException e) {
                    throw new CorruptIndexException(file, "malformed record at offset " + buf.position() + ": " + e.getMessage(), e);
                }
                if (entry.seq() <= lastSeq) {
                    throw new CorruptIndexException(file, "sequence number goes backwards at offset " + buf.position()
                            + " (" + entry.seq() + " after " + lastSeq + ")");
                }
                visitor.visit(entry, buf.position());
                lastSeq = entry.seq();
                records++;
                buf.position(buf.position() + LogCodec.FRAME_HEADER + len);
            }
            validEnd = buf.position();
            if (validEnd < size && validFrameAfter(buf, validEnd, lastSeq)) {
                throw new CorruptIndexException(file, "damaged record at offset " + validEnd
                        + " is followed by whole records: the log is damaged in the middle, not torn");
            }
        }
        long torn = size - validEnd;
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
        if (torn > 0) {
            Path copy = file.resolveSibling(file.getFileName() + ".torn-" + System.currentTimeMillis());
            try (FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.transferTo(validEnd, torn, out);
                out.force(true);
            }
            ch.truncate(validEnd);
            ch.force(true);
            warnings.add("dropped an incomplete last record (" + torn + " bytes at offset " + validEnd + ") from " + file
                    + "; copied to " + copy.getFileName());
        }
        ch.position(validEnd);
        return new Replay(new LedgerLog(file, ch), records, lastSeq, torn);
    }

    private static boolean validFrameAfter(ByteBuffer buf, long from, long afterSeq) {
        ByteBuffer b = buf.duplicate();
        for (int pos = (int) from + 1; pos + LogCodec.FRAME_HEADER + LogCodec.MIN_PAYLOAD <= b.limit(); pos++) {
            int len = b.getInt(pos);
            if (len < LogCodec.MIN_PAYLOAD || len > b.limit() - pos - LogCodec.FRAME_HEADER
                    || b.get(pos + LogCodec.FRAME_HEADER) != LogCodec.VERSION) {
                continue;
            }
            b.position(pos);
            if (LogCodec.seq(b) > afterSeq && LogCodec.check(b) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Appends one record with a single write; durable against a killed process, not yet against power loss. */
    public void append(long seq, byte op, String outcome, long untilMillis, ImmutableRoaringBitmap ids) throws IOException {
        int need = LogCodec.frameSize(outcome, ids);
        if (buffer.capacity() < need) {
            buffer = ByteBuffer.allocate(Math.max(need, buffer.capacity() * 2));
        }
        buffer.clear();
        LogCodec.encode(seq, op, outcome, untilMillis, ids, buffer);
        buffer.flip();
        long start = channel.position();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            try {
                channel.truncate(start);
                channel.position(start);
            } catch (IOException ignored) {
                // a torn tail is dropped on the next open
            }
            throw e;
        }
    }

    /** Fsyncs everything appended so far. */
    public void sync() throws IOException {
        channel.force(false);
    }

    /** Makes a create or rename in {@code dir} durable. */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        if (channel.isOpen()) {
            channel.force(true);
            channel.close();
        }
    }
}
