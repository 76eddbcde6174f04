package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyLog.Rec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journey's flow per day ({@link JourneyFlow}) as {@link JourneyState#apply} keeps it: entered,
 * arrivals by step and exits by reason per UTC day or any zone's day; the same after a replay and
 * after a compaction; buckets beyond the 90 days (and a day) dropped.
 */
class JourneyFlowTest {

    /** Monday 2026-11-30 00:00 UTC. */
    static final Instant DAY0 = Instant.parse("2026-11-30T00:00:00Z");

    @TempDir
    Path dir;

    private static JourneyPlan cart() throws Exception {
        JourneyDefinition d = new ObjectMapper().readValue(Files.readString(Path.of("..", "examples", "journeys",
                "abandoned-cart.json")), JourneyDefinition.class);
        return JourneyPlan.of("j-flow", 1, d);
    }

    private static long at(String iso) {
        return Instant.parse(iso).toEpochMilli();
    }

    private static MutableRoaringBitmap ids(int... ids) {
        return MutableRoaringBitmap.bitmapOf(ids);
    }

    /** Three enter on 30 Nov (one at 23:50 UTC), two wait an hour and go on to the reminder, one ends; and on 1 Dec. */
    private static List<Rec> week() {
        List<Rec> r = new ArrayList<>();
        r.add(new Rec.Enter(at("2026-11-30T09:00:00Z"), 1, 0, 1, "A", -1));
        r.add(new Rec.At(at("2026-11-30T09:00:00Z"), 1, 0, 0, at("2026-11-30T10:00:00Z"), ids(1)));
        r.add(new Rec.EnterMany(at("2026-11-30T12:00:00Z"), 1, 0, ids(2, 3)));
        r.add(new Rec.At(at("2026-11-30T12:00:00Z"), 1, 0, 0, at("2026-11-30T13:00:00Z"), ids(2, 3)));
        r.add(new Rec.At(at("2026-11-30T13:00:00Z"), 1, 1, 0, 0, ids(2, 3)));
        r.add(new Rec.End(at("2026-11-30T13:30:00Z"), 0, "goal", ids(3, 99))); // 99 has no instance: not counted
        r.add(new Rec.Enter(at("2026-11-30T23:50:00Z"), 1, 0, 4, "D", -1));
        r.add(new Rec.At(at("2026-11-30T23:50:00Z"), 1, 0, 0, at("2026-12-01T00:50:00Z"), ids(4)));
        r.add(new Rec.At(at("2026-12-01T00:50:00Z"), 1, 1, 0, 0, ids(4)));
        r.add(new Rec.End(at("2026-12-01T01:00:00Z"), 0, "done", ids(4)));
        return r;
    }

    private static JourneyState replayed(JourneyPlan plan, List<Rec> records) {
        JourneyState st = new JourneyState("j-flow", v -> plan);
        records.forEach(st::apply);
        return st;
    }

    @Test
    void shouldCountEnteredArrivalsAndExitsPerUtcDay() throws Exception {
        JourneyState st = replayed(cart(), week());
        List<JourneyFlow.Day> days = st.flow.days(ZoneOffset.UTC, LocalDate.parse("2026-12-01"), 3);
        assertEquals(3, days.size());
        assertEquals(new JourneyFlow.Day(LocalDate.parse("2026-11-29"), 0, Map.of(), Map.of()), days.get(0), "a quiet day is there");
        assertEquals(new JourneyFlow.Day(LocalDate.parse("2026-11-30"), 4, Map.of("wait-1h", 4L, "reminder", 2L),
                Map.of("goal", 1L)), days.get(1));
        assertEquals(new JourneyFlow.Day(LocalDate.parse("2026-12-01"), 0, Map.of("reminder", 1L), Map.of("done", 1L)),
                days.get(2));
        assertEquals(List.of("done", "goal"), JourneyFlow.reasons(days));
        assertEquals(List.of("wait-1h", "reminder", "offer", "bought", "done"),
                JourneyFlow.steps(List.of("wait-1h", "reminder", "offer", "bought", "done"), days));
        assertEquals(List.of("done", "reminder", "wait-1h"), JourneyFlow.steps(List.of("done"), days), "others after, sorted");
    }

