package dev.herald.suppression.internal;

import dev.herald.suppression.CorruptIndexException;
import dev.herald.suppression.Scope;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The base image of the suppression index: one checked bitmap file per scope and a manifest.
 *
 * <pre>
 * base/MANIFEST                    text; names the generation, the log position it covers and
 *                                  every scope file with its cardinality and checksum
 * base/gen-NNNNNNNNNNNN/&lt;scope&gt;.rbm  32-byte header (magic, version, crc32c, length,
 *                                  cardinality) then RoaringBitmap's portable format
 * </pre>
 * A new generation is written aside, fsynced, and published by renaming MANIFEST.tmp over
 * MANIFEST, so a crash leaves either the old or the new image, never a mix. Every file is
 * checked on load (length, checksum, RoaringBitmap structure) and refused with a
 * {@link CorruptIndexException} naming it. Stateless and thread-safe.
 */
public final class BaseStore {
    private static final byte[] MAGIC = "HRLDRBM1".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 32;
    private static final int VERSION = 1;
    private static final String MANIFEST = "MANIFEST";
    private static final String MANIFEST_HEADER = "herald-suppression-base 1";

    /** A loaded base image. Generation 0 with no scopes is the empty image of a new index. */
    public record Image(long generation, long baseSeq, Map<Scope, ImmutableRoaringBitmap> bitmaps) {
    }

    private BaseStore() {
    }

