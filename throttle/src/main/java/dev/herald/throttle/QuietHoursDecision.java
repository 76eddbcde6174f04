package dev.herald.throttle;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The quiet-hours answer for a chunk of recipients: the ids to send now, the ids that can never be
 * sent (their zones are never all open together, {@link QuietHoursPlan#neverOpenZones()}), and the
 * others grouped by the instant they are deferred to (the next open instant in all their zones).
 * Every id of the chunk is in exactly one of these bitmaps.
 *
 * <p>{@code d.deferred().forEach((until, ids) -> schedule.add(until, ids));}
 *
 * <p>The bitmaps are new and owned by the caller, who may keep or change them; the map itself
 * cannot be changed. Not thread-safe once the caller changes a bitmap.
 */
public final class QuietHoursDecision {
    private final MutableRoaringBitmap sendNow;
    private final SortedMap<Instant, MutableRoaringBitmap> deferred;
    private final MutableRoaringBitmap neverOpen;

    QuietHoursDecision(MutableRoaringBitmap sendNow, SortedMap<Instant, MutableRoaringBitmap> deferred,
                       MutableRoaringBitmap neverOpen) {
        this.sendNow = sendNow;
        this.deferred = Collections.unmodifiableSortedMap(deferred);
        this.neverOpen = neverOpen;
    }

    /**
     * @return the ids whose zones are never all open together within
     *     {@link QuietHoursRule#HORIZON_DAYS} days: waiting would not help, the message cannot reach them
     */
    public MutableRoaringBitmap neverOpen() {
        return neverOpen;
    }

    /** @return the ids that may be sent now */
    public MutableRoaringBitmap sendNow() {
        return sendNow;
    }

    /** @return the deferred ids by the instant they may be sent, earliest first; no empty bitmap */
    public SortedMap<Instant, MutableRoaringBitmap> deferred() {
        return deferred;
    }

    /** @return how many ids are deferred */
    public long deferredCount() {
        long n = 0;
        for (MutableRoaringBitmap b : deferred.values()) {
            n += b.getLongCardinality();
        }
        return n;
    }

    /**
     * @param id a recipient id of the chunk
     * @return the instant it is deferred to, or empty if it is sent now or not in the chunk
     */
    public Optional<Instant> deferral(int id) {
        for (Map.Entry<Instant, MutableRoaringBitmap> e : deferred.entrySet()) {
            if (e.getValue().contains(id)) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "QuietHoursDecision[sendNow " + sendNow.getLongCardinality() + ", deferred " + deferredCount()
                + " to " + deferred.size() + " instants, never open " + neverOpen.getLongCardinality() + "]";
    }
}
