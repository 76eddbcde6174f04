package dev.herald.throttle;

import java.time.ZoneId;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The send being checked against the caps: its channel, category, whether it is marketing, and
 * the recipients' time zone (calendar windows are in the recipient's local time).
 *
 * <p>The batch API takes one context per chunk: the dispatcher splits a chunk by zone anyway
 * (quiet hours), so each zone bucket is checked with its own context.
 *
 * <pre>{@code
 * CapContext ctx = CapContext.marketing("sms", "promo", ZoneId.of("Europe/Paris"));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param channel   channel name, 1–64 characters of {@code [a-z0-9._-]} (lower-cased)
 * @param category  category name, same syntax
 * @param marketing whether {@code marketing} scoped rules apply
 * @param zone      the recipients' time zone
 */
public record CapContext(String channel, String category, boolean marketing, ZoneId zone) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /**
     * @throws IllegalArgumentException if a name is malformed or the zone is null
     */
    public CapContext {
        channel = checkName("channel", channel);
        category = checkName("category", category);
        if (zone == null) {
            throw new IllegalArgumentException("cap context zone is missing");
        }
    }

    /**
     * @return a marketing send's context
     * @throws IllegalArgumentException as the constructor
     */
    public static CapContext marketing(String channel, String category, ZoneId zone) {
        return new CapContext(channel, category, true, zone);
    }

    /** @return the same send in another zone */
    public CapContext inZone(ZoneId other) {
        return new CapContext(channel, category, marketing, other);
    }

    private static String checkName(String what, String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!NAME.matcher(n).matches()) {
            throw new IllegalArgumentException("cap context " + what + " must be 1-64 characters of [a-z0-9._-], got '" + name + "'");
        }
        return n;
    }
}
