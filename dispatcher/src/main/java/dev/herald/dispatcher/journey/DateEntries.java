package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.suppression.RecipientFields;
import dev.herald.throttle.ZoneBuckets;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.MonthDay;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Date entries (a birthday at local 10:00): once a day per zone, at the entry's local time
 * ({@link LocalTimes}: DST-exact, once even in an overlap), the recipients of that zone whose
 * date attribute has today's month and day enter (a 29 February enters on 28 February in other
 * years). A zone fires at most once per local day ({@code DateFired} is logged with the entries);
 * if Herald was down at that time it fires when it is back, within {@link #GRACE}, else that day
 * is skipped rather than wishing a happy birthday in the evening.
 */
final class DateEntries {

    /** How late after its local time a zone's entries may still fire. */
    static final Duration GRACE = Duration.ofHours(4);

    private DateEntries() {
    }

    static void fire(JourneyEngine engine, JourneyEngine.Open o, JourneyPlan plan, long now, List<Rec> out) throws IOException {
        JourneyDefinition.Entry entry = plan.def().entry();
        LocalTime at = entry.at() == null ? LocalTime.of(10, 0) : LocalTime.parse(entry.at());
        ZoneBuckets buckets = engine.deps().zones().snapshot();
        Instant t = Instant.ofEpochMilli(now);
        Map<ZoneId, LocalDate> dueZones = new LinkedHashMap<>();
        for (int b = -1; b < buckets.buckets().size(); b++) {
            ZoneId zone = LocalTimes.zoneOf(buckets, b);
            if (dueZones.containsKey(zone)) {
                continue;
            }
            LocalDate today = t.atZone(zone).toLocalDate();
            Long fired = o.state.dateFired.get(zone.getId());
            // yesterday too: a late local time's grace runs past midnight
            for (LocalDate day : List.of(today.minusDays(1), today)) {
                Instant fireAt = LocalTimes.at(day, at, zone);
                if (!t.isBefore(fireAt) && t.isBefore(fireAt.plus(GRACE)) && (fired == null || fired < day.toEpochDay())) {
                    dueZones.put(zone, day);
                }
            }
        }
        if (dueZones.isEmpty()) {
            return;
        }
        MutableRoaringBitmap everyone = new MutableRoaringBitmap();
        everyone.add(0L, engine.deps().directory().size());
        SortedMap<Integer, MutableRoaringBitmap> byBucket = buckets.split(everyone);
        Map<ZoneId, MutableRoaringBitmap> byZone = new LinkedHashMap<>();
        byBucket.forEach((b, ids) -> {
            ZoneId zone = LocalTimes.zoneOf(buckets, b);
            if (dueZones.containsKey(zone)) {
                byZone.computeIfAbsent(zone, z -> new MutableRoaringBitmap()).or(ids);
            }
        });
        for (Map.Entry<ZoneId, LocalDate> z : dueZones.entrySet()) {
            MutableRoaringBitmap ids = byZone.getOrDefault(z.getKey(), new MutableRoaringBitmap());
            MutableRoaringBitmap today = matching(engine, ids, entry.date(), z.getValue());
            Moves.apply(o, out, new Rec.DateFired(now, z.getKey().getId(), z.getValue().toEpochDay()));
            engine.moves().enterMany(o, plan, today, now, out);
        }
    }

    private static MutableRoaringBitmap matching(JourneyEngine engine, MutableRoaringBitmap ids, String field, LocalDate day) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        int[] all = ids.toArray();
        List<String> names = List.of(field);
        for (int from = 0; from < all.length; from += 4096) {
            int[] part = java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + 4096));
            RecipientFields[] fields = engine.deps().directory().fields(part, names);
            for (int i = 0; i < part.length; i++) {
                String v = fields[i] == null ? null : fields[i].fields().get(field);
                Optional<MonthDay> md = DateAttributes.monthDay(v);
                if (md.isPresent() && falls(md.get(), day)) {
                    out.add(part[i]);
                }
            }
        }
        return out;
    }

    /** Whether a yearly date falls on {@code day}: 29 February on 28 February of a year without it. */
    static boolean falls(MonthDay md, LocalDate day) {
        if (md.equals(MonthDay.from(day))) {
            return true;
        }
        return md.getMonthValue() == 2 && md.getDayOfMonth() == 29 && !day.isLeapYear()
                && day.getMonthValue() == 2 && day.getDayOfMonth() == 28;
    }
}
