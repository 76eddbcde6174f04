package dev.herald.dispatcher.segment.rfm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FramedLog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * One recompute's result, as the segments {@code rfm:<tier>} and {@code lifecycle:<stage>} serve it
 * and as {@code <data dir>/rfm/segments.dat} keeps it across restarts.
 *
 * <pre>{@code
 * snapshot.write(dir);                                  // aside, fsynced, renamed, directory fsynced
 * Optional<RfmSnapshot> s = RfmSnapshot.read(dir);      // empty if never computed
 * s.get().tiers().get("at-risk");
 * }</pre>
 *
 * <p>File: {@code HRLDRFS1 | u32 meta length | meta (JSON) | the bitmaps (portable RoaringBitmap
 * serialisation, in the meta's order) | u32 CRC-32C of everything before}. It is only ever replaced
 * whole (written aside, fsynced, renamed), so a crash leaves the previous result or the new one; a
 * file whose checksum or layout is wrong is damage, refused naming the file.
 *
 * @param computedAt     when it was computed, epoch ms
 * @param windowStart    the RFM window's start, epoch ms
 * @param windowDays     the window, days
 * @param buyers         recipients with a purchase in the window
 * @param recipients     recipients with any activity (each in one lifecycle stage)
 * @param purchasesRead  purchase records read
 * @param activitiesRead activity records read
 * @param elapsedMillis  how long the recompute took
 * @param boundaries     the quintiles' cut points
 * @param tiers          tier → buyers, in the configured order
 * @param stages         lifecycle stage → recipients
 */
public record RfmSnapshot(long computedAt, long windowStart, long windowDays, long buyers, long recipients, long purchasesRead,
                          long activitiesRead, long elapsedMillis, RfmModel.Boundaries boundaries,
                          Map<String, ImmutableRoaringBitmap> tiers, Map<String, ImmutableRoaringBitmap> stages) {

    /** The file's name in {@code <data dir>/rfm}. */
    public static final String FILE = "segments.dat";
    private static final byte[] MAGIC = "HRLDRFS1".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The meta as stored. */
    private record Meta(long computedAt, long windowStart, long windowDays, long buyers, long recipients, long purchasesRead,
                        long activitiesRead, long elapsedMillis, long[] recency, long[] frequency, long[] monetary,
                        List<Part> parts) {
    }

    /** One bitmap: {@code kind} "tier" or "stage". */
    private record Part(String kind, String name, long size, int bytes) {
    }

    /**
     * Writes this snapshot durably, replacing the previous one atomically.
     *
     * @param dir {@code <data dir>/rfm}
     */
    public void write(Path dir) throws IOException {
        List<Part> parts = new ArrayList<>();
        List<ByteBuffer> bitmaps = new ArrayList<>();
        add("tier", tiers, parts, bitmaps);
        add("stage", stages, parts, bitmaps);
        byte[] meta = JSON.writeValueAsBytes(new Meta(computedAt, windowStart, windowDays, buyers, recipients, purchasesRead,
                activitiesRead, elapsedMillis, boundaries.recency(), boundaries.frequency(), boundaries.monetary(), parts));
        long total = MAGIC.length + 4L + meta.length + 4;
        for (ByteBuffer b : bitmaps) {
            total += b.remaining();
        }
        if (total > Integer.MAX_VALUE - 16) {
            throw new IOException("RFM segments of " + total + " bytes are more than one file holds");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total);
        out.put(MAGIC).putInt(meta.length).put(meta);
        bitmaps.forEach(out::put);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        out.flip();
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        Path tmp = dir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try {
            FramedLog.fsyncDirectory(dir);
        } catch (IOException e) {
            // some file systems cannot fsync a directory; the file itself is fsynced
        }
    }

    private static void add(String kind, Map<String, ImmutableRoaringBitmap> m, List<Part> parts, List<ByteBuffer> out) {
        m.forEach((name, ids) -> {
            MutableRoaringBitmap b = ids.toMutableRoaringBitmap();
            b.runOptimize();
            ByteBuffer buf = ByteBuffer.allocate(b.serializedSizeInBytes());
            b.serialize(buf);
            buf.flip();
            parts.add(new Part(kind, name, b.getLongCardinality(), buf.remaining()));
            out.add(buf);
        });
    }

    /**
     * @param dir {@code <data dir>/rfm}
     * @return the stored snapshot, or empty if none was ever written
     * @throws DamagedStoreException naming the file if it is damaged
     * @throws IOException if it cannot be read
     */
    public static Optional<RfmSnapshot> read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (bytes.length < MAGIC.length + 8) {
            throw new DamagedStoreException(file, 0, "shorter than its header and checksum (" + bytes.length + " bytes)");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new DamagedStoreException(file, 0, "not an RFM segments file (bad header)");
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != in.getInt(bytes.length - 4)) {
            throw new DamagedStoreException(file, bytes.length - 4, "checksum does not match");
        }
        int metaLength = in.getInt(MAGIC.length);
        int at = MAGIC.length + 4;
        try {
            Meta meta = JSON.readValue(bytes, at, metaLength, Meta.class);
            at += metaLength;
            Map<String, ImmutableRoaringBitmap> tiers = new LinkedHashMap<>();
            Map<String, ImmutableRoaringBitmap> stages = new LinkedHashMap<>();
            for (Part p : meta.parts()) {
                MutableRoaringBitmap b = new MutableRoaringBitmap();
                b.deserialize(ByteBuffer.wrap(bytes, at, p.bytes()).slice());
                at += p.bytes();
                if (b.getLongCardinality() != p.size()) {
                    throw new DamagedStoreException(file, at, p.kind() + " " + p.name() + ": " + b.getLongCardinality()
                            + " ids, the meta says " + p.size());
                }
                ("tier".equals(p.kind()) ? tiers : stages).put(p.name(), b);
            }
            if (at != bytes.length - 4) {
                throw new DamagedStoreException(file, at, "the bitmaps end at " + at + ", the file at " + (bytes.length - 4));
            }
            return Optional.of(new RfmSnapshot(meta.computedAt(), meta.windowStart(), meta.windowDays(), meta.buyers(),
                    meta.recipients(), meta.purchasesRead(), meta.activitiesRead(), meta.elapsedMillis(),
                    new RfmModel.Boundaries(meta.recency(), meta.frequency(), meta.monetary()), tiers, stages));
        } catch (DamagedStoreException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DamagedStoreException(file, at, "not an RFM segments file: " + e.getMessage(), e);
        }
    }
}
