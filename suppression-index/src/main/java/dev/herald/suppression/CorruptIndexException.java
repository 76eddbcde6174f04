package dev.herald.suppression;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Stored suppression data failed its checks (checksum, length, structure) and was refused rather
 * than loaded as garbage. The message names the file and what is wrong with it.
 */
public class CorruptIndexException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public CorruptIndexException(Path file, String what) {
        super(file + ": " + what);
        this.file = file;
    }

    public CorruptIndexException(Path file, String what, Throwable cause) {
        super(file + ": " + what, cause);
        this.file = file;
    }

    /** The file that failed its checks. */
    public Path file() {
        return file;
    }
}
