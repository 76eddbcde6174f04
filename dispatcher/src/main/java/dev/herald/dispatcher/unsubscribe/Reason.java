package dev.herald.dispatcher.unsubscribe;

import java.util.Optional;

/** Why a recipient unsubscribed, as offered on the page and written to {@code reasons.jsonl}. */
public enum Reason {
    TOO_FREQUENT("too-frequent", "Too frequent"),
    NOT_RELEVANT("not-relevant", "Not relevant to me"),
    NEVER_SIGNED_UP("never-signed-up", "I never signed up"),
    OTHER("other", "Other");

    private final String wire;
    private final String label;

    Reason(String wire, String label) {
        this.wire = wire;
        this.label = label;
    }

    /** @return the form value and the log's {@code reason} */
    public String wire() {
        return wire;
    }

    /** @return the page's wording */
    public String label() {
        return label;
    }

    /** @return the reason whose {@link #wire()} is exactly {@code text}, empty if none */
    public static Optional<Reason> parse(String text) {
        for (Reason r : values()) {
            if (r.wire.equals(text)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
