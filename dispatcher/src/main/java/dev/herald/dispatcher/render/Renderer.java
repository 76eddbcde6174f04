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
    /** Recipient id → its {@code unsubscribe_url}; null when the template does not use it. */
    private final java.util.function.IntFunction<String> unsubscribeUrl;
    /** The recipients' tracked links; null: each link is its URL. */
    private final Template.LinkUrls links;

    /**
     * @param template the campaign's template
     * @param footer   the sender's compliance footer, or null for none (transactional senders)
     * @throws NullPointerException if {@code template} is null
     */
    public Renderer(Template template, Footer footer) {
        this(template, footer, null, null);
    }

    private Renderer(Template template, Footer footer, java.util.function.IntFunction<String> unsubscribeUrl,
                     Template.LinkUrls links) {
        this.template = Objects.requireNonNull(template, "template");
        this.footer = footer;
        this.unsubscribeUrl = unsubscribeUrl;
        this.links = links;
    }

    /**
     * @param urls a recipient's tracked link for each of the template's links
     * @return this renderer, putting each recipient's tracked links in its message when the
     *     template has links (otherwise this renderer itself)
     */
    public Renderer withTrackedLinks(Template.LinkUrls urls) {
        return template.links().isEmpty() ? this
                : new Renderer(template, footer, unsubscribeUrl, Objects.requireNonNull(urls, "urls"));
    }

    /** The reserved field a recipient's unsubscribe link fills. */
    public static final String UNSUBSCRIBE_URL = "unsubscribe_url";

    /**
     * @param urls recipient id → its unsubscribe link
     * @return this renderer, filling {@code {{unsubscribe_url}}} from {@code urls} when the
     *     template uses it (otherwise this renderer itself: no per-message cost)
     */
    public Renderer withUnsubscribeUrls(java.util.function.IntFunction<String> urls) {
        return template.fields().contains(UNSUBSCRIBE_URL)
                ? new Renderer(template, footer, Objects.requireNonNull(urls, "urls"), links) : this;
    }

    /**
     * @param recipient whose fields fill the template
     * @param extra     per-message values (e.g. {@code unsubscribe_url}), may be empty
     * @return the final text with its encoding and part count
     * @throws TemplateException if a field has no value and no fallback
     */
    public RenderedMessage render(Recipient recipient, Map<String, String> extra) {
        if (unsubscribeUrl != null && !extra.containsKey(UNSUBSCRIBE_URL)) {
            extra = withUrl(extra, unsubscribeUrl.apply(recipient.id()));
        }
        StringBuilder b = buffer();
        template.renderTo(b, recipient, extra, links);
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
        if (unsubscribeUrl != null && !extra.containsKey(UNSUBSCRIBE_URL)) {
            extra = withUrl(extra, unsubscribeUrl.apply(recipient.id()));
        }
        StringBuilder b = buffer();
        template.renderTo(b, recipient, extra, links);
        return finish(b);
    }

    private static Map<String, String> withUrl(Map<String, String> extra, String url) {
        if (extra.isEmpty()) {
            return Map.of(UNSUBSCRIBE_URL, url);
        }
        Map<String, String> m = new java.util.HashMap<>(extra);
        m.put(UNSUBSCRIBE_URL, url);
        return m;
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
