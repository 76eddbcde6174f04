package dev.herald.suppression;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A stored file failed its checks (checksum, length, header, syntax) and the store that owns it
 * was refused rather than loaded as garbage. The message names the file, the byte offset where
 * the damage was found (when one is known) and what is wrong.
 *
 * <pre>{@code
 * throw new DamagedFileException(file, 4096, "page checksum mismatch");
 * // → "/data/send-ledger/slots-00000.bin at offset 4096: page checksum mismatch"
 * }</pre>
 *
 * <p>Immutable.
 */
public final class DamagedFileException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The offset given when the damage is not at one place (a whole file that cannot be read). */
    public static final long NO_OFFSET = -1;

    private final transient Path file;
    private final long offset;

    /**
     * @param file   the damaged file
     * @param offset byte offset of the damage, or {@link #NO_OFFSET}
     * @param what   what is wrong, for people
     */
    public DamagedFileException(Path file, long offset, String what) {
        this(file, offset, what, null);
    }

    /**
     * @param file   the damaged file
     * @param offset byte offset of the damage, or {@link #NO_OFFSET}
     * @param what   what is wrong, for people
     * @param cause  the failure that revealed it, or null
     */
    public DamagedFileException(Path file, long offset, String what, Throwable cause) {
        super(file + (offset >= 0 ? " at offset " + offset : "") + ": " + what, cause);
        this.file = file;
        this.offset = offset;
    }

    /** @return the damaged file */
    public Path file() {
        return file;
    }

    /** @return the byte offset of the damage, or {@link #NO_OFFSET} */
    public long offset() {
        return offset;
    }
}
