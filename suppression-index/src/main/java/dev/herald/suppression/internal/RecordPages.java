package dev.herald.suppression.internal;

import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;

/**
 * An id-ordered copy of the directory's records ({@code recipients-by-id.cm3}), so that reading
 * the recipients of a chunk in id order is a sequential walk of memory-mapped pages instead of a
 * hashed map lookup per id. The map stays the source of truth; the pages are derived from it.
 *
 * <p>{@code RecordPages pages = RecordPages.open(dir, records, size, false); int n = pages.read(id, scratch);}
 *
 * <p>Files: {@code pages/ids-<first id>.pages}, one per {@value PageFormat#SEGMENT_IDS} ids (see
 * {@link PageFormat}), so a range of recipients is a set of whole files (partitionable by id range).
 *
 * <p><b>Consistency with the map</b>, kept by the single writer (the directory's write lock):
 * <ul>
 *   <li>a new id's record is written to the map first; its page is appended when the page is full,
 *       or on {@link #flush} (end of an import, close). Until then the id is read from the map;</li>
 *   <li>before the map record of an id whose page is already written changes, a stale marker for
 *       the page is appended (and the page is read from the map); the page is written anew on
 *       {@link #flush}, or once {@value #MAX_STALE_PAGES} pages are stale;</li>
 *   <li>{@link #open} rebuilds from the map every page that is missing, stale or behind it (a
 *       directory of an earlier version has no pages at all), with an INFO line.</li>
 * </ul>
 * So a process killed at any point leaves pages that are either current or known to be stale.
 * A torn last frame is dropped and reported, and then rebuilt; a damaged frame refuses the open
 * naming the file and offset (delete the file to have it rebuilt from the map). Writes are not
 * fsynced (as the maps, they survive a killed process, not a power loss); close fsyncs them.
 *
 * <p>Thread-safety: {@link #read} from any thread, concurrently with the writer; every other
 * method by the single writer.
 */
