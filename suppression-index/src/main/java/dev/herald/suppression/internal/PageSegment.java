package dev.herald.suppression.internal;

import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One file of {@link RecordPages}: the pages of {@value PageFormat#SEGMENT_IDS} consecutive ids,
 * appended to, read through a read-only memory mapping.
 *
 * <p>{@code int n = segment.read(id, scratch);   // -1: not here, read the map}
 *
 * <p>Invariant: a page's slot in {@link #pages} points at a whole frame already written to the
 * file, so a reader that sees it reads complete bytes (frames are never changed once written; a
 * newer frame of the page is appended and the slot moved). Thread-safety: {@link #read} from any
 * thread; {@link #append}, {@link #publish} and {@link #compact} by the single writer of
 * {@link RecordPages}.
 */
final class PageSegment implements AutoCloseable {

    /** Slot value of a page with no current frame. */
    static final long NONE = -1;

    final Path file;
    final int firstId;
    /** Seals pages (encrypted directory) or not. */
    private final RecordCipher cipher;
    private final FileChannel channel;
    /** Per page: frame offset {@code << 9 | count}, or {@link #NONE}. */
    private final AtomicLongArray pages = new AtomicLongArray(PageFormat.SEGMENT_PAGES);
    private volatile ByteBuffer map;
    /** Where the next frame goes (writer only). */
    private long end;
    /** Bytes of the frames the slots point at (writer only), to decide on compaction. */
    private long liveBytes;

    private PageSegment(Path file, int firstId, RecordCipher cipher, FileChannel channel, long end) {
        this.file = file;
        this.firstId = firstId;
        this.cipher = cipher;
        this.channel = channel;
        this.end = end;
        for (int i = 0; i < PageFormat.SEGMENT_PAGES; i++) {
            pages.set(i, NONE);
        }
    }

    /** Creates the file of the range starting at {@code firstId} (header only). */
    static PageSegment create(Path dir, int firstId, RecordCipher cipher) throws IOException {
        Path file = dir.resolve(PageFormat.fileName(firstId));
        FramedLog.create(file, PageFormat.header(firstId, cipher.sealed()));
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        PageSegment s = new PageSegment(file, firstId, cipher, ch, ch.size());
        s.map = ByteBuffer.allocate(0);
        return s;
    }

    /**
     * Opens an existing file: scans every frame (checksums and page layout), drops and reports a
     * torn tail, refuses damage, and points each page at its last frame.
     *
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged (unchanged)
     */
    static PageSegment open(Path file, int firstId, RecordCipher cipher) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            ByteBuffer data = FramedLog.map(file, ch);
            PageFormat.checkHeader(file, data, firstId);
            long[] slots = new long[PageFormat.SEGMENT_PAGES];
            java.util.Arrays.fill(slots, NONE);
            boolean sealed = cipher.sealed();
            FramedLog.Scan scan = FramedLog.scan(file, data, PageFormat.format(sealed), (d, at, p, n) -> {
                int first = PageFormat.checkPage(file, d, at, p, n, firstId, sealed);
                int count = Short.toUnsignedInt(d.getShort(p + 4));
                slots[(first - firstId) >>> PageFormat.PAGE_SHIFT] = count == 0 ? NONE : (long) at << 9 | count;
            });
            FramedLog.dropTornTail(file, ch, scan);
            PageSegment s = new PageSegment(file, firstId, cipher, ch, scan.end());
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] != NONE) {
                    s.pages.set(i, slots[i]);
                    s.liveBytes += frameLength(data, slots[i]);
                }
            }
            s.map = scan.tornBytes() == 0 ? data : FramedLog.map(file, ch);
            return s;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static long frameLength(ByteBuffer data, long slot) {
        return FrameFormat.BINARY_HEADER + (long) data.getInt((int) (slot >>> 9));
    }

    /** @return ids the page's current frame holds (0 if none) */
    int count(int page) {
        long v = pages.get(page);
        return v == NONE ? 0 : (int) (v & 511);
    }

    /**
     * Copies the record of {@code id} into {@code scratch}.
     *
     * @return its length ({@code 0}: the page says the map does not hold the id), or -1 if this
     *     file has no current frame holding the id (read the map)
     */
    int read(int id, RecordScratch scratch) {
        int rel = id - firstId;
        long v = pages.get(rel >>> PageFormat.PAGE_SHIFT);
        int slot = rel & (PageFormat.PAGE_IDS - 1);
        if (v == NONE || slot >= (int) (v & 511)) {
            return -1;
        }
        int count = (int) (v & 511);
        if (cipher.sealed()) {
            return readSealed(v, count, slot, scratch);
        }
        int payload = (int) (v >>> 9) + FrameFormat.BINARY_HEADER;
        int ends = payload + PageFormat.PAGE_HEAD;
        int records = ends + 4 * count;
        ByteBuffer m = map;
        if (m.limit() < records) {
            m = remap(records);
        }
        int from = slot == 0 ? 0 : m.getInt(ends + 4 * (slot - 1));
        int to = m.getInt(ends + 4 * slot);
        int len = to - from;
        if (m.limit() < records + to) {
            m = remap(records + to);
        }
        m.get(records + from, scratch.ensure(len), 0, len);
        return len;
    }

    /**
     * Reads from the page of slot value {@code v} opened in {@code scratch}, opening (decrypting) it
     * first unless it is the page {@code scratch} opened last.
     */
    private int readSealed(long v, int count, int slot, RecordScratch scratch) {
        if (scratch.pageSegment != this || scratch.pageSlot != v) {
            int at = (int) (v >>> 9);
            ByteBuffer m = map;
            if (m.limit() < at + FrameFormat.BINARY_HEADER) {
                m = remap(at + FrameFormat.BINARY_HEADER);
            }
            int length = m.getInt(at);
            int payload = at + FrameFormat.BINARY_HEADER;
            if (m.limit() < payload + length) {
                m = remap((long) payload + length);
            }
            int pageFirst = m.getInt(payload);
            int sealedLen = length - PageFormat.PAGE_HEAD;
            byte[] page = scratch.ensurePage(2 * sealedLen);
            m.get(payload + PageFormat.PAGE_HEAD, page, sealedLen, sealedLen); // the sealed bytes behind, opened to the front
            try {
                cipher.openPage(pageFirst, page, sealedLen, sealedLen, page);
            } catch (javax.crypto.AEADBadTagException e) {
                scratch.dropPage();
                throw new IllegalStateException(file + ": the page of ids " + pageFirst + ".. at offset " + at
                        + " does not open under the directory's data key (changed on disk, or written under another key)", e);
            }
            scratch.pageSegment = this;
            scratch.pageSlot = v;
            scratch.pageFirst = pageFirst;
        }
        byte[] page = scratch.page;
        int from = slot == 0 ? 0 : intAt(page, 4 * (slot - 1));
        int to = intAt(page, 4 * slot);
        scratch.inPage(4 * count + from);
        return to - from;
    }

    private static int intAt(byte[] b, int i) {
        return (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
    }

    /** Maps the file again, now that it is at least {@code needed} bytes long. */
    private synchronized ByteBuffer remap(long needed) {
        ByteBuffer m = map;
        if (m.limit() >= needed) {
            return m;
        }
        try {
            m = FramedLog.map(file, channel);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot map " + file, e);
        }
        if (m.limit() < needed) {
            throw new IllegalStateException(file + " is shorter (" + m.limit() + " bytes) than a page written to it ("
                    + needed + ")");
        }
        map = m;
        return m;
    }

    /**
     * Appends a frame at the end; if the write fails, cuts the file back so no partial frame is left.
     *
     * @return the frame's offset
     */
    long append(ByteBuffer frame) throws IOException {
        long at = end;
        if (at + frame.remaining() > Integer.MAX_VALUE) {
            throw new IOException(file + " would grow past 2 GiB");
        }
        try {
            long pos = at;
            while (frame.hasRemaining()) {
                pos += channel.write(frame, pos);
            }
        } catch (IOException e) {
            try {
                channel.truncate(at);
            } catch (IOException cut) {
                e.addSuppressed(cut);
            }
            throw e;
        }
        end = at + (frame.limit());
        return at;
    }

    /** Points {@code page} at the frame at {@code offset} holding {@code count} ids (0: none). */
    void publish(int page, long offset, int count, int frameBytes) {
        long old = pages.get(page);
        if (old != NONE) {
            liveBytes -= frameBytesAt(old);
        }
        pages.set(page, count == 0 ? NONE : offset << 9 | count);
        if (count > 0) {
            liveBytes += frameBytes;
        }
    }

    private long frameBytesAt(long slot) {
        ByteBuffer m = map;
        int at = (int) (slot >>> 9);
        if (m.limit() < at + 4) {
            m = remap(at + 4);
        }
        return FrameFormat.BINARY_HEADER + (long) m.getInt(at);
    }

    /** @return whether the page has a current frame */
    boolean published(int page) {
        return pages.get(page) != NONE;
    }

    /** Makes the page read from the map until a new frame is published. */
    void unpublish(int page) {
        publish(page, 0, 0, 0);
    }

    /** @return whether old frames take more room than the current ones (and 1 MiB) */
    boolean wasteful() {
        return end - PageFormat.HEADER_BYTES > 2 * liveBytes + (1 << 20);
    }

    /**
     * Rewrites the file with only the current frames: aside, fsynced, renamed over it. At open, and
     * after an erasure (readers still holding this instance read its mapping, which outlives the
     * file's name; frames published after the compaction go to the new instance only).
     */
    PageSegment compact() throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ByteBuffer m = FramedLog.map(file, channel);
        long[] slots = new long[PageFormat.SEGMENT_PAGES];
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long pos = 0;
            ByteBuffer h = PageFormat.header(firstId, cipher.sealed());
            while (h.hasRemaining()) {
                pos += out.write(h, pos);
            }
            for (int i = 0; i < slots.length; i++) {
                long v = pages.get(i);
                slots[i] = NONE;
                if (v == NONE) {
                    continue;
                }
                int at = (int) (v >>> 9);
                int len = FrameFormat.BINARY_HEADER + m.getInt(at);
                slots[i] = pos << 9 | (v & 511);
                ByteBuffer frame = m.duplicate().limit(at + len).position(at);
                while (frame.hasRemaining()) {
                    pos += out.write(frame, pos);
                }
            }
            out.force(true);
        }
        channel.close();
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        FramedLog.fsyncDirectory(file.toAbsolutePath().getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        PageSegment s = new PageSegment(file, firstId, cipher, ch, ch.size());
        s.map = FramedLog.map(file, ch);
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != NONE) {
                s.pages.set(i, slots[i]);
                s.liveBytes += frameLength(s.map, slots[i]);
            }
        }
        return s;
    }

    /** @return the file's length (writer's view) */
    long end() {
        return end;
    }

    /** fsyncs the file (at close: a clean close leaves it durable). */
    void force() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
