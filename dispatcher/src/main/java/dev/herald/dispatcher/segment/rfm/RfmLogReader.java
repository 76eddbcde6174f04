package dev.herald.dispatcher.segment.rfm;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How an {@link RfmLog} is read: one sequential pass with positional reads into one 16 MiB buffer
 * (no 2 GiB mapping limit), every frame checked by the store rule, records decoded into batches.
 * {@link #read} does the pass on a helper thread and hands the batches (three in rotation) to the
 * caller's sink on the calling thread, so reading and folding overlap.
 *
 * <p>Stateless; each call opens its own channel.
 */
final class RfmLogReader {

    private static final int READ_BUFFER = 16 << 20;

    private RfmLogReader() {
    }

    /** {@link RfmLog#read}: scans on a helper thread, folds on the caller's. */
    static RfmLog.Stats read(Path file, long upTo, RfmLog.Sink sink, int batch) throws IOException {
        int size = Math.max(1, Math.min(batch, 1 << 22));
        java.util.concurrent.BlockingQueue<Batch> free = new java.util.concurrent.ArrayBlockingQueue<>(3);
        java.util.concurrent.BlockingQueue<Object> full = new java.util.concurrent.LinkedBlockingQueue<>();
        for (int i = 0; i < 3; i++) {
            free.add(new Batch(size));
        }
        Thread reader = new Thread(() -> {
            Object last;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                last = scan(file, ch, upTo, b -> {
                    if (b != null) {
                        full.add(b);
                    }
                    Batch next = free.take();
                    next.n = 0;
                    next.kind = RfmLog.PURCHASES;
                    return next;
                }, free.take());
            } catch (IOException | RuntimeException e) {
                last = e;
            } catch (InterruptedException e) {
                return; // the fold failed: nobody waits
            }
            full.add(last);
        }, "herald-rfm-read");
        reader.setDaemon(true);
        reader.start();
        boolean done = false;
        try {
            while (true) {
                Object o = full.take();
                if (o instanceof Batch b) {
                    switch (b.kind) {
                        case RfmLog.ACTIVITY -> sink.activity(b.r, b.at, b.n);
                        case RfmLog.CLICKS -> sink.clicks(b.r, b.at, b.n);
                        default -> sink.purchases(b.r, b.at, b.v, b.n);
                    }
                    free.add(b);
                } else if (o instanceof RfmLog.Stats st) {
                    done = true;
                    return st;
                } else if (o instanceof IOException e) {
                    done = true;
                    throw e;
                } else {
                    done = true;
                    throw (RuntimeException) o;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading " + file);
        } finally {
            if (!done) {
                reader.interrupt();
            }
        }
    }

    /** Decoded records of one kind, handed from the reading thread to the folding one. */
    private static final class Batch {
        final int[] r;
        final long[] at;
        final long[] v;
        int n;
        byte kind = RfmLog.PURCHASES;

        Batch(int size) {
            r = new int[size];
            at = new long[size];
            v = new long[size];
        }
    }

    /** Takes a full batch, answers the one to fill next. */
    @FunctionalInterface
    private interface Out {
        Batch full(Batch b) throws InterruptedException;
    }

    /**
     * The one pass: checks every frame, decodes records into batches handed to {@code out} (if
     * any; {@code first} is the first to fill), learns the last checkpoint of each source, applies
     * the damage rule at the end.
     */
    private static RfmLog.Stats scan(Path file, FileChannel ch, long size, Out out, Batch first)
            throws IOException, InterruptedException {
        if (size < RfmLog.HEADER) {
            throw new DamagedStoreException(file, 0, "shorter than its " + RfmLog.HEADER + "-byte header (" + size + " bytes)");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(READ_BUFFER, Math.max(RfmLog.HEADER, size)));
        readFully(ch, buf.clear().limit(RfmLog.HEADER), 0);
        byte[] magic = RfmLog.FORMAT.magic();
        for (int i = 0; i < RfmLog.HEADER; i++) {
            if (buf.get(i) != magic[i]) {
                throw new DamagedStoreException(file, 0, "not an RFM log (bad header)");
            }
        }
        Batch pb = first;
        Batch ab = null; // taken at the first activity record
        Batch cb = null; // taken at the first click
        long frames = 0;
        long purchases = 0;
        long activities = 0;
        long purchasesFrom = 0;
        long activityFrom = 0;
        long base = RfmLog.HEADER; // file offset of buf[0]
        buf.clear().limit(0);
        int pos = 0;
        while (true) {
            int limit = buf.limit();
            int n = pos < limit ? FrameFormat.BINARY.check(buf, pos, limit, RfmLog.FORMAT.minPayload(), RfmLog.FORMAT.maxPayload())
                    : FrameFormat.TORN;
            if (n == FrameFormat.TORN) {
                long at = base + pos;
                if (at + (limit - pos) < size) { // more of the file to read: refill from this frame on
                    base = at;
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), size - base));
                    readFully(ch, buf, base);
                    pos = 0;
                    continue;
                }
                if (at == size) {
                    break; // clean end
                }
                tornOrDamaged(file, buf, pos, limit, at);
                if (out != null) {
                    throw new DamagedStoreException(file, at, "an incomplete frame inside what was read");
                }
                return new RfmLog.Stats(frames, purchases, activities, at, size - at, purchasesFrom, activityFrom);
            }
            if (n < 0) {
                throw new DamagedStoreException(file, base + pos, FrameFormat.describe(n));
            }
            int p = FrameFormat.BINARY.payloadOffset(pos);
            int len = FrameFormat.BINARY.payloadLength(n);
            byte kind = buf.get(p);
            long source = buf.getLong(p + 1);
            int each = kind == RfmLog.PURCHASES ? RfmLog.PURCHASE_BYTES : kind == RfmLog.ACTIVITY || kind == RfmLog.CLICKS ? RfmLog.ACTIVITY_BYTES : -1;
            if (each < 0 || (len - RfmLog.FRAME_HEAD) % each != 0 || source < 0) {
                throw new DamagedStoreException(file, base + pos, "not an RFM frame (kind " + kind + ", " + len + " bytes)");
            }
            int count = (len - RfmLog.FRAME_HEAD) / each;
            int r = p + RfmLog.FRAME_HEAD;
            if (kind == RfmLog.PURCHASES) {
                purchases += count;
                purchasesFrom = source;
                for (int i = 0; out != null && i < count; i++, r += RfmLog.PURCHASE_BYTES) {
                    if (pb.n == pb.r.length) {
                        pb = out.full(pb);
                    }
                    int k = pb.n++;
                    pb.r[k] = buf.getInt(r);
                    pb.at[k] = buf.getLong(r + 4);
                    pb.v[k] = buf.getLong(r + 12);
                }
            } else if (kind == RfmLog.ACTIVITY) {
                activities += count;
                activityFrom = source;
                for (int i = 0; out != null && i < count; i++, r += RfmLog.ACTIVITY_BYTES) {
                    if (ab == null || ab.n == ab.r.length) {
                        // the aggregates' folds commute: batches of each kind apart
                        ab = out.full(ab);
                        ab.kind = RfmLog.ACTIVITY;
                    }
                    int k = ab.n++;
                    ab.r[k] = buf.getInt(r);
                    ab.at[k] = buf.getLong(r + 4);
                }
            } else {
                activities += count;
                for (int i = 0; out != null && i < count; i++, r += RfmLog.ACTIVITY_BYTES) {
                    if (cb == null || cb.n == cb.r.length) {
                        cb = out.full(cb);
                        cb.kind = RfmLog.CLICKS;
                    }
                    int k = cb.n++;
                    cb.r[k] = buf.getInt(r);
                    cb.at[k] = buf.getLong(r + 4);
                }
            }
            frames++;
            pos += n;
        }
        if (out != null) {
            if (pb.n > 0) {
                out.full(pb);
            }
            if (ab != null && ab.n > 0) {
                out.full(ab);
            }
            if (cb != null && cb.n > 0) {
                out.full(cb);
            }
        }
        return new RfmLog.Stats(frames, purchases, activities, size, 0, purchasesFrom, activityFrom);
    }

    /** {@link #scan} checking frames and learning checkpoints only (open, verify). */
    static RfmLog.Stats scanOnly(Path file, FileChannel ch) throws IOException {
        try {
            return scan(file, ch, ch.size(), null, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading " + file);
        }
    }

    /** The bytes from {@code pos} to the end of the file are an incomplete frame: torn, unless zero-filled or followed by a whole frame. */
    private static void tornOrDamaged(Path file, ByteBuffer buf, int pos, int limit, long at) throws DamagedStoreException {
        boolean zeros = true;
        for (int i = pos; i < limit && zeros; i++) {
            zeros = buf.get(i) == 0;
        }
        if (zeros) {
            throw new DamagedStoreException(file, at, (limit - pos) + " zero bytes at the end (zero-filled, not a torn write)");
        }
        for (int p = pos + 1; p + FrameFormat.BINARY_HEADER < limit; p++) {
            if (FrameFormat.BINARY.check(buf, p, limit, RfmLog.FORMAT.minPayload(), RfmLog.FORMAT.maxPayload()) > 0) {
                throw new DamagedStoreException(file, at, "a frame that looks incomplete is followed by a whole frame at offset "
                        + (at + p - pos) + ": its length is damaged");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            if (r < 0) {
                throw new java.io.EOFException("unexpected end of " + ch + " at " + p);
            }
            p += r;
        }
        b.flip();
    }
}
