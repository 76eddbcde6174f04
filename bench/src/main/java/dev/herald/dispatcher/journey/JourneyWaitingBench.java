package dev.herald.dispatcher.journey;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Issue 16's "10,000,000 instances waiting: heap and disk per instance": a welcome-like journey
 * (entry {@code signed_up}; delay P2D, send, delay P5D, send; exit on {@code account_closed})
 * with {@code --instances} instances waiting at its first delay, their sign-ups spread evenly over
 * {@code --spread-hours} (so their due times fall in that many hours of one-second buckets).
 *
 * <p>The instance log is written with exactly the records {@link JourneyEngine#events()} writes for
 * an event entry — per instance an {@code Enter} and an {@code At} of one id, due at
 * {@code dueSecond(signup + P2D)} — but in frames of {@code --frame} instances (the engine writes one
 * frame per {@code events()} call; the frame header and the call's {@code Cursor} record are the only
 * difference, reported). Then the engine is opened on that data directory (the restart: it replays
 * the log) and measured:
 * <ul>
 *   <li>replay time, and the heap it retains (used heap after {@code System.gc()} ×4, minus the same
 *       before the open) per instance; the log's bytes per instance;</li>
 *   <li>compaction ({@code JourneyEngine.compact}: the state's image replaces the log): its time and the
 *       image's bytes per instance; then a second restart, from the image: its time and retained heap
 *       (the rest below runs on the engine it opened);</li>
 *   <li>an exit of one waiting instance: {@code JourneyState.apply(End)} alone (many samples), and the
 *       engine's whole path ({@code account_closed} stored in the events log, {@code events()}: locate,
 *       apply, one fsynced frame);</li>
 *   <li>the first {@code tick()} (which also checks every instance against the opt-outs) and then ticks
 *       each taking one due second's bucket to the send step (a logged run returned, not started).</li>
 * </ul>
 * {@code --order shuffled} gives recipient ids in random order of sign-up (an imported audience signing
 * up later) instead of ids in sign-up order (registered at sign-up); {@code --keyed true} makes it a
 * keyed journey (key {@code cartId}, once per key), each instance keeping its key.
 *
 * <pre>{@code
 * FLAGS="$(unzip -p bench/target/benchmarks.jar herald-jvm.flags)"
 * java -Xmx4g $FLAGS -cp bench/target/benchmarks.jar dev.herald.dispatcher.journey.JourneyWaitingBench --instances 10000000
 * }</pre>
 * {@code --via-engine N} instead stores N {@code signed_up} events in batches of {@code --frame} and
 * runs {@code events()} after each (the honest path, at a size it can do): the entry rate and the log's
 * bytes per instance written by the calls that did not compact it, which match the records written above
 * (the engine compacts the log once it passes 64 MiB: those calls are counted and timed apart, and included
 * in the rate).
 * (In this package for the engine's package-private state; it changes nothing in it.)
 */
public final class JourneyWaitingBench {

    static final Instant T0 = Instant.parse("2026-06-10T00:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();

    private JourneyWaitingBench() {
    }

    /** A clock the bench sets. */
    static final class SetClock extends Clock {
        volatile long millis;

        SetClock(long millis) {
            this.millis = millis;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    static JourneyDefinition definition(boolean keyed) throws IOException {
        String entry = keyed ? "{\"event\": \"signed_up\", \"key\": \"cartId\"}" : "{\"event\": \"signed_up\"}";
        String reentry = keyed ? "once-per-key" : "once";
        String json = "{\"name\": \"Welcome (bench)\", \"entry\": " + entry + ", \"reentry\": {\"policy\": \"" + reentry + "\"},"
                + " \"exits\": [{\"event\": \"account_closed\"}], \"start\": \"wait-2d\", \"steps\": ["
                + "{\"id\": \"wait-2d\", \"type\": \"delay\", \"duration\": \"P2D\", \"next\": \"hello\"},"
                + "{\"id\": \"hello\", \"type\": \"send\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                + " \"template\": \"ACME: welcome, {{first_name|friend}}!\", \"next\": \"wait-5d\"},"
                + "{\"id\": \"wait-5d\", \"type\": \"delay\", \"duration\": \"P5D\", \"next\": \"tips\"},"
                + "{\"id\": \"tips\", \"type\": \"send\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\": \"acme\","
                + " \"template\": \"ACME: three tips for your first week\"}]}";
        return JSON.readValue(json, JourneyDefinition.class);
    }

    public static void main(String[] args) throws Exception {
        int n = 10_000_000;
        int spreadHours = 48;
        int frame = 10_000;
        boolean shuffled = false;
        boolean keyed = false;
        int exits = 20_000;
        int ticks = 200;
        int viaEngine = 0;
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option without a value: " + args[args.length - 1]);
        }
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--instances" -> n = Integer.parseInt(v);
                case "--spread-hours" -> spreadHours = Integer.parseInt(v);
                case "--frame" -> frame = Integer.parseInt(v);
                case "--order" -> {
                    if (!v.equals("sequential") && !v.equals("shuffled")) {
                        throw new IllegalArgumentException("--order is sequential or shuffled, got " + v);
                    }
                    shuffled = v.equals("shuffled");
                }
                case "--keyed" -> keyed = Boolean.parseBoolean(v);
                case "--exits" -> exits = Integer.parseInt(v);
                case "--ticks" -> ticks = Integer.parseInt(v);
                case "--dir" -> parent = Path.of(v);
                case "--via-engine" -> viaEngine = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--instances, --spread-hours, --frame, --order, --keyed, --exits, --ticks, --dir, --via-engine)");
            }
        }
        if (n < 1 || spreadHours < 1 || frame < 1) {
            throw new IllegalArgumentException("--instances, --spread-hours and --frame must be at least 1");
        }
        Path root = Files.createTempDirectory(parent, "herald-journey-waiting-");
        if (viaEngine == 0) {
            System.out.printf(Locale.ROOT, "%,d instances, sign-ups over %d h, ids %s, %s, frames of %,d; %s; max heap %d MiB%n",
                    n, spreadHours, shuffled ? "shuffled" : "in sign-up order", keyed ? "keyed (cartId)" : "unkeyed", frame,
                    root, Runtime.getRuntime().maxMemory() >> 20);
        }
        try {
            if (viaEngine > 0) {
                viaEngine(root, viaEngine, frame, keyed);
                return;
            }
            run(root, n, spreadHours, frame, shuffled, keyed, exits, ticks);
        } finally {
            deleteTree(root);
        }
    }

    static void run(Path root, int n, int spreadHours, int frame, boolean shuffled, boolean keyed, int exits, int ticks)
            throws Exception {
        long spreadMs = spreadHours * 3_600_000L;
        long start = T0.toEpochMilli() - spreadMs; // sign-ups in [start, T0): due from T0 on, over spreadHours
        SetClock clock = new SetClock(start);
        try (HeraldData data = HeraldData.at(root)) {
            Path jdir = root.resolve("journeys");
            JourneyStore store = JourneyStore.open(jdir, clock);
            Events events = Events.open(jdir);
            String id = store.create(definition(keyed)).id();
            Files.createDirectories(jdir.resolve(JourneyEngine.INSTANCES));
            Path logFile = jdir.resolve(JourneyEngine.INSTANCES).resolve(id + ".log");

            // ---- write the instance log as the engine would
            long t0 = System.nanoTime();
            long payload = write(logFile, n, start, spreadMs, frame, shuffled, keyed);
            double writeS = (System.nanoTime() - t0) / 1e9;
            long bytes = Files.size(logFile);
            int frames = (n + frame - 1) / frame;
            System.out.printf(Locale.ROOT, "log written: %,d bytes in %.1f s, %,d frames; %.2f bytes/instance"
                            + " (records %.2f, frame overhead %.1f bytes/frame)%n",
                    bytes, writeS, frames, bytes / (double) n, payload / (double) n, (bytes - payload) / (double) frames);

            // ---- restart: open the engine, which replays the log
            JourneyDeps.StepSender noSender = new JourneyDeps.StepSender() {
                @Override
                public CompletionStage<StepRun.Result> run(StepRun run) {
                    throw new UnsupportedOperationException("the bench starts no run");
                }

                @Override
                public void remove(StepRun run) {
                }
            };
            JourneyDeps deps = new JourneyDeps(jdir, store, events, data.directory(), ZoneIndex.build(data.directory()),
                    data.suppression(), name -> Optional.empty(), dev.herald.dispatcher.funnel.Engagement.NONE, noSender, clock);
            long before = usedAfterGc();
            t0 = System.nanoTime();
            JourneyEngine first = JourneyEngine.open(deps);
            double replayS = (System.nanoTime() - t0) / 1e9;
            long after = usedAfterGc();
            JourneyState st = stateOf(first, id);
            JourneyState.Lane lane = check(st, n, "replay");
            int buckets = lane.due.get(0).size();
            System.out.printf(Locale.ROOT, "replay (engine open): %.2f s (%,.0f instances/s); waiting %,d in %,d due buckets"
                            + " (%.1f per bucket)%n", replayS, n / replayS, st.waiting(), buckets, n / (double) buckets);
            System.out.printf(Locale.ROOT, "heap retained: %,d bytes = %.1f MiB = %.2f bytes/instance (used after GC %,d -> %,d)%n",
                    after - before, (after - before) / 1048576.0, (after - before) / (double) n, before, after);

            // ---- compaction (what the engine does once the log passes 4x its last size and 64 MiB), then a restart from it
            t0 = System.nanoTime();
            first.compact(first.journey(id).orElseThrow());
            double compactS = (System.nanoTime() - t0) / 1e9;
            long imageBytes = Files.size(logFile);
            System.out.printf(Locale.ROOT, "compacted (engine.compact: image, written, fsynced, renamed): %.2f s; log %,d -> %,d bytes"
                            + " = %.2f bytes/instance%n", compactS, bytes, imageBytes, imageBytes / (double) n);
            first.close();
            first = null;
            st = null;
            lane = null;
            before = usedAfterGc();
            t0 = System.nanoTime();
            JourneyEngine engine = JourneyEngine.open(deps);
            double restartS = (System.nanoTime() - t0) / 1e9;
            after = usedAfterGc();
            st = stateOf(engine, id);
            lane = check(st, n, "restart from the image");
            if (lane.due.get(0).size() != buckets) {
                throw new IllegalStateException("restart from the image: " + lane.due.get(0).size() + " due buckets, replay had " + buckets);
            }
            System.out.printf(Locale.ROOT, "restart from the compacted log (engine open): %.2f s (%,.0f instances/s)%n", restartS,
                    n / restartS);
            System.out.printf(Locale.ROOT, "heap retained after that restart: %,d bytes = %.1f MiB = %.2f bytes/instance"
                            + " (used after GC %,d -> %,d)%n",
                    after - before, (after - before) / 1048576.0, (after - before) / (double) n, before, after);

            // ---- exits: JourneyState.apply(End) of one instance, many samples
            SplittableRandom rnd = new SplittableRandom(0x5eed16L);
            int[] victims = new int[exits];
            for (int i = 0; i < exits; i++) {
                int r;
                do {
                    r = rnd.nextInt(n);
                } while (!lane.members[0].contains(r) || contains(victims, i, r));
                victims[i] = r;
            }
            long[] ns = new long[exits];
            for (int i = 0; i < exits; i++) {
                Rec.End end = new Rec.End(clock.millis(), 0, "goal", MutableRoaringBitmap.bitmapOf(victims[i]));
                long a = System.nanoTime();
                st.apply(end);
                ns[i] = System.nanoTime() - a;
            }
            Arrays.sort(ns);
            System.out.printf(Locale.ROOT, "exit, JourneyState.apply(End) of one of %,d: p50 %.1f µs, p90 %.1f µs, p99 %.1f µs,"
                            + " max %.1f µs (%,d samples, first half as warm-up included)%n", n,
                    ns[exits / 2] / 1e3, ns[exits * 9 / 10] / 1e3, ns[exits * 99 / 100] / 1e3, ns[exits - 1] / 1e3, exits);
            // the engine's path: an exit event stored, events() applies it and writes its frame
            int engineExits = 30;
            long[] ens = new long[engineExits];
            int ended = 0;
            for (int i = 0; i < engineExits; i++) {
                int r;
                do {
                    r = rnd.nextInt(n);
                } while (!lane.members[0].contains(r));
                events.record(List.of(new Event("x" + i, r, "account_closed", clock.millis(), clock.millis(), Map.of())));
                long a = System.nanoTime();
                engine.events();
                ens[i] = System.nanoTime() - a;
                ended += lane.members[0].contains(r) ? 0 : 1;
            }
            if (ended != engineExits) {
                throw new IllegalStateException(ended + " of " + engineExits + " exit events ended their instance");
            }
            Arrays.sort(ens);
            System.out.printf(Locale.ROOT, "exit through the engine (event stored, then events(): locate, End, one fsynced frame):"
                            + " p50 %.2f ms, max %.2f ms (%d samples)%n", ens[engineExits / 2] / 1e6, ens[engineExits - 1] / 1e6,
                    engineExits);
            long waitingNow = st.waiting();

            // ---- ticks: the first (opt-out check of every instance, nothing due), then one due second each
            clock.millis = T0.toEpochMilli() - 500;
            long a = System.nanoTime();
            List<StepRun> runs = engine.tick();
            double firstTickMs = (System.nanoTime() - a) / 1e6;
            if (!runs.isEmpty()) {
                throw new IllegalStateException("nothing is due before " + T0 + " but the tick started " + runs.size() + " runs");
            }
            System.out.printf(Locale.ROOT, "first tick (opt-out check of %,d instances, nothing due): %.1f ms%n", waitingNow,
                    firstTickMs);
            long[] tns = new long[ticks];
            long moved = 0;
            int emptyTicks = 0;
            long second = T0.toEpochMilli();
            for (int i = 0; i < ticks; i++) {
                long due = lane.due.get(0).firstKey();
                second = Math.max(second, due);
                clock.millis = second;
                long expected = lane.due.get(0).firstEntry().getValue().getLongCardinality();
                a = System.nanoTime();
                runs = engine.tick();
                tns[i] = System.nanoTime() - a;
                long got = runs.stream().mapToLong(r -> r.ids().getLongCardinality()).sum();
                if (runs.size() > 1 || got > expected) {
                    throw new IllegalStateException("tick at " + Instant.ofEpochMilli(second) + ": " + runs.size() + " runs of "
                            + got + " ids, the bucket held " + expected);
                }
                moved += got;
                emptyTicks += runs.isEmpty() ? 1 : 0;
                second += 1000;
            }
            Arrays.sort(tns);
            System.out.printf(Locale.ROOT, "tick taking one due second (%.1f instances each on average, to the send step, one run"
                            + " logged): p50 %.2f ms, p90 %.2f ms, max %.2f ms (%d ticks, %d of them found only exited ids)%n",
                    moved / (double) ticks, tns[ticks / 2] / 1e6, tns[ticks * 9 / 10] / 1e6, tns[ticks - 1] / 1e6, ticks, emptyTicks);

            // ---- what the retained heap is made of: drop parts, collect, compare
            long full = usedAfterGc();
            st.versions.get(1).get(0).due.get(0).clear();
            long noBuckets = usedAfterGc();
            st.keys.clear();
            st.enteredKeys.clear();
            long noKeys = usedAfterGc();
            System.out.printf(Locale.ROOT, "of the heap: due buckets %.2f bytes/instance, keys (map and entered-key hashes)"
                            + " %.2f bytes/instance, the rest (member, active, entered bitmaps, runs) %.2f bytes/instance%n",
                    (full - noBuckets) / (double) n, (noBuckets - noKeys) / (double) n, (noKeys - before) / (double) n);
            engine.close();
            events.close();
            store.close();
        }
    }

    /**
     * The honest path at a smaller size: {@code n} {@code signed_up} events stored in the events log
     * in batches of {@code batch}, each batch followed by {@code JourneyEngine.events()} (one frame per
     * call, as the runner does after each stored batch). Prints the entry rate of {@code events()} and
     * the instance log's bytes per instance, to compare with the records the main bench writes.
     */
    static void viaEngine(Path root, int n, int batch, boolean keyed) throws Exception {
        SetClock clock = new SetClock(T0.toEpochMilli());
        try (HeraldData data = HeraldData.at(root)) {
            Path jdir = root.resolve("journeys");
            JourneyStore store = JourneyStore.open(jdir, clock);
            Events events = Events.open(jdir);
            String id = store.create(definition(keyed)).id();
            JourneyDeps deps = new JourneyDeps(jdir, store, events, data.directory(), ZoneIndex.build(data.directory()),
                    data.suppression(), name -> Optional.empty(), dev.herald.dispatcher.funnel.Engagement.NONE, null, clock);
            JourneyEngine engine = JourneyEngine.open(deps);
            Path logFile = engine.logFile(id);
            long engineNs = 0;
            long storeNs = 0;
            // the log is compacted once past 64 MiB (about 0.9M unkeyed entries): calls that compacted are counted apart
            long appended = 0;
            long appendedInstances = 0;
            int compactions = 0;
            long compactingNs = 0;
            for (int from = 0; from < n; from += batch) {
                List<Event> b = new ArrayList<>();
                for (int i = from; i < Math.min(n, from + batch); i++) {
                    Map<String, Object> props = keyed ? Map.of("cartId", String.format(Locale.ROOT, "cart-%010d", (long) i * 7 + 12_345))
                            : Map.of();
                    b.add(new Event("s" + i, i, "signed_up", clock.millis(), clock.millis(), props));
                }
                long a = System.nanoTime();
                events.record(b);
                long size0 = Files.size(logFile);
                long m = System.nanoTime();
                engine.events();
                long e = System.nanoTime();
                long size1 = Files.size(logFile);
                storeNs += m - a;
                engineNs += e - m;
                if (size1 >= size0) {
                    appended += size1 - size0;
                    appendedInstances += b.size();
                } else {
                    compactions++;
                    compactingNs += e - m;
                }
                clock.millis += 1000;
            }
            JourneyState st = engine.journey(id).orElseThrow().state;
            if (st.waiting() != n) {
                throw new IllegalStateException(st.waiting() + " waiting of " + n + " signed up");
            }
            long bytes = Files.size(logFile);
            System.out.printf(Locale.ROOT, "via the engine: %,d signed_up events in batches of %,d: events() %.2f s = %,.0f entries/s"
                            + " (storing the events: %.2f s); %d of the calls compacted the log (%.2f s those calls in all);"
                            + " the others wrote %.2f bytes/instance; instance log at the end %,d bytes = %.2f bytes/instance%n",
                    n, batch, engineNs / 1e9, n / (engineNs / 1e9), storeNs / 1e9, compactions, compactingNs / 1e9,
                    appended / (double) appendedInstances, bytes, bytes / (double) n);
            engine.close();
            events.close();
            store.close();
        }
    }

    private static JourneyState stateOf(JourneyEngine engine, String id) {
        return engine.journey(id).orElseThrow(() -> new IllegalStateException("journey not run: " + engine.broken())).state;
    }

    /** @return the first delay's lane, after checking that all {@code n} instances wait there */
    private static JourneyState.Lane check(JourneyState st, int n, String what) {
        JourneyState.Lane lane = st.versions.get(1).get(0);
        if (st.waiting() != n || lane.members[0].getLongCardinality() != n || st.entered != n) {
            throw new IllegalStateException(what + " gave " + st.waiting() + " waiting, " + lane.members[0].getLongCardinality()
                    + " at the delay, " + st.entered + " entered; expected " + n);
        }
        return lane;
    }

    private static boolean contains(int[] a, int len, int v) {
        for (int i = 0; i < len; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    /** @return the payload bytes written (records, without frame headers) */
    static long write(Path logFile, int n, long start, long spreadMs, int frame, boolean shuffled, boolean keyed)
            throws IOException {
        int[] ids = null;
        if (shuffled) {
            ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = i;
            }
            SplittableRandom rnd = new SplittableRandom(0x5eed4e4a1dL);
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = ids[i];
                ids[i] = ids[j];
                ids[j] = t;
            }
        }
        long payload = 0;
        long delay = Duration.ofDays(2).toMillis();
        long eventOffset = 0;
        try (JourneyLog log = JourneyLog.open(logFile, r -> {
            throw new IllegalStateException("a new log has nothing to replay");
        })) {
            List<Rec> batch = new ArrayList<>(2 * frame + 1);
            for (int i = 0; i < n; i++) {
                long at = start + (long) ((double) i * spreadMs / n);
                int r = ids == null ? i : ids[i];
                String key = keyed ? String.format(Locale.ROOT, "cart-%010d", (long) i * 7 + 12_345) : "";
                batch.add(new Rec.Enter(at, 1, 0, r, key, eventOffset));
                eventOffset += 184; // about an event's bytes in events.log (EventsBenchmark)
                batch.add(new Rec.At(at, 1, 0, 0, JourneyEngine.dueSecond(at + delay), MutableRoaringBitmap.bitmapOf(r)));
                if (batch.size() == 2 * frame || i == n - 1) {
                    byte[] enc = JourneyLog.encode(batch);
                    payload += enc.length;
                    log.append(batch);
                    batch.clear();
                }
            }
        }
        return payload;
    }

    static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
