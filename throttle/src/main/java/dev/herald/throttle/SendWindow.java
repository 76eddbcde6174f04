package dev.herald.throttle;

import java.time.LocalTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One daily sending window in local wall-clock time, {@code [start, end)}, written
 * {@code "HH:mm-HH:mm"}. When {@code end < start} the window crosses midnight: {@code "21:00-08:00"}
 * is open from 21:00 until 08:00 the next morning. {@code "24:00"} is allowed as an end only (end of
 * the day); a window whose start equals its end is rejected as empty.
 *
 * <p>{@code SendWindow w = SendWindow.parse("08:00-21:00"); boolean open = w.contains(LocalTime.of(9, 30));}
 *
 * <p>Immutable and thread-safe. Minutes are minutes of the local day, 0–1440.
 *
 * @param startMinute first open minute of the day, {@code 0..1439}
 * @param endMinute   first closed minute after the window, {@code 0..1440}; below
 *                    {@code startMinute} when the window crosses midnight
 */
public record SendWindow(int startMinute, int endMinute) {
    private static final Pattern FORM = Pattern.compile("\\s*([^-\\s]+)\\s*-\\s*([^-\\s]+)\\s*");
    private static final Pattern TIME = Pattern.compile("([01][0-9]|2[0-4]):([0-5][0-9])");
    private static final int DAY = 24 * 60;

    /**
     * @throws IllegalArgumentException if a minute is out of range or the window is empty
     */
    public SendWindow {
        if (startMinute < 0 || startMinute >= DAY) {
            throw new IllegalArgumentException("window start must be 00:00-23:59, got minute " + startMinute);
        }
        if (endMinute < 0 || endMinute > DAY) {
            throw new IllegalArgumentException("window end must be 00:00-24:00, got minute " + endMinute);
        }
        if (startMinute == endMinute % DAY && !(startMinute == 0 && endMinute == DAY)) {
            throw new IllegalArgumentException("window " + format(startMinute) + "-" + format(endMinute)
                    + " is empty: start and end are the same time");
        }
    }

    /**
     * Parses {@code "HH:mm-HH:mm"}.
     *
     * @throws IllegalArgumentException naming the part that is wrong, e.g.
     *                                  {@code "25:00" is not a time HH:mm}
     */
    public static SendWindow parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("window is missing: expected \"HH:mm-HH:mm\"");
        }
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a window \"HH:mm-HH:mm\"");
        }
        int start = minuteOf(m.group(1));
        if (start == DAY) {
            throw new IllegalArgumentException("\"" + m.group(1) + "\" cannot start a window: 24:00 is only an end");
        }
        return new SendWindow(start, minuteOf(m.group(2)));
    }

    private static int minuteOf(String time) {
        Matcher m = TIME.matcher(time);
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + time + "\" is not a time HH:mm");
        }
        int minute = Integer.parseInt(m.group(1)) * 60 + Integer.parseInt(m.group(2));
        if (minute > DAY) {
            throw new IllegalArgumentException("\"" + time + "\" is not a time HH:mm");
        }
        return minute;
    }

    /** Whether the window crosses midnight (open late in the day and early the next). */
    public boolean crossesMidnight() {
        return endMinute < startMinute;
    }

    /** Whether the local time of day lies inside the window. */
    public boolean contains(LocalTime time) {
        int minute = time.getHour() * 60 + time.getMinute();
        return crossesMidnight() ? minute >= startMinute || minute < endMinute
                : minute >= startMinute && minute < endMinute;
    }

    private static String format(int minute) {
        return String.format("%02d:%02d", minute / 60, minute % 60);
    }

    /** The text form, e.g. {@code 08:00-21:00}. */
    @Override
    public String toString() {
        return format(startMinute) + "-" + format(endMinute);
    }
}
