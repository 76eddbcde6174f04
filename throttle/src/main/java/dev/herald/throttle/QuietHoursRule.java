package dev.herald.throttle;

import dev.herald.throttle.internal.QuietHoursSearch;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.MonthDay;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The effective quiet-hours rule for one category in one country: when, in a recipient's local
 * wall-clock time, a message may be sent. A local date-time is open when its date is not a closed
 * date (one-off {@link LocalDate} or yearly {@link MonthDay}), its day of week is not a closed day,
 * and its time of day lies in one of the windows. An exempt rule (transactional) is always open.
 *
 * <p>{@code Instant at = policy.rule("marketing", "FR").nextOpen(ZoneSet.of("Europe/Paris"), now);}
 *
 * <p>The day a window that crosses midnight belongs to is the local date of each instant: with
 * {@code "21:00-08:00"} and no Sunday sends, Sunday 02:00 is closed and Saturday 22:00 is open.
 * Open is a property of the instant's local date-time as {@code java.time} gives it, so DST gaps and
 * overlaps, half-hour and 45-minute offsets and historical rule changes follow the JVM's tz data.
 *
 * <p>Immutable and thread-safe.
 */
public final class QuietHoursRule {
    /** The rule of an exempt category: always open. */
    public static final QuietHoursRule EXEMPT = new QuietHoursRule("exempt", true, List.of(), Set.of(), Set.of(), Set.of());

    /** How far ahead {@link #nextOpen} looks before it gives up, in days. */
    public static final int HORIZON_DAYS = 366;

    private final String label;
    private final boolean exempt;
    private final List<SendWindow> windows;
    private final Set<DayOfWeek> closedDays;
    private final Set<LocalDate> closedDates;
    private final Set<MonthDay> closedYearly;
    private final QuietHoursSearch search;

