package dev.herald.dispatcher.journey;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A journey's flow over its last days: how many entered, arrived at each step (by step id, every
 * version) and ended for each reason, counted per quarter hour of UTC so that any zone's days (every
 * zone's offset is a whole number of quarter hours) are sums of whole buckets. Counted by
 * {@link JourneyState#apply} from the records' own times, so a replay of the same log gives the same
 * flow; {@link JourneyImage} keeps it across a compaction.
 *
 * <pre>{@code
 * flow.entered(at, 1); flow.arrived(at, "hello", 1); flow.exited(at, "done", 1);   // from apply
 * List<JourneyFlow.Day> week = flow.days(ZoneId.of("Europe/London"), LocalDate.now(), 7);
 * }</pre>
 *
 * <p>Memory is bounded: only buckets that start less than {@link #KEEP_MS} before the newest record
 * are kept (at most {@code 91 × 96} buckets, each a {@code long} per step and reason counted in it), and
 * a record older than that is not counted. Not thread-safe: owned by the {@link JourneyState}.
 */
final class JourneyFlow {

    /** A bucket's length, ms. */
    static final long QUARTER_MS = 15 * 60_000L;
    /** The most days a report asks for. */
    static final int MAX_DAYS = 90;
    /** How far back from the newest record buckets are kept: {@link #MAX_DAYS} and one day for the zones furthest from UTC. */
    static final long KEEP_MS = (MAX_DAYS + 1) * 86_400_000L;

    private static final String ENTERED = "entered";
    private static final String ARRIVED = "a:";
    private static final String EXITED = "x:";

    /** slot → what it counts ({@code entered}, {@code a:<step>}, {@code x:<reason>}); slot 0 is {@code entered}. */
    private final List<String> names = new ArrayList<>();
    private final Map<String, Integer> slots = new HashMap<>();
    /** A bucket's start (epoch ms, a multiple of {@link #QUARTER_MS}) → its counts by slot (as long as the highest slot in it). */
    private final TreeMap<Long, long[]> buckets = new TreeMap<>();
    /** The newest record's time, epoch ms: the clock that drops old buckets (the same in replay). */
    private long latest = Long.MIN_VALUE;

    JourneyFlow() {
        clear();
    }

    /** One day of the flow: entered, arrivals by step id, exits by reason (only those counted). */
    record Day(LocalDate day, long entered, Map<String, Long> arrived, Map<String, Long> exited) {
    }

    void entered(long at, long n) {
        add(at, ENTERED, n);
    }

    void arrived(long at, String step, long n) {
        add(at, ARRIVED + step, n);
    }

    void exited(long at, String reason, long n) {
        add(at, EXITED + reason, n);
    }

    /** @return how many buckets are kept (tests) */
    int buckets() {
        return buckets.size();
    }

    /** @return the oldest bucket's start, epoch ms, or {@link Long#MAX_VALUE} if none (tests) */
    long oldest() {
        return buckets.isEmpty() ? Long.MAX_VALUE : buckets.firstKey();
    }

    private void add(long at, String name, long n) {
        if (n <= 0) {
            return;
        }
        if (at > latest) {
            latest = at;
            buckets.headMap(latest - KEEP_MS, true).clear();
        }
        long start = Math.floorDiv(at, QUARTER_MS) * QUARTER_MS;
        if (start <= latest - KEEP_MS) {
            return; // older than any report shows
        }
        int slot = slots.computeIfAbsent(name, k -> {
            names.add(k);
            return names.size() - 1;
        });
        long[] counts = buckets.get(start);
        if (counts == null || counts.length <= slot) {
            counts = counts == null ? new long[slot + 1] : Arrays.copyOf(counts, slot + 1);
            buckets.put(start, counts);
        }
        counts[slot] += n;
    }

    /**
     * @param zone whose days
     * @param last the last day (in {@code zone}), included
     * @param n    how many days, 1 to {@link #MAX_DAYS}
     * @return the {@code n} days up to {@code last}, oldest first, every day there even if nothing happened
     * @throws IllegalArgumentException if {@code n} is not 1 to {@link #MAX_DAYS}
     */
    List<Day> days(ZoneId zone, LocalDate last, int n) {
        if (n < 1 || n > MAX_DAYS) {
            throw new IllegalArgumentException("days must be 1 to " + MAX_DAYS + ", got " + n);
        }
        List<Day> out = new ArrayList<>(n);
        for (LocalDate d = last.minusDays(n - 1L); !d.isAfter(last); d = d.plusDays(1)) {
            long from = d.atStartOfDay(zone).toInstant().toEpochMilli();
            long to = d.plusDays(1).atStartOfDay(zone).toInstant().toEpochMilli();
            long[] sum = new long[names.size()];
            for (long[] counts : buckets.subMap(from, true, to, false).values()) {
                for (int i = 0; i < counts.length; i++) {
                    sum[i] += counts[i];
                }
            }
            Map<String, Long> arrived = new TreeMap<>();
            Map<String, Long> exited = new TreeMap<>();
            for (int i = 1; i < sum.length; i++) {
                if (sum[i] == 0) {
                    continue;
                }
                String name = names.get(i);
                (name.startsWith(ARRIVED) ? arrived : exited).put(name.substring(2), sum[i]);
            }
            out.add(new Day(d, sum.length > 0 ? sum[0] : 0, arrived, exited));
        }
        return out;
    }

    /** @return the reasons counted in {@code days}, sorted */
    static List<String> reasons(List<Day> days) {
        TreeSet<String> out = new TreeSet<>();
        days.forEach(d -> out.addAll(d.exited().keySet()));
        return List.copyOf(out);
    }

    /** @return the step ids: {@code first} (the current version's, in order), then any other arrived at in {@code days}, sorted */
    static List<String> steps(List<String> first, List<Day> days) {
        LinkedHashMap<String, Boolean> out = new LinkedHashMap<>();
        first.forEach(s -> out.put(s, true));
        TreeSet<String> more = new TreeSet<>();
        days.forEach(d -> more.addAll(d.arrived().keySet()));
        more.forEach(s -> out.putIfAbsent(s, true));
        return List.copyOf(out.keySet());
    }

    /** Forgets everything (an image is loaded in its place). */
    void clear() {
        names.clear();
        slots.clear();
        buckets.clear();
        latest = Long.MIN_VALUE;
        names.add(ENTERED);
        slots.put(ENTERED, 0);
    }

    /** Writes the flow (in a {@link JourneyImage}). */
    void write(DataOutputStream out) throws IOException {
        out.writeLong(latest);
        out.writeInt(names.size());
        for (String name : names) {
            out.writeUTF(name);
        }
        out.writeInt(buckets.size());
        for (Map.Entry<Long, long[]> b : buckets.entrySet()) {
            out.writeLong(b.getKey());
            out.writeInt(b.getValue().length);
            for (long c : b.getValue()) {
                out.writeLong(c);
            }
        }
    }

    /**
     * Replaces the flow with one {@link #write} wrote.
     *
     * @throws IOException if it is not one
     */
    void read(DataInputStream in) throws IOException {
        clear();
        latest = in.readLong();
        int n = in.readInt();
        if (n < 1 || n > 1 << 20) {
            throw new IOException("the flow has " + n + " counters");
        }
        names.clear();
        slots.clear();
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            names.add(name);
            slots.put(name, i);
        }
        if (!ENTERED.equals(names.get(0))) {
            throw new IOException("the flow's first counter is '" + names.get(0) + "', not '" + ENTERED + "'");
        }
        for (int b = in.readInt(), i = 0; i < b; i++) {
            long start = in.readLong();
            int len = in.readInt();
            if (len < 0 || len > n) {
                throw new IOException("a flow bucket of " + len + " counters, of " + n);
            }
            long[] counts = new long[len];
            for (int j = 0; j < len; j++) {
                counts[j] = in.readLong();
            }
            buckets.put(start, counts);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("flow " + latest + " " + names);
        buckets.forEach((k, v) -> sb.append(' ').append(k).append('=').append(Arrays.toString(v)));
        return sb.toString();
    }
}
