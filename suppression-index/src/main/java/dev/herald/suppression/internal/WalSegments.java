package dev.herald.suppression.internal;

import dev.herald.suppression.ConsentRecord;
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

    /** The format of segment files: BINARY frames after the 8-byte magic. */
    public static final LogFormat FORMAT = LogFormat.binary("HRLDWAL1", HEADER, WalCodec.MIN_PAYLOAD, WalCodec.MAX_PAYLOAD);

    /**
     * Reads every whole record of {@code file} in order, by the store rule ({@link FramedLog#scan}).
     *
     * <p>A complete record that fails its checksum or length check, anywhere, is damage and
     * refused. An incomplete last record is returned in the result when {@code tolerateTornTail}
     * (the last segment: a crash mid-write) — the caller drops and reports it — and is damage in any
     * other segment.
     *
     * @throws DamagedStoreException naming the file and offset when the segment is damaged
     * @throws CorruptIndexException naming the file when the sequence goes backwards
     */
    public static Scan scan(Path file, boolean tolerateTornTail, Visitor visitor) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = FramedLog.map(file, ch);
            long[] s = {0, -1, -1, -1}; // records, firstSeq, lastSeq, maxMillis
            ByteBuffer frame = buf.duplicate(); // one view, moved to each frame: no allocation per record
            FramedLog.Scan scan = FramedLog.scan(file, buf, FORMAT, (data, at, p, n) -> {
                long seq = data.getLong(p + 1);
                if (seq <= s[2]) {
                    throw new CorruptIndexException(file, "sequence number goes backwards at offset " + at + " (" + seq
                            + " after " + s[2] + ")");
                }
                if (s[1] < 0) {
                    s[1] = seq;
                }
                s[2] = seq;
                s[3] = Math.max(s[3], data.getLong(p + 1 + 8));
                visitor.visit(frame.limit(data.limit()).position(at), n);
                s[0]++;
            });
            if (scan.tornBytes() > 0 && !tolerateTornTail) {
                throw new DamagedStoreException(file, scan.end(), "incomplete record (" + scan.tornBytes()
                        + " bytes) in a segment that is not the last");
            }
            return new Scan(scan.end(), scan.tornBytes(), s[0], s[1], s[2], s[3]);
        }
    }

    /** Checks a segment (active or archived) without changing it. */
    public static VerifyResult verify(Path file) throws IOException {
        return FramedLog.verify(file, FORMAT);
    }

    /** Drops and reports the torn tail {@code scan} found in {@code file} (the last segment). */
    public static void dropTornTail(Path file, Scan scan) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FramedLog.dropTornTail(file, ch, new FramedLog.Scan(scan.records(), scan.validEnd(), scan.tornBytes()));
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
