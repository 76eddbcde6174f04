package dev.herald.suppression;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A suppression scope: the set of messages an opt-out applies to.
 *
 * <p>Written everywhere (CLI, API, configuration) as {@code global}, {@code sender:<id>},
 * {@code channel:<name>} or {@code category:<name>}. Names are case-insensitive and stored in
 * lower case; they are 1–64 characters of {@code [a-z0-9._-]} starting with a letter or digit.
 *
 * <pre>{@code
 * Scope s = Scope.parse("sender:acme");
 * List<Scope> applies = Scope.forMessage("acme", "sms", "marketing");
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public record Scope(Kind kind, String name) implements Comparable<Scope> {

    /** The kinds of scope, in the order they are listed. */
    public enum Kind {
        GLOBAL("global"), SENDER("sender"), CHANNEL("channel"), CATEGORY("category");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The lower-case word used before the colon. */
        public String label() {
            return label;
        }
    }

    /** Everything: an opt-out in this scope suppresses every marketing message. */
    public static final Scope GLOBAL = new Scope(Kind.GLOBAL, "");

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /**
     * @throws IllegalArgumentException if {@code kind} is null, a global scope has a name, or
     *     another scope's name is not 1–64 characters of {@code [a-z0-9._-]}
     */
    public Scope {
        if (kind == null) {
            throw new IllegalArgumentException("scope kind is missing");
        }
        if (kind == Kind.GLOBAL) {
            if (name != null && !name.isEmpty()) {
                throw new IllegalArgumentException("scope 'global' takes no name, got 'global:" + name + "'");
            }
            name = "";
        } else {
            String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
            if (!NAME.matcher(n).matches()) {
                throw new IllegalArgumentException("scope '" + kind.label + ":" + name
                        + "' has an invalid name: use 1-64 characters of a-z, 0-9, '.', '_', '-'");
            }
            name = n;
        }
    }

    /**
     * Parses {@code global}, {@code sender:<id>}, {@code channel:<name>} or {@code category:<name>}.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static Scope parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("scope is empty: expected global, sender:<id>, channel:<name> or category:<name>");
        }
        String t = text.trim();
        if (t.equalsIgnoreCase("global")) {
            return GLOBAL;
        }
        int colon = t.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("scope '" + text
                    + "' is not valid: expected global, sender:<id>, channel:<name> or category:<name>");
        }
        String kindText = t.substring(0, colon).toLowerCase(Locale.ROOT);
        for (Kind k : Kind.values()) {
            if (k != Kind.GLOBAL && k.label.equals(kindText)) {
                return new Scope(k, t.substring(colon + 1));
            }
        }
        throw new IllegalArgumentException("scope '" + text + "' has an unknown kind '" + kindText
                + "': expected global, sender, channel or category");
    }

    public static Scope sender(String id) {
        return new Scope(Kind.SENDER, id);
    }

    public static Scope channel(String name) {
        return new Scope(Kind.CHANNEL, name);
    }

    public static Scope category(String name) {
        return new Scope(Kind.CATEGORY, name);
    }

    /**
     * The scopes that apply to one message: always {@link #GLOBAL}, plus the sender, channel and
     * category that are given (null ones are left out).
     */
    public static List<Scope> forMessage(String sender, String channel, String category) {
        List<Scope> scopes = new ArrayList<>(4);
        scopes.add(GLOBAL);
        if (sender != null) {
            scopes.add(sender(sender));
        }
        if (channel != null) {
            scopes.add(channel(channel));
        }
        if (category != null) {
            scopes.add(category(category));
        }
        return List.copyOf(scopes);
    }

    /** A file-name-safe form, e.g. {@code sender~acme} ({@code ~} cannot occur in names). */
    public String fileStem() {
        return kind == Kind.GLOBAL ? "global" : kind.label + "~" + name;
    }

    @Override
    public int compareTo(Scope o) {
        int c = kind.compareTo(o.kind);
        return c != 0 ? c : name.compareTo(o.name);
    }

    /** The canonical text form, e.g. {@code global} or {@code sender:acme}. */
    @Override
    public String toString() {
        return kind == Kind.GLOBAL ? "global" : kind.label + ":" + name;
    }
}
