package dev.herald.dispatcher.journey;

import dev.herald.throttle.ZoneBuckets;
import dev.herald.throttle.ZoneIndex;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.TreeMap;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Local times of day in recipients' zones, for journeys: the zone of a recipient is the first of
 * its zone set, UTC when the zone index does not hold it or its set is empty. DST-exact: a local
 * time in a gap (spring forward) is moved forward by the gap's length, one in an overlap (fall
 * back) is its earlier instant, so it happens exactly once that day.
 *
 * <pre>{@code
 * Map<Long, MutableRoaringBitmap> due = LocalTimes.next(zones, ids, LocalTime.of(10, 0), now);
 * }</pre>
 */
public final class LocalTimes {

    private LocalTimes() {
    }

    /** @return the zone of a bucket ({@code -1}: ids the snapshot does not hold) */
    public static ZoneId zoneOf(ZoneBuckets buckets, int bucket) {
        return bucket < 0 || buckets.buckets().get(bucket).zones().isEmpty() ? ZoneOffset.UTC
                : buckets.buckets().get(bucket).zones().zones().get(0);
    }

    /** @return {@code time} on {@code date} in {@code zone}, DST-exact as the class says */
    public static Instant at(LocalDate date, LocalTime time, ZoneId zone) {
        return ZonedDateTime.of(date, time, zone).toInstant(); // gap: moved forward; overlap: earlier offset
    }

    /**
     * @param now epoch ms
     * @return for each due instant (epoch ms): those of {@code ids} whose next local {@code time}
     *     strictly after {@code now} it is
     */
    public static Map<Long, MutableRoaringBitmap> next(ZoneIndex zones, ImmutableRoaringBitmap ids, LocalTime time, long now) {
        ZoneBuckets buckets = zones.snapshot();
        Instant t = Instant.ofEpochMilli(now);
        Map<Long, MutableRoaringBitmap> out = new TreeMap<>();
        buckets.split(ids).forEach((bucket, part) -> {
            ZoneId zone = zoneOf(buckets, bucket);
            LocalDate day = t.atZone(zone).toLocalDate();
            Instant next = at(day, time, zone);
            while (!next.isAfter(t)) {
                day = day.plusDays(1);
                next = at(day, time, zone);
            }
            out.computeIfAbsent(next.toEpochMilli(), k -> new MutableRoaringBitmap()).or(part);
        });
        return out;
    }
}
