package dev.herald.dispatcher.outcome.internal;

import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.suppression.CorruptIndexException;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32C;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Checked files of the ledger: the fixed audience ({@code audience.rbm}) and the checkpoint
 * ({@code checkpoint}) holding every bitmap of a {@link LedgerState}.
 *
 * <pre>
 * header (32 bytes): magic(8) | u32 version | u32 crc32c(body) | u64 bodyLength | u64 audienceCardinality
 * audience body:     RoaringBitmap portable format
 * checkpoint body:   u64 generation | u64 lastSeq | u32 audienceCrc
 *                    | u32 n, n x (u16 len, UTF-8 outcome, bitmap)   final outcomes
 *                    | u32 n, n x (i64 untilMillis, bitmap)          deferred groups
 *                    | bitmap                                        claimed
 *                    [ | bitmap                                      held, only when not empty ]
 * bitmap:            u32 byteLength | RoaringBitmap portable format
 * </pre>
 * Both are written aside, fsynced and renamed into place, so a crash leaves the old file or the
 * new one, never a mix. Everything is checked on load and refused with a
 * {@link CorruptIndexException} naming the file. Stateless and thread-safe.
 */
public final class CheckpointFile {
    private static final byte[] AUDIENCE_MAGIC = "HRLDAUD1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHECKPOINT_MAGIC = "HRLDOCK1".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 32;
    private static final int VERSION = 1;
    public static final String AUDIENCE = "audience.rbm";
    public static final String CHECKPOINT = "checkpoint";

    /** A loaded checkpoint. */
    public record Loaded(long generation, long lastSeq, LedgerState state) {
    }

    private CheckpointFile() {
    }

    /** Writes the audience file and returns the checksum of its body. */
    public static int writeAudience(Path dir, ImmutableRoaringBitmap audience) throws IOException {
        ByteBuffer body = ByteBuffer.allocate(audience.serializedSizeInBytes());
        audience.serialize(body.duplicate().order(ByteOrder.LITTLE_ENDIAN));
        return publish(dir.resolve(AUDIENCE), AUDIENCE_MAGIC, body, audience.getLongCardinality());
    }

    /** The stored audience and the checksum of its file's body. */
    public record Audience(ImmutableRoaringBitmap ids, int crc) {
    }

    /** Reads and checks the audience file. */
    public static Audience readAudience(Path dir) throws IOException {
        Path file = dir.resolve(AUDIENCE);
        ByteBuffer body = read(file, AUDIENCE_MAGIC);
        int crc = crcOf(body);
        return new Audience(bitmap(file, body, body.remaining()), crc);
    }

    private static int crcOf(ByteBuffer body) {
        CRC32C crc = new CRC32C();
        crc.update(body.duplicate());
        return (int) crc.getValue();
    }

    /** Writes and publishes the checkpoint of {@code state} covering the log up to {@code lastSeq}. */
    public static void write(Path dir, long generation, long lastSeq, int audienceCrc, LedgerState state) throws IOException {
        int size = 8 + 8 + 4 + 4 + 4 + 4 + state.claimed().serializedSizeInBytes()
                + (state.held().isEmpty() ? 0 : 4 + state.held().serializedSizeInBytes());
        for (Map.Entry<String, MutableRoaringBitmap> e : state.finals().entrySet()) {
            size += 2 + e.getKey().length() * 3 + 4 + e.getValue().serializedSizeInBytes();
        }
        for (MutableRoaringBitmap bm : state.deferred().values()) {
            size += 8 + 4 + bm.serializedSizeInBytes();
        }
        ByteBuffer body = ByteBuffer.allocate(size);
        body.putLong(generation).putLong(lastSeq).putInt(audienceCrc);
        body.putInt(state.finals().size());
        for (Map.Entry<String, MutableRoaringBitmap> e : state.finals().entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            body.putShort((short) name.length).put(name);
            putBitmap(body, e.getValue());
        }
        body.putInt(state.deferred().size());
        for (Map.Entry<Long, MutableRoaringBitmap> e : state.deferred().entrySet()) {
            body.putLong(e.getKey());
            putBitmap(body, e.getValue());
        }
        putBitmap(body, state.claimed());
        if (!state.held().isEmpty()) {
            putBitmap(body, state.held());
        }
        body.flip();
        publish(dir.resolve(CHECKPOINT), CHECKPOINT_MAGIC, body, state.audience().getLongCardinality());
    }

