package dev.herald.throttle.internal;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.function.Predicate;

/**
 * The next-open-instant search in one zone. Between two offset transitions local time runs
 * linearly, so the first open local date-time after the current one, mapped back with the current
 * offset, is the first open instant, unless a transition comes first; then the search restarts at
 * the transition with the new offset. That handles DST gaps (a window start that does not exist
 * opens at the transition), overlaps (local time runs back into a window) and any offset.
 *
 * <p>Immutable and thread-safe. Minutes are minutes of the local day.
 */
public final class QuietHoursSearch {
    private static final long NANOS_PER_MINUTE = 60_000_000_000L;
    /** Days scanned ahead of a start; a little over {@code QuietHoursRule.HORIZON_DAYS}. */
    private static final int SEARCH_DAYS = 368;
    private final Predicate<LocalDate> openDate;
    private final int[] ranges;

    /**
     * @param openDate whether a local date has sends at all
     * @param ranges   merged open minute ranges of a day {@code [from0, to0, from1, to1, ...]}, sorted,
     *                 not empty
     * @throws IllegalArgumentException if {@code ranges} is empty or odd
     */
    public QuietHoursSearch(Predicate<LocalDate> openDate, int[] ranges) {
        if (ranges.length == 0 || ranges.length % 2 != 0) {
            throw new IllegalArgumentException("open ranges must be non-empty pairs");
        }
        this.openDate = openDate;
        this.ranges = ranges.clone();
    }

    /**
     * @return the first instant in {@code [from, limit]} that is open in {@code zone}, or null
     */
    public Instant nextOpen(ZoneId zone, Instant from, Instant limit) {
        ZoneRules rules = zone.getRules();
        Instant t = from;
        while (!t.isAfter(limit)) {
            ZoneOffset offset = rules.getOffset(t);
            LocalDateTime local = LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), offset);
            LocalDateTime open = nextOpenLocal(local, local.toLocalDate().plusDays(SEARCH_DAYS));
            if (open == null) {
                return null;
            }
            Instant candidate = open.toInstant(offset);
            ZoneOffsetTransition next = rules.nextTransition(t);
            if (next != null && !next.getInstant().isAfter(candidate)) {
                t = next.getInstant();
                continue;
            }
            return candidate.isAfter(limit) ? null : candidate;
        }
        return null;
    }

    /** The first open local date-time at or after {@code local}, ignoring offset changes. */
    private LocalDateTime nextOpenLocal(LocalDateTime local, LocalDate lastDate) {
        LocalDate date = local.toLocalDate();
        long nanoOfDay = local.toLocalTime().toNanoOfDay();
        if (openDate.test(date)) {
            for (int i = 0; i < ranges.length; i += 2) {
                if (nanoOfDay < ranges[i] * NANOS_PER_MINUTE) {
                    return date.atTime(LocalTime.ofNanoOfDay(ranges[i] * NANOS_PER_MINUTE));
                }
                if (nanoOfDay < ranges[i + 1] * NANOS_PER_MINUTE) {
                    return local;
                }
            }
        }
        for (LocalDate d = date.plusDays(1); !d.isAfter(lastDate); d = d.plusDays(1)) {
            if (openDate.test(d)) {
                return d.atTime(LocalTime.ofNanoOfDay(ranges[0] * NANOS_PER_MINUTE));
            }
        }
        return null;
    }
}
