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
 * it allocates nothing and is linear in practice (worst case text × footer): an ASCII char that
 * cannot start the footer is skipped with one table look-up. A missing footer is
 * appended after {@link #separator()} (a line feed by default; 1 septet in GSM-7).
 *
 * <p>Immutable and thread-safe.
 */
public final class Footer {

    /** Chars below this take the table path: {@link #ASCII_LOWER} and {@link #ASCII_SPACE}. */
    private static final int ASCII = 128;
    /** {@link Character#toLowerCase(int)} of each ASCII char (ASCII maps to ASCII). */
    private static final byte[] ASCII_LOWER = new byte[ASCII];
    /** {@link #isSpace(int)} of each ASCII char. */
    private static final boolean[] ASCII_SPACE = new boolean[ASCII];

    static {
        for (int c = 0; c < ASCII; c++) {
            ASCII_LOWER[c] = (byte) Character.toLowerCase(c);
            ASCII_SPACE[c] = isSpace(c);
        }
    }

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
        if (key.length == 0) {
            return n > 0; // a footer of only non-breaking spaces: every start matches at once
        }
        int first = key[0];
        next:
        for (int start = 0; start < n; start++) {
            char c0 = message.charAt(start);
            if (c0 < ASCII && ASCII_LOWER[c0] != first) {
                continue; // the common case: this char cannot start the footer
            }
            int i = start;
            for (int k = 0; k < key.length; ) {
                if (i >= n) {
                    return false;
                }
                char c = message.charAt(i);
                int width;
                boolean space;
                int lower;
                if (c < ASCII) {
                    width = 1;
                    space = ASCII_SPACE[c];
                    lower = ASCII_LOWER[c];
                } else {
                    int cp = Character.codePointAt(message, i);
                    width = Character.charCount(cp);
                    space = isSpace(cp);
                    lower = Character.toLowerCase(cp);
                }
                if (k > 0 && space) {
                    i += width;
                } else if (lower == key[k]) {
                    i += width;
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
