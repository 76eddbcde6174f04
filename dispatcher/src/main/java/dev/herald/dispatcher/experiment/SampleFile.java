package dev.herald.dispatcher.experiment;

import dev.herald.suppression.CorruptIndexException;
import dev.herald.suppression.store.FrameFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * An A/B test's sample, as drawn: per variant, the recipients it was given ({@code variants.bin} in
 * the campaign's directory). Written once, before anyone is held, so a restart never re-draws it
 * (the zones it was drawn by may have changed since).
 *
 * <pre>
 * file:    magic "HRLDVAR1" | one BINARY frame of {@link FrameFormat} (u32 length | u32 crc32c | payload)
 * payload: u32 n | n x (u32 byteLength | RoaringBitmap portable format)
 * </pre>
 *
 * <pre>{@code
 * SampleFile.write(dir, split.variants());
 * List<ImmutableRoaringBitmap> sample = SampleFile.read(dir).orElseThrow();
 * }</pre>
 *
 * <p>Written aside, fsynced and renamed into place; a file that fails its checks is refused with a
 * {@link CorruptIndexException} naming it. Stateless and thread-safe.
 */
public final class SampleFile {

    /** The file's name in the campaign's directory. */
    public static final String NAME = "variants.bin";
    private static final byte[] MAGIC = "HRLDVAR1".getBytes(StandardCharsets.US_ASCII);

    private SampleFile() {
    }

    /** Writes the sample's variants durably. @throws IOException if it cannot be written */
    public static void write(Path campaignDir, List<? extends ImmutableRoaringBitmap> variants) throws IOException {
        int size = 4;
        for (ImmutableRoaringBitmap v : variants) {
            size += 4 + v.serializedSizeInBytes();
        }
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + FrameFormat.BINARY_HEADER + size);
        out.put(MAGIC);
        int start = FrameFormat.beginBinary(out);
        out.putInt(variants.size());
        for (ImmutableRoaringBitmap v : variants) {
            out.putInt(v.serializedSizeInBytes());
            ByteBuffer slice = out.slice().order(ByteOrder.LITTLE_ENDIAN);
            v.serialize(slice);
            out.position(out.position() + v.serializedSizeInBytes());
        }
        FrameFormat.endBinary(out, start);
        out.flip();
        Path tmp = campaignDir.resolve(NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, campaignDir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, campaignDir.resolve(NAME), StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel dir = FileChannel.open(campaignDir, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // not every platform can fsync a directory; the rename is atomic all the same
        }
    }

    /**
     * @return the sample's variants, or empty when no sample was drawn
     * @throws CorruptIndexException naming the file if it is not a whole, checked sample
     */
    public static Optional<List<ImmutableRoaringBitmap>> read(Path campaignDir) throws IOException {
        Path file = campaignDir.resolve(NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file));
        if (all.remaining() < MAGIC.length || !Arrays.equals(all.array(), 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CorruptIndexException(file, "not an A/B test sample (bad magic)");
        }
        int whole = FrameFormat.BINARY.check(all, MAGIC.length, all.limit(), 4, Integer.MAX_VALUE);
        if (whole < 0 || MAGIC.length + whole != all.limit()) {
            throw new CorruptIndexException(file, whole < 0 ? FrameFormat.describe(whole) : (all.limit() - MAGIC.length - whole)
                    + " unexpected bytes after the sample");
        }
        ByteBuffer p = all.duplicate().position(MAGIC.length + FrameFormat.BINARY_HEADER);
        try {
            int n = p.getInt();
            if (n < VariantAssignment.MIN_VARIANTS || n > VariantAssignment.MAX_VARIANTS) {
                throw new CorruptIndexException(file, n + " variants (expected 2 to 8)");
            }
            List<ImmutableRoaringBitmap> out = new ArrayList<>(n);
            MutableRoaringBitmap seen = new MutableRoaringBitmap();
            for (int i = 0; i < n; i++) {
                int len = p.getInt();
                ByteBuffer b = ByteBuffer.allocate(len).put(p.duplicate().limit(p.position() + len)).flip()
                        .order(ByteOrder.LITTLE_ENDIAN);
                p.position(p.position() + len);
                ImmutableRoaringBitmap bm = new ImmutableRoaringBitmap(b);
                if (bm.serializedSizeInBytes() != len || ImmutableRoaringBitmap.intersects(seen, bm)) {
                    throw new CorruptIndexException(file, "variant " + i + " is malformed or overlaps another");
                }
                seen.or(bm);
                out.add(bm);
            }
            if (p.position() != all.limit()) {
                throw new CorruptIndexException(file, "unexpected bytes after the variants");
            }
            return Optional.of(List.copyOf(out));
        } catch (RuntimeException e) {
            throw new CorruptIndexException(file, "malformed sample: " + e.getMessage(), e);
        }
    }
}