public final class RecordPages implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RecordPages.class);
    /** Stale pages (not the tail) held before they are written anew. */
    static final int MAX_STALE_PAGES = 1024;
    private static final PageSegment[] NO_SEGMENTS = {};

    private final Path dir;
    private final ChronicleMap<Integer, byte[]> records;
    /** Opens the map's values and seals the pages (encrypted directory), or passes them through. */
    private final RecordCipher cipher;
    /** Segment by {@code id >>> SEGMENT_SHIFT}; replaced (never changed in place) when one is added. */
    private volatile PageSegment[] segments;
    /** The page new ids go to; its records are {@link #tail}[0 .. tailCount). */
    private int tailPage;
    private final byte[][] tail = new byte[PageFormat.PAGE_IDS][];
    private int tailCount;
    /** Pages below the tail whose map records changed after they were written. */
    private final BitSet stale = new BitSet();
    private int staleCount;
    /** False once a page write failed: everything not yet written is read from the map until the next open. */
    private boolean writable = true;

    private RecordPages(Path dir, ChronicleMap<Integer, byte[]> records, RecordCipher cipher, PageSegment[] segments) {
        this.dir = dir;
        this.records = records;
        this.cipher = cipher;
        this.segments = segments;
    }

    /**
     * Opens the pages in {@code dir} (created if absent), checks every frame, and rebuilds from
     * {@code records} every page of ids {@code 0 .. size - 1} that is missing, stale or behind.
     *
     * @param dir     the pages' directory ({@code <directory>/pages})
     * @param records the directory's id → record map
     * @param cipher  how the map's values and the pages are sealed
     * @param size    ids handed out
     * @param rebuild true to discard the pages and rebuild them all (the map lost records in recovery)
     * @return the open pages
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset of damage (nothing changed)
     * @throws IOException if a file cannot be read, written or created
     */
    public static RecordPages open(Path dir, ChronicleMap<Integer, byte[]> records, RecordCipher cipher, int size,
                                   boolean rebuild) throws IOException {
        long start = System.nanoTime();
        boolean existed = Files.isDirectory(dir);
        Files.createDirectories(dir);
        PageSegment[] segments = NO_SEGMENTS;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(".pages.tmp")) {
                    Files.delete(f); // a compaction interrupted before its rename: the file itself is whole
                    continue;
                }
                int first = PageFormat.firstIdOf(name);
                if (first < 0) {
                    continue; // torn-tail copies and foreign files are not ours to read
                }
                if (rebuild || !ofMode(f, cipher)) {
                    Files.delete(f);
                    continue;
                }
                int index = first >>> PageFormat.SEGMENT_SHIFT;
                if (index >= segments.length) {
                    segments = Arrays.copyOf(segments, index + 1);
                }
                try {
                    segments[index] = PageSegment.open(f, first, cipher);
                } catch (IOException | RuntimeException e) {
                    closeAll(segments);
                    throw e;
                }
            }
        }
        RecordPages pages = new RecordPages(dir, records, cipher, segments);
        try {
            pages.catchUp(size, existed, rebuild, start);
        } catch (IOException | RuntimeException e) {
            pages.closeQuietly();
            throw e;
        }
        return pages;
    }

    /**
     * @return false if {@code f} is a record file of the other mode (sealed pages in a directory
     *     that is not encrypted, or the reverse: left by a directory that was empty when it became
     *     encrypted); it is then rebuilt from the map
     */
    private static boolean ofMode(Path f, RecordCipher cipher) throws IOException {
        byte[] head = new byte[8];
        try (java.io.InputStream in = Files.newInputStream(f)) {
            if (in.readNBytes(head, 0, 8) < 8) {
                return true; // too short: the scan reports it
            }
        }
        Boolean sealed = PageFormat.sealedMagic(head);
        if (sealed != null && sealed != cipher.sealed()) {
            LOG.info("{}: pages {} sealed, the directory's are {}; rebuilding them from the map", f,
                    sealed ? "are" : "are not", cipher.sealed() ? "sealed" : "not");
            return false;
        }
        return true;
    }

    /** Rebuilds missing, stale and lagging pages, compacts wasteful files and loads the tail page. */
    private void catchUp(int size, boolean existed, boolean rebuildAll, long start) throws IOException {
        int fullPages = size >>> PageFormat.PAGE_SHIFT;
        int lastCount = size & (PageFormat.PAGE_IDS - 1);
        int rebuilt = 0;
        long ids = 0;
        for (int p = 0; p < fullPages + (lastCount > 0 ? 1 : 0); p++) {
            int want = p < fullPages ? PageFormat.PAGE_IDS : lastCount;
            PageSegment s = segment(p);
            int have = s == null ? 0 : s.count(p & (PageFormat.SEGMENT_PAGES - 1));
            if (have != want) {
                writePage(p, pageFromMap(p, want), want);
                rebuilt++;
                ids += want;
            }
        }
        // Frames of ids the map does not hold (ids lost to crash recovery, pages of another copy):
        PageSegment[] all = segments;
        for (int i = 0; i < all.length; i++) {
            PageSegment s = all[i];
            if (s == null) {
                continue;
            }
            for (int q = 0; q < PageFormat.SEGMENT_PAGES; q++) {
                long first = (long) s.firstId + ((long) q << PageFormat.PAGE_SHIFT);
                if (s.published(q) && first + s.count(q) > size) {
                    s.unpublish(q);
                }
            }
            if (s.wasteful()) {
                PageSegment c = s.compact();
                PageSegment[] copy = segments.clone();
                copy[i] = c;
                segments = copy;
            }
        }
        tailPage = fullPages;
        tailCount = lastCount;
        for (int k = 0; k < lastCount; k++) {
            tail[k] = mapRecord((fullPages << PageFormat.PAGE_SHIFT) + k);
        }
        if (rebuilt > 0) {
            String why = rebuildAll ? "the map lost records in crash recovery"
                    : !existed ? "none were stored (a directory of an earlier version, or a new one)"
                    : "some were missing, stale or behind the map";
            LOG.info("recipient directory {}: wrote {} page(s) of {} id(s) from recipients-by-id.cm3 in {} ms ({})",
                    dir.getParent() == null ? dir : dir.getParent().toAbsolutePath(), rebuilt, ids,
                    (System.nanoTime() - start) / 1_000_000, why);
        }
    }

    /** The records of page {@code p}'s first {@code count} ids, from the map. */
    private byte[][] pageFromMap(int p, int count) {
        byte[][] recs = new byte[count][];
        int first = p << PageFormat.PAGE_SHIFT;
        for (int k = 0; k < count; k++) {
            recs[k] = mapRecord(first + k);
        }
        return recs;
    }

    /** @return the (opened) record of {@code id} in the map, or null */
    private byte[] mapRecord(int id) {
        return cipher.openRecord(id, records.get(id));
    }

    private PageSegment segment(int page) {
        PageSegment[] all = segments;
        int i = page >>> (PageFormat.SEGMENT_SHIFT - PageFormat.PAGE_SHIFT);
        return i < all.length ? all[i] : null;
    }

    /**
     * Copies the record of {@code id} into {@code scratch}.
     *
     * @return its length; 0 if the map does not hold the id; -1 if it is not in the pages (read the map)
     */
    public int read(int id, RecordScratch scratch) {
        if (id < 0) {
            return 0;
        }
        PageSegment[] all = segments;
        int i = id >>> PageFormat.SEGMENT_SHIFT;
        PageSegment s = i < all.length ? all[i] : null;
        return s == null ? -1 : s.read(id, scratch);
    }

    /**
     * Before the map record of an existing {@code id} changes: marks its page stale in the file
     * first, so a crash after the map write never leaves the old page current.
     *
     * @throws UncheckedIOException if the marker cannot be written (then the map must not be changed)
     */
    public void beforeUpdate(int id) {
        int p = id >>> PageFormat.PAGE_SHIFT;
        PageSegment s = segment(p);
        int q = p & (PageFormat.SEGMENT_PAGES - 1);
        if (s != null && s.published(q)) {
            try {
                s.append(PageFormat.encode(p << PageFormat.PAGE_SHIFT, tail, 0));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot mark the page of recipient id " + id + " stale in " + s.file, e);
            }
            s.unpublish(q);
        }
        if (p < tailPage && !stale.get(p)) {
            stale.set(p);
            staleCount++;
        }
    }

    /**
     * After the map record of {@code id} was written (new or changed).
     *
     * @param record the bytes now in the map
     */
    public void written(int id, byte[] record) {
        int p = id >>> PageFormat.PAGE_SHIFT;
        if (p > tailPage) {
            writeTail(); // ids were skipped (lost in recovery): the tail as it is, then the new page
            tailPage = p;
            Arrays.fill(tail, null);
            tailCount = 0;
        }
        if (p == tailPage) {
            int k = id & (PageFormat.PAGE_IDS - 1);
            tail[k] = record;
            tailCount = Math.max(tailCount, k + 1);
            if (tailCount == PageFormat.PAGE_IDS) {
                writePageQuietly(tailPage, tail, PageFormat.PAGE_IDS);
                tailPage++;
                Arrays.fill(tail, null);
                tailCount = 0;
            }
        } else if (staleCount >= MAX_STALE_PAGES) {
            writeStale();
        }
    }

    /**
     * After {@code id}'s map record was replaced by {@link RecipientCodec#ERASED} (its page marked
     * stale first, by {@link #beforeUpdate}): writes its page anew from the map at once and
     * compacts the page's file, so that no frame of the file holds the old record any more.
     *
     * @throws IOException if the page or the compacted file cannot be written (the map is erased
     *     all the same; the page stays stale and is rebuilt, and its file compacted, at the next open)
     */
    public void erased(int id) throws IOException {
        int p = id >>> PageFormat.PAGE_SHIFT;
        int count;
        byte[][] recs;
        if (p == tailPage) {
            tail[id & (PageFormat.PAGE_IDS - 1)] = RecipientCodec.ERASED;
            count = tailCount;
            recs = tail;
        } else if (p < tailPage) {
            count = PageFormat.PAGE_IDS;
            recs = pageFromMap(p, count);
            if (stale.get(p)) {
                stale.clear(p);
                staleCount--;
            }
        } else {
            return; // beyond the tail: never paged
        }
        if (!writable) {
            throw new IOException("the pages of " + dir.toAbsolutePath() + " are not writable since an earlier failure");
        }
        writePage(p, recs, count);
        int index = p >>> (PageFormat.SEGMENT_SHIFT - PageFormat.PAGE_SHIFT);
        PageSegment s = segments[index];
        PageSegment c = s.compact();
        PageSegment[] copy = segments.clone();
        copy[index] = c;
        segments = copy;
    }

    /** Writes every stale page and the partial tail page, so that everything is read from the pages. */
    public void flush() {
        writeStale();
        writeTail();
    }

    private void writeStale() {
        for (int p = stale.nextSetBit(0); p >= 0; p = stale.nextSetBit(p + 1)) {
            writePageQuietly(p, pageFromMap(p, PageFormat.PAGE_IDS), PageFormat.PAGE_IDS);
        }
        stale.clear();
        staleCount = 0;
    }

    private void writeTail() {
        PageSegment s = segment(tailPage);
        if (tailCount > 0 && (s == null || s.count(tailPage & (PageFormat.SEGMENT_PAGES - 1)) != tailCount)) {
            writePageQuietly(tailPage, tail, tailCount);
        }
    }

    private void writePageQuietly(int p, byte[][] recs, int count) {
        if (!writable) {
            return;
        }
        try {
            writePage(p, recs, count);
        } catch (IOException | RuntimeException e) {
            writable = false;
            LOG.warn("recipient directory {}: could not write a page of the id-ordered records ({}); ids not yet "
                    + "written are read from the map until the next open rebuilds them", dir.toAbsolutePath(), e.toString());
        }
    }

    private void writePage(int p, byte[][] recs, int count) throws IOException {
        int index = p >>> (PageFormat.SEGMENT_SHIFT - PageFormat.PAGE_SHIFT);
        PageSegment s = segment(p);
        if (s == null) {
            s = PageSegment.create(dir, index << PageFormat.SEGMENT_SHIFT, cipher);
            PageSegment[] copy = Arrays.copyOf(segments, Math.max(segments.length, index + 1));
            copy[index] = s;
            segments = copy;
        }
        java.nio.ByteBuffer frame = PageFormat.encode(p << PageFormat.PAGE_SHIFT, recs, count, cipher);
        int bytes = frame.remaining();
        long at = s.append(frame);
        s.publish(p & (PageFormat.SEGMENT_PAGES - 1), at, count, bytes);
    }

    /** Writes what is pending ({@link #flush}), fsyncs and closes the files. */
    @Override
    public void close() throws IOException {
        flush();
        IOException failed = null;
        for (PageSegment s : segments) {
            if (s == null) {
                continue;
            }
            try {
                s.force();
                s.close();
            } catch (IOException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    private void closeQuietly() {
        closeAll(segments);
    }

    private static void closeAll(PageSegment[] segments) {
        for (PageSegment s : segments) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException e) {
                    LOG.warn("could not close {}: {}", s.file, e.toString());
                }
            }
        }
    }
}
