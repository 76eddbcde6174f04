package dev.herald.throttle;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One frequency cap: at most {@code limit} sends in {@code window}, counting the sends in
 * {@code scope}, for the recipients in {@code segment} (all recipients when empty).
 *
 * <p>The rule applies to a send when the send is in its scope and the recipient is in its
 * segment at check time; it then counts every recorded send in its scope inside the window
 * (see {@link CapWindow} for the boundary convention). A hit does {@link #action()}.
 *
 * <pre>{@code
 * CapRule newCustomers = new CapRule("new-weekly", 1, CapWindow.rolling(Duration.ofDays(7)),
 *         CapScope.MARKETING, Optional.of("new-customers"), CapAction.DEFER);
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param name    1–64 characters of {@code [a-z0-9._-]}; outcomes say {@code capped:<name>}
 * @param limit   the most sends allowed in the window, ≥ 1
 * @param window  the window
 * @param scope   the sends counted and capped
 * @param segment the name of the segment the rule is limited to, resolved by the caller's function
 * @param action  what a hit does
 */
public record CapRule(String name, int limit, CapWindow window, CapScope scope, Optional<String> segment, CapAction action) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /**
     * @throws IllegalArgumentException if the name is malformed, {@code limit < 1}, or a part is null
     */
    public CapRule {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("cap rule name must be 1-64 characters of [a-z0-9._-], got '" + name + "'");
        }
        if (limit < 1) {
            throw new IllegalArgumentException("cap rule '" + name + "': limit must be at least 1, got " + limit);
        }
        if (window == null || scope == null || segment == null || action == null) {
            throw new IllegalArgumentException("cap rule '" + name + "': window, scope, segment and action are required");
        }
    }

    /** @return the outcome reason a dropped recipient gets, {@code capped:<name>} */
    public String outcome() {
        return "capped:" + name;
    }
}