    @Test
    void shouldCountTheDaysOfTheZoneAsked() throws Exception {
        JourneyState st = replayed(cart(), week());
        // India is 5:30 ahead: 23:50 UTC on 30 Nov is 05:20 on 1 Dec, and 09:00 UTC is 14:30 the same day
        List<JourneyFlow.Day> india = st.flow.days(ZoneId.of("Asia/Kolkata"), LocalDate.parse("2026-12-01"), 2);
        assertEquals(3, india.get(0).entered(), india.toString());
        assertEquals(1, india.get(1).entered(), india.toString());
        assertEquals(Map.of("done", 1L), india.get(1).exited());
        // New York is 5 hours behind: its 30 Nov runs to 05:00 UTC on 1 Dec, so it has everything
        List<JourneyFlow.Day> ny = st.flow.days(ZoneId.of("America/New_York"), LocalDate.parse("2026-12-01"), 2);
        assertEquals(4, ny.get(0).entered(), ny.toString());
        assertEquals(Map.of("goal", 1L, "done", 1L), ny.get(0).exited());
        assertEquals(0, ny.get(1).entered());
        // Nepal is 5:45 ahead: 18:15 UTC is its midnight
        JourneyState np = replayed(cart(), List.of(
                new Rec.Enter(at("2026-11-30T18:14:59Z"), 1, 0, 1, "", -1),
                new Rec.Enter(at("2026-11-30T18:15:00Z"), 1, 0, 2, "", -1)));
        List<JourneyFlow.Day> nepal = np.flow.days(ZoneId.of("Asia/Kathmandu"), LocalDate.parse("2026-12-01"), 2);
        assertEquals(List.of(1L, 1L), nepal.stream().map(JourneyFlow.Day::entered).toList());
    }

    @Test
    void aReplayOfTheLogAndACompactedLogGiveTheSameFlow() throws Exception {
        JourneyPlan plan = cart();
        long seed = 18;
        System.out.println("JourneyFlowTest seed " + seed);
        Random rnd = new Random(seed);
        List<Rec> records = new ArrayList<>(week());
        long t = at("2026-12-01T02:00:00Z");
        for (int r = 10; r < 2_000; r++) {
            t += rnd.nextInt(600_000);
            records.add(new Rec.Enter(t, 1, 0, r, "k" + r, -1));
            records.add(new Rec.At(t, 1, 0, 0, t + 3_600_000, ids(r)));
            if (rnd.nextInt(3) == 0) {
                records.add(new Rec.End(t + rnd.nextInt(100_000), 0, rnd.nextBoolean() ? "goal" : "opted_out", ids(r)));
            }
        }
        JourneyState live = new JourneyState("j-flow", v -> plan);
        Path file = dir.resolve("j-flow.log");
        try (JourneyLog log = JourneyLog.open(file, live::apply)) {
            for (Rec r : records) {
                log.append(List.of(r));
                live.apply(r);
            }
        }
        JourneyState again = new JourneyState("j-flow", v -> plan);
        JourneyLog.open(file, again::apply).close();
        LocalDate last = LocalDate.ofInstant(Instant.ofEpochMilli(t), ZoneOffset.UTC);
        assertEquals(live.flow.toString(), again.flow.toString());
        assertEquals(live.flow.days(ZoneId.of("Europe/London"), last, 30), again.flow.days(ZoneId.of("Europe/London"), last, 30));
        assertTrue(live.flow.days(ZoneOffset.UTC, last, 30).stream().mapToLong(JourneyFlow.Day::entered).sum() == live.entered,
                "every entry is in the last 30 days");

        JourneyLog.compact(file, t, live::image, 1000);
        JourneyState compacted = new JourneyState("j-flow", v -> plan);
        JourneyLog.open(file, compacted::apply).close();
        assertEquals(live.flow.toString(), compacted.flow.toString(), "the image keeps the flow");
        assertEquals(live.flow.days(ZoneOffset.UTC, last, 90), compacted.flow.days(ZoneOffset.UTC, last, 90));
    }

