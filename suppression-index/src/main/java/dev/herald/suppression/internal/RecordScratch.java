package dev.herald.suppression.internal;

/**
 * A reader's reusable buffer for one record read from {@link RecordPages}, so that reading many
 * ids allocates no buffer per id.
 *
 * <p>{@code RecordScratch s = new RecordScratch(); int n = pages.read(id, s); decode(s.bytes(), 0, n);}
 *
 * <p>Not thread-safe: one per reading thread (or per batch).
 */
public final class RecordScratch {
    private byte[] bytes = new byte[256];

    /** @return the buffer, at least {@code n} bytes long (grown, contents dropped, if it was shorter) */
    byte[] ensure(int n) {
        if (bytes.length < n) {
            bytes = new byte[Math.max(n, bytes.length * 2)];
        }
        return bytes;
    }

    /** @return the buffer the last read filled */
    public byte[] bytes() {
        return bytes;
    }
}
