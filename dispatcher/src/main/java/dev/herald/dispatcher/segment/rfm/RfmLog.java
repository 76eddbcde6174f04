package dev.herald.dispatcher.segment.rfm;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What RFM and lifecycle segments are computed from: {@code <data dir>/rfm/activity.log}, a binary,
 * checksummed, append-only log of purchases (recipient id, time in epoch ms, value in minor units)
 * and activity (recipient id, time), in frames of up to {@value #MAX_RECORDS} records.
 *
 * <pre>{@code
 * RfmLog log = RfmLog.open(dataDir.resolve(RfmLog.DIR));
 * log.append(RfmLog.PURCHASES, conversionsOffset, ids, times, values, n);   // fsynced on return
 * log.read(log.end(), sink, 4_000_000);                                     // batches of 4M, in file order
 * }</pre>
 *
 * <p>Format: the 8-byte header {@code HRLDRFM1}, then BINARY frames ({@link FrameFormat}: length,
 * CRC-32C, payload) whose payload is {@code kind u8 | source offset u64 | records}: a
 * {@link #PURCHASES} record is {@code recipient i32 | at i64 | minor units i64} (20 bytes), an
 * {@link #ACTIVITY} or {@link #CLICKS} record {@code recipient i32 | at i64} (12 bytes), big-endian. The source offset
 * is how far the store the records came from (the conversions log for purchases, the events log for
 * activity) has been copied once this frame is durable: the frame and its checkpoint are one write,
 * so a crash loses or keeps both and the feed resumes exactly ({@link RfmFeed}).
 *
 * <p>Damage, the rule of every Herald log: a torn last frame (a crash mid-append, never
 * acknowledged) is dropped at open, its bytes kept beside the file and reported; a whole frame whose
 * checksum or length is wrong, or zero-filled bytes, refuse the log with a
 * {@link DamagedStoreException} naming the file and offset, nothing changed.
 *
 * <p>Reading ({@link RfmLogReader}) is one sequential pass with positional reads into one 16 MiB
 * buffer (no 2 GiB mapping limit), checked and decoded on a helper thread into batches the caller
 * folds meanwhile. Thread-safety: {@link #append} is synchronized; {@link #read} runs beside
 * appends (it reads up to an end it is given, which appends never change).
 */
public final class RfmLog implements AutoCloseable {

    /** The directory in the data directory. */
    public static final String DIR = "rfm";
    /** The log's file name. */
    public static final String FILE = "activity.log";
    /** Frame kind: purchases, copied from the conversions. */
    public static final byte PURCHASES = 1;
    /** Frame kind: activity, copied from the events. */
    public static final byte ACTIVITY = 2;
    /**
     * Frame kind: human clicks on tracked links, as they are written (no checkpoint: the click
     * ledgers are the record of them; a click lost in a crash only makes a recipient look quieter).
     */
    public static final byte CLICKS = 3;
    /** Most records in one frame. */
    public static final int MAX_RECORDS = 1 << 16;

    static final int PURCHASE_BYTES = 20;
    static final int ACTIVITY_BYTES = 12;
    static final int FRAME_HEAD = 9;
    static final int HEADER = 8;
    /** Frames hold at least their kind and source offset, at most {@link #MAX_RECORDS} purchases. */
    public static final LogFormat FORMAT = LogFormat.binary("HRLDRFM1", HEADER, FRAME_HEAD,
            FRAME_HEAD + MAX_RECORDS * PURCHASE_BYTES);

    /** Receives what {@link #read} decodes, in file order, in batches. */
    public interface Sink {
        /** {@code n} purchases; the arrays are reused after the call returns. */
        void purchases(int[] recipients, long[] atMillis, long[] minorUnits, int n);

        /** {@code n} activities; the arrays are reused after the call returns. */
        void activity(int[] recipients, long[] atMillis, int n);

        /** {@code n} human clicks; the arrays are reused after the call returns. */
        void clicks(int[] recipients, long[] atMillis, int n);
    }

    /**
     * What the log holds, as found at open or by {@link #read}.
     *
     * @param frames     whole frames
     * @param purchases  purchase records
     * @param activities activity and click records
     * @param end        the offset after the last whole frame
     * @param tornBytes  bytes of an incomplete last frame after {@code end} (0 if none)
     * @param purchasesFrom the last purchases frame's checkpoint (0 if none)
     * @param activityFrom  the last activity frame's checkpoint (0 if none)
     */
    public record Stats(long frames, long purchases, long activities, long end, long tornBytes, long purchasesFrom,
                        long activityFrom) {
    }

    private final Path file;
    private final FileChannel channel;
    private volatile long end;
    private volatile long purchasesFrom;
    private volatile long activityFrom;
    private long purchases;
    private long activities;

    private RfmLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /**
     * Opens (creating if missing) {@code <dir>/activity.log}: reads it once, checking every frame,
     * drops and reports a torn last frame, and learns where each source was copied up to.
     *
     * @param dir {@code <data dir>/rfm}
     * @throws DamagedStoreException naming the file and offset if it is damaged (nothing is changed)
     * @throws IOException if it cannot be read or written
     */
    public static RfmLog open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            FramedLog.create(file, ByteBuffer.wrap(FORMAT.magic()));
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            RfmLog log = new RfmLog(file, ch);
            Stats s = RfmLogReader.scanOnly(file, ch);
            if (s.tornBytes() > 0) {
                FramedLog.dropTornTail(file, ch, new FramedLog.Scan(s.frames(), s.end(), s.tornBytes()));
            }
            ch.position(s.end());
            log.end = s.end();
            log.purchases = s.purchases();
            log.activities = s.activities();
            log.purchasesFrom = s.purchasesFrom();
            log.activityFrom = s.activityFrom();
            return log;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Checks {@code <dir>/activity.log} without changing it (for {@code herald data check}).
     *
     * @throws java.nio.file.NoSuchFileException if there is no log
     */
    public static dev.herald.suppression.store.VerifyResult verify(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Stats s = RfmLogReader.scanOnly(file, ch);
            return s.tornBytes() > 0 ? new dev.herald.suppression.store.VerifyResult(file, s.frames(), s.tornBytes(), s.end(), null)
                    : dev.herald.suppression.store.VerifyResult.clean(file, s.frames());
        } catch (DamagedStoreException e) {
            return dev.herald.suppression.store.VerifyResult.damaged(file, 0, e);
        }
    }

    /**
     * Appends one frame and fsyncs it; if that fails, the file is cut back (nothing of it stays).
     *
     * @param kind         {@link #PURCHASES} or {@link #ACTIVITY}
     * @param sourceOffset how far the source is copied once this frame is durable
     * @param minorUnits   the purchases' values (ignored for activity; may be null then)
     * @param n            records, 0 to {@value #MAX_RECORDS} (0: only the checkpoint moves)
     * @throws IllegalArgumentException for another kind, a negative id or offset, or too many records
     * @throws IOException if it cannot be made durable
     */
    public synchronized void append(byte kind, long sourceOffset, int[] recipients, long[] atMillis, long[] minorUnits, int n)
            throws IOException {
        if (kind != PURCHASES && kind != ACTIVITY && kind != CLICKS) {
            throw new IllegalArgumentException("frame kind is 1 (purchases), 2 (activity) or 3 (clicks), got " + kind);
        }
        if (n < 0 || n > MAX_RECORDS || sourceOffset < 0) {
            throw new IllegalArgumentException("0-" + MAX_RECORDS + " records and a source offset >= 0, got " + n + " and "
                    + sourceOffset);
        }
        if (!channel.isOpen()) {
            throw new IllegalStateException("the RFM log is closed");
        }
        int each = kind == PURCHASES ? PURCHASE_BYTES : ACTIVITY_BYTES;
        ByteBuffer b = ByteBuffer.allocate(FrameFormat.BINARY_HEADER + FRAME_HEAD + n * each);
        int start = FrameFormat.beginBinary(b);
        b.put(kind).putLong(sourceOffset);
        for (int i = 0; i < n; i++) {
            if (recipients[i] < 0) {
                throw new IllegalArgumentException("recipient ids are not negative, got " + recipients[i]);
            }
            b.putInt(recipients[i]).putLong(atMillis[i]);
            if (kind == PURCHASES) {
                b.putLong(minorUnits[i]);
            }
        }
        FrameFormat.endBinary(b, start);
        b.flip();
        FramedLog.appendDurably(channel, b);
        end += b.limit();
        if (kind == PURCHASES) {
            purchases += n;
            purchasesFrom = sourceOffset;
        } else if (kind == ACTIVITY) {
            activities += n;
            activityFrom = sourceOffset;
        } else {
            activities += n;
        }
    }

    /**
     * Reads every record up to {@code upTo} in file order, each frame checked again. The file is
     * read, checked and decoded on a helper thread while {@code sink} folds the batch before on
     * this one (two cores: the read costs little more than the fold); the sink is only ever called
     * on the calling thread.
     *
     * @param upTo  {@link #end()} as it was when the read began (later appends are the next read's)
     * @param batch records a sink call carries at most
     * @return what was read
     * @throws DamagedStoreException if a frame is damaged (naming the file and offset)
     */
    public Stats read(long upTo, Sink sink, int batch) throws IOException {
        if (upTo < HEADER || upTo > end) {
            throw new IllegalArgumentException("read up to " + upTo + " of a log of " + end + " bytes");
        }
        return RfmLogReader.read(file, upTo, sink, batch);
    }

    /** @return the offset after the last whole frame */
    public long end() {
        return end;
    }

    /** @return how far the conversions log is copied (its offset after the last conversion copied) */
    public long purchasesFrom() {
        return purchasesFrom;
    }

    /** @return how far the events log is copied */
    public long activityFrom() {
        return activityFrom;
    }

    /** @return purchase records stored */
    public synchronized long purchases() {
        return purchases;
    }

    /** @return activity and click records stored */
    public synchronized long activities() {
        return activities;
    }

    /** @return the log file */
    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "RfmLog[" + file + "]";
    }
}
