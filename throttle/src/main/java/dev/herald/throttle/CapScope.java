package dev.herald.throttle;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The sends a {@link CapRule} counts and applies to: one channel, one category, or all marketing.
 *
 * <p>Written {@code channel:<name>}, {@code category:<name>} or {@code marketing}; names are
 * 1–64 characters of {@code [a-z0-9._-]}, case-insensitive, stored in lower case.
 *
 * <pre>{@code
 * CapScope sms = CapScope.parse("channel:sms");
 * boolean counts = sms.matches(CapContext.marketing("sms", "promo", zone));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param kind what is matched
 * @param name the channel or category name; empty for {@link Kind#MARKETING}
 */
public record CapScope(Kind kind, String name) {

    /** What a scope matches on. */
    public enum Kind { CHANNEL, CATEGORY, MARKETING }

    /** Every marketing send, whatever its channel or category. */
    public static final CapScope MARKETING = new CapScope(Kind.MARKETING, "");

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /**
     * @throws IllegalArgumentException if {@code kind} is null, or the name does not fit the kind
     */
    public CapScope {
        if (kind == null) {
            throw new IllegalArgumentException("cap scope kind is missing");
        }
        name = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (kind == Kind.MARKETING ? !name.isEmpty() : !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad cap scope name '" + name + "' for " + kind.name().toLowerCase(Locale.ROOT)
                    + " (1-64 characters of [a-z0-9._-], none for marketing)");
        }
    }

    /**
     * @param text {@code marketing}, {@code channel:<name>} or {@code category:<name>}
     * @return the scope
     * @throws IllegalArgumentException if the text is none of these
     */
    public static CapScope parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("marketing")) {
            return MARKETING;
        }
        int colon = t.indexOf(':');
        String prefix = colon < 0 ? t : t.substring(0, colon);
        String rest = colon < 0 ? "" : t.substring(colon + 1);
        return switch (prefix) {
            case "channel" -> new CapScope(Kind.CHANNEL, rest);
            case "category" -> new CapScope(Kind.CATEGORY, rest);
            default -> throw new IllegalArgumentException(
                    "cap scope must be 'marketing', 'channel:<name>' or 'category:<name>', got '" + text + "'");
        };
    }

    /**
     * @param ctx a send
     * @return whether this scope covers that send
     */
    public boolean matches(CapContext ctx) {
        return switch (kind) {
            case CHANNEL -> name.equals(ctx.channel());
            case CATEGORY -> name.equals(ctx.category());
            case MARKETING -> ctx.marketing();
        };
    }

    @Override
    public String toString() {
        return kind == Kind.MARKETING ? "marketing" : kind.name().toLowerCase(Locale.ROOT) + ":" + name;
    }
}
