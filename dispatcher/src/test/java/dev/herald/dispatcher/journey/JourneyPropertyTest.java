package dev.herald.dispatcher.journey;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.ZoneIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * For random event sequences, every instance ends in exactly one exit reason — and the right one.
 *
 * <p>Each try drives a {@link JourneyEngine} directly (no actor) on a test clock, with two
 * journeys at once: the shipped abandoned cart (keyed by {@code cartId}, exit on the order of the
 * same cart) and a welcome journey with a branch on an entry event's property, a wait-for with a
 * timeout, a delay until local 10:00, a second branch on that property after it (read back from
 * the events log, also after a restart) and an exit event. Random steps: batches of events
 * ({@code cart_abandoned}, {@code order_placed} with random cart ids, {@code signed_up},
 * {@code account_closed}, unrelated ones), clock moves from a second to a day and a half, ticks,
 * opt-outs (STOP), new versions, pause, resume, archive, restarts of the engine (a replay of
 * its logs), and the send steps' runs ending at random moments — completely, partly
 * (the rest deferred), with some recipients suppressed, or failing (retried). At the end the
 * clock moves until nothing waits.
 *
 * <p>The oracle is each journey's instance log, read back record by record and checked against
 * a model of instances by (lane, recipient) that does not use {@link JourneyState}: every Enter is
 * of a free instance, every At, Run and End of a live one; so each instance ends exactly once.
 * Then per instance, against the events recorded: its reason is the one the events and the
 * clock call for, no send step ran twice for it, and a STOP ends it at once. Last, a second
 * engine opened on the same directory replays the logs to the same counters.
 */
class JourneyPropertyTest {

    private static final Instant START = Instant.parse("2026-03-06T09:00:00Z"); // New York's DST change in two days
    private static final String[][] PEOPLE = {
        {"+447911123461", "Europe/London"},
        {"+447911123462", "Asia/Tokyo"},
        {"+447911123463", "America/New_York"},
        {"+447911123464", "Europe/London"}};
    private static final List<String> CARTS = List.of("A", "B", "C", "D");
    private static final String WELCOME = """
            {"name": "Welcome",
             "entry": {"event": "signed_up"},
             "reentry": {"policy": "once-per-window", "window": "PT6H"},
             "exits": [{"event": "account_closed"}],
             "start": "kind",
             "steps": [
               {"id": "kind", "type": "branch", "on": {"property": "plan", "equals": "pro"}, "then": "hello-pro", "else": "hello"},
               {"id": "hello-pro", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
                "template": "ACME: welcome to Pro, {{first_name|friend}}", "next": "wait-order"},
               {"id": "hello", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
                "template": "ACME: welcome, {{first_name|friend}}", "next": "wait-order"},
               {"id": "wait-order", "type": "wait-for", "event": "order_placed", "timeout": "PT2H",
                "onEvent": "bought", "onTimeout": "morning"},
               {"id": "bought", "type": "exit", "reason": "bought"},
               {"id": "morning", "type": "delay", "until": "10:00", "next": "kind-again"},
               {"id": "tips", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
                "template": "ACME: three tips for your first week https://shop.example/tips"},
               {"id": "kind-again", "type": "branch", "on": {"property": "plan", "equals": "pro"}, "then": "tips-pro", "else": "tips"},
               {"id": "tips-pro", "type": "send", "channel": "sms", "category": "marketing", "sender": "acme",
                "template": "ACME: three Pro tips https://shop.example/pro-tips"}]}
            """;
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    private static final AtomicInteger TRIES = new AtomicInteger();

    private static Path root;
    private static HeraldData data;
    private static RecipientDirectory directory;
    private static ZoneIndex zones;
    private static JourneyDefinition cartDef;
    private static JourneyDefinition welcomeDef;

