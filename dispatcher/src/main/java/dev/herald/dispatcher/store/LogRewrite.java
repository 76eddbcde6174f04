package dev.herald.dispatcher.store;

import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Rewrites a framed log ({@link FramedLog}) without some of its records, or with some records
 * changed: the erasure of a person's data from the logs that hold it.
 *
 * <pre>{@code
 * LogRewrite.Result r = LogRewrite.rewrite(file, LineLog.FORMAT,
 *         (data, p, n) -> startsWithErasedId(data, p, n) ? LogRewrite.DROP : LogRewrite.KEEP);
 * }</pre>
 *
 * <p><b>Atomic.</b> The new file is written aside ({@code <file>}{@value #TMP_SUFFIX}), fsynced,
 * renamed over the old one and the directory fsynced: a crash at any point leaves the old file or
 * the new one, never a mix; a leftover aside file is deleted by the next rewrite of that file (and
 * by {@link #removeLeftover}). A file no record of which changes is not written at all.
 *
 * <p><b>Formats.</b> The header (the format's magic and header fields) is copied as it is; a kept
 * frame is copied byte for byte; a changed one is framed anew with its checksum, so the file stays
 * valid for its reader. An incomplete last frame (a write torn by a crash) is copied as it is, to be
 * dropped and reported by the store's next open as usual. A damaged file is refused
 * ({@link dev.herald.suppression.store.DamagedStoreException} naming file and offset) and left
 * untouched.
 *
 * <p>Run it only where no other writer appends to the file at the same time (the file is read at
 * the start; appends after that would be lost with the rename). Stateless.
 */
public final class LogRewrite {

    /** The suffix of the file written aside. */
    public static final String TMP_SUFFIX = ".rewrite-tmp";

    /** What {@link Edit#edit} returns to keep a frame as it is. */
    public static final byte[] KEEP = null;
    /** What {@link Edit#edit} returns to drop a frame. */
    public static final byte[] DROP = new byte[0];

    /** Decides each whole frame's fate. */
    @FunctionalInterface
    public interface Edit {
        /**
         * @param data          the whole file (do not move it)
         * @param payloadOffset where the frame's payload starts
         * @param payloadLength its length (JSON_LINE: the object without its last '}' and checksum member)
         * @return {@link #KEEP}, {@link #DROP}, or the new payload (JSON_LINE: a whole JSON object on one line;
         *     LINE: no line feed)
         */
        byte[] edit(ByteBuffer data, int payloadOffset, int payloadLength) throws IOException;
    }

    /**
     * @param file      the file
     * @param frames    whole frames read
     * @param dropped   frames dropped
     * @param changed   frames replaced
     * @param rewritten whether the file was rewritten (false: nothing to change)
     */
    public record Result(Path file, long frames, long dropped, long changed, boolean rewritten) {
    }

    private LogRewrite() {
    }

    /**
     * Rewrites {@code file} as {@code edit} says (see the class comment).
     *
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged
     * @throws IllegalArgumentException if a new payload does not fit the format
     * @throws IOException if it cannot be read or written (the old file is then left as it was)
     */
    public static Result rewrite(Path file, LogFormat fmt, Edit edit) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + TMP_SUFFIX);
        Files.deleteIfExists(tmp);
        long[] count = new long[3]; // frames, to drop, to change
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer data = FramedLog.map(file, in);
            FramedLog.scan(file, data, fmt, (d, at, p, n) -> {
                count[0]++;
                byte[] e = edit.edit(d, p, n);
                if (e == DROP) {
                    count[1]++;
                } else if (e != KEEP) {
                    count[2]++;
                }
            });
            if (count[1] == 0 && count[2] == 0) {
                return new Result(file, count[0], 0, 0, false);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                Out out = new Out(ch);
                out.put(slice(data, 0, fmt.headerBytes()));
                FramedLog.Scan s = FramedLog.scan(file, data, fmt, (d, at, p, n) -> {
                    byte[] e = edit.edit(d, p, n);
                    if (e == KEEP) {
                        out.put(slice(d, at, p + n + trailer(fmt.frames()) - at));
                    } else if (e != DROP) {
                        out.put(frame(fmt, e));
                    }
                });
                if (s.tornBytes() > 0) {
                    out.put(slice(data, (int) s.end(), (int) s.tornBytes()));
                }
                out.flush();
                ch.force(true);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LineLog.fsyncDirectory(file.toAbsolutePath().getParent());
        return new Result(file, count[0], count[1], count[2], true);
    }

    /** Deletes the aside file a rewrite of {@code file} interrupted by a crash left. @return whether there was one */
    public static boolean removeLeftover(Path file) throws IOException {
        return Files.deleteIfExists(file.resolveSibling(file.getFileName() + TMP_SUFFIX));
    }

    private static int trailer(FrameFormat f) {
        return switch (f) {
            case BINARY -> 0;
            case LINE -> FrameFormat.LINE_TRAILER;
            case JSON_LINE -> FrameFormat.JSON_TRAILER;
        };
    }

    private static ByteBuffer frame(LogFormat fmt, byte[] payload) {
        FrameFormat f = fmt.frames();
        int n = f == FrameFormat.JSON_LINE ? payload.length - 1 : payload.length;
        if (n > fmt.maxPayload() || n < Math.max(0, fmt.minPayload())) {
            throw new IllegalArgumentException("a rewritten record of " + n + " bytes is outside " + fmt.minPayload() + ".."
                    + fmt.maxPayload());
        }
        ByteBuffer b = ByteBuffer.allocate(f.frameLength(n));
        switch (f) {
            case BINARY -> {
                int start = FrameFormat.beginBinary(b);
                b.put(payload);
                FrameFormat.endBinary(b, start);
            }
            case LINE -> {
                for (byte x : payload) {
                    if (x == '\n') {
                        throw new IllegalArgumentException("a line record must not hold a line feed");
                    }
                }
                FrameFormat.putLine(b, payload);
            }
            case JSON_LINE -> {
                for (byte x : payload) {
                    if (x == '\n') {
                        throw new IllegalArgumentException("a JSON line record must not hold a line feed");
                    }
                }
                FrameFormat.putJsonLine(b, payload, payload.length);
            }
        }
        return b.flip();
    }

    private static ByteBuffer slice(ByteBuffer data, int from, int length) {
        return data.duplicate().limit(from + length).position(from);
    }

    /** Writes through a 1 MiB buffer: one write call per MiB, not per frame. */
    private static final class Out {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20);

        Out(FileChannel ch) {
            this.ch = ch;
        }

        void put(ByteBuffer b) throws IOException {
            if (b.remaining() > buf.remaining()) {
                flush();
            }
            if (b.remaining() > buf.capacity()) {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                return;
            }
            buf.put(b);
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            buf.clear();
        }
    }
}
