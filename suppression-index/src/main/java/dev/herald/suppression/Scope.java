package dev.herald.suppression;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A suppression scope: the set of messages an opt-out applies to.
 *
 * <p>Written everywhere (CLI, API, configuration) as {@code global}, {@code sender:<id>},
 * {@code channel:<name>}, {@code category:<name>} or {@code sender-channel:<id>/<channel>} (one
 * sender on one channel: a STOP that covers only the channel it came through). Names are
 * case-insensitive and stored in lower case; they are 1–64 characters of {@code [a-z0-9._-]}
 * starting with a letter or digit ({@code sender-channel} names: two of them joined by {@code /}).
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
        GLOBAL("global"), SENDER("sender"), CHANNEL("channel"), CATEGORY("category"),
        /** One sender on one channel; added last, as the ordinal is stored in the log. */
        SENDER_CHANNEL("sender-channel");

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

    private static final String EXPECTED =
            "expected global, sender:<id>, channel:<name>, category:<name> or sender-channel:<id>/<channel>";

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
            if (kind == Kind.SENDER_CHANNEL) {
                int slash = n.indexOf('/');
                if (slash < 0 || !NAME.matcher(n.substring(0, slash)).matches()
                        || !NAME.matcher(n.substring(slash + 1)).matches()) {
                    throw new IllegalArgumentException("scope 'sender-channel:" + name
                            + "' has an invalid name: use <sender>/<channel>, each 1-64 characters of a-z, 0-9, '.', '_', '-'");
                }
            } else if (!NAME.matcher(n).matches()) {
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
            throw new IllegalArgumentException("scope is empty: " + EXPECTED);
        }
        String t = text.trim();
        if (t.equalsIgnoreCase("global")) {
            return GLOBAL;
        }
        int colon = t.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("scope '" + text + "' is not valid: " + EXPECTED);
        }
        String kindText = t.substring(0, colon).toLowerCase(Locale.ROOT);
        for (Kind k : Kind.values()) {
            if (k != Kind.GLOBAL && k.label.equals(kindText)) {
                return new Scope(k, t.substring(colon + 1));
            }
        }
        throw new IllegalArgumentException("scope '" + text + "' has an unknown kind '" + kindText
                + "': expected global, sender, channel, category or sender-channel");
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

    /** One sender on one channel, {@code sender-channel:<sender>/<channel>}. */
    public static Scope senderChannel(String sender, String channel) {
        return new Scope(Kind.SENDER_CHANNEL, sender + "/" + channel);
    }

    /**
     * The scopes that apply to one message: always {@link #GLOBAL}, plus the sender, channel and
     * category that are given (null ones are left out), and the sender on that channel when both
     * are given.
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
        if (sender != null && channel != null) {
            scopes.add(senderChannel(sender, channel));
        }
        return List.copyOf(scopes);
    }

    /** A file-name-safe form, e.g. {@code sender~acme} ({@code ~} cannot occur in names; {@code /} becomes {@code ~}). */
    public String fileStem() {
        return kind == Kind.GLOBAL ? "global" : kind.label + "~" + name.replace('/', '~');
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