    @BeforeContainer
    static void setUp() throws IOException {
        Path shm = Path.of("/dev/shm");
        root = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "herald-journey-prop")
                : Files.createTempDirectory("herald-journey-prop");
        data = HeraldData.at(root.resolve("data"));
        directory = data.directory();
        for (String[] p : PEOPLE) {
            directory.register(p[0], p[1], "en-GB", Map.of("first_name", "Ann"));
        }
        zones = ZoneIndex.build(directory);
        cartDef = JSON.readValue(Path.of("..", "examples", "journeys", "abandoned-cart.json").toFile(), JourneyDefinition.class);
        welcomeDef = JSON.readValue(WELCOME, JourneyDefinition.class);
        new JourneyValidator(() -> Set.of("first_name"), name -> false, (sender, category, template, footer) -> null)
                .validate(welcomeDef);
    }

    @AfterContainer
    static void tearDown() throws IOException {
        data.close();
        try (var walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * Settles a run's ids like the campaign pipeline's ledger would: once settled, an id keeps its
     * outcome; an id whose instance ended before (the run's {@code cancelled}) is {@code expired:exited};
     * the others are sent, some suppressed, and with {@code partial} some left deferred.
     */
    private static final class FakeSender implements JourneyDeps.StepSender {
        private final Map<String, Map<String, MutableRoaringBitmap>> ledgers = new HashMap<>();

        StepRun.Result settle(StepRun run, Random rnd, boolean partial, long now) {
            Map<String, MutableRoaringBitmap> ledger = ledgers.computeIfAbsent(run.journeyId() + "/" + run.seq(),
                    k -> new LinkedHashMap<>());
            MutableRoaringBitmap settled = new MutableRoaringBitmap();
            ledger.values().forEach(settled::or);
            MutableRoaringBitmap open = ImmutableRoaringBitmap.andNot(run.ids(), settled);
            MutableRoaringBitmap exited = ImmutableRoaringBitmap.and(open, run.cancelled());
            open.andNot(exited);
            add(ledger, StepRun.EXITED, exited);
            for (int id : open.toArray()) {
                if (partial && rnd.nextInt(3) == 0) {
                    continue; // deferred
                }
                add(ledger, rnd.nextInt(12) == 0 ? Outcomes.SUPPRESSED_PREFIX + "global" : "sent", MutableRoaringBitmap.bitmapOf(id));
            }
            MutableRoaringBitmap all = new MutableRoaringBitmap();
            ledger.values().forEach(all::or);
            boolean complete = all.getLongCardinality() == run.ids().getLongCardinality();
            Map<String, ImmutableRoaringBitmap> copy = new LinkedHashMap<>();
            ledger.forEach((k, v) -> copy.put(k, v.clone()));
            return new StepRun.Result(copy, complete ? 0 : now + 60_000L * (1 + rnd.nextInt(120)), complete);
        }

        private static void add(Map<String, MutableRoaringBitmap> ledger, String outcome, ImmutableRoaringBitmap ids) {
            if (!ids.isEmpty()) {
                ledger.computeIfAbsent(outcome, k -> new MutableRoaringBitmap()).or(ids);
            }
        }

        @Override
        public CompletionStage<StepRun.Result> run(StepRun run) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("the test settles runs itself"));
        }

        @Override
        public void remove(StepRun run) {
            ledgers.remove(run.journeyId() + "/" + run.seq());
        }
    }

    /** One try's world: its stores, engine, clock, and what it did. */
    private static final class World implements AutoCloseable {
        final Random rnd;
        final Path dir;
        final dev.herald.dispatcher.campaign.MutableClock clock = new dev.herald.dispatcher.campaign.MutableClock(START);
        final SuppressionIndex suppression;
        final JourneyStore store;
        final Events events;
        final FakeSender sender = new FakeSender();
        final JourneyDeps deps;
        final JourneyStore.Journey cart;
        final JourneyStore.Journey welcome;
        JourneyEngine engine;
        final List<StepRun> pending = new ArrayList<>();
        /** recipient → when it opted out (epoch ms). */
        final Map<Integer, Long> optedOut = new HashMap<>();
        /** journey id → when it was archived (epoch ms). */
        final Map<String, Long> archivedAt = new HashMap<>();
        /** event id → whether the abandoned-cart journey was active when it was stored. */
        final Map<String, Boolean> cartActive = new HashMap<>();
        int eventNo;

        World(long seed) throws IOException {
            rnd = new Random(seed);
            dir = root.resolve("try-" + TRIES.incrementAndGet());
            suppression = SuppressionIndex.open(dir.resolve("suppression"));
            store = JourneyStore.open(dir.resolve("journeys"), clock);
            events = Events.open(dir.resolve("journeys"));
            cart = store.create(cartDef);
            welcome = store.create(welcomeDef);
            deps = new JourneyDeps(dir.resolve("journeys"), store, events, directory, zones, suppression,
                    name -> Optional.empty(), dev.herald.dispatcher.funnel.Engagement.NONE, sender, clock);
            engine = JourneyEngine.open(deps);
        }

        void randomEvents() throws IOException {
            List<Event> batch = new ArrayList<>();
            int n = 1 + rnd.nextInt(3);
            long now = clock.millis();
            for (int i = 0; i < n; i++) {
                int r = rnd.nextInt(PEOPLE.length);
                String cartId = CARTS.get(rnd.nextInt(CARTS.size()));
                Event e = switch (rnd.nextInt(9)) {
                    case 0, 1, 2 -> new Event("e" + eventNo, r, "cart_abandoned", now, now, Map.of("cartId", cartId));
                    case 3, 4 -> new Event("e" + eventNo, r, "order_placed", now, now,
                            Map.of("orderId", "o" + eventNo, "cartId", cartId));
                    case 5 -> new Event("e" + eventNo, r, "order_placed", now, now, Map.of("orderId", "o" + eventNo));
                    case 6 -> new Event("e" + eventNo, r, "signed_up", now, now,
                            Map.of("plan", rnd.nextBoolean() ? "pro" : "basic"));
                    case 7 -> new Event("e" + eventNo, r, rnd.nextInt(3) == 0 ? "account_closed" : "page_viewed", now, now, Map.of());
                    default -> new Event("e" + eventNo, r, "signed_up", now, now, Map.of());
                };
                eventNo++;
                batch.add(e);
            }
            boolean active = store.get(cart.id()).orElseThrow().status() == JourneyStore.Status.ACTIVE;
            batch.forEach(e -> cartActive.put(e.id(), active));
            events.record(batch);
            engine.events();
        }

        void advance() {
            long ms = switch (rnd.nextInt(6)) {
                case 0 -> 1_000L * (1 + rnd.nextInt(59));
                case 1, 2 -> 60_000L * (1 + rnd.nextInt(59));
                case 3, 4 -> 3_600_000L * (1 + rnd.nextInt(12));
                default -> 3_600_000L * (12 + rnd.nextInt(25));
            };
            clock.advance(Duration.ofMillis(ms));
        }

        void tick() throws IOException {
            pending.addAll(engine.tick());
        }

        void finishOne(boolean all) throws IOException {
            if (pending.isEmpty()) {
                return;
            }
            StepRun run = pending.remove(rnd.nextInt(pending.size()));
            if (!all && rnd.nextInt(8) == 0) {
                engine.finished(run, null); // its stream failed: tried again later
                return;
            }
            engine.finished(run, sender.settle(run, rnd, !all && rnd.nextInt(3) == 0, clock.millis()));
        }

        void optOut() throws IOException {
            int r = rnd.nextInt(PEOPLE.length);
            if (optedOut.containsKey(r)) {
                return;
            }
            suppression.optOut(r, PEOPLE[r][0], Scope.GLOBAL, ConsentEvidence.of(ConsentSource.KEYWORD));
            optedOut.put(r, clock.millis());
            tick(); // the opt-out takes effect at the next tick, which is now
        }

        /** Pauses, resumes or (rarely) archives a journey, or stores a new version of it (the same steps). */
        void change() throws IOException {
            JourneyStore.Journey j = store.get((rnd.nextBoolean() ? cart : welcome).id()).orElseThrow();
            if (j.status() == JourneyStore.Status.ARCHIVED) {
                return;
            }
            switch (rnd.nextInt(8)) {
                case 0 -> {
                    store.status(j.id(), JourneyStore.Status.ARCHIVED);
                    archivedAt.put(j.id(), clock.millis());
                    tick(); // its instances end at this tick
                }
                case 1, 2, 3 -> store.update(j.id(), j.current().definition());
                default -> store.status(j.id(), j.status() == JourneyStore.Status.ACTIVE ? JourneyStore.Status.PAUSED
                        : JourneyStore.Status.ACTIVE);
            }
        }

        /** A restart: the engine is closed and opened again (replaying its logs); the runs' streams are gone, their ledgers stay. */
        void restart() throws IOException {
            engine.close();
            pending.clear();
            engine = JourneyEngine.open(deps);
        }

        long waiting(JourneyStore.Journey j) {
            return engine.journey(j.id()).orElseThrow().state.waiting();
        }

        @Override
        public void close() throws IOException {
            try {
                if (engine != null) {
                    engine.close();
                }
            } finally {
                events.close();
                store.close();
                suppression.close();
            }
        }
    }

    @Property(tries = 150, seed = "20261207", shrinking = ShrinkingMode.OFF)
    void everyInstanceEndsInExactlyOneExitReason(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long seed) throws Exception {
        try (World w = new World(seed)) {
            int steps = 20 + w.rnd.nextInt(60);
            for (int i = 0; i < steps; i++) {
                switch (w.rnd.nextInt(20)) {
                    case 0, 1, 2, 3, 4, 5, 6 -> w.randomEvents();
                    case 7, 8, 9, 10 -> {
                        w.advance();
                        w.tick();
                    }
                    case 11, 12, 13 -> w.tick();
                    case 14, 15, 16, 17, 18 -> w.finishOne(false);
                    default -> {
                        switch (w.rnd.nextInt(5)) {
                            case 0 -> w.optOut();
                            case 1 -> w.change();
                            case 2 -> w.restart();
                            default -> w.finishOne(false);
                        }
                    }
                }
            }
            // the end: every journey runs again, every run settles completely, the clock moves until nothing waits
            for (JourneyStore.Journey j : List.of(w.cart, w.welcome)) {
                if (w.store.get(j.id()).orElseThrow().status() == JourneyStore.Status.PAUSED) {
                    w.store.status(j.id(), JourneyStore.Status.ACTIVE);
                }
            }
            for (int round = 0; ; round++) {
                if (round == 100) {
                    StringBuilder left = new StringBuilder();
                    for (JourneyStore.Journey j : List.of(w.cart, w.welcome)) {
                        JourneyState st = w.engine.journey(j.id()).orElseThrow().state;
                        left.append(j.id()).append(' ').append(w.store.get(j.id()).orElseThrow().status()).append(": waiting ")
                                .append(st.waiting()).append(", runs ").append(st.runs.keySet()).append("; ");
                    }
                    fail("seed " + seed + ": not done after 100 rounds: " + left + "pending " + w.pending.size());
                }
                while (!w.pending.isEmpty()) {
                    w.finishOne(true);
                }
                w.tick();
                boolean runs = w.engine.journey(w.cart.id()).orElseThrow().state.runs.isEmpty()
                        && w.engine.journey(w.welcome.id()).orElseThrow().state.runs.isEmpty();
                if (w.pending.isEmpty() && runs && w.waiting(w.cart) == 0 && w.waiting(w.welcome) == 0) {
                    break;
                }
                w.clock.advance(Duration.ofHours(3));
            }

            Map<String, JourneyState> live = new LinkedHashMap<>();
            for (JourneyStore.Journey j : List.of(w.cart, w.welcome)) {
                JourneyState st = w.engine.journey(j.id()).orElseThrow().state;
                long exited = st.exited.values().stream().mapToLong(Long::longValue).sum();
                assertEquals(st.entered, exited, "seed " + seed + ", " + j.id() + ": entered = exited " + st.exited);
                assertEquals(0, st.waiting());
                live.put(j.id(), st);
            }
            assertTrue(w.engine.broken().isEmpty(), "seed " + seed + ": " + w.engine.broken());
            w.engine.close();
            w.engine = null;

            List<Indexed> events = new ArrayList<>();
            w.events.scan(0, (offset, e) -> events.add(new Indexed(offset, e)));
            checkCart(seed, w, live.get(w.cart.id()), instances(seed, w, w.cart), events);
            checkWelcome(seed, w, live.get(w.welcome.id()), instances(seed, w, w.welcome), events);

            // replay: a second engine on the same directory rebuilds the same counters
            w.engine = JourneyEngine.open(w.deps);
            for (Map.Entry<String, JourneyState> e : live.entrySet()) {
                JourneyState a = e.getValue();
                JourneyState b = w.engine.journey(e.getKey()).orElseThrow().state;
                String what = "seed " + seed + ", replay of " + e.getKey();
                assertEquals(a.entered, b.entered, what);
                assertEquals(a.exited, b.exited, what);
                assertEquals(a.waiting(), b.waiting(), what);
                assertEquals(a.arrived, b.arrived, what);
                assertEquals(a.flow.toString(), b.flow.toString(), what + ": the flow of the last days");
                assertEquals(a.outcomes, b.outcomes, what);
                assertEquals(a.everEntered, b.everEntered, what);
                assertEquals(a.lastEntry, b.lastEntry, what);
                assertEquals(a.cursor, b.cursor, what);
                assertEquals(a.nextRun, b.nextRun, what);
                assertEquals(a.runs.keySet(), b.runs.keySet(), what);
                assertEquals(a.keys, b.keys, what);
                assertEquals(a.offsets, b.offsets, what);
                assertEquals(a.enteredKeys.getLongCardinality(), b.enteredKeys.getLongCardinality(), what);
                for (int v : a.versions.keySet()) {
                    assertEquals(a.atSteps(v), b.atSteps(v), what);
                }
            }
        }
    }

    /**
     * A run's outcome for an instance that ended while its message was under way is logged as
     * it was counted: the {@code Settled} record holds every id it settled, so a restart has the
     * same outcome counts and the same settled set (else a resumed run would settle them again).
     */
    @Example
    void anOutcomeOfAnInstanceThatEndedMeanwhileIsLoggedAsCounted() throws Exception {
        try (World w = new World(1)) {
            w.events.record(List.of(new Event("e1", 0, "cart_abandoned", w.clock.millis(), w.clock.millis(), Map.of("cartId", "A"))));
            w.engine.events();
            w.clock.advance(Duration.ofMinutes(61));
            w.tick();
            assertEquals(1, w.pending.size(), "the reminder's run");
            w.events.record(List.of(new Event("e2", 0, "order_placed", w.clock.millis(), w.clock.millis(),
                    Map.of("orderId", "o1", "cartId", "A"))));
            w.engine.events(); // ends the instance while its reminder is on its way
            StepRun run = w.pending.remove(0);
            w.engine.finished(run, new StepRun.Result(Map.of("sent", MutableRoaringBitmap.bitmapOf(0)), 0, true));
            JourneyState live = w.engine.journey(w.cart.id()).orElseThrow().state;
            assertEquals(Map.of(1, Map.of(1, Map.of("sent", 1L))), live.outcomes);
            w.engine.close();
            w.engine = JourneyEngine.open(w.deps);
            assertEquals(live.outcomes, w.engine.journey(w.cart.id()).orElseThrow().state.outcomes, "after a restart");
        }
    }

    /** A new version stored while the engine runs: new entries take it, the running instance finishes on its own. */
    @Example
    void aVersionStoredWhileRunningIsEnteredAndTheOldOneFinishes() throws Exception {
        try (World w = new World(1)) {
            w.events.record(List.of(new Event("e1", 0, "cart_abandoned", w.clock.millis(), w.clock.millis(), Map.of("cartId", "A"))));
            w.engine.events();
            w.store.update(w.cart.id(), cartDef);
            w.events.record(List.of(new Event("e2", 0, "cart_abandoned", w.clock.millis(), w.clock.millis(), Map.of("cartId", "B"))));
            w.engine.events();
            JourneyState st = w.engine.journey(w.cart.id()).orElseThrow().state;
            assertEquals(2, st.entered);
            assertEquals(1L, st.atSteps(1).get(0), "cart A waits on version 1");
            assertEquals(1L, st.atSteps(2).get(0), "cart B waits on version 2");
        }
    }

    /** A run with deferred ids in a journey then archived still ends: its ids are recorded as exited, its ledger goes. */
    @Example
    void aDeferredRunOfAnArchivedJourneyEnds() throws Exception {
        try (World w = new World(1)) {
            w.events.record(List.of(new Event("e1", 0, "cart_abandoned", w.clock.millis(), w.clock.millis(), Map.of("cartId", "A"))));
            w.engine.events();
            w.clock.advance(Duration.ofMinutes(61));
            w.tick();
            StepRun run = w.pending.remove(0);
            long later = w.clock.millis() + 3_600_000L;
            w.engine.finished(run, new StepRun.Result(Map.of(), later, false)); // quiet hours: deferred an hour
            w.store.status(w.cart.id(), JourneyStore.Status.ARCHIVED);
            w.tick();
            JourneyState st = w.engine.journey(w.cart.id()).orElseThrow().state;
            assertEquals(Map.of(JourneyEngine.ARCHIVED, 1L), st.exited);
            w.clock.advance(Duration.ofHours(2));
            w.tick();
            assertEquals(1, w.pending.size(), "the deferred run is resumed");
            StepRun again = w.pending.remove(0);
            assertEquals(MutableRoaringBitmap.bitmapOf(0), again.cancelled());
            w.engine.finished(again, w.sender.settle(again, new Random(1), false, w.clock.millis()));
            assertEquals(Map.of(), st.runs, "no run left behind");
            assertEquals(Map.of(1, Map.of(1, Map.of(StepRun.EXITED, 1L))), st.outcomes);
        }
    }

    /**
     * A journey created today does not enter the recipients of events stored before it: the
     * carts abandoned last month get no reminder; carts abandoned after it was created do.
     */
    @Example
    void aNewJourneyIsNotEnteredByEventsStoredBeforeIt() throws Exception {
        try (World w = new World(1)) {
            w.events.record(List.of(new Event("old", 0, "cart_abandoned", w.clock.millis(), w.clock.millis(), Map.of("cartId", "A"))));
            w.engine.events();
            w.clock.advance(Duration.ofDays(30));
            JourneyStore.Journey later = w.store.create(cartDef);
            w.engine.events();
            w.tick();
            assertEquals(0, w.engine.journey(later.id()).orElseThrow().state.entered, "an old cart entered a new journey");
            w.events.record(List.of(new Event("new", 1, "cart_abandoned", w.clock.millis(), w.clock.millis(), Map.of("cartId", "B"))));
            w.engine.events();
            assertEquals(1, w.engine.journey(later.id()).orElseThrow().state.entered);
            assertEquals(2, w.engine.journey(w.cart.id()).orElseThrow().state.entered, "the journey that was there takes both");
        }
    }

    /** An event and its offset in the events log. */
    record Indexed(long offset, Event event) {
    }

    /** One instance as the log tells it. */
    static final class Instance {
        final int lane;
        final int recipient;
        final String key;
        final long enterAt;
        final long offset;
        String reason;
        long endAt;
        /** step → the times a Run held it there. */
        final Map<Integer, List<Long>> runs = new TreeMap<>();
        /** step → the due times it was given at that (timed) step, with when. */
        final List<long[]> dues = new ArrayList<>();

        Instance(int lane, int recipient, String key, long enterAt, long offset) {
            this.lane = lane;
            this.recipient = recipient;
            this.key = key;
            this.enterAt = enterAt;
            this.offset = offset;
        }

        int runsAt(int step) {
            return runs.getOrDefault(step, List.of()).size();
        }

        @Override
        public String toString() {
            return "instance(lane " + lane + ", recipient " + recipient + ", key " + key + ", entered " + enterAt
                    + ", offset " + offset + ", ended " + endAt + " " + reason + ", runs " + runs + ")";
        }
    }

    /** Reads a journey's log into instances, failing on any record that touches an instance not there (or enters one there). */
    private static List<Instance> instances(long seed, World w, JourneyStore.Journey j) throws IOException {
        Map<Long, Instance> open = new HashMap<>();
        List<Instance> all = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        java.util.function.BiFunction<Integer, Integer, Instance> live = (lane, r) -> open.get(JourneyState.inst(lane, r));
        Path file = w.dir.resolve("journeys").resolve(JourneyEngine.INSTANCES).resolve(j.id() + ".log");
        try (JourneyLog log = JourneyLog.open(file, rec -> {
            if (rec instanceof Rec.Enter e) {
                enter(open, all, errors, new Instance(e.lane(), e.recipient(), e.key(), e.at(), e.offset()));
            } else if (rec instanceof Rec.EnterMany e) {
                e.ids().forEach((org.roaringbitmap.IntConsumer) r -> enter(open, all, errors, new Instance(e.lane(), r, "", e.at(), -1)));
            } else if (rec instanceof Rec.At a) {
                a.ids().forEach((org.roaringbitmap.IntConsumer) r -> {
                    Instance in = live.apply(a.lane(), r);
                    if (in == null) {
                        errors.add("At step " + a.step() + " of no instance (lane " + a.lane() + ", recipient " + r + ") at " + a.at());
                    } else if (a.due() != 0) {
                        in.dues.add(new long[] {a.step(), a.at(), a.due()});
                    }
                });
            } else if (rec instanceof Rec.Run u) {
                u.ids().forEach((org.roaringbitmap.IntConsumer) r -> {
                    Instance in = live.apply(u.lane(), r);
                    if (in == null) {
                        errors.add("Run " + u.seq() + " of no instance (lane " + u.lane() + ", recipient " + r + ")");
                    } else {
                        in.runs.computeIfAbsent(u.step(), s -> new ArrayList<>()).add(u.at());
                    }
                });
            } else if (rec instanceof Rec.End e) {
                e.ids().forEach((org.roaringbitmap.IntConsumer) r -> {
                    Instance in = open.remove(JourneyState.inst(e.lane(), r));
                    if (in == null) {
                        errors.add("End " + e.reason() + " of no instance (lane " + e.lane() + ", recipient " + r + ") at " + e.at());
                    } else {
                        in.reason = e.reason();
                        in.endAt = e.at();
                    }
                });
            }
        })) {
            assertNotNull(log);
        }
        assertEquals(List.of(), errors, "seed " + seed + ", " + j.id());
        assertEquals(List.of(), List.copyOf(open.values()), "seed " + seed + ", " + j.id() + ": instances never ended");
        return all;
    }

    private static void enter(Map<Long, Instance> open, List<Instance> all, List<String> errors, Instance in) {
        Instance before = open.put(JourneyState.inst(in.lane, in.recipient), in);
        if (before != null) {
            errors.add("Enter of " + in + " over " + before);
        }
        all.add(in);
    }

    /** Abandoned cart: steps 0 wait-1h, 1 reminder, 2 wait-order, 3 offer, 4 bought (goal), 5 done. */
    private static void checkCart(long seed, World w, JourneyState st, List<Instance> all, List<Indexed> events) {
        assertEquals(st.entered, all.size(), "seed " + seed);
        assertEquals(st.exited, reasons(all), "seed " + seed);
        for (int r = 0; r < PEOPLE.length; r++) {
            final int rr = r;
            Set<String> carts = new java.util.TreeSet<>();
            events.stream().filter(x -> x.event().recipient() == rr && x.event().name().equals("cart_abandoned")
                    && w.cartActive.get(x.event().id()) && notAfterStop(w, rr, x.event().atMillis())).forEach(x -> carts.add((String) x.event().properties().get("cartId")));
            List<String> keys = all.stream().filter(i -> i.recipient == rr).map(i -> i.key).sorted().toList();
            if (!w.optedOut.containsKey(r)) {
                assertEquals(List.copyOf(carts), keys, "seed " + seed + ": recipient " + r + " enters once per cart");
            } else {
                assertTrue(carts.containsAll(keys) && keys.size() == Set.copyOf(keys).size(),
                        "seed " + seed + ": recipient " + r + " entered " + keys + " of " + carts);
            }
        }
        for (Instance in : all) {
            String what = "seed " + seed + ": " + in;
            for (int step : in.runs.keySet()) {
                assertEquals(1, in.runsAt(step), what + ": a send step ran more than once");
            }
            Optional<Indexed> order = events.stream().filter(x -> x.offset() > in.offset && x.event().recipient() == in.recipient
                    && x.event().name().equals("order_placed") && in.key.equals(x.event().properties().get("cartId"))).findFirst();
            Long stop = w.optedOut.get(in.recipient);
            if (!in.reason.equals(JourneyEngine.GOAL)) {
                assertTrue(order.isEmpty() || order.get().event().atMillis() >= in.endAt, what + ": an order of its cart before it ended");
            }
            switch (in.reason) {
                case JourneyEngine.GOAL -> {
                    assertTrue(order.isPresent(), what + ": goal without an order of its cart");
                    assertEquals(order.get().event().atMillis(), in.endAt, what + ": the order ends it at once");
                }
                case "done" -> {
                    assertEquals(1, in.runsAt(1), what + ": no reminder");
                    assertEquals(1, in.runsAt(3), what + ": no offer");
                    assertTrue(in.runs.get(1).get(0) >= in.enterAt + 3_600_000L, what + ": reminder before an hour");
                }
                case JourneyEngine.OPTED_OUT -> {
                    assertNotNull(stop, what + ": opted out without a STOP");
                    assertEquals((long) stop, in.endAt, what + ": the STOP ends it at once");
                }
                case JourneyEngine.SUPPRESSED -> assertTrue(in.runsAt(1) + in.runsAt(3) > 0, what + ": suppressed without a send");
                case JourneyEngine.ARCHIVED -> assertEquals(w.archivedAt.get(w.cart.id()), (Long) in.endAt, what);
                default -> fail(what + ": unexpected reason");
            }
            afterStop(what, in, stop);
            Statistics.label("abandoned cart: exit reasons").collect(in.reason);
        }
    }

    /** Welcome: steps 0 kind, 1 hello-pro, 2 hello, 3 wait-order, 4 bought, 5 morning, 6 tips, 7 kind-again, 8 tips-pro. */
    private static void checkWelcome(long seed, World w, JourneyState st, List<Instance> all, List<Indexed> events) {
        assertEquals(st.entered, all.size(), "seed " + seed);
        assertEquals(st.exited, reasons(all), "seed " + seed);
        Map<Integer, Long> lastEntry = new HashMap<>();
        Map<Integer, Long> lastEnd = new HashMap<>();
        for (Instance in : all) {
            String what = "seed " + seed + ": " + in;
            Event entry = events.stream().filter(x -> x.offset() == in.offset).findFirst().orElseThrow().event();
            assertEquals("signed_up", entry.name(), what);
            assertEquals(in.recipient, entry.recipient(), what);
            Long last = lastEntry.put(in.recipient, in.enterAt);
            assertTrue(last == null || in.enterAt - last >= 6 * 3_600_000L, what + ": entered again within 6 h");
            Long ended = lastEnd.put(in.recipient, in.endAt);
            assertTrue(ended == null || in.enterAt >= ended, what + ": two instances at once");
            for (int step : in.runs.keySet()) {
                assertEquals(1, in.runsAt(step), what + ": a send step ran more than once");
            }
            boolean pro = "pro".equals(entry.properties().get("plan"));
            assertEquals(0, in.runsAt(pro ? 2 : 1), what + ": the branch took the wrong way");
            assertEquals(0, in.runsAt(pro ? 6 : 8), what + ": the second branch took the wrong way");
            ZoneId zone = ZoneId.of(PEOPLE[in.recipient][1]);
            for (long[] d : in.dues) {
                if (d[0] == 5) {
                    Instant due = Instant.ofEpochMilli(d[2]);
                    assertEquals(LocalTime.of(10, 0), due.atZone(zone).toLocalTime(), what + ": morning not at 10:00 local");
                    assertTrue(d[2] > d[1] && d[2] - d[1] <= 25 * 3_600_000L, what + ": not the next 10:00");
                }
            }
            Optional<Event> closed = events.stream().filter(x -> x.offset() > in.offset && x.event().recipient() == in.recipient
                    && x.event().name().equals("account_closed")).map(Indexed::event).findFirst();
            Long stop = w.optedOut.get(in.recipient);
            if (!in.reason.equals(JourneyEngine.GOAL)) {
                assertTrue(closed.isEmpty() || closed.get().atMillis() >= in.endAt, what + ": account_closed before it ended");
            }
            switch (in.reason) {
                case JourneyEngine.GOAL -> {
                    assertTrue(closed.isPresent(), what + ": goal without account_closed");
                    assertEquals(closed.get().atMillis(), in.endAt, what + ": account_closed ends it at once");
                }
                case "bought" -> {
                    assertTrue(events.stream().anyMatch(x -> x.offset() > in.offset && x.event().recipient() == in.recipient
                            && x.event().name().equals("order_placed") && x.event().atMillis() == in.endAt), what + ": bought without an order");
                    assertEquals(1, in.runsAt(1) + in.runsAt(2), what);
                }
                case "done" -> {
                    assertEquals(1, in.runsAt(1) + in.runsAt(2), what + ": no hello");
                    assertEquals(1, in.runsAt(pro ? 8 : 6), what + ": no tips");
                }
                case JourneyEngine.OPTED_OUT -> {
                    assertNotNull(stop, what + ": opted out without a STOP");
                    assertEquals((long) stop, in.endAt, what + ": the STOP ends it at once");
                }
                case JourneyEngine.SUPPRESSED -> assertTrue(in.runs.size() > 0, what + ": suppressed without a send");
                case JourneyEngine.ARCHIVED -> assertEquals(w.archivedAt.get(w.welcome.id()), (Long) in.endAt, what);
                default -> fail(what + ": unexpected reason");
            }
            afterStop(what, in, stop);
            Statistics.label("welcome: exit reasons").collect(in.reason);
        }
    }

    /** After a STOP: no entry, no run, nothing but an end at the STOP's instant. */
    private static void afterStop(String what, Instance in, Long stop) {
        if (stop == null) {
            return;
        }
        assertTrue(in.enterAt <= stop, what + ": entered after the STOP at " + stop);
        assertTrue(in.endAt <= stop, what + ": still running after the STOP at " + stop);
        in.runs.values().forEach(times -> times.forEach(t -> assertTrue(t <= stop, what + ": a run after the STOP at " + stop)));
    }

    /** Whether {@code at} is not after {@code r}'s STOP, if any (events at the STOP's very instant may come before it). */
    private static boolean notAfterStop(World w, int r, long at) {
        Long stop = w.optedOut.get(r);
        return stop == null || at <= stop;
    }

    private static Map<String, Long> reasons(List<Instance> all) {
        Map<String, Long> out = new TreeMap<>();
        all.forEach(i -> out.merge(i.reason, 1L, Long::sum));
        return out;
    }
}
