package dev.herald.dispatcher.render;

/**
 * How many SMS parts a text takes.
 *
 * <pre>{@code
 * int parts = Segments.count(text);                  // detects the encoding
 * int same  = Segments.count(text, Encoding.UCS_2);  // forced encoding
 * }</pre>
 *
 * <p>A text that fits {@link Encoding#singleLimit()} units is one part (an empty text too).
 * Longer texts are cut into parts of at most {@link Encoding#partLimit()} units, the way
 * handsets and SMSCs cut them: an extension-table character (ESC + char, 2 septets) and a UTF-16
 * surrogate pair (an emoji, 2 units) are never split over two parts, so such a character that
 * does not fit in the rest of a part starts the next one.
 *
 * <p>Stateless and thread-safe; allocation-free, one pass over the text.
 */
public final class Segments {

    private Segments() {
    }

    /**
     * @param text the message text
     * @return the number of parts, ≥ 1, in the encoding {@link Encoding#detect} chooses
     * @throws NullPointerException if {@code text} is null
     */
    public static int count(CharSequence text) {
        return count(text, Encoding.detect(text));
    }

    /**
     * @param text     the message text
     * @param encoding the encoding it will be sent in
     * @return the number of parts, ≥ 1
     * @throws IllegalArgumentException if {@code encoding} is GSM-7 but the text has a character
     *                                  GSM-7 cannot encode
     * @throws NullPointerException     if an argument is null
     */
    public static int count(CharSequence text, Encoding encoding) {
        int n = text.length();
        if (encoding == Encoding.UCS_2) {
            if (n <= Encoding.UCS_2.singleLimit()) {
                return 1;
            }
            int limit = Encoding.UCS_2.partLimit();
            int parts = 1;
            int used = 0;
            for (int i = 0; i < n; i++) {
                int width = Character.isHighSurrogate(text.charAt(i)) && i + 1 < n
                        && Character.isLowSurrogate(text.charAt(i + 1)) ? 2 : 1;
                if (used + width > limit) {
                    parts++;
                    used = 0;
                }
                used += width;
                i += width - 1;
            }
            return parts;
        }
        int total = 0;
        for (int i = 0; i < n; i++) {
            int s = Encoding.gsmSeptets(text.charAt(i));
            if (s == 0) {
                throw new IllegalArgumentException("character U+" + String.format("%04X", (int) text.charAt(i))
                        + " at index " + i + " is not in the GSM-7 alphabet");
            }
            total += s;
        }
        if (total <= Encoding.GSM_7.singleLimit()) {
            return 1;
        }
        int limit = Encoding.GSM_7.partLimit();
        int parts = 1;
        int used = 0;
        for (int i = 0; i < n; i++) {
            int s = Encoding.gsmSeptets(text.charAt(i));
            if (used + s > limit) {
                parts++;
                used = 0;
            }
            used += s;
        }
        return parts;
    }

    /**
     * The parts of a concatenated message, cut where {@link #count(CharSequence, Encoding)} counts
     * them: at most {@link Encoding#partLimit()} septets (an extension character is never cut from
     * its escape) or UTF-16 units (a surrogate pair is never cut) each.
     *
     * <pre>{@code
     * Segments.split("A".repeat(200), Encoding.GSM_7);   // ["AAA…" (153), "AAA…" (47)]
     * }</pre>
     *
     * @param text     the message text
     * @param encoding the encoding it will be sent in
     * @return {@code [text]} if it fits one SMS, else its {@link #count} parts in order
     * @throws IllegalArgumentException if {@code encoding} is GSM-7 but a character is not in it
     */
    public static java.util.List<String> split(CharSequence text, Encoding encoding) {
        int parts = count(text, encoding);
        if (parts == 1) {
            return java.util.List.of(text.toString());
        }
        java.util.List<String> out = new java.util.ArrayList<>(parts);
        int limit = encoding.partLimit();
        int start = 0;
        int used = 0;
        int n = text.length();
        for (int i = 0; i < n; ) {
            int width;
            int advance;
            if (encoding == Encoding.GSM_7) {
                width = Encoding.gsmSeptets(text.charAt(i));
                advance = 1;
            } else {
                width = Character.isHighSurrogate(text.charAt(i)) && i + 1 < n
                        && Character.isLowSurrogate(text.charAt(i + 1)) ? 2 : 1;
                advance = width;
            }
            if (used + width > limit) {
                out.add(text.subSequence(start, i).toString());
                start = i;
                used = 0;
            }
            used += width;
            i += advance;
        }
        out.add(text.subSequence(start, n).toString());
        if (out.size() != parts) {
            throw new IllegalStateException("cut into " + out.size() + " parts, counted " + parts);
        }
        return java.util.List.copyOf(out);
    }

    /**
     * @param text     the message text
     * @param encoding the encoding it will be sent in
     * @return its length in units of that encoding: septets for GSM-7 (extension characters count
     *     2), UTF-16 code units for UCS-2
     * @throws IllegalArgumentException if {@code encoding} is GSM-7 but a character is not in it
     */
    public static int units(CharSequence text, Encoding encoding) {
        if (encoding == Encoding.UCS_2) {
            return text.length();
        }
        int total = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            int s = Encoding.gsmSeptets(text.charAt(i));
            if (s == 0) {
                throw new IllegalArgumentException("character at index " + i + " is not in the GSM-7 alphabet");
            }
            total += s;
        }
        return total;
    }
}
