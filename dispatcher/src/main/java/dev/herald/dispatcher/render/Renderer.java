package dev.herald.dispatcher.render;

import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientFields;

import java.util.Map;
import java.util.Objects;

/**
 * The render step of a campaign: template, personal fields, compliance footer, encoding and
 * part count, in one call per recipient.
 *
 * <pre>{@code
 * Renderer r = new Renderer(Template.parse("Hi {{first_name|there}}!"), Footer.of("Reply STOP to opt out"));
 * RenderedMessage m = r.render(recipient, Map.of());   // "Hi Ana!\nReply STOP to opt out", GSM_7, 1
 * }</pre>
 *
 * <p>Immutable and thread-safe. Each thread reuses its own {@link StringBuilder}, so rendering
 * allocates only the result.
 */
public final class Renderer {

    private static final int MAX_KEPT_CAPACITY = 4096;
    private static final ThreadLocal<StringBuilder> BUFFER = ThreadLocal.withInitial(() -> new StringBuilder(256));

    private final Template template;
    private final Footer footer;

    /**
     * @param template the campaign's template
     * @param footer   the sender's compliance footer, or null for none (transactional senders)
     * @throws NullPointerException if {@code template} is null
     */
    public Renderer(Template template, Footer footer) {
        this.template = Objects.requireNonNull(template, "template");
        this.footer = footer;
    }

    /**
     * @param recipient whose fields fill the template
     * @param extra     per-message values (e.g. {@code unsubscribe_url}), may be empty
     * @return the final text with its encoding and part count
     * @throws TemplateException if a field has no value and no fallback
     */
    public RenderedMessage render(Recipient recipient, Map<String, String> extra) {
        StringBuilder b = buffer();
        template.renderTo(b, recipient, extra);
        return finish(b);
    }

    /**
     * As {@link #render(Recipient, Map)}, from the fields read with
     * {@link dev.herald.suppression.RecipientDirectory#fields}{@code (id, template().fieldNames())}:
     * the same message, without decoding the rest of the recipient's record.
     *
     * @param recipient the number and the fields the template names
     * @param extra     per-message values (e.g. {@code unsubscribe_url}), may be empty
     * @return the final text with its encoding and part count
     * @throws TemplateException if a field has no value and no fallback
     */
    public RenderedMessage render(RecipientFields recipient, Map<String, String> extra) {
        StringBuilder b = buffer();
        template.renderTo(b, recipient, extra);
        return finish(b);
    }

    private static StringBuilder buffer() {
        StringBuilder b = BUFFER.get();
        if (b.capacity() > MAX_KEPT_CAPACITY) {
            b = new StringBuilder(256);
            BUFFER.set(b);
        }
        b.setLength(0);
        return b;
    }

    private RenderedMessage finish(StringBuilder b) {
        // As footer.applyTo(text), without the intermediate string.
        if (footer != null && !footer.contains(b)) {
            b.append(footer.separator()).append(footer.text());
        }
        return RenderedMessage.of(b.toString());
    }

    /** @return the template */
    public Template template() {
        return template;
    }
}
