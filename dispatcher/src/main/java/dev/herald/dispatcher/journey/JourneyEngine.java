package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.dispatcher.journey.JourneyPlan.PlanStep;
import dev.herald.dispatcher.journey.JourneyState.RunState;
import dev.herald.dispatcher.journey.JourneyStore.Journey;
import dev.herald.dispatcher.journey.JourneyStore.Status;
import dev.herald.dispatcher.outcome.Outcomes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every journey: enters recipients on events, segments and dates, moves instances through
 * delays, waits and branches, sends through the campaign pipeline in batches, and ends instances
 * at an exit step, an exit event or an opt-out — at once, wherever they are.
 *
 * <pre>{@code
 * JourneyEngine engine = JourneyEngine.open(deps);     // replays every journey's log
 * engine.events();                                     // after events were stored
 * List<StepRun> runs = engine.tick();                  // due steps, entries, opt-outs; runs to start
 * engine.finished(run, result);                        // when a run's stream ended
 * }</pre>
 *
 * <p>Every change is written to the journey's {@link JourneyLog} before anything outside the
 * engine sees it: a send happens only in a {@link StepRun} whose {@code Run} record is durable,
 * so after a crash the run is resumed from its ledger (claimed, unanswered recipients become
 * {@code unknown}) and no step is sent twice. Delays count from when the instance moved: for what an
 * event causes (an entry, a wait that ends) from the event's time, else from when Herald moved it;
 * {@code until HH:mm} is the next such local time in the recipient's zone (the first zone of its
 * set, UTC if unknown), DST-exact: a time in a gap is moved forward by the gap, a time in an
 * overlap is its earlier instant.
 *
 * <p>Not thread-safe: one owner calls it (the {@link JourneyRunner} actor, or a test).
 */
