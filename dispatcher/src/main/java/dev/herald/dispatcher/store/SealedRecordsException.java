package dev.herald.dispatcher.store;

import java.nio.file.Path;

/**
 * A store holds records sealed under the recipient directory's data key (the data directory was
 * served with a master key) and was read without one: nothing sealed is answered, and nothing is
 * guessed from it. Set the same master key ({@code HERALD_MASTER_KEY}, {@code HERALD_MASTER_KEY_FILE},
 * {@code herald.data.master-key} or {@code --master-key-file}) to read it.
 *
 * <p>{@code throw new SealedRecordsException(file, offset, "sealed messages");}
 */
public final class SealedRecordsException extends IllegalStateException {

    private final transient Path file;
    private final long offset;

    /**
     * @param file   the file read
     * @param offset where its first sealed record starts, in bytes
     * @param what   what is sealed there (e.g. "sealed messages")
     */
    public SealedRecordsException(Path file, long offset, String what) {
        super(file + " holds " + what + " (first at offset " + offset + ") and no master key is set: they are encrypted"
                + " under the recipient directory's data key; set the master key the data directory is served with"
                + " (HERALD_MASTER_KEY, HERALD_MASTER_KEY_FILE, herald.data.master-key or --master-key-file) to read them");
        this.file = file;
        this.offset = offset;
    }

    /** @return the file read */
    public Path file() {
        return file;
    }

    /** @return where its first sealed record starts */
    public long offset() {
        return offset;
    }
}
