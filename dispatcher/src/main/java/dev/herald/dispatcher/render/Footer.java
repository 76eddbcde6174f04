package dev.herald.dispatcher.render;

import java.util.Objects;

/**
 * A sender's compliance footer ("Reply STOP to opt out", "回T退订"), appended to a message
 * that does not already carry it.
 *
 * <pre>{@code
 * Footer f = Footer.of("Reply STOP to opt out");
 * f.applyTo("Sale today!");                        // "Sale today!\nReply STOP to opt out"
 * f.applyTo("Sale today! REPLY  STOP TO OPT OUT");  // unchanged: case and whitespace are ignored
 * }</pre>
 *
 * <p>The check is case-insensitive (per code point, {@link Character#toLowerCase(int)}) and ignores
 * all whitespace, so line breaks or double spaces in the text do not hide a footer that is there;
 * it allocates nothing and is linear in practice (worst case text × footer). A missing footer is
 * appended after {@link #separator()} (a line feed by default; 1 septet in GSM-7).
 *
 * <p>Immutable and thread-safe.
 */
public final class Footer {

    private final String text;
    private final String separator;
    /** The footer's code points, lower-cased, whitespace removed. */
    private final int[] key;

    private Footer(String text, String separator) {
        this.text = text;
        this.separator = separator;
        this.key = text.codePoints().filter(cp -> !isSpace(cp)).map(Character::toLowerCase).toArray();
    }

    /**
     * @param text the footer, e.g. {@code Reply STOP to opt out}
     * @return a footer appended after a line feed
     * @throws IllegalArgumentException if {@code text} is null or blank
     */
    public static Footer of(String text) {
        return of(text, "\n");
    }

    /**
     * @param text      the footer
     * @param separator put between the message and an appended footer, e.g. {@code " "}
     * @return the footer
     * @throws IllegalArgumentException if {@code text} is null or blank, or {@code separator} null
     */
    public static Footer of(String text, String separator) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("compliance footer is empty");
        }
        if (separator == null) {
            throw new IllegalArgumentException("footer separator is null");
        }
        return new Footer(text.strip(), separator);
    }

    /**
     * @param message the rendered message
     * @return {@code message} if it already contains the footer, else message + separator + footer
     * @throws NullPointerException if {@code message} is null
     */
    public String applyTo(String message) {
        Objects.requireNonNull(message, "message");
        return contains(message) ? message : message + separator + text;
    }

    /**
     * @param message the rendered message
     * @return whether it contains the footer, ignoring case and whitespace
     */
    public boolean contains(CharSequence message) {
        int n = message.length();
        next:
        for (int start = 0; start < n; start++) {
            int i = start;
            for (int k = 0; k < key.length; ) {
                if (i >= n) {
                    return false;
                }
                int cp = Character.codePointAt(message, i);
                if (isSpace(cp) && k > 0) {
                    i += Character.charCount(cp);
                } else if (Character.toLowerCase(cp) == key[k]) {
                    i += Character.charCount(cp);
                    k++;
                } else {
                    continue next;
                }
            }
            return true;
        }
        return false;
    }

    /** @return the footer text */
    public String text() {
        return text;
    }

    /** @return what goes between a message and an appended footer */
    public String separator() {
        return separator;
    }

    private static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    @Override
    public String toString() {
        return "Footer[" + text + "]";
    }
}