    /**
     * Loads and checks the checkpoint against {@code audience} and its stored checksum.
     *
     * @throws CorruptIndexException naming the checkpoint if a checksum, length, bitmap or the
     *     state's invariants (disjoint outcomes, ids inside the audience) fail
     */
    public static Loaded read(Path dir, ImmutableRoaringBitmap audience, int audienceCrc) throws IOException {
        Path file = dir.resolve(CHECKPOINT);
        ByteBuffer body = read(file, CHECKPOINT_MAGIC);
        try {
            long generation = body.getLong();
            long lastSeq = body.getLong();
            if (body.getInt() != audienceCrc) {
                throw new CorruptIndexException(file, "written for a different audience (audience checksum differs)");
            }
            LedgerState state = new LedgerState(audience);
            int finals = body.getInt();
            for (int i = 0; i < finals; i++) {
                byte[] name = new byte[body.getShort() & 0xFFFF];
                body.get(name);
                String outcome = Outcomes.check(new String(name, StandardCharsets.UTF_8));
                ImmutableRoaringBitmap bm = bitmap(file, body, body.getInt());
                state.checkDefer(bm);
                state.applyRecord(outcome, bm);
            }
            int groups = body.getInt();
            MutableRoaringBitmap seen = new MutableRoaringBitmap();
            ImmutableRoaringBitmap[] deferred = new ImmutableRoaringBitmap[groups];
            long[] until = new long[groups];
            for (int i = 0; i < groups; i++) {
                until[i] = body.getLong();
                deferred[i] = bitmap(file, body, body.getInt());
                if (ImmutableRoaringBitmap.intersects(seen, deferred[i])) {
                    throw new CorruptIndexException(file, "deferred groups overlap");
                }
                seen.or(deferred[i]);
            }
            ImmutableRoaringBitmap claimed = bitmap(file, body, body.getInt());
            state.checkClaim(claimed);
            state.applyClaim(claimed);
            for (int i = 0; i < groups; i++) {
                state.checkDefer(deferred[i]);
                state.applyDefer(until[i], deferred[i]);
            }
            if (body.hasRemaining()) {
                ImmutableRoaringBitmap held = bitmap(file, body, body.getInt());
                if (ImmutableRoaringBitmap.intersects(seen, held)) {
                    throw new CorruptIndexException(file, "held ids are also deferred");
                }
                state.checkHold(held);
                state.applyHold(held);
            }
            if (body.hasRemaining()) {
                throw new CorruptIndexException(file, body.remaining() + " unexpected bytes after the state");
            }
            return new Loaded(generation, lastSeq, state);
        } catch (BufferUnderflowException | IllegalArgumentException | IllegalStateException e) {
            throw new CorruptIndexException(file, "malformed checkpoint: " + e.getMessage(), e);
        }
    }

    private static void putBitmap(ByteBuffer body, ImmutableRoaringBitmap bm) {
        int len = bm.serializedSizeInBytes();
        body.putInt(len);
        bm.serialize(body.slice().order(ByteOrder.LITTLE_ENDIAN));
        body.position(body.position() + len);
    }

    private static ImmutableRoaringBitmap bitmap(Path file, ByteBuffer body, int len) throws CorruptIndexException {
        if (len < 0 || len > body.remaining()) {
            throw new CorruptIndexException(file, "bitmap of " + len + " bytes overruns the file");
        }
        ByteBuffer slice = body.slice().limit(len).order(ByteOrder.LITTLE_ENDIAN);
        body.position(body.position() + len);
        try {
            MutableRoaringBitmap bm = new ImmutableRoaringBitmap(slice).toMutableRoaringBitmap();
            if (!Boolean.TRUE.equals(bm.validate()) || bm.serializedSizeInBytes() != len) {
                throw new CorruptIndexException(file, "bitmap structure is invalid");
            }
            return bm;
        } catch (RuntimeException e) {
            throw new CorruptIndexException(file, "bitmap cannot be read: " + e, e);
        }
    }

    private static int publish(Path file, byte[] magic, ByteBuffer body, long cardinality) throws IOException {
        int c = crcOf(body);
        ByteBuffer header = ByteBuffer.allocate(HEADER).put(magic).putInt(VERSION).putInt(c)
                .putLong(body.remaining()).putLong(cardinality).flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer[] parts = {header, body.duplicate()};
            while (parts[1].hasRemaining()) {
                ch.write(parts);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LedgerLog.fsyncDirectory(file.getParent());
        return c;
    }

    private static ByteBuffer read(Path file, byte[] magic) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CorruptIndexException(file, "missing");
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        if (all.length < HEADER || !Arrays.equals(all, 0, magic.length, magic, 0, magic.length) || b.getInt(8) != VERSION) {
            throw new CorruptIndexException(file, "not a Herald outcome-ledger file of this kind (bad header)");
        }
        long length = b.getLong(16);
        if (length != all.length - HEADER) {
            throw new CorruptIndexException(file, "truncated or extended: header says " + length + " bytes, file has "
                    + (all.length - HEADER));
        }
        CRC32C crc = new CRC32C();
        crc.update(all, HEADER, all.length - HEADER);
        if ((int) crc.getValue() != b.getInt(12)) {
            throw new CorruptIndexException(file, "checksum mismatch: the file is damaged");
        }
        return b.position(HEADER).slice();
    }
}
