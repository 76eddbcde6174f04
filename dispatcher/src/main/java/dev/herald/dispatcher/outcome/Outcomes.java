package dev.herald.dispatcher.outcome;

/**
 * The outcome names an {@link OutcomeLedger} accepts, and their validation.
 *
 * <p>An outcome is a plain string: {@code sent}, {@code expired}, {@code unknown},
 * {@code deferred}, or a kind with a reason: {@code suppressed:<scope>}, {@code capped:<rule>},
 * {@code failed:<reason>}, {@code expired:<reason>} ({@value #NEVER_OPEN}). Build them with the factories, e.g.
 * {@code ledger.record(Outcomes.suppressed("global"), ids)}. Every outcome except
 * {@code deferred} and {@code held} is final. Stateless and thread-safe.
 */
public final class Outcomes {
    /** Handed to the connector, which accepted it. Only for claimed ids. */
    public static final String SENT = "sent";
    /** Not final: waits until an instant (quiet hours, a deferring cap), then gets another outcome. */
    public static final String DEFERRED = "deferred";
    /**
     * Not final: held back by an A/B test until its decision, then sent the chosen variant (or,
     * when the test stops the campaign, {@code expired:no-winner}).
     */
    public static final String HELD = "held";
    /** The held recipients' outcome when an A/B test ends without sending the rest anything. */
    public static final String NO_WINNER = "expired:no-winner";
    /** The campaign ended before the recipient could be sent to. */
    public static final String EXPIRED = "expired";
    /** Claimed but never confirmed (a crash in flight): may or may not have been sent; never resent. */
    public static final String UNKNOWN = "unknown";
    /** Prefix of suppression outcomes, followed by the scope. */
    public static final String SUPPRESSED_PREFIX = "suppressed:";
    /** Prefix of frequency-cap outcomes, followed by the rule. */
    public static final String CAPPED_PREFIX = "capped:";
    /** Prefix of failure outcomes, followed by the reason. Only for claimed ids. */
    public static final String FAILED_PREFIX = "failed:";
    /** Prefix of expiries with a reason, followed by the reason; in the {@code expired} family. */
    public static final String EXPIRED_PREFIX = "expired:";
    /**
     * Never sendable: quiet hours are never open in all the recipient's zones at once (say windows
     * 10:00-18:00 and a US toll-free number, listed in zones from Guam to Hawaii), so waiting would
     * not help. Final, in the {@code expired} family.
     */
    public static final String NEVER_OPEN = EXPIRED_PREFIX + "never-open";
    /** Longest accepted reason, in UTF-16 chars. */
    public static final int MAX_REASON = 200;

    private Outcomes() {
    }

    /** {@code suppressed:<scope>}. @throws IllegalArgumentException if the scope is not a valid reason */
    public static String suppressed(String scope) {
        return SUPPRESSED_PREFIX + checkReason(scope);
    }

    /** {@code capped:<rule>}. @throws IllegalArgumentException if the rule is not a valid reason */
    public static String capped(String rule) {
        return CAPPED_PREFIX + checkReason(rule);
    }

    /** {@code failed:<reason>}. @throws IllegalArgumentException if the reason is not valid */
    public static String failed(String reason) {
        return FAILED_PREFIX + checkReason(reason);
    }

    /** Whether {@code outcome} is final (everything but {@code deferred}). */
    public static boolean isFinal(String outcome) {
        return !DEFERRED.equals(outcome) && !HELD.equals(outcome);
    }

    /** Whether {@code outcome} may only be recorded for claimed ids ({@code sent}, {@code failed:*}). */
    public static boolean needsClaim(String outcome) {
        return SENT.equals(outcome) || outcome.startsWith(FAILED_PREFIX);
    }

    /**
     * Checks that {@code outcome} is one of the accepted forms and returns it.
     *
     * @throws IllegalArgumentException naming the outcome if it is null, unknown, or has an empty,
     *     over-long or non-printable reason
     */
    public static String check(String outcome) {
        if (outcome == null) {
            throw new IllegalArgumentException("outcome is null");
        }
        if (outcome.equals(SENT) || outcome.equals(DEFERRED) || outcome.equals(EXPIRED) || outcome.equals(UNKNOWN)
                || outcome.equals(HELD)) {
            return outcome;
        }
        for (String prefix : new String[] {SUPPRESSED_PREFIX, CAPPED_PREFIX, FAILED_PREFIX, EXPIRED_PREFIX}) {
            if (outcome.startsWith(prefix)) {
                checkReason(outcome.substring(prefix.length()));
                return outcome;
            }
        }
        throw new IllegalArgumentException("unknown outcome '" + outcome + "' (expected sent, deferred, held, expired, unknown,"
                + " suppressed:<scope>, capped:<rule>, failed:<reason> or expired:<reason>)");
    }

    /** @return {@code reason} if it is 1..{@link #MAX_REASON} chars without whitespace or control characters */
    static String checkReason(String reason) {
        if (reason == null || reason.isEmpty() || reason.length() > MAX_REASON) {
            throw new IllegalArgumentException("outcome reason must be 1.." + MAX_REASON + " chars, got "
                    + (reason == null ? "null" : "'" + reason + "'"));
        }
        for (int i = 0; i < reason.length(); i++) {
            char c = reason.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c)) {
                throw new IllegalArgumentException("outcome reason '" + reason
                        + "' contains whitespace or a control character at index " + i);
            }
        }
        return reason;
    }
}
