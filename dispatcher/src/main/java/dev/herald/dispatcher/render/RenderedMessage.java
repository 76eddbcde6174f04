package dev.herald.dispatcher.render;

/**
 * A message ready for a connector: its final text, the encoding it needs and its part count.
 *
 * <p>{@code RenderedMessage m = renderer.render(recipient, Map.of()); bill(m.segments());}
 *
 * <p>Immutable and thread-safe.
 *
 * @param text     the final text, footer included
 * @param encoding {@link Encoding#detect} of the text
 * @param segments SMS parts, ≥ 1 ({@link Segments#count})
 */
public record RenderedMessage(String text, Encoding encoding, int segments) {

    /**
     * @param text the final text
     * @return the text with its detected encoding and part count
     * @throws NullPointerException if {@code text} is null
     */
    public static RenderedMessage of(String text) {
        // Encoding.detect and Segments.count in one pass for the common case, a single GSM-7 part.
        int septets = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            int s = Encoding.gsmSeptets(text.charAt(i));
            if (s == 0) {
                return new RenderedMessage(text, Encoding.UCS_2, Segments.count(text, Encoding.UCS_2));
            }
            septets += s;
        }
        return new RenderedMessage(text, Encoding.GSM_7,
                septets <= Encoding.GSM_7.singleLimit() ? 1 : Segments.count(text, Encoding.GSM_7));
    }
}
