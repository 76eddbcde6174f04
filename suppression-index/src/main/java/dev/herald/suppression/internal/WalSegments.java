package dev.herald.suppression.internal;

import dev.herald.suppression.ConsentRecord;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Segment files of the write-ahead log: naming, listing and checked reading.
 *
 * <p>A segment is {@code <firstSeq, 20 digits>.log}: an 8-byte magic header, then frames as
 * written by {@link WalCodec}. Sequence numbers are strictly increasing across segments.
 * Archived segments (covered by a base image and moved to the ledger folder) are named
 * {@code <firstSeq>-<lastSeq>.log}. Stateless and thread-safe.
 */
public final class WalSegments {
    static final byte[] MAGIC = "HRLDWAL1".getBytes(StandardCharsets.US_ASCII);
    public static final int HEADER = MAGIC.length;
    private static final Pattern ACTIVE = Pattern.compile("(\\d{20})\\.log");
    private static final Pattern ARCHIVED = Pattern.compile("(\\d{20})-(\\d{20})\\.log");

    /** One segment file. {@code lastSeq} is known only for archived segments (else -1). */
    public record Segment(Path path, long firstSeq, long lastSeq) {
    }

    /** What a scan found: the end of the last whole record, bytes after it that were not whole, and the last record. */
    public record Scan(long validEnd, long tornBytes, long records, long firstSeq, long lastSeq, long maxMillis) {
    }

    /** Called for each whole record; {@code frame} is positioned at the frame, do not move it. */
    @FunctionalInterface
    public interface Visitor {
        void visit(ByteBuffer frame, int payloadLength) throws IOException;
    }

    private WalSegments() {
    }

    public static Path activeName(Path dir, long firstSeq) {
        return dir.resolve(String.format("%020d.log", firstSeq));
    }

    public static Path archivedName(Path dir, long firstSeq, long lastSeq) {
        return dir.resolve(String.format("%020d-%020d.log", firstSeq, lastSeq));
    }

    /** Segments in {@code dir} (active or archived names), ordered by first sequence number. */
    public static List<Segment> list(Path dir) throws IOException {
        List<Segment> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                Matcher a = ACTIVE.matcher(n);
                Matcher b = ARCHIVED.matcher(n);
                if (a.matches()) {
                    out.add(new Segment(p, Long.parseLong(a.group(1)), -1));
                } else if (b.matches()) {
                    out.add(new Segment(p, Long.parseLong(b.group(1)), Long.parseLong(b.group(2))));
                }
            }
        }
        out.sort(Comparator.comparingLong(Segment::firstSeq));
        return out;
    }

    /**
     * Creates a new empty segment with its header: written under a temporary name, fsynced and
     * renamed into place, so a crash never leaves a segment without its header. Returns it open
     * for appending.
     */
    public static FileChannel create(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(MAGIC));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(file.getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
        ch.position(ch.size());
        return ch;
    }

    /**
     * Whether a whole, checksum-valid record with a sequence number above {@code afterSeq} starts
     * anywhere after {@code from}: then the damage at {@code from} is not a torn last write but
     * damage in the middle of the log, and dropping the rest would drop acknowledged changes.
     */
    public static boolean validFrameAfter(Path file, long from, long afterSeq) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (from + 1 >= size) {
                return false;
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            for (int pos = (int) from + 1; pos + WalCodec.FRAME_HEADER + WalCodec.RECIPIENT_OFFSET + 4 <= size; pos++) {
                int len = buf.getInt(pos);
                if (len <= WalCodec.RECIPIENT_OFFSET + 4 || len > WalCodec.MAX_PAYLOAD
                        || !WalCodec.isKnownVersion(buf.get(pos + WalCodec.FRAME_HEADER))
                        || buf.getLong(pos + WalCodec.FRAME_HEADER + 1) <= afterSeq) {
                    continue;
                }
                buf.position(pos);
                if (WalCodec.check(buf) >= 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Reads every whole record of {@code file} in order.
     *
     * <p>A record that is not whole (short, bad length, bad checksum) ends the scan. In the
     * last segment that is a torn tail — a crash mid-write — and is reported in the result; in
     * any other segment, or when {@code tolerateTornTail} is false, it is corruption.
     *
     * @throws CorruptIndexException naming the file and offset when the segment is corrupt
     */
    public static Scan scan(Path file, boolean tolerateTornTail, Visitor visitor) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new CorruptIndexException(file, "segment is larger than 2 GiB (" + size + " bytes)");
            }
            if (size < HEADER) {
                if (tolerateTornTail) {
                    return new Scan(0, size, 0, -1, -1, -1);
                }
                throw new CorruptIndexException(file, "segment is shorter than its header (" + size + " bytes)");
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            byte[] magic = new byte[HEADER];
            buf.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new CorruptIndexException(file, "not a Herald log segment (bad header)");
            }
            long records = 0;
            long firstSeq = -1;
            long lastSeq = -1;
            long maxMillis = -1;
            while (buf.hasRemaining()) {
                int len = WalCodec.check(buf);
                if (len < 0) {
                    long at = buf.position();
                    if (!tolerateTornTail) {
                        throw new CorruptIndexException(file, "damaged record at offset " + at
                                + " (length or checksum does not match)");
                    }
                    return new Scan(at, size - at, records, firstSeq, lastSeq, maxMillis);
                }
                long seq = WalCodec.seq(buf);
                if (seq <= lastSeq) {
                    throw new CorruptIndexException(file, "sequence number goes backwards at offset "
                            + buf.position() + " (" + seq + " after " + lastSeq + ")");
                }
                if (firstSeq < 0) {
                    firstSeq = seq;
                }
                lastSeq = seq;
                maxMillis = Math.max(maxMillis, buf.getLong(buf.position() + WalCodec.FRAME_HEADER + 1 + 8));
                visitor.visit(buf, len);
                buf.position(buf.position() + WalCodec.FRAME_HEADER + len);
                records++;
            }
            return new Scan(size, 0, records, firstSeq, lastSeq, maxMillis);
        }
    }

    /** Decodes a checked frame, turning a malformed payload into a {@link CorruptIndexException}. */
    public static ConsentRecord decode(Path file, ByteBuffer frame, int payloadLength) throws CorruptIndexException {
        try {
            return WalCodec.decode(frame.duplicate(), payloadLength);
        } catch (RuntimeException e) {
            throw new CorruptIndexException(file, "malformed record at offset " + frame.position() + ": " + e.getMessage(), e);
        }
    }

    /** The recipient id of a checked frame, without decoding the rest. */
    public static int recipientId(ByteBuffer frame) {
        return WalCodec.recipientId(frame);
    }

    /** The sequence number of a checked frame, without decoding the rest. */
    public static long seq(ByteBuffer frame) {
        return WalCodec.seq(frame);
    }

    /** Makes a rename or create in {@code dir} durable. */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