    private QuietHoursRule(String label, boolean exempt, List<SendWindow> windows, Set<DayOfWeek> closedDays,
                           Set<LocalDate> closedDates, Set<MonthDay> closedYearly) {
        this.label = label;
        this.exempt = exempt;
        this.windows = List.copyOf(windows);
        this.closedDays = closedDays.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(closedDays));
        this.closedDates = Set.copyOf(closedDates);
        this.closedYearly = Set.copyOf(closedYearly);
        this.search = exempt ? null : new QuietHoursSearch(this::isOpenDate, openMinutes(this.windows));
    }

    /**
     * A rule that is not exempt.
     *
     * @param label        what the rule is for, used in messages, e.g. {@code marketing in FR}
     * @param windows      the daily windows, at least one
     * @param closedDays   days of the week with no sends (not all seven)
     * @param closedDates  local dates with no sends
     * @param closedYearly month-days with no sends every year, e.g. {@code --12-25}
     * @throws IllegalArgumentException if there is no window or every day of the week is closed
     */
    public static QuietHoursRule of(String label, Collection<SendWindow> windows, Collection<DayOfWeek> closedDays,
                                    Collection<LocalDate> closedDates, Collection<MonthDay> closedYearly) {
        Objects.requireNonNull(label, "label");
        if (windows.isEmpty()) {
            throw new IllegalArgumentException(label + ": no sending window; give at least one or make the category exempt");
        }
        if (EnumSet.copyOf(closedDays.isEmpty() ? EnumSet.noneOf(DayOfWeek.class) : closedDays).size() == 7) {
            throw new IllegalArgumentException(label + ": every day of the week is closed, so it would never be open");
        }
        return new QuietHoursRule(label, false, new ArrayList<>(windows), Set.copyOf(closedDays),
                Set.copyOf(closedDates), Set.copyOf(closedYearly));
    }

    /** @return whether the category is exempt (always open) */
    public boolean isExempt() {
        return exempt;
    }

    /** @return the daily windows (empty when exempt) */
    public List<SendWindow> windows() {
        return windows;
    }

    /** @return the closed days of the week */
    public Set<DayOfWeek> closedDays() {
        return closedDays;
    }

    /** @return the closed one-off dates */
    public Set<LocalDate> closedDates() {
        return closedDates;
    }

    /** @return the closed month-days of every year */
    public Set<MonthDay> closedYearly() {
        return closedYearly;
    }

    /** Whether sends are allowed at all on this local date (not a closed day or date). */
    public boolean isOpenDate(LocalDate date) {
        return exempt || !(closedDays.contains(date.getDayOfWeek()) || closedDates.contains(date)
                || (!closedYearly.isEmpty() && closedYearly.contains(MonthDay.from(date))));
    }

    /** Whether a local date-time is open. */
    public boolean isOpen(LocalDateTime local) {
        if (exempt) {
            return true;
        }
        if (!isOpenDate(local.toLocalDate())) {
            return false;
        }
        for (SendWindow w : windows) {
            if (w.contains(local.toLocalTime())) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code instant} is open in every zone of {@code zones} (true for an empty set). */
    public boolean isOpen(Instant instant, ZoneSet zones) {
        for (ZoneId z : zones.zones()) {
            if (!isOpen(LocalDateTime.ofInstant(instant, z))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The first instant at or after {@code from} that is open in every zone of {@code zones}:
     * {@code from} itself when it is open. Never an instant inside a closed window, never later
     * than the first open one.
     *
     * @param zones the recipient's zones, not empty
     * @param from  the earliest acceptable instant
     * @return the first open instant
     * @throws IllegalArgumentException if {@code zones} is empty
     * @throws IllegalStateException    if nothing is open in all the zones within
     *                                  {@value #HORIZON_DAYS} days (the message names the rule and zones)
     */
    public Instant nextOpen(ZoneSet zones, Instant from) {
        Objects.requireNonNull(from, "from");
        if (zones.isEmpty()) {
            throw new IllegalArgumentException(label + ": cannot find an open instant without a zone");
        }
        if (exempt) {
            return from;
        }
        Instant limit = from.plusSeconds(HORIZON_DAYS * 86_400L);
        Instant t = from;
        while (true) {
            Instant latest = t;
            for (ZoneId z : zones.zones()) {
                Instant open = search.nextOpen(z, t, limit);
                if (open == null) {
                    throw new IllegalStateException(label + ": not open in all of " + zones + " within "
                            + HORIZON_DAYS + " days after " + from);
                }
                if (open.isAfter(latest)) {
                    latest = open;
                }
            }
            if (latest.equals(t)) {
                return t;
            }
            // No instant in [t, latest) is open in the zone that answered latest, so none is open in all.
            t = latest;
        }
    }

    /** Merged open minute ranges of one day, as {@code [from0, to0, from1, to1, ...]}, sorted. */
    private static int[] openMinutes(List<SendWindow> windows) {
        boolean[] open = new boolean[24 * 60];
        for (SendWindow w : windows) {
            if (w.crossesMidnight()) {
                java.util.Arrays.fill(open, w.startMinute(), open.length, true);
                java.util.Arrays.fill(open, 0, w.endMinute(), true);
            } else {
                java.util.Arrays.fill(open, w.startMinute(), w.endMinute(), true);
            }
        }
        List<Integer> ranges = new ArrayList<>();
        for (int m = 0; m < open.length; m++) {
            if (open[m] && (m == 0 || !open[m - 1])) {
                ranges.add(m);
            }
            if (open[m] && (m == open.length - 1 || !open[m + 1])) {
                ranges.add(m + 1);
            }
        }
        return ranges.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The label and windows, e.g. {@code marketing in FR [08:00-20:00] closed [SUNDAY]}. */
    @Override
    public String toString() {
        return exempt ? label : label + " " + windows + (closedDays.isEmpty() ? "" : " closed " + closedDays)
                + (closedDates.size() + closedYearly.size() == 0 ? "" : " closed on " + (closedDates.size() + closedYearly.size()) + " dates");
    }
}