    @Test
    void bucketsOlderThanTheNinetyDaysAndADayAreDropped() throws Exception {
        JourneyState st = replayed(cart(), List.of(new Rec.Enter(DAY0.toEpochMilli(), 1, 0, 1, "", -1)));
        assertEquals(1, st.flow.buckets());
        long later = DAY0.plus(Duration.ofDays(90)).toEpochMilli();
        st.apply(new Rec.Enter(later, 1, 0, 2, "", -1));
        assertEquals(2, st.flow.buckets(), "90 days on, the first is still kept (zones ahead of UTC may ask for it)");
        long muchLater = DAY0.plus(Duration.ofDays(92)).toEpochMilli();
        st.apply(new Rec.Enter(muchLater, 1, 0, 3, "", -1));
        assertEquals(2, st.flow.buckets(), "92 days on, the first is dropped");
        assertEquals(later, st.flow.oldest());
        // a record older than what is kept is not counted (its day is beyond any report)
        st.apply(new Rec.Enter(DAY0.toEpochMilli(), 1, 0, 4, "", -1));
        assertEquals(2, st.flow.buckets());
        assertEquals(4, st.entered, "the totals still count it");
        LocalDate today = LocalDate.ofInstant(Instant.ofEpochMilli(muchLater), ZoneOffset.UTC);
        List<JourneyFlow.Day> days = st.flow.days(ZoneOffset.UTC, today, 90);
        assertEquals(90, days.size());
        assertEquals(2, days.stream().mapToLong(JourneyFlow.Day::entered).sum(), days.toString());

        // however long it runs, no more than 91 days of quarter hours are kept
        JourneyPlan plan = cart();
        JourneyState busy = new JourneyState("j-flow", v -> plan);
        for (long q = 0; q < 200L * 96; q++) {
            busy.apply(new Rec.Enter(DAY0.toEpochMilli() + q * JourneyFlow.QUARTER_MS, 1, 0, (int) q, "", -1));
        }
        assertEquals(91 * 96, busy.flow.buckets());
    }

    @Test
    void aVersionOneImageWrittenBeforeTheFlowLoadsWithNone() throws Exception {
        JourneyPlan plan = cart();
        JourneyState st = replayed(plan, week());
        java.io.ByteArrayOutputStream image = new java.io.ByteArrayOutputStream();
        st.image(new java.io.DataOutputStream(image));
        java.io.ByteArrayOutputStream flow = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream flowOut = new java.io.DataOutputStream(flow);
        st.flow.write(flowOut);
        flowOut.flush();
        // version 1: the same image without the flow at its end
        byte[] v1 = java.util.Arrays.copyOf(image.toByteArray(), image.size() - flow.size());
        java.nio.ByteBuffer.wrap(v1).putInt(0, 1);
        JourneyState back = new JourneyState("j-flow", v -> plan);
        JourneyImage.load(back, new java.io.ByteArrayInputStream(v1));
        assertEquals(st.entered, back.entered);
        assertEquals(st.exited, back.exited);
        assertEquals(0, back.flow.buckets(), "no flow before the image");
        back.apply(new Rec.Enter(at("2026-12-01T09:00:00Z"), 1, 0, 5, "E", -1));
        assertEquals(1, back.flow.days(ZoneOffset.UTC, LocalDate.parse("2026-12-01"), 1).get(0).entered(), "counted from there on");

        byte[] v3 = image.toByteArray();
        java.nio.ByteBuffer.wrap(v3).putInt(0, 3);
        java.io.IOException e = assertThrows(java.io.IOException.class,
                () -> JourneyImage.load(new JourneyState("j-flow", v -> plan), new java.io.ByteArrayInputStream(v3)));
        assertTrue(e.getMessage().contains("image version 3"), e.getMessage());
    }

    @Test
    void shouldRefuseDaysOutsideOneToNinety() throws Exception {
        JourneyState st = replayed(cart(), week());
        assertThrows(IllegalArgumentException.class, () -> st.flow.days(ZoneOffset.UTC, LocalDate.parse("2026-12-01"), 0));
        assertThrows(IllegalArgumentException.class, () -> st.flow.days(ZoneOffset.UTC, LocalDate.parse("2026-12-01"), 91));
    }
}
