package dev.herald.dispatcher.journey;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.MonthDay;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rule for a recipient's date attributes, which date triggers read: where it is written
 * ({@code PUT /v1/recipients/{phone}/attributes}) and where it is read (the journey engine) agree
 * through this class.
 *
 * <ul>
 *   <li>{@code birthday} and any name ending in {@code _date}: a date, {@code YYYY-MM-DD}
 *       ({@code 1990-03-14}), or a month and day without a year, {@code --MM-DD}
 *       ({@code --03-14}).</li>
 *   <li>a name ending in {@code _at}: an ISO-8601 instant ({@code 2026-12-01T10:00:00Z}, an offset
 *       such as {@code +01:00} instead of {@code Z} accepted) or a date {@code YYYY-MM-DD}.</li>
 *   <li>any other name: free text, not checked.</li>
 * </ul>
 *
 * <pre>{@code
 * DateAttributes.validate("birthday", "1990-03-14");                      // fine; "14/03/1990" throws
 * Optional<MonthDay> md = DateAttributes.monthDay(fields.get("birthday")); // --03-14
 * }</pre>
 *
 * <p>Years have four digits; dates are checked strictly ({@code 2023-02-29} is refused,
 * {@code --02-29} is a valid month and day). Values are stripped first, as the recipient directory
 * stores them. Stateless and thread-safe.
 */
public final class DateAttributes {

    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern MONTH_DAY = Pattern.compile("--\\d{2}-\\d{2}");
    private static final Pattern INSTANT = Pattern.compile("\\d{4}-\\d{2}-\\d{2}[Tt].+");

    private DateAttributes() {
    }

    /** @return true for {@code birthday} and names ending in {@code _date}: a date or a month and day */
    public static boolean isDateName(String name) {
        return name.equals("birthday") || name.endsWith("_date");
    }

    /** @return true for names ending in {@code _at}: an instant or a date */
    public static boolean isInstantName(String name) {
        return name.endsWith("_at");
    }

    /**
     * Checks {@code value} against the rule for {@code name} (nothing to check for other names).
     *
     * @param name  the attribute's name
     * @param value its value (stripped before the check)
     * @throws IllegalArgumentException naming the attribute, the expected form and the value given
     * @throws NullPointerException     if {@code name} or {@code value} is null
     */
    public static void validate(String name, String value) {
        String v = value.strip();
        if (isDateName(name)) {
            boolean ok = DATE.matcher(v).matches() ? date(v).isPresent()
                    : MONTH_DAY.matcher(v).matches() && monthDay(v).isPresent();
            if (!ok) {
                throw new IllegalArgumentException("'" + name + "' must be a date, YYYY-MM-DD such as 1990-03-14, or a month"
                        + " and day, --MM-DD such as --03-14; got " + shown(value));
            }
        } else if (isInstantName(name)) {
            if (instant(v).isEmpty() && !(DATE.matcher(v).matches() && date(v).isPresent())) {
                throw new IllegalArgumentException("'" + name + "' must be an ISO-8601 instant such as 2026-12-01T10:00:00Z,"
                        + " or a date YYYY-MM-DD; got " + shown(value));
            }
        }
    }

    /**
     * @param value {@code YYYY-MM-DD}, {@code --MM-DD} or an instant (its date in UTC), or anything
     * @return its month and day, or empty if it is none of those (null included)
     */
    public static Optional<MonthDay> monthDay(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.strip();
        if (MONTH_DAY.matcher(v).matches()) {
            try {
                return Optional.of(MonthDay.parse(v));
            } catch (DateTimeException e) {
                return Optional.empty();
            }
        }
        return date(v).map(MonthDay::from);
    }

    /**
     * @param value {@code YYYY-MM-DD}, or an instant (its date in UTC; use {@link #instant} to
     *              take the recipient's zone into account), or anything
     * @return the date, or empty if it is neither (null and {@code --MM-DD} included)
     */
    public static Optional<LocalDate> date(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.strip();
        if (DATE.matcher(v).matches()) {
            try {
                return Optional.of(LocalDate.parse(v));
            } catch (DateTimeException e) {
                return Optional.empty();
            }
        }
        return instant(v).map(i -> LocalDate.ofInstant(i, ZoneOffset.UTC));
    }

    /**
     * @param value an ISO-8601 instant, {@code 2026-12-01T10:00:00Z} or with an offset, or anything
     * @return the instant, or empty if it is not one (null and plain dates included)
     */
    public static Optional<Instant> instant(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.strip();
        if (!INSTANT.matcher(v).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(v));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    private static String shown(String value) {
        return "'" + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "'";
    }
}
