package dev.herald.throttle;

import java.util.Locale;

/**
 * What a {@link CapRule} hit does to the send: written {@code drop} or {@code defer} in configuration.
 *
 * <p>{@code CapAction a = CapAction.parse("defer");}
 *
 * <p>Immutable and thread-safe.
 */
public enum CapAction {
    /** The send is not made; the recipient's outcome is {@code capped:<rule>}. */
    DROP,
    /** The send waits until the rule's window frees (see {@link ReservationBatch#deferredUntil(int)}). */
    DEFER;

    /**
     * @param text {@code drop} or {@code defer}, any case
     * @return the action
     * @throws IllegalArgumentException if {@code text} is neither
     */
    public static CapAction parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "drop" -> DROP;
            case "defer" -> DEFER;
            default -> throw new IllegalArgumentException("cap action must be 'drop' or 'defer', got '" + text + "'");
        };
    }
}
