package dev.herald.suppression.internal;

/**
 * A reader's reusable buffers for records read from {@link RecordPages}, so that reading many ids
 * allocates no buffer per id: the record of the last read is {@code buffer()[from(), from() + n)}.
 * In an encrypted directory it also keeps the last page it opened (decrypted), so a sequential
 * read of a chunk opens each page once.
 *
 * <p>{@code RecordScratch s = new RecordScratch(); int n = pages.read(id, s); decode(s.buffer(), s.from(), s.from() + n);}
 *
 * <p>Holds recipients' plain data while it lives: keep it no longer than the reading. Not
 * thread-safe: one per reading thread (or per batch).
 */
public final class RecordScratch {
    private byte[] bytes = new byte[256];
    /** The array and offset of the last record read. */
    private byte[] buffer = bytes;
    private int from;
    /** The opened page: its segment, slot value (frame offset and count) and plain bytes. */
    PageSegment pageSegment;
    long pageSlot;
    /** First id of the opened page. */
    int pageFirst = -1;
    byte[] page = new byte[0];
    /** The last page read from the map, by a reader that reads single ids (see {@link RecipientStore}). */
    int lastMapPage = -1;

    /** @return the copy buffer, at least {@code n} bytes long (grown, contents dropped, if it was shorter); made current */
    byte[] ensure(int n) {
        if (bytes.length < n) {
            bytes = new byte[Math.max(n, bytes.length * 2)];
        }
        buffer = bytes;
        from = 0;
        return bytes;
    }

    /** Makes {@code page[at ..]} the last record read. */
    void inPage(int at) {
        buffer = page;
        from = at;
    }

    /** @return the page buffer, at least {@code n} bytes long (contents dropped if grown) */
    byte[] ensurePage(int n) {
        if (page.length < n) {
            page = new byte[Math.max(n, page.length * 2)];
            pageSegment = null;
        }
        return page;
    }

    /** @return whether the opened page is the one of {@code id} (possibly superseded since) */
    boolean holdsPageOf(int id) {
        return pageSegment != null && pageFirst == (id & -PageFormat.PAGE_IDS);
    }

    /** Forgets the opened page. */
    void dropPage() {
        pageSegment = null;
    }

    /** @return the array holding the last record read */
    public byte[] buffer() {
        return buffer;
    }

    /** @return where the last record read starts in {@link #buffer()} */
    public int from() {
        return from;
    }
}
