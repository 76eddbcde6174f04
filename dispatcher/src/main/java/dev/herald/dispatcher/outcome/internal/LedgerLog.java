package dev.herald.dispatcher.outcome.internal;

import dev.herald.suppression.CorruptIndexException;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only outcome log of one checkpoint generation: {@code log-<generation>.log}, a
 * 16-byte header (magic, generation) then {@link LogCodec} frames with consecutive sequence numbers.
 *
 * <p>Appends go straight to the file (one {@code write} per batch, no user-space buffer), so a
 * killed process loses nothing it appended; {@link #sync} fsyncs for power loss. On open the store
 * rule of {@link FramedLog} applies: an incomplete last record (a torn write) is copied aside,
 * dropped and reported; a complete record that fails its checksum, anywhere, is damage and refused
 * naming the file and offset. The log is also compared against its {@link SyncMark}: a log holding
 * fewer records than were fsynced was cut and is refused. Logs written by earlier versions have
 * the same frames and are read in place; their missing mark is created on open.
 *
 * <p>Not thread-safe: used by the ledger's single writer.
 */
public final class LedgerLog implements AutoCloseable {
    private static final byte[] MAGIC = "HRLDOLG1".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER = 16;
    private static final Logger LOG = LoggerFactory.getLogger(LedgerLog.class);

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
     * Replays every whole record of {@code file} after {@code afterSeq}, compares the log against
     * its {@link SyncMark} (when {@code mark} exists), drops and reports a torn tail, and opens the
     * log for appending at the end of its last whole record.
     *
     * @param mark the log's sync mark; if missing (a log written before marks existed) it is
     *     created from what the log holds, with an INFO line naming it
     * @throws DamagedStoreException naming the file and offset if its header or a record is
     *     damaged, or the log holds fewer records than its mark says were fsynced (it was cut)
     * @throws CorruptIndexException naming the file if the sequence does not follow the checkpoint
     */
    public static Replay open(Path file, Path mark, long generation, long afterSeq, Visitor visitor, List<String> warnings)
            throws IOException {
        long[] state = {0, afterSeq}; // records, lastSeq
        FramedLog.Scan scan;
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
        try {
            scan = read(file, FramedLog.map(file, ch), generation, afterSeq, visitor, state);
            boolean marked = Files.exists(mark);
            long synced = marked ? SyncMark.read(mark, generation) : state[1];
            if (state[1] < synced) {
                throw new DamagedStoreException(file, scan.end(), "the log ends at record #" + state[1] + " but records up to #"
                        + synced + " were written durably (" + mark.getFileName() + "): it was cut, "
                        + (synced - state[1]) + " records are missing");
            }
            if (scan.tornBytes() > 0) {
                warnings.add("dropped an incomplete last record (" + scan.tornBytes() + " bytes at offset " + scan.end() + ") from "
                        + file);
            }
            FramedLog.dropTornTail(file, ch, scan);
            ch.position(scan.end());
            if (!marked) {
                SyncMark.create(mark, generation, state[1]).close();
                LOG.info("{}: migrated: added its sync mark {} (record #{}), the log is read in place", file, mark.getFileName(),
                        state[1]);
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new Replay(new LedgerLog(file, ch), state[0], state[1], scan.tornBytes());
    }

    /** The frame format of outcome logs: BINARY frames after a 16-byte header (magic, generation). */
    static final LogFormat FORMAT = LogFormat.binary("HRLDOLG1", HEADER, LogCodec.MIN_PAYLOAD, LogCodec.MAX_PAYLOAD);

    private static FramedLog.Scan read(Path file, ByteBuffer buf, long generation, long afterSeq, Visitor visitor, long[] state)
            throws IOException {
        FramedLog.Scan scan = FramedLog.scan(file, buf, FORMAT, (data, at, p, n) -> {
            LogCodec.Entry entry;
            ByteBuffer frame = data.duplicate().position(at);
            try {
                entry = LogCodec.decode(frame, n);
            } catch (RuntimeException e) {
                throw new DamagedStoreException(file, at, "malformed record: " + e.getMessage(), e);
            }
            if (entry.seq() != state[1] + 1) {
                throw new CorruptIndexException(file, "record #" + entry.seq() + " at offset " + at + " does not follow #"
                        + state[1] + (entry.seq() <= state[1] ? ": the sequence goes backwards" : ": records are missing"));
            }
            visitor.visit(entry, at);
            state[1] = entry.seq();
            state[0]++;
        });
        if (buf.getLong(MAGIC.length) != generation) {
            throw new DamagedStoreException(file, MAGIC.length, "not the outcome log of generation " + generation + " (bad header)");
        }
        return scan;
    }

    /**
     * Checks a log (and its mark, if present) without changing anything, replaying it into
     * {@code visitor} from {@code afterSeq} on.
     */
    public static VerifyResult verify(Path file, Path mark, long generation, long afterSeq, Visitor visitor) throws IOException {
        long[] state = {0, afterSeq};
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            FramedLog.Scan scan = read(file, FramedLog.map(file, ch), generation, afterSeq, visitor, state);
            if (Files.exists(mark)) {
                long synced = SyncMark.read(mark, generation);
                if (state[1] < synced) {
                    throw new DamagedStoreException(file, scan.end(), "the log ends at record #" + state[1]
                            + " but records up to #" + synced + " were written durably (" + mark.getFileName() + "): it was cut");
                }
            }
            return scan.tornBytes() > 0 ? new VerifyResult(file, state[0], scan.tornBytes(), scan.end(), null)
                    : VerifyResult.clean(file, state[0]);
        } catch (DamagedStoreException e) {
            return VerifyResult.damaged(e.file(), state[0], e);
        } catch (CorruptIndexException e) {
            return VerifyResult.damaged(file, state[0], new DamagedStoreException(file, -1, e.getMessage(), e));
        }
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