public final class JourneyEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JourneyEngine.class);
    /** The instance logs' directory under {@code journeys/}. */
    public static final String INSTANCES = "instances";
    /** The step runs' ledgers' directory under {@code journeys/}. */
    public static final String RUNS = "runs";
    /** Reasons an instance ends for, besides its exit steps' own. */
    public static final String GOAL = "goal";
    public static final String DONE = "done";
    public static final String OPTED_OUT = "opted_out";
    public static final String SUPPRESSED = "suppressed";
    public static final String ARCHIVED = "archived";
    /** How long a failed run waits before it is tried again. */
    static final long RETRY_MS = 5_000;

    private final JourneyDeps deps;
    private final OpenJourneys journeys;
    /** The journeys run, by id (the registry's own map). */
    private final Map<String, Open> open;
    private volatile Totals totals = new Totals(0, 0, 0, Map.of());

    /**
     * Every journey's figures together, as of the engine's last change: what {@code /metrics} shows.
     *
     * @param journeys how many journeys it runs
     * @param entered  instances entered
     * @param waiting  instances now waiting (not ended)
     * @param exited   instances ended, by reason
     */
    public record Totals(int journeys, long entered, long waiting, Map<String, Long> exited) {
    }

    /** @return the figures as of the last change (any thread) */
    public Totals totals() {
        return totals;
    }

    private void updateTotals() {
        long entered = 0;
        long waiting = 0;
        Map<String, Long> exited = new java.util.TreeMap<>();
        for (Open o : open.values()) {
            entered += o.state.entered;
            waiting += o.state.waiting();
            o.state.exited.forEach((k, v) -> exited.merge(k, v, Long::sum));
        }
        totals = new Totals(open.size(), entered, waiting, Map.copyOf(exited));
    }
    /** The events log's end at the last {@link #events()}, -1 before the first: where a new journey starts reading. */
    private long seenEnd = -1;

    /** One journey the engine runs: its plans, state and log. */
    static final class Open {
        final Journey journey;
        final Map<Integer, JourneyPlan> plans;
        final JourneyState state;
        JourneyLog log;
        long segmentCheckedAt = Long.MIN_VALUE;
        /** The log's size beyond which it is compacted. */
        long compactAt;
        /** The suppression index's sequence when its opt-outs were last checked. */
        long optOutSeq = -1;

        Open(Journey journey, Map<Integer, JourneyPlan> plans, JourneyState state, JourneyLog log) {
            this.journey = journey;
            this.plans = plans;
            this.state = state;
            this.log = log;
        }
    }

    private final Moves moves;
    private final EventEffects effects;
    private final Ticks ticks;

    private JourneyEngine(JourneyDeps deps) {
        this.deps = deps;
        this.journeys = new OpenJourneys(deps);
        this.open = journeys.open;
        this.moves = new Moves(deps);
        this.effects = new EventEffects(moves);
        this.ticks = new Ticks(deps, moves);
    }

    /** Due times are whole seconds (rounded up), so instances moved in the same second share a bucket. */
    static long dueSecond(long millis) {
        return Moves.dueSecond(millis);
    }

    Moves moves() {
        return moves;
    }

    /**
     * Opens every stored journey's instance log (replaying it). A journey whose log is damaged
     * is reported ({@link #broken()}) and not run; the others are.
     */
    public static JourneyEngine open(JourneyDeps deps) throws IOException {
        JourneyEngine e = new JourneyEngine(deps);
        Files.createDirectories(deps.dir().resolve(INSTANCES));
        e.refresh();
        e.journeys.removeFinishedRuns();
        return e;
    }

    /** @return journey id → why it is not run (its log is damaged or could not be written) */
    public Map<String, String> broken() {
        return Map.copyOf(journeys.broken);
    }

    /**
     * @return what made a journey stop during the calls since the last time this was asked (that
     *     journey is in {@link #broken()}; the other journeys went on), and forgets it
     */
    public Optional<Exception> takeFailure() {
        return journeys.takeFailure();
    }

    /** Picks up journeys created, changed (new versions, status) since. */
    private void refresh() {
        journeys.refresh(seenEnd);
    }

    /** Picks up journeys created or changed since the engine last looked. */
    void refreshNow() {
        refresh();
    }

    Path logFile(String journeyId) {
        return journeys.logFile(journeyId);
    }

    /** For tests: compact logs from {@code bytes} on. */
    void compactFrom(long bytes) {
        journeys.compactFrom(bytes);
    }

    /** Rewrites a journey's log as one image of its state (see {@link OpenJourneys#compact}). */
    void compact(Open o) throws IOException {
        journeys.compact(o);
    }

    /** @return every journey it runs (reports; on the owner's thread) */
    java.util.Collection<Open> opened() {
        return open.values();
    }

    /** @return the journey's state, if it is run (tests and reports) */
    Optional<Open> journey(String id) {
        return Optional.ofNullable(open.get(id));
    }

    // ---------------------------------------------------------------- events

    /**
     * Applies the events stored since each journey's cursor: exits first, then waits that end,
     * then entries. Each journey's changes are logged in one frame with its new cursor.
     */
    public void events() throws IOException {
        refresh();
        long from = Long.MAX_VALUE;
        for (Open o : open.values()) {
            from = Math.min(from, o.state.cursor);
        }
        long available = deps.events().end();
        if (from == Long.MAX_VALUE || from >= available) {
            seenEnd = available;
            return;
        }
        Map<Open, List<Rec>> changes = new LinkedHashMap<>();
        long now = deps.clock().millis();
        long end;
        try {
            end = deps.events().scan(from, (offset, e) -> {
                for (Open o : List.copyOf(open.values())) {
                    if (offset < o.state.cursor || o.journey.status() == Status.ARCHIVED) {
                        continue;
                    }
                    List<Rec> out = changes.computeIfAbsent(o, k -> new ArrayList<>());
                    if (out.size() >= FLUSH_RECORDS) {
                        // a long catch-up goes to the log in frames, each whole up to an event
                        Moves.apply(o, out, new Rec.Cursor(now, offset));
                        boolean written = journeys.write(o, out);
                        out.clear();
                        if (!written) {
                            continue;
                        }
                    }
                    try {
                        effects.event(o, offset, e, now, out);
                    } catch (IOException | RuntimeException ex) {
                        // its state may be half changed: it stops here, its log is whole up to its last frame
                        out.clear();
                        journeys.stop(o, "applying the event at offset " + offset + " failed: " + ex, ex);
                    }
                }
            });
        } catch (IOException | RuntimeException ex) {
            // the events log cannot be read on: journeys with changes not written stop (their logs are whole)
            for (Map.Entry<Open, List<Rec>> c : changes.entrySet()) {
                if (!c.getValue().isEmpty() && open.get(c.getKey().journey.id()) == c.getKey()) {
                    journeys.stop(c.getKey(), "reading the events log failed: " + ex, ex);
                }
            }
            throw ex;
        }
        for (Open o : List.copyOf(open.values())) {
            List<Rec> out = changes.computeIfAbsent(o, k -> new ArrayList<>());
            if (o.state.cursor < end) {
                Moves.apply(o, out, new Rec.Cursor(now, end));
            }
            journeys.write(o, out);
        }
        seenEnd = end;
        stopCancelled();
        updateTotals();
    }

    /** Records a catch-up writes at most per frame (the frame then ends with a cursor). */
    static final int FLUSH_RECORDS = 20_000;

    // ---------------------------------------------------------------- ticks

    /**
     * Does what is due by the clock: ends instances of recipients who opted out, moves the delays and
     * waits due, enters segment joiners and dates, and makes runs of what waits at send steps.
     *
     * @return the runs to start now (each logged; the caller runs them and reports {@link #finished})
     */
    public List<StepRun> tick() throws IOException {
        refresh();
        long now = deps.clock().millis();
        long optOutSeq = deps.suppression().snapshot().seq();
        List<StepRun> start = new ArrayList<>();
        for (Open o : List.copyOf(open.values())) {
            List<Rec> out = new ArrayList<>();
            List<StepRun> mine = new ArrayList<>();
            try {
                if (o.journey.status() == Status.ARCHIVED) {
                    for (int lane = 0; lane < o.state.active.size(); lane++) {
                        if (!o.state.active.get(lane).isEmpty()) {
                            Moves.apply(o, out, new Rec.End(now, lane, ARCHIVED, o.state.active.get(lane).clone()));
                        }
                    }
                    ticks.runs(o, now, out, mine); // its batches finish: what waits in them is recorded exited, not sent
                } else {
                    if (optOutSeq != o.optOutSeq) {
                        ticks.optOuts(o, now, out);
                    }
                    if (o.journey.status() == Status.ACTIVE) {
                        ticks.due(o, now, out);
                        JourneyPlan current = o.plans.get(o.journey.current().version());
                        if (current.def().entry().segment() != null) {
                            ticks.segmentEntries(o, current, now, out);
                        } else if (current.def().entry().date() != null) {
                            DateEntries.fire(this, o, current, now, out);
                        }
                        ticks.runs(o, now, out, mine);
                    }
                }
            } catch (IOException | RuntimeException e) {
                journeys.stop(o, "a tick failed: " + e, e);
                continue;
            }
            if (journeys.write(o, out)) {
                o.optOutSeq = optOutSeq;
                start.addAll(mine); // a run starts only once its Run record is in the log
            }
        }
        stopCancelled();
        updateTotals();
        return start;
    }

    /**
     * Asks the sender to stop the runs under way that hold an instance which ended meanwhile: what
     * they have not handed over yet goes back to their ledger, and their next run records it exited.
     */
    private void stopCancelled() {
        for (Open o : open.values()) {
            for (RunState run : o.state.runs.values()) {
                if (run.running && !run.stopAsked && !run.cancelled.isEmpty() && !run.cancelledAtStart.contains(run.cancelled)) {
                    run.stopAsked = true;
                    deps.sender().stop(o.journey.id(), run.seq);
                }
            }
        }
    }

    /**
     * Takes a run's result: its newly settled instances move on (a suppressed one ends), the rest
     * wait for its next run (deferred ids) — or it failed, and is tried again after a while.
     *
     * @param run    the run that ended
     * @param result its result; null if it failed
     */
    public void finished(StepRun run, StepRun.Result result) throws IOException {
        Open o = open.get(run.journeyId());
        RunState st = o == null ? null : o.state.runs.get(run.seq());
        if (st == null) {
            return;
        }
        st.running = false;
        long now = deps.clock().millis();
        if (result == null) {
            st.nextAt = now + RETRY_MS;
            return;
        }
        List<Rec> out = new ArrayList<>();
        JourneyPlan plan = run.plan();
        PlanStep step = plan.step(run.step());
        MutableRoaringBitmap moveOn = new MutableRoaringBitmap();
        MutableRoaringBitmap suppressed = new MutableRoaringBitmap();
        for (Map.Entry<String, ImmutableRoaringBitmap> e : result.settled().entrySet()) {
            MutableRoaringBitmap fresh = ImmutableRoaringBitmap.andNot(e.getValue(), st.settled);
            if (fresh.isEmpty()) {
                continue;
            }
            Moves.apply(o, out, new Rec.Settled(now, run.seq(), e.getKey(), fresh));
            // not fresh.andNot: the record holds fresh until it is written
            MutableRoaringBitmap going = ImmutableRoaringBitmap.andNot(fresh, st.cancelled);
            if (e.getKey().startsWith(Outcomes.SUPPRESSED_PREFIX)) {
                suppressed.or(going);
            } else {
                moveOn.or(going);
            }
        }
        if (!suppressed.isEmpty()) {
            Moves.apply(o, out, new Rec.End(now, st.lane, SUPPRESSED, suppressed));
        }
        moves.arrive(o, plan, st.lane, step.next(), moveOn, now, null, out);
        if (result.complete()) {
            Moves.apply(o, out, new Rec.RunDone(now, run.seq()));
        } else if (st.stopAsked) {
            st.nextAt = now; // stopped for instances that ended: at once again, recording them exited
        } else {
            st.nextAt = result.nextDue() == 0 ? now + RETRY_MS : result.nextDue();
        }
        boolean written = journeys.write(o, out);
        updateTotals();
        if (written && result.complete()) {
            deps.sender().remove(run);
        }
    }

    /** @return the earliest time anything is due (a delay, a wait's timeout, a run's deferred ids), epoch ms */
    public long nextDue() {
        long next = Long.MAX_VALUE;
        for (Open o : open.values()) {
            next = Math.min(next, o.state.nextDue());
            for (RunState r : o.state.runs.values()) {
                if (!r.running) {
                    next = Math.min(next, r.nextAt);
                }
            }
        }
        return next;
    }

    /** @return whether any run's stream is under way */
    public boolean running() {
        return open.values().stream().anyMatch(o -> o.state.runs.values().stream().anyMatch(r -> r.running));
    }

    JourneyDeps deps() {
        return deps;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Open o : open.values()) {
            try {
                o.log.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        open.clear();
        if (first != null) {
            throw first;
        }
    }
}
