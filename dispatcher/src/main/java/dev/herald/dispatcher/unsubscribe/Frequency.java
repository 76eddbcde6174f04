package dev.herald.dispatcher.unsubscribe;

import java.util.Locale;
import java.util.Optional;

/**
 * How often a recipient accepts marketing messages, chosen on the preference page:
 * {@code as-sent}, {@code weekly} (at most one per calendar week in their local time) or
 * {@code monthly} (at most one per calendar month).
 */
public enum Frequency {
    AS_SENT("as-sent", "As sent"),
    WEEKLY("weekly", "At most weekly"),
    MONTHLY("monthly", "At most monthly");

    private final String wire;
    private final String label;

    Frequency(String wire, String label) {
        this.wire = wire;
        this.label = label;
    }

    /** @return the name in the API, the form and the log: {@code as-sent}, {@code weekly}, {@code monthly} */
    public String wire() {
        return wire;
    }

    /** @return the page's wording */
    public String label() {
        return label;
    }

    /** @return the frequency whose {@link #wire()} is {@code text}, empty if none */
    public static Optional<Frequency> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (Frequency f : values()) {
            if (f.wire.equals(t)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
