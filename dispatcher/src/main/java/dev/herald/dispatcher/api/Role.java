package dev.herald.dispatcher.api;

import java.util.Locale;

/**
 * What an API key may do. Each role includes the ones below it: {@code admin} ⊃ {@code sender}
 * ⊃ {@code viewer} ⊃ {@code analyst}.
 */
public enum Role {
    /**
     * Reports only, never a recipient's phone number, outcome or consent: campaigns (their templates)
     * and counts, funnels, opt-out reports, journeys and their reports, segment sizes, suppression
     * counts, the settings (the business's own sending numbers included).
     */
    ANALYST,
    /** Reads everything: also recipients, their outcomes, suppressions and consent. */
    VIEWER,
    /** Also uploads audiences, creates and steers campaigns, changes suppressions. */
    SENDER,
    /** Also manages API keys and policies. */
    ADMIN;

    /** @return true if a key of this role may do what {@code needed} may */
    public boolean allows(Role needed) {
        return compareTo(needed) >= 0;
    }

    /** @return the wire name, lower case */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param s {@code admin}, {@code sender}, {@code viewer} or {@code analyst} (any case)
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Role parse(String s) {
        if (s != null) {
            for (Role r : values()) {
                if (r.wire().equalsIgnoreCase(s.strip())) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("role must be admin, sender, viewer or analyst, got " + (s == null ? "nothing" : "'" + s + "'"));
    }
}
