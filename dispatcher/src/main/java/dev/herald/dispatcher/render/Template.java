package dev.herald.dispatcher.render;

import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientFields;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A parsed message template: literal text with <code>{{field}}</code> placeholders, each with an
 * optional fallback, <code>{{first_name|there}}</code>, used when the recipient has no such field.
 *
 * <pre>{@code
 * Template t = Template.parse("Hi {{first_name|there}}, 20% off today. {{unsubscribe_url}}");
 * t.validate(Set.of("first_name", "unsubscribe_url"));           // fails fast on typos
 * String text = t.render(recipient, Map.of("unsubscribe_url", url));
 * }</pre>
 *
 * <p><b>Syntax.</b> A field name is 1–64 characters of {@code [A-Za-z0-9_.-]} starting with a
 * letter or {@code _}; spaces around the name are allowed (<code>{{ first_name }}</code>). The fallback
 * is everything after the first {@code |} up to <code>}}</code>, verbatim (it may be empty). Every
 * <code>{{</code> starts a placeholder; there is no escape for a literal <code>{{</code>. A lone
 * <code>}}</code> outside a placeholder is literal text.
 *
 * <p><b>Values.</b> A field's value comes from {@code extra} first (per-message values such as
 * {@code unsubscribe_url}), then from {@link Recipient#fields()}, then from the fallback.
 *
 * <p><b>Links.</b> <code>{{link:https://example.com/sale}}</code> places a link: an absolute
 * {@code http} or {@code https} URL (anything else is refused naming it). Parsed with
 * {@code trackLinks}, every {@code http(s)} URL in the literal text is a link too (trailing
 * sentence punctuation is not part of it). Links are numbered from 0 in order of first appearance
 * ({@link #links()}; the same URL twice is one link); rendered with a {@link LinkUrls}, each
 * becomes that recipient's tracked link, otherwise the URL itself.
 *
 * <p>Immutable and thread-safe: parse once per campaign, render from any thread.
 */
public final class Template {

    /** Fields Herald fills in itself through {@code extra}, not from the directory. */
    public static final Set<String> RESERVED_FIELDS = Set.of("unsubscribe_url");

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");
    /** An http(s) URL in text: up to a space, a quote, an angle bracket or a brace. */
    private static final Pattern URL_IN_TEXT = Pattern.compile("(?i)\\bhttps?://[^\\s<>\"'{}|\\\\^`]+");
    /** A scheme that must never become a link (refused in text when links are tracked). */
    private static final Pattern UNSAFE_SCHEME = Pattern.compile(
            "(?i)\\b((javascript|vbscript):\\S|data:[\\w.+-]+/|file:/)");
    /** The prefix of a link placeholder. */
    public static final String LINK_PREFIX = "link:";
    /** {@link TemplateException#field()} of an error about a link (not an http(s) URL, an unsafe scheme). */
    public static final String LINK_ERROR = "link:";
    /** The longest URL a link may have. */
    public static final int MAX_URL = 2_048;

    /** A recipient's URL for a link: a tracked short link. */
    @FunctionalInterface
    public interface LinkUrls {
        /**
         * @param recipientId the recipient
         * @param link        the link's index in {@link #links()}
         * @return the URL to put in that recipient's message
         */
        String url(int recipientId, int link);
    }

    private final String source;
    /** Literal before placeholder i is literals[i]; literals has one more entry than fields. */
    private final String[] literals;
    private final String[] fields;
    private final String[] fallbacks;
    private final int[] positions;
    /** Per placeholder: its link's index, or -1 for a field. */
    private final int[] linkIndex;
    private final List<String> links;
    private final boolean trackLinks;
    private final int literalLength;
    private final List<String> fieldNames;

    private Template(String source, List<String> literals, List<String> fields, List<String> fallbacks,
                     List<Integer> positions, List<Integer> linkIndex, List<String> links, boolean trackLinks) {
        this.source = source;
        this.literals = literals.toArray(String[]::new);
        this.fields = fields.toArray(String[]::new);
        this.fallbacks = fallbacks.toArray(String[]::new);
        this.positions = positions.stream().mapToInt(Integer::intValue).toArray();
        this.linkIndex = linkIndex.stream().mapToInt(Integer::intValue).toArray();
        this.links = List.copyOf(links);
        this.trackLinks = trackLinks;
        this.literalLength = literals.stream().mapToInt(String::length).sum();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < this.fields.length; i++) {
            if (this.linkIndex[i] < 0) {
                names.add(this.fields[i]);
            }
        }
        this.fieldNames = List.copyOf(new LinkedHashSet<>(names));
    }

    /**
     * As {@link #parse(String, boolean)} without tracking the URLs of the text (a
     * <code>{{link:…}}</code> is still a link).
     */
    public static Template parse(String text) {
        return parse(text, false);
    }

    /**
     * @param text       the template text
     * @param trackLinks whether every {@code http(s)} URL of the literal text is a link too
     * @return the parsed template
     * @throws TemplateException    for an unclosed <code>{{</code>, an invalid field name, a link that
     *                              is not an absolute http(s) URL, or (tracking) a {@code javascript:},
     *                              {@code data:}, {@code vbscript:} or {@code file:} URL in the text;
     *                              with its position
     * @throws NullPointerException if {@code text} is null
     */
    public static Template parse(String text, boolean trackLinks) {
        Objects.requireNonNull(text, "template text");
        List<String> literals = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        List<String> fallbacks = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        List<Integer> linkIndex = new ArrayList<>();
        List<String> links = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int from = 0;
        while (true) {
            int open = text.indexOf("{{", from);
            int end = open < 0 ? text.length() : open;
            literalWithLinks(text, from, end, trackLinks, literal, literals, fields, fallbacks, positions, linkIndex, links);
            if (open < 0) {
                literals.add(literal.toString());
                break;
            }
            int close = text.indexOf("}}", open + 2);
            if (close < 0) {
                throw new TemplateException("unclosed '{{' at position " + open + ": expected '}}'", null, open);
            }
            String body = text.substring(open + 2, close);
            if (body.contains("{{")) {
                throw new TemplateException("unclosed '{{' at position " + open + ": another '{{' follows before '}}'",
                        null, open);
            }
            if (body.strip().startsWith(LINK_PREFIX)) {
                String url = body.strip().substring(LINK_PREFIX.length()).strip();
                checkLink(url, open);
                addLink(url, open, literal, literals, fields, fallbacks, positions, linkIndex, links);
                from = close + 2;
                continue;
            }
            int bar = body.indexOf('|');
            String name = (bar < 0 ? body : body.substring(0, bar)).strip();
            if (!NAME.matcher(name).matches()) {
                throw new TemplateException("invalid field name '" + name + "' at position " + open
                        + ": use 1-64 characters of A-Z, a-z, 0-9, '_', '.', '-' starting with a letter or '_'",
                        name, open);
            }
            literals.add(literal.toString());
            literal.setLength(0);
            fields.add(name);
            fallbacks.add(bar < 0 ? null : body.substring(bar + 1));
            positions.add(open);
            linkIndex.add(-1);
            from = close + 2;
        }
        return new Template(text, literals, fields, fallbacks, positions, linkIndex, links, trackLinks);
    }

    /** Appends {@code text[from, end)} to the current literal, each URL in it a link when tracking. */
    private static void literalWithLinks(String text, int from, int end, boolean track, StringBuilder literal,
                                         List<String> literals, List<String> fields, List<String> fallbacks,
                                         List<Integer> positions, List<Integer> linkIndex, List<String> links) {
        if (!track) {
            literal.append(text, from, end);
            return;
        }
        String part = text.substring(from, end);
        java.util.regex.Matcher unsafe = UNSAFE_SCHEME.matcher(part);
        if (unsafe.find()) {
            int at = from + unsafe.start();
            int stop = at;
            while (stop < end && !Character.isWhitespace(text.charAt(stop))) {
                stop++;
            }
            throw new TemplateException("'" + clip(text.substring(at, stop)) + "' at position " + at
                    + " is not an http(s) URL; only http and https links can be tracked", LINK_ERROR, at);
        }
        java.util.regex.Matcher m = URL_IN_TEXT.matcher(part);
        int last = 0;
        while (m.find()) {
            String url = trimTrailing(m.group());
            int at = from + m.start();
            if (m.end() == part.length() && url.length() == m.group().length() && end < text.length()) {
                // "https://x.example/?u={{first_name}}": the link would stop at '=' and every message
                // read "<short link>Ana", a dead link; one campaign URL cannot be personalised
                throw new TemplateException("the URL '" + clip(url) + "' at position " + at + " runs into a placeholder;"
                        + " a tracked link goes to one URL for everyone: leave the placeholder out of it, or do not"
                        + " track links", LINK_ERROR, at);
            }
            literal.append(part, last, m.start());
            checkLink(url, at);
            addLink(url, at, literal, literals, fields, fallbacks, positions, linkIndex, links);
            last = m.start() + url.length();
        }
        literal.append(part, last, part.length());
    }

    private static void addLink(String url, int at, StringBuilder literal, List<String> literals, List<String> fields,
                                List<String> fallbacks, List<Integer> positions, List<Integer> linkIndex, List<String> links) {
        int index = links.indexOf(url);
        if (index < 0) {
            index = links.size();
            links.add(url);
        }
        literals.add(literal.toString());
        literal.setLength(0);
        fields.add(LINK_PREFIX + index);
        fallbacks.add(url);
        positions.add(at);
        linkIndex.add(index);
    }

    /** A sentence's end is not part of a URL: "see https://x.com/sale." links to https://x.com/sale. */
    private static String trimTrailing(String url) {
        int n = url.length();
        while (n > 0) {
            char c = url.charAt(n - 1);
            if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' || c == '"'
                    || (c == ')' && url.lastIndexOf('(', n - 1) < 0) || (c == ']' && url.lastIndexOf('[', n - 1) < 0)) {
                n--;
            } else {
                break;
            }
        }
        return url.substring(0, n);
    }

    /** @throws TemplateException unless {@code url} is an absolute http(s) URL with a host, of at most {@link #MAX_URL} characters */
    private static void checkLink(String url, int at) {
        String why = null;
        if (url.isEmpty()) {
            why = "an empty link";
        } else if (url.length() > MAX_URL) {
            why = "a link longer than " + MAX_URL + " characters";
        } else {
            try {
                java.net.URI u = new java.net.URI(url);
                String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    why = "'" + clip(url) + "' is not an http(s) URL";
                } else if (u.getHost() == null || u.getHost().isEmpty()) {
                    why = "'" + clip(url) + "' has no host";
                }
            } catch (java.net.URISyntaxException e) {
                why = "'" + clip(url) + "' is not a valid URL (" + e.getReason() + ")";
            }
        }
        if (why != null) {
            throw new TemplateException(why + " at position " + at + "; a link must be an absolute http or https URL",
                    LINK_ERROR, at);
        }
    }

    private static String clip(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /**
     * Checks that every placeholder names a known field, so a typo is caught when the campaign is
     * created rather than when the first recipient is rendered. A fallback does not excuse an
     * unknown name: <code>{{frist_name|there}}</code> would otherwise always say "there".
     *
     * @param known the field names the directory and {@code extra} can supply
     * @throws TemplateException naming the first unknown field and its position
     */
    public void validate(Set<String> known) {
        for (int i = 0; i < fields.length; i++) {
            if (linkIndex[i] < 0 && !known.contains(fields[i])) {
                throw new TemplateException("unknown field '" + fields[i] + "' at position " + positions[i]
                        + "; known fields: " + String.join(", ", new TreeSet<>(known)), fields[i], positions[i]);
            }
        }
    }

    /** @return the distinct field names used, in order of first use (links are not fields) */
    public Set<String> fields() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(fieldNames));
    }

    /** @return the links' URLs, by index */
    public List<String> links() {
        return links;
    }

    /** @return whether the URLs of the literal text are links ({@link #parse(String, boolean)}) */
    public boolean tracksLinks() {
        return trackLinks;
    }

    /** @return {@link #fields()} as a list: what to ask {@link dev.herald.suppression.RecipientDirectory#fields} for */
    public List<String> fieldNames() {
        return fieldNames;
    }

    /** @return the template text as given to {@link #parse} */
    public String source() {
        return source;
    }

    /**
     * @param recipient whose fields fill the placeholders
     * @param extra     per-message values, taking precedence over the recipient's fields; may be empty
     * @return the rendered text
     * @throws TemplateException if a field has no value and no fallback, naming field, position and recipient
     */
    public String render(Recipient recipient, Map<String, String> extra) {
        StringBuilder out = new StringBuilder(literalLength + 16 * fields.length);
        renderTo(out, recipient, extra);
        return out.toString();
    }

    /**
     * As {@link #renderTo(StringBuilder, RecipientFields, Map)}, each link as {@code urls} gives it.
     *
     * @param urls the recipient's links, or null for the URLs themselves
     */
    public StringBuilder renderTo(StringBuilder out, RecipientFields recipient, Map<String, String> extra, LinkUrls urls) {
        return renderTo(out, recipient.id(), recipient.fields(), extra, urls);
    }

    /** As {@link #renderTo(StringBuilder, Recipient, Map)}, each link as {@code urls} gives it (null: the URL). */
    public StringBuilder renderTo(StringBuilder out, Recipient recipient, Map<String, String> extra, LinkUrls urls) {
        return renderTo(out, recipient.id(), recipient.fields(), extra, urls);
    }

    /**
     * Appends the rendered text to {@code out}: lets a hot loop reuse one builder per thread.
     *
     * @param out       where to append
     * @param recipient whose fields fill the placeholders
     * @param extra     per-message values, taking precedence over the recipient's fields
     * @return {@code out}
     * @throws TemplateException if a field has no value and no fallback; {@code out} then holds a
     *                           partial text
     */
    public StringBuilder renderTo(StringBuilder out, Recipient recipient, Map<String, String> extra) {
        return renderTo(out, recipient.id(), recipient.fields(), extra, null);
    }

    /**
     * As {@link #renderTo(StringBuilder, Recipient, Map)}, from the fields read with
     * {@link dev.herald.suppression.RecipientDirectory#fields} (ask for {@link #fields()}).
     *
     * @param out       where to append
     * @param recipient the number and the fields this template names
     * @param extra     per-message values, taking precedence over the recipient's fields
     * @return {@code out}
     * @throws TemplateException as {@link #renderTo(StringBuilder, Recipient, Map)}
     */
    public StringBuilder renderTo(StringBuilder out, RecipientFields recipient, Map<String, String> extra) {
        return renderTo(out, recipient.id(), recipient.fields(), extra, null);
    }

    private StringBuilder renderTo(StringBuilder out, int recipientId, Map<String, String> own, Map<String, String> extra,
                                   LinkUrls urls) {
        for (int i = 0; i < fields.length; i++) {
            out.append(literals[i]);
            if (linkIndex[i] >= 0) {
                out.append(urls == null ? fallbacks[i] : urls.url(recipientId, linkIndex[i]));
                continue;
            }
            String value = extra.get(fields[i]);
            if (value == null) {
                value = own.get(fields[i]);
            }
            if (value == null) {
                value = fallbacks[i];
            }
            if (value == null) {
                throw new TemplateException("recipient " + recipientId + " has no value for field '" + fields[i]
                        + "' (position " + positions[i] + ") and the placeholder has no fallback", fields[i], positions[i]);
            }
            out.append(value);
        }
        return out.append(literals[fields.length]);
    }

    @Override
    public String toString() {
        return "Template[" + source + "]";
    }
}