    /**
     * Loads the image named by {@code root/MANIFEST}, or the empty image if there is none.
     *
     * @param memoryMapped map the files (true) or copy them onto the heap (false)
     * @throws CorruptIndexException naming the manifest or bitmap file that fails its checks
     */
    public static Image load(Path root, boolean memoryMapped) throws IOException {
        Path manifest = root.resolve(MANIFEST);
        List<String> lines;
        try {
            lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Image(0, 0, Map.of());
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CorruptIndexException(manifest, "manifest is not valid UTF-8 text");
        }
        if (lines.size() < 4 || !MANIFEST_HEADER.equals(lines.get(0))) {
            throw new CorruptIndexException(manifest, "not a Herald base manifest (bad first line)");
        }
        String last = lines.get(lines.size() - 1);
        String body = String.join("\n", lines.subList(0, lines.size() - 1)) + "\n";
        if (!last.equals("checksum " + crcHex(body.getBytes(StandardCharsets.UTF_8)))) {
            throw new CorruptIndexException(manifest, "manifest checksum does not match its content");
        }
        try {
            long generation = Long.parseLong(field(lines.get(1), "generation"));
            long baseSeq = Long.parseLong(field(lines.get(2), "base-seq"));
            Path genDir = root.resolve(genName(generation));
            Map<Scope, ImmutableRoaringBitmap> bitmaps = new LinkedHashMap<>();
            for (String line : lines.subList(3, lines.size() - 1)) {
                String[] f = line.split(" ");
                if (f.length != 5 || !f[0].equals("scope")) {
                    throw new CorruptIndexException(manifest, "malformed line '" + line + "'");
                }
                Scope scope = Scope.parse(f[1]);
                Path file = genDir.resolve(f[2]);
                long cardinality = Long.parseLong(f[3]);
                bitmaps.put(scope, readBitmap(file, cardinality, f[4], memoryMapped));
            }
            return new Image(generation, baseSeq, Map.copyOf(bitmaps));
        } catch (NumberFormatException e) {
            throw new CorruptIndexException(manifest, "malformed number: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new CorruptIndexException(manifest, "malformed scope: " + e.getMessage());
        }
    }

    private static String field(String line, String name) throws CorruptIndexException {
        if (!line.startsWith(name + " ")) {
            throw new CorruptIndexException(Path.of(MANIFEST), "expected '" + name + " <n>', found '" + line + "'");
        }
        return line.substring(name.length() + 1);
    }

    private static ImmutableRoaringBitmap readBitmap(Path file, long cardinality, String crcHex, boolean memoryMapped)
            throws IOException {
        ByteBuffer all;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER) {
                throw new CorruptIndexException(file, "truncated: " + size + " bytes, shorter than the " + HEADER + "-byte header");
            }
            if (size > Integer.MAX_VALUE) {
                throw new CorruptIndexException(file, "larger than 2 GiB (" + size + " bytes)");
            }
            if (memoryMapped) {
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
                all = m;
            } else {
                all = ByteBuffer.allocate((int) size);
                while (all.hasRemaining() && ch.read(all) >= 0) {
                    // read it all
                }
                all.flip();
            }
        } catch (NoSuchFileException e) {
            throw new CorruptIndexException(file, "missing (named by the manifest)");
        }
        all.order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        all.get(0, magic);
        if (!java.util.Arrays.equals(magic, MAGIC) || all.getInt(8) != VERSION) {
            throw new CorruptIndexException(file, "not a Herald bitmap file (bad header)");
        }
        int crc = all.getInt(12);
        long length = all.getLong(16);
        long headerCardinality = all.getLong(24);
        if (length != all.capacity() - HEADER) {
            throw new CorruptIndexException(file, "truncated or extended: header says " + length
                    + " bytes of bitmap, file has " + (all.capacity() - HEADER));
        }
        ByteBuffer payload = all.duplicate().position(HEADER).slice();
        CRC32C c = new CRC32C();
        c.update(payload.duplicate());
        if ((int) c.getValue() != crc || !Integer.toHexString(crc).equals(crcHex)) {
            throw new CorruptIndexException(file, "checksum mismatch: the file is damaged");
        }
        ImmutableRoaringBitmap bitmap;
        try {
            bitmap = new ImmutableRoaringBitmap(payload);
            if (!Boolean.TRUE.equals(bitmap.validate())) {
                throw new CorruptIndexException(file, "bitmap structure is invalid");
            }
            if (bitmap.getLongCardinality() != headerCardinality || headerCardinality != cardinality) {
                throw new CorruptIndexException(file, "cardinality " + bitmap.getLongCardinality()
                        + " does not match header " + headerCardinality + " / manifest " + cardinality);
            }
            if (bitmap.serializedSizeInBytes() != length) {
                throw new CorruptIndexException(file, "bitmap occupies " + bitmap.serializedSizeInBytes()
                        + " bytes, header says " + length);
            }
        } catch (CorruptIndexException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptIndexException(file, "bitmap cannot be read: " + e, e);
        }
        return memoryMapped ? bitmap : bitmap.toMutableRoaringBitmap();
    }

    /**
     * Writes generation {@code generation} covering the log up to {@code baseSeq} and publishes
     * it atomically. Empty bitmaps are left out.
     */
    public static void write(Path root, long generation, long baseSeq, Map<Scope, ? extends ImmutableRoaringBitmap> bitmaps)
            throws IOException {
        Files.createDirectories(root);
        Path genDir = root.resolve(genName(generation));
        if (Files.exists(genDir)) {
            deleteTree(genDir);
        }
        Files.createDirectories(genDir);
        StringBuilder body = new StringBuilder();
        body.append(MANIFEST_HEADER).append('\n');
        body.append("generation ").append(generation).append('\n');
        body.append("base-seq ").append(baseSeq).append('\n');
        List<Scope> scopes = new ArrayList<>(bitmaps.keySet());
        scopes.sort(Comparator.naturalOrder());
        for (Scope scope : scopes) {
            ImmutableRoaringBitmap bm = bitmaps.get(scope);
            if (bm.isEmpty()) {
                continue;
            }
            String name = scope.fileStem() + ".rbm";
            int crc = writeBitmap(genDir.resolve(name), bm);
            body.append("scope ").append(scope).append(' ').append(name).append(' ')
                    .append(bm.getLongCardinality()).append(' ').append(Integer.toHexString(crc)).append('\n');
        }
        WalSegments.fsyncDirectory(genDir);
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        String manifest = body + "checksum " + crcHex(bytes) + "\n";
        Path tmp = root.resolve(MANIFEST + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(manifest.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, root.resolve(MANIFEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        WalSegments.fsyncDirectory(root);
    }

    private static int writeBitmap(Path file, ImmutableRoaringBitmap bm) throws IOException {
        int len = bm.serializedSizeInBytes();
        ByteBuffer buf = ByteBuffer.allocate(HEADER + len).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer payload = buf.duplicate().position(HEADER).slice();
        bm.serialize(payload);
        CRC32C c = new CRC32C();
        c.update(buf.array(), HEADER, len);
        int crc = (int) c.getValue();
        buf.put(MAGIC).putInt(VERSION).putInt(crc).putLong(len).putLong(bm.getLongCardinality());
        buf.position(0);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        return crc;
    }

    /** Removes every generation folder except {@code keep}. Mapped files stay readable until unmapped. */
    public static void deleteOtherGenerations(Path root, long keep) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String n = d.getFileName().toString();
                if (n.startsWith("gen-") && !n.equals(genName(keep))) {
                    deleteTree(d);
                }
            }
        }
    }

    /** The highest generation with a folder under {@code root} (0 if none), published or not. */
    public static long highestGeneration(Path root) throws IOException {
        long max = 0;
        if (!Files.isDirectory(root)) {
            return max;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String n = d.getFileName().toString();
                if (n.matches("gen-\\d{12}")) {
                    max = Math.max(max, Long.parseLong(n.substring(4)));
                }
            }
        }
        return max;
    }

    /** Empty bitmap used where a scope has no base. */
    public static ImmutableRoaringBitmap empty() {
        return new MutableRoaringBitmap();
    }

    private static String genName(long generation) {
        return String.format("gen-%012d", generation);
    }

    private static String crcHex(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes);
        return Integer.toHexString((int) c.getValue());
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
