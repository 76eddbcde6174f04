package dev.herald.throttle;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;

/**
 * The window a {@link CapRule} counts sends in: a rolling duration, or the current calendar
 * period (day, ISO week from Monday, month, quarter) in the recipient's local time.
 *
 * <p>Boundary convention (whole epoch seconds; send times are truncated to the second):
 * <ul>
 *   <li>rolling window of length D at {@code now}: the sends at seconds {@code (now - D, now]}
 *       count. A send exactly D ago no longer counts; it frees its place at {@code send + D}.</li>
 *   <li>calendar window: the sends from the local start of the current period (inclusive,
 *       {@code LocalDate.atStartOfDay(zone)}, so a DST gap at midnight starts the day at the gap's end)
 *       count; everything resets at the start of the next period.</li>
 * </ul>
 *
 * <p>Every epoch second an {@link Instant} can hold is accepted, also near {@link Instant#MIN} and
 * {@link Instant#MAX} where {@link LocalDate} cannot follow: beyond {@link #CALENDAR_MIN_SECOND} ..
 * {@link #CALENDAR_MAX_SECOND} a calendar window is the period of that bound (so the start is never
 * after {@code now}), and a next period that no {@code LocalDate} can name is {@code Long.MAX_VALUE}
 * (never). No {@link java.time.DateTimeException} escapes.
 *
 * <pre>{@code
 * CapWindow day = CapWindow.calendar(CapWindow.Period.DAY);
 * long from = day.startSecond(now.getEpochSecond(), ZoneId.of("America/New_York"));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class CapWindow {

    /** Calendar periods, in the recipient's local time. */
    public enum Period { DAY, WEEK, MONTH, QUARTER }

    /**
     * The first epoch second whose local period is computed as such: the first day of year
     * {@code LocalDate.MIN + 1} in UTC (a zone is at most 18 hours off, so any zone's local date is
     * then still a {@code LocalDate} with a year before it to start a quarter in).
     */
    public static final long CALENDAR_MIN_SECOND = LocalDate.of(LocalDate.MIN.getYear() + 1, 1, 1)
            .atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond();

    /**
     * The last epoch second whose local period is computed as such: the end of year
     * {@code LocalDate.MAX - 1} in UTC (room for any zone's offset and for the next quarter).
     */
    public static final long CALENDAR_MAX_SECOND = LocalDate.of(LocalDate.MAX.getYear() - 1, 12, 31)
            .atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond() + 86_399;

    private final Duration rolling;
    private final Period period;

    private CapWindow(Duration rolling, Period period) {
        this.rolling = rolling;
        this.period = period;
    }

    /**
     * @param length the window length, whole seconds
     * @return a rolling window
     * @throws IllegalArgumentException if {@code length} is not a positive whole number of seconds
     */
    public static CapWindow rolling(Duration length) {
        if (length == null || length.isNegative() || length.isZero() || length.getNano() != 0) {
            throw new IllegalArgumentException("rolling cap window must be a positive whole number of seconds, got " + length);
        }
        return new CapWindow(length, null);
    }

    /**
     * @param period the calendar period
     * @return a calendar window
     * @throws IllegalArgumentException if {@code period} is null
     */
    public static CapWindow calendar(Period period) {
        if (period == null) {
            throw new IllegalArgumentException("calendar cap window period is missing");
        }
        return new CapWindow(null, period);
    }

    /** @return whether the window is rolling (else calendar) */
    public boolean isRolling() {
        return rolling != null;
    }

    /** @return the rolling length in seconds, or 0 for a calendar window */
    public long rollingSeconds() {
        return rolling == null ? 0 : rolling.getSeconds();
    }

    /**
     * @param nowSecond the current epoch second
     * @param zone      the recipient's zone (ignored by rolling windows)
     * @return the first epoch second whose sends count
     */
    public long startSecond(long nowSecond, ZoneId zone) {
        if (rolling != null) {
            long start = nowSecond - rolling.getSeconds() + 1;
            return start > nowSecond ? Long.MIN_VALUE : start; // overflowed below Long.MIN_VALUE
        }
        if (nowSecond < CALENDAR_MIN_SECOND) {
            return Long.MIN_VALUE; // before any period a LocalDate can name: everything counts
        }
        long clamped = Math.min(nowSecond, CALENDAR_MAX_SECOND);
        return periodStart(LocalDate.ofInstant(Instant.ofEpochSecond(clamped), zone)).atStartOfDay(zone).toEpochSecond();
    }

    /**
     * @param nowSecond the current epoch second
     * @param zone      the recipient's zone
     * @return for a calendar window, the epoch second the next period starts (its counts reset);
     *     for a rolling window, {@code Long.MAX_VALUE} (the reset depends on the sends)
     */
    public long nextPeriodSecond(long nowSecond, ZoneId zone) {
        if (rolling != null) {
            return Long.MAX_VALUE;
        }
        if (nowSecond > CALENDAR_MAX_SECOND) {
            return Long.MAX_VALUE; // no LocalDate names the next period: it never comes
        }
        long clamped = Math.max(nowSecond, CALENDAR_MIN_SECOND);
        LocalDate start = periodStart(LocalDate.ofInstant(Instant.ofEpochSecond(clamped), zone));
        LocalDate next = switch (period) {
            case DAY -> start.plusDays(1);
            case WEEK -> start.plusWeeks(1);
            case MONTH -> start.plusMonths(1);
            case QUARTER -> start.plusMonths(3);
        };
        return next.atStartOfDay(zone).toEpochSecond();
    }

    private LocalDate periodStart(LocalDate today) {
        return switch (period) {
            case DAY -> today;
            case WEEK -> today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTH -> today.withDayOfMonth(1);
            case QUARTER -> today.withDayOfMonth(1).withMonth((today.getMonthValue() - 1) / 3 * 3 + 1);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CapWindow w && java.util.Objects.equals(rolling, w.rolling) && period == w.period;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(rolling, period);
    }

    @Override
    public String toString() {
        return rolling != null ? rolling.getSeconds() + "s rolling" : period.name().toLowerCase(Locale.ROOT);
    }
}
