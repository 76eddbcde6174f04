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
 * <p>Immutable and thread-safe: parse once per campaign, render from any thread.
 */
public final class Template {

    /** Fields Herald fills in itself through {@code extra}, not from the directory. */
    public static final Set<String> RESERVED_FIELDS = Set.of("unsubscribe_url");

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

    private final String source;
    /** Literal before placeholder i is literals[i]; literals has one more entry than fields. */
    private final String[] literals;
    private final String[] fields;
    private final String[] fallbacks;
    private final int[] positions;
    private final int literalLength;
    private final List<String> fieldNames;

    private Template(String source, List<String> literals, List<String> fields, List<String> fallbacks,
                     List<Integer> positions) {
        this.source = source;
        this.literals = literals.toArray(String[]::new);
        this.fields = fields.toArray(String[]::new);
        this.fallbacks = fallbacks.toArray(String[]::new);
        this.positions = positions.stream().mapToInt(Integer::intValue).toArray();
        this.literalLength = literals.stream().mapToInt(String::length).sum();
        this.fieldNames = List.copyOf(new LinkedHashSet<>(fields));
    }

    /**
     * @param text the template text
     * @return the parsed template
     * @throws TemplateException    for an unclosed <code>{{</code> or an invalid field name, with its position
     * @throws NullPointerException if {@code text} is null
     */
    public static Template parse(String text) {
        Objects.requireNonNull(text, "template text");
        List<String> literals = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        List<String> fallbacks = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        int from = 0;
        while (true) {
            int open = text.indexOf("{{", from);
            if (open < 0) {
                literals.add(text.substring(from));
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
            int bar = body.indexOf('|');
            String name = (bar < 0 ? body : body.substring(0, bar)).strip();
            if (!NAME.matcher(name).matches()) {
                throw new TemplateException("invalid field name '" + name + "' at position " + open
                        + ": use 1-64 characters of A-Z, a-z, 0-9, '_', '.', '-' starting with a letter or '_'",
                        name, open);
            }
            literals.add(text.substring(from, open));
            fields.add(name);
            fallbacks.add(bar < 0 ? null : body.substring(bar + 1));
            positions.add(open);
            from = close + 2;
        }
        return new Template(text, literals, fields, fallbacks, positions);
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
            if (!known.contains(fields[i])) {
                throw new TemplateException("unknown field '" + fields[i] + "' at position " + positions[i]
                        + "; known fields: " + String.join(", ", new TreeSet<>(known)), fields[i], positions[i]);
            }
        }
    }

    /** @return the distinct field names used, in order of first use */
    public Set<String> fields() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(fields)));
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
        return renderTo(out, recipient.id(), recipient.fields(), extra);
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
        return renderTo(out, recipient.id(), recipient.fields(), extra);
    }

    private StringBuilder renderTo(StringBuilder out, int recipientId, Map<String, String> own, Map<String, String> extra) {
        for (int i = 0; i < fields.length; i++) {
            out.append(literals[i]);
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
