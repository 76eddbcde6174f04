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
        Encoding e = Encoding.detect(text);
        return new RenderedMessage(text, e, Segments.count(text, e));
    }
}
