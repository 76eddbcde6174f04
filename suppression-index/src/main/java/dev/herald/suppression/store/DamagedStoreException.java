package dev.herald.suppression.store;

import dev.herald.suppression.CorruptIndexException;

import java.nio.file.Path;

/**
 * A stored log failed its checks at a known place: a complete frame whose checksum or length is
 * wrong, zero-filled bytes, or a header that is not this store's. The store is refused; nothing in
 * the file was changed.
 *
 * <p>A {@link CorruptIndexException}, so that everything that reports damage by name (the CLI's
 * exit code 3, the service's start-up error) treats it as such.
 *
 * <pre>{@code
 * catch (DamagedStoreException e) { log.error("{} is damaged at offset {}", e.file(), e.offset()); }
 * }</pre>
 */
public class DamagedStoreException extends CorruptIndexException {
    private static final long serialVersionUID = 1L;

    private final long offset;

    /**
     * @param file   the damaged file
     * @param offset the byte offset of the damaged frame (or header) in it
     * @param what   what is wrong, e.g. {@code "frame checksum does not match"}
     */
    public DamagedStoreException(Path file, long offset, String what) {
        super(file, "damaged at offset " + offset + ": " + what);
        this.offset = offset;
    }

    /** As {@link #DamagedStoreException(Path, long, String)}, with the underlying cause. */
    public DamagedStoreException(Path file, long offset, String what, Throwable cause) {
        super(file, "damaged at offset " + offset + ": " + what, cause);
        this.offset = offset;
    }

    /** The byte offset of the damage in {@link #file()}. */
    public long offset() {
        return offset;
    }
}
