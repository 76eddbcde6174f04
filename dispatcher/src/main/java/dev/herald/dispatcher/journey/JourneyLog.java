package dev.herald.dispatcher.journey;

import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.VerifyResult;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * One journey's instance log, {@code journeys/instances/<journey id>.log}: every change to its
 * instances, written (and fsynced) before it takes effect, replayed at start. A frame holds the
 * records of one change (an entry and where it lands, a due bucket's moves, a send step's run),
 * so a change is whole or absent after a crash. Sets of instances are bitmaps of recipient ids
 * in one lane (a recipient's concurrent instances of a keyed journey take lanes 0, 1, …).
 *
 * <pre>{@code
 * JourneyLog log = JourneyLog.open(file, state::apply);     // replays
 * log.append(List.of(new Rec.Enter(...), new Rec.At(...))); // durable on return
 * }</pre>
 *
 * <p>Damage follows the store rule: a torn last frame is dropped and reported; a whole frame that
 * fails its checksum refuses the log naming the file and offset.
 *
 * <p>Thread-safety: {@link #append} is synchronized; one owner (the journey engine).
 */
public final class JourneyLog implements AutoCloseable {

    /** Frames: binary, magic {@code HRLDJRN1}, records of a frame up to 256 MiB. */
    public static final LogFormat FORMAT = LogFormat.binary("HRLDJRN1", 8, 4, 256 << 20);

    /** A change to a journey's instances. Every record has the instant it was made ({@code at}, epoch ms). */
    public sealed interface Rec {
        /** @return when it was made, epoch ms */
        long at();

        /** Recipient {@code recipient} entered version {@code version} in {@code lane} ({@code key} "" if unkeyed; {@code offset} of its event in the events log, -1 if none). */
        record Enter(long at, int version, int lane, int recipient, String key, long offset) implements Rec {
        }

        /** {@code ids} entered version {@code version} in {@code lane} (segment and date entries). */
        record EnterMany(long at, int version, int lane, ImmutableRoaringBitmap ids) implements Rec {
        }

        /** {@code ids} (of {@code lane}) are now at {@code step} of {@code version}, due at {@code due} (epoch ms; 0 if not timed). */
        record At(long at, int version, int step, int lane, long due, ImmutableRoaringBitmap ids) implements Rec {
        }

        /** The instances of {@code ids} in {@code lane} ended, for {@code reason}. */
        record End(long at, int lane, String reason, ImmutableRoaringBitmap ids) implements Rec {
        }

        /** Run {@code seq} of send step {@code step} took {@code ids} of {@code lane} (its outcome ledger is its own). */
        record Run(long at, long seq, int version, int step, int lane, ImmutableRoaringBitmap ids) implements Rec {
        }

        /** Run {@code seq} settled {@code ids} with {@code outcome} ({@code sent}, {@code suppressed:global}, …). */
        record Settled(long at, long seq, String outcome, ImmutableRoaringBitmap ids) implements Rec {
        }

        /** Run {@code seq} settled everyone; its ledger may be removed. */
        record RunDone(long at, long seq) implements Rec {
        }

        /** Events before {@code offset} of the events log are applied. */
        record Cursor(long at, long offset) implements Rec {
        }

        /** The entry segment's members {@code ids} were seen joining ({@code joined}) or leaving it. */
        record Seen(long at, boolean joined, ImmutableRoaringBitmap ids) implements Rec {
        }

        /** The date entry fired for local day {@code epochDay} in zone {@code zone}. */
        record DateFired(long at, String zone, long epochDay) implements Rec {
        }

        /**
         * Part {@code index} of a whole state's image ({@link JourneyImage}), which a compacted log
         * starts with: the state is replaced by it once its {@code last} part is read.
         */
        record ImagePart(long at, int index, boolean last, byte[] bytes) implements Rec {
        }
    }

    private final FramedLog log;

    private JourneyLog(FramedLog log) {
        this.log = log;
    }

    /**
     * Opens (creating if missing) a journey's log and replays it.
     *
     * @param file   the log
     * @param replay receives every record, in order
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if a frame is damaged
     * @throws IOException if it cannot be read or written
     */
    public static JourneyLog open(Path file, Consumer<Rec> replay) throws IOException {
        return new JourneyLog(FramedLog.open(file, FORMAT, (data, at, p, n) -> decode(file, at, data, p, n).forEach(replay)));
    }

    /** Checks a journey log without changing it. */
    public static VerifyResult verify(Path file) throws IOException {
        return FramedLog.verify(file, FORMAT, (data, at, p, n) -> decode(file, at, data, p, n));
    }

    /**
     * Reads a journey log without changing it (the engine's own, for a recipient's history).
     *
     * @throws dev.herald.suppression.store.DamagedStoreException if a frame is damaged
     */
    public static void read(Path file, Consumer<Rec> visitor) throws IOException {
        VerifyResult r = FramedLog.verify(file, FORMAT, (data, at, p, n) -> decode(file, at, data, p, n).forEach(visitor));
        if (r.isDamaged()) {
            throw r.damage();
        }
    }

    /** The largest part of a state's image in one frame. */
    static final int IMAGE_PART = 64 << 20;

    /** Writes a state's image. */
    interface ImageWriter {
        void write(DataOutputStream out) throws IOException;
    }

    /**
     * Writes a compacted log: an image of a whole state, streamed in parts of {@link #IMAGE_PART}
     * bytes, to a new file beside {@code file}, fsynced, then renamed over it. A crash leaves the
     * old log or the new one, whole.
     *
     * @return the new log's size in bytes
     */
    static long compact(Path file, long at, ImageWriter image) throws IOException {
        return compact(file, at, image, IMAGE_PART);
    }

    /** {@link #compact(Path, long, ImageWriter)} in parts of {@code partBytes} (tests: many parts). */
    static long compact(Path file, long at, ImageWriter image, int partBytes) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".compacting");
        java.nio.file.Files.deleteIfExists(next);
        try (FramedLog out = FramedLog.open(next, FORMAT, (data, a, p, n) -> { });
             Parts parts = new Parts(out, at, partBytes);
             DataOutputStream data = new DataOutputStream(parts)) {
            image.write(data);
        }
        java.nio.file.Files.move(next, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FramedLog.fsyncDirectory(file.toAbsolutePath().getParent());
        return java.nio.file.Files.size(file);
    }

    /** Cuts a stream into image parts, each appended as a frame; the last one when closed. */
    private static final class Parts extends java.io.OutputStream {
        private final FramedLog log;
        private final long at;
        private final byte[] buffer;
        private int filled;
        private int index;

        Parts(FramedLog log, long at, int partBytes) {
            this.log = log;
            this.at = at;
            this.buffer = new byte[partBytes];
        }

        @Override
        public void write(int b) throws IOException {
            if (filled == buffer.length) {
                emit(false);
            }
            buffer[filled++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (filled == buffer.length) {
                    emit(false);
                }
                int n = Math.min(len, buffer.length - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
            }
        }

        private void emit(boolean last) throws IOException {
            log.append(encode(List.of(new Rec.ImagePart(at, index++, last, java.util.Arrays.copyOf(buffer, filled)))));
            filled = 0;
        }

        private boolean closed;

        @Override
        public void close() throws IOException {
            if (!closed) { // the DataOutputStream over it closes it too
                closed = true;
                emit(true);
            }
        }
    }

    /** Appends {@code records} as one frame, fsynced before returning; nothing for an empty list. */
    public void append(List<? extends Rec> records) throws IOException {
        if (!records.isEmpty()) {
            log.append(encode(records));
        }
    }

    /** @return the log file */
    public Path file() {
        return log.file();
    }

    /** @return its size in bytes */
    public long size() throws IOException {
        return java.nio.file.Files.size(log.file());
    }

    @Override
    public void close() throws IOException {
        log.close();
    }

    static byte[] encode(List<? extends Rec> records) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(records.size());
            for (Rec r : records) {
                write(out, r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void write(DataOutputStream out, Rec r) throws IOException {
        if (r instanceof Rec.Enter e) {
            out.writeByte(1);
            out.writeLong(e.at());
            out.writeInt(e.version());
            out.writeShort(e.lane());
            out.writeInt(e.recipient());
            out.writeUTF(e.key());
            out.writeLong(e.offset());
        } else if (r instanceof Rec.EnterMany e) {
            out.writeByte(2);
            out.writeLong(e.at());
            out.writeInt(e.version());
            out.writeShort(e.lane());
            e.ids().serialize(out);
        } else if (r instanceof Rec.At a) {
            out.writeByte(3);
            out.writeLong(a.at());
            out.writeInt(a.version());
            out.writeShort(a.step());
            out.writeShort(a.lane());
            out.writeLong(a.due());
            a.ids().serialize(out);
        } else if (r instanceof Rec.End e) {
            out.writeByte(4);
            out.writeLong(e.at());
            out.writeShort(e.lane());
            out.writeUTF(e.reason());
            e.ids().serialize(out);
        } else if (r instanceof Rec.Run u) {
            out.writeByte(5);
            out.writeLong(u.at());
            out.writeLong(u.seq());
            out.writeInt(u.version());
            out.writeShort(u.step());
            out.writeShort(u.lane());
            u.ids().serialize(out);
        } else if (r instanceof Rec.Settled s) {
            out.writeByte(6);
            out.writeLong(s.at());
            out.writeLong(s.seq());
            out.writeUTF(s.outcome());
            s.ids().serialize(out);
        } else if (r instanceof Rec.RunDone d) {
            out.writeByte(7);
            out.writeLong(d.at());
            out.writeLong(d.seq());
        } else if (r instanceof Rec.Cursor c) {
            out.writeByte(8);
            out.writeLong(c.at());
            out.writeLong(c.offset());
        } else if (r instanceof Rec.Seen s) {
            out.writeByte(9);
            out.writeLong(s.at());
            out.writeBoolean(s.joined());
            s.ids().serialize(out);
        } else if (r instanceof Rec.DateFired d) {
            out.writeByte(10);
            out.writeLong(d.at());
            out.writeUTF(d.zone());
            out.writeLong(d.epochDay());
        } else if (r instanceof Rec.ImagePart i) {
            out.writeByte(11);
            out.writeLong(i.at());
            out.writeInt(i.index());
            out.writeBoolean(i.last());
            out.writeInt(i.bytes().length);
            out.write(i.bytes());
        } else {
            throw new IllegalArgumentException("unknown record " + r);
        }
    }

    private static List<Rec> decode(Path file, long frame, ByteBuffer data, int p, int n) throws IOException {
        byte[] payload = new byte[n];
        data.get(p, payload);
        List<Rec> out = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                out.add(read(in));
            }
            if (in.available() > 0) {
                throw new IOException(in.available() + " bytes after the last record");
            }
        } catch (IOException | RuntimeException e) {
            // the frame's checksum held, so this is a record this version cannot read: damage, named
            throw new dev.herald.suppression.store.DamagedStoreException(file, frame, "not a journey record: " + e.getMessage());
        }
        return out;
    }

    private static Rec read(DataInputStream in) throws IOException {
        int type = in.readByte();
        long at = in.readLong();
        return switch (type) {
            case 1 -> new Rec.Enter(at, in.readInt(), in.readShort(), in.readInt(), in.readUTF(), in.readLong());
            case 2 -> new Rec.EnterMany(at, in.readInt(), in.readShort(), bitmap(in));
            case 3 -> new Rec.At(at, in.readInt(), in.readShort(), in.readShort(), in.readLong(), bitmap(in));
            case 4 -> new Rec.End(at, in.readShort(), in.readUTF(), bitmap(in));
            case 5 -> new Rec.Run(at, in.readLong(), in.readInt(), in.readShort(), in.readShort(), bitmap(in));
            case 6 -> new Rec.Settled(at, in.readLong(), in.readUTF(), bitmap(in));
            case 7 -> new Rec.RunDone(at, in.readLong());
            case 8 -> new Rec.Cursor(at, in.readLong());
            case 9 -> new Rec.Seen(at, in.readBoolean(), bitmap(in));
            case 10 -> new Rec.DateFired(at, in.readUTF(), in.readLong());
            case 11 -> {
                int index = in.readInt();
                boolean last = in.readBoolean();
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                yield new Rec.ImagePart(at, index, last, b);
            }
            default -> throw new IOException("unknown record type " + type);
        };
    }

    private static MutableRoaringBitmap bitmap(DataInputStream in) throws IOException {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        b.deserialize(in);
        return b;
    }
}
