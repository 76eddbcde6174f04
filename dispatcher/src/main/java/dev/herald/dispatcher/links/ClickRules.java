package dev.herald.dispatcher.links;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How a click on a tracked link is classed, as {@code herald.links.classify} configures it (every
 * key documented in {@code herald-links.conf}).
 *
 * <pre>{@code
 * ClickRules rules = ClickRules.fromConfig(config.getConfig("herald.links.classify"));
 * rules.classify("Mozilla/5.0 (iPhone; ...) Safari/604.1", false, 40_000);   // HUMAN
 * rules.classify("... facebookexternalhit/1.1 Facebot Twitterbot/1.0", false, 3_000);  // PREVIEW
 * }</pre>
 *
 * <p>In this order: a user agent containing one of {@link #previews()} is a {@link ClickClass#PREVIEW}
 * (a messaging app fetching the page to show a card: iMessage says
 * {@code facebookexternalhit/1.1 Facebot Twitterbot/1.0}); a {@code HEAD} request, an empty user
 * agent, or one containing one of {@link #bots()} is a {@link ClickClass#BOT} (security scanners,
 * {@code curl}, {@code python-requests}, crawlers); a click within {@link #suspiciousWithin()} of
 * the message's delivery is {@link ClickClass#SUSPICIOUS} (no one reads and taps that fast: a
 * scanner with a browser's agent); anything else is {@link ClickClass#HUMAN}. Matching is by
 * substring, ignoring case. Immutable.
 *
 * @param previews         user-agent fragments of link previews
 * @param bots             user-agent fragments of bots and scanners
 * @param suspiciousWithin a click this soon after delivery is suspicious (zero: never)
 */
public record ClickRules(List<String> previews, List<String> bots, Duration suspiciousWithin) {

    /** How a click is classed. */
    public enum ClickClass {
        /** A person, as far as Herald can tell: counted in the funnel. */
        HUMAN,
        /** A messaging app's link preview. */
        PREVIEW,
        /** A scanner, crawler, script or {@code HEAD} request. */
        BOT,
        /** A browser's agent, but too soon after delivery for a person. */
        SUSPICIOUS;

        /** @return the lower-case name, as logs and reports write it */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** @throws IllegalArgumentException if a list holds an empty fragment or the duration is negative */
    public ClickRules {
        previews = lower(previews, "previews");
        bots = lower(bots, "bots");
        if (suspiciousWithin == null || suspiciousWithin.isNegative()) {
            throw new IllegalArgumentException("herald.links.classify.suspicious-within must be >= 0");
        }
    }

    private static List<String> lower(List<String> in, String key) {
        if (in == null) {
            throw new IllegalArgumentException("herald.links.classify." + key + " is missing");
        }
        for (String s : in) {
            if (s == null || s.isBlank()) {
                throw new IllegalArgumentException("herald.links.classify." + key + " holds an empty fragment: it would match every agent");
            }
        }
        return in.stream().map(s -> s.strip().toLowerCase(Locale.ROOT)).toList();
    }

    /**
     * @param c {@code herald.links.classify}
     * @return the rules
     * @throws ConfigException naming the key that is missing, of the wrong type or out of range
     */
    public static ClickRules fromConfig(Config c) {
        try {
            return new ClickRules(c.getStringList("previews"), c.getStringList("bots"), c.getDuration("suspicious-within"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(c.origin(), "herald.links.classify", e.getMessage());
        }
    }

    /**
     * @param userAgent       the request's {@code User-Agent}, or null
     * @param head            whether it was a {@code HEAD} request
     * @param sinceDeliveryMs milliseconds since the message was delivered; negative if not known
     * @return the click's class
     */
    public ClickClass classify(String userAgent, boolean head, long sinceDeliveryMs) {
        String ua = userAgent == null ? "" : userAgent.toLowerCase(Locale.ROOT);
        for (String p : previews) {
            if (ua.contains(p)) {
                return ClickClass.PREVIEW;
            }
        }
        if (head || ua.isBlank()) {
            return ClickClass.BOT;
        }
        for (String b : bots) {
            if (ua.contains(b)) {
                return ClickClass.BOT;
            }
        }
        if (sinceDeliveryMs >= 0 && sinceDeliveryMs < suspiciousWithin.toMillis()) {
            return ClickClass.SUSPICIOUS;
        }
        return ClickClass.HUMAN;
    }
}
