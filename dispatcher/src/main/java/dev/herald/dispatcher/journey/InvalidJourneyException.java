package dev.herald.dispatcher.journey;

/**
 * A journey definition that cannot be taken: the message says what is wrong, {@link #field()} where
 * ({@code steps[remind].template}, {@code entry.event}).
 */
public final class InvalidJourneyException extends IllegalArgumentException {

    private final String field;

    /**
     * @param message what is wrong
     * @param field   where, or null for the whole definition
     */
    public InvalidJourneyException(String message, String field) {
        super(message);
        this.field = field;
    }

    /** @return where it is wrong, or null */
    public String field() {
        return field;
    }
}
