package dev.herald.suppression;

import java.nio.file.Path;

/**
 * A recipient directory refused to open (or to rotate its master key) because the master key
 * given does not fit its {@code directory.keys}: a different key, no key for an encrypted
 * directory, or a key for a directory that holds unencrypted recipients. Nothing was changed.
 *
 * <p>The message names the key file and the fingerprints involved, never a key. Immutable.
 */
public final class WrongMasterKeyException extends IllegalStateException {

    /** Why the key does not fit. */
    public enum Reason {
        /** A master key was given, but it is not the one the data keys are wrapped under. */
        WRONG_KEY,
        /** The directory is encrypted and no master key was given. */
        KEY_REQUIRED,
        /** A master key was given for a directory that holds unencrypted recipients. */
        NOT_ENCRYPTED
    }

    private final transient Path keyFile;
    private final Reason reason;

    /**
     * @param keyFile the directory's key file
     * @param reason  why
     * @param message the whole message (names the file)
     */
    public WrongMasterKeyException(Path keyFile, Reason reason, String message) {
        super(message);
        this.keyFile = keyFile;
        this.reason = reason;
    }

    /** @return the directory's key file ({@code directory.keys}) */
    public Path keyFile() {
        return keyFile;
    }

    /** @return why the key does not fit */
    public Reason reason() {
        return reason;
    }
}
