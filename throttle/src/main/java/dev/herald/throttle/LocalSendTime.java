package dev.herald.throttle;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Objects;

/**
 * "Send at 10:30 recipient-local time": the campaign reaches each zone at its own wall-clock time.
 * Used with {@link QuietHoursPlan#of(QuietHoursPolicy, ZoneBuckets, String, Instant, LocalSendTime)},
 * which then moves each bucket on to the next open instant if that time is in quiet hours.
 *
 * <p>{@code Instant at = LocalSendTime.parse("10:30").nextAtOrAfter(ZoneSet.of("Asia/Kathmandu"), now);}
 *
 * <p>A time that does not exist on a day (inside a DST gap) is reached at the transition, the
 * first instant whose local time is later; a time that occurs twice (overlap) is reached the first
 * time that is at or after {@code now}. For several zones the answer is the latest of their
 * answers: the first instant at which the time has come in every zone. Immutable and thread-safe.
 *
 * @param time the local wall-clock time
 */
public record LocalSendTime(LocalTime time) {

    /** @throws NullPointerException if {@code time} is null */
    public LocalSendTime {
        Objects.requireNonNull(time, "time");
    }

    /**
     * @param text {@code HH:mm}, e.g. {@code 10:30}
     * @throws IllegalArgumentException if the text is not a time {@code HH:mm}
     */
    public static LocalSendTime parse(String text) {
        if (text == null || !text.matches("([01][0-9]|2[0-3]):[0-5][0-9]")) {
            throw new IllegalArgumentException("\"" + text + "\" is not a time HH:mm");
        }
        return new LocalSendTime(LocalTime.parse(text));
    }

    /** @return the first instant at or after {@code now} when the local time in {@code zone} is this time */
    public Instant nextAtOrAfter(ZoneId zone, Instant now) {
        ZoneRules rules = zone.getRules();
        // start a day early: a transition at midnight can move local time back into yesterday
        for (LocalDate d = LocalDate.ofInstant(now, zone).minusDays(1); ; d = d.plusDays(1)) {
            LocalDateTime local = d.atTime(time);
            List<ZoneOffset> offsets = rules.getValidOffsets(local);
            if (offsets.isEmpty()) {
                ZoneOffsetTransition gap = rules.getTransition(local);
                if (!gap.getInstant().isBefore(now)) {
                    return gap.getInstant();
                }
            }
            for (ZoneOffset offset : offsets) {
                Instant at = local.toInstant(offset);
                if (!at.isBefore(now)) {
                    return at;
                }
            }
        }
    }

    /**
     * @return the first instant at or after {@code now} when the time has come in every zone
     * @throws IllegalArgumentException if {@code zones} is empty
     */
    public Instant nextAtOrAfter(ZoneSet zones, Instant now) {
        if (zones.isEmpty()) {
            throw new IllegalArgumentException("cannot place local time " + time + " without a zone");
        }
        Instant latest = null;
        for (ZoneId z : zones.zones()) {
            Instant at = nextAtOrAfter(z, now);
            if (latest == null || at.isAfter(latest)) {
                latest = at;
            }
        }
        return latest;
    }
}
