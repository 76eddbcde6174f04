package dev.herald.dispatcher.segment;

import java.io.IOException;

/**
 * A segment's stored files (its meta or its bitmap) failed their checks or could not be read: that
 * segment cannot be used until it is stored again (or deleted); the others are unaffected. The
 * message names the file relative to the data directory ({@code segments/vip.json}) and what is
 * wrong, so it can be shown to API callers without revealing server paths.
 *
 * <p>{@code catch (DamagedSegmentException e) { answer409(e.segment(), e.getMessage()); }}
 */
public final class DamagedSegmentException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String segment;

    /**
     * @param segment the segment's name
     * @param message the file (relative to the data directory) and what is wrong
     * @param cause   the underlying failure
     */
    public DamagedSegmentException(String segment, String message, Throwable cause) {
        super(message, cause);
        this.segment = segment;
    }

    /** @return the damaged segment's name */
    public String segment() {
        return segment;
    }
}
