package dev.herald.dispatcher.render;

/**
 * A message template that cannot be parsed, names an unknown field, or lacks a value for a field
 * while rendering. The message names the field (when there is one) and its position.
 *
 * <p>{@code catch (TemplateException e) { reject(e.getMessage(), e.field(), e.position()); }}
 *
 * <p>Immutable and thread-safe.
 */
public final class TemplateException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The field concerned, or null for a syntax error. */
    private final String field;
    /** Zero-based char index in the template text. */
    private final int position;

    /**
     * @param message  what is wrong, for people
     * @param field    the field concerned, or null when the error is syntactic
     * @param position zero-based char index in the template text where the problem starts
     */
    public TemplateException(String message, String field, int position) {
        super(message);
        this.field = field;
        this.position = position;
    }

    /** @return the field concerned, or null for a syntax error */
    public String field() {
        return field;
    }

    /** @return zero-based char index in the template text */
    public int position() {
        return position;
    }
}
