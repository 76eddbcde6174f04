package dev.herald.suppression;

import java.util.Locale;

/** Where a consent change came from: the evidence of how the recipient said it. */
public enum ConsentSource {
    /** A reply keyword such as STOP or START. */
    KEYWORD,
    /** The one-click unsubscribe link or the preference page. */
    LINK,
    /** A call of the HTTP API or the actor protocol. */
    API,
    /** A bulk import of a do-not-contact list. */
    IMPORT,
    /** A carrier's report (deactivated number, complaint, hard bounce). */
    CARRIER,
    /** An operator command ({@code herald suppression add|remove}). */
    OPERATOR;

    /** The lower-case word used in exports, e.g. {@code keyword}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a label case-insensitively.
     *
     * @throws IllegalArgumentException naming the text and the accepted words
     */
    public static ConsentSource parse(String text) {
        for (ConsentSource s : values()) {
            if (s.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown consent source '" + text
                + "': expected keyword, link, api, import, carrier or operator");
    }
}
