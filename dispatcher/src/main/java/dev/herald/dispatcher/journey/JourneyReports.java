package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.dispatcher.journey.JourneyPlan.Kind;
import dev.herald.dispatcher.journey.JourneyPlan.PlanStep;
import dev.herald.dispatcher.journey.JourneyState.Lane;
import dev.herald.dispatcher.journey.JourneyState.RunState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * What {@code GET /v1/journeys/{id}/report} and {@code GET /v1/journeys/{id}/recipients/{phone}}
 * show, made from the engine's state (on its runner) and the funnel's stores: entered, at each step
 * now, per send step what the pipeline decided and what was delivered, clicked and converted, exits by
 * reason and the journey's conversion rate, and its flow per day ({@link JourneyFlow}); for one recipient, each instance's step, key and due
 * time, and its history from the instance log (why it is where it is).
 *
 * <pre>{@code
 * Map<String, Object> r = JourneyReports.report(engine, "j-…");
 * }</pre>
 */
public final class JourneyReports {

    private JourneyReports() {
    }

    /** A journey the engine does not run: its instance log is damaged or could not be written (the message says which). */
    public static final class DamagedJourneyException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        DamagedJourneyException(String message) {
            super(message);
        }
    }

    /** How many days of flow a report shows unless asked. */
    public static final int FLOW_DAYS = 7;
    /** The most days of flow a report shows (and the state keeps). */
    public static final int MAX_FLOW_DAYS = JourneyFlow.MAX_DAYS;

    /** {@link #report(JourneyEngine, String, int, ZoneId)} with the flow of the last {@link #FLOW_DAYS} UTC days. */
    public static Map<String, Object> report(JourneyEngine engine, String journeyId) {
        return report(engine, journeyId, FLOW_DAYS, ZoneOffset.UTC);
    }

    /**
     * @param flowDays how many days of flow, up to today in {@code zone} (by the engine's clock)
     * @param zone     whose days
     * @throws IllegalArgumentException if {@code flowDays} is not 1 to {@link #MAX_FLOW_DAYS}
     * @throws NoSuchElementException   if there is no such journey
     * @throws DamagedJourneyException  if the engine does not run it
     * @throws UncheckedIOException     if a funnel store cannot be read
     */
    public static Map<String, Object> report(JourneyEngine engine, String journeyId, int flowDays, ZoneId zone) {
        if (flowDays < 1 || flowDays > MAX_FLOW_DAYS) {
            throw new IllegalArgumentException("flow days must be 1 to " + MAX_FLOW_DAYS + ", got " + flowDays);
        }
        JourneyEngine.Open o = open(engine, journeyId);
        JourneyState st = o.state;
        dev.herald.dispatcher.funnel.Engagement eng = engine.deps().engagement();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("journey", journeyId);
        out.put("name", o.journey.current().definition().name());
        out.put("status", o.journey.status().wire());
        out.put("version", o.journey.current().version());
        out.put("entered", st.entered);
        out.put("waiting", st.waiting());
        out.put("exited", new LinkedHashMap<>(st.exited));
        MutableRoaringBitmap converted = new MutableRoaringBitmap();
        List<Map<String, Object>> versions = new ArrayList<>();
        try {
            for (JourneyStore.Version v : o.journey.versions()) {
                JourneyPlan plan = o.plans.get(v.version());
                Map<Integer, Long> now = st.atSteps(v.version());
                Map<Integer, Long> arrived = st.arrived.getOrDefault(v.version(), Map.of());
                Map<Integer, Map<String, Long>> outcomes = st.outcomes.getOrDefault(v.version(), Map.of());
                List<Map<String, Object>> steps = new ArrayList<>();
                for (PlanStep s : plan.steps()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", s.step().id());
                    m.put("type", s.step().type());
                    m.put("now", now.getOrDefault(s.index(), 0L));
                    m.put("arrived", arrived.getOrDefault(s.index(), 0L));
                    if (s.kind() == Kind.SEND) {
                        Map<String, Long> oc = outcomes.getOrDefault(s.index(), Map.of());
                        m.put("campaign", s.campaign());
                        m.put("outcomes", oc);
                        m.put("sent", oc.entrySet().stream().filter(e -> e.getKey().equals("sent") || e.getKey().startsWith("sent:"))
                                .mapToLong(Map.Entry::getValue).sum());
                        m.put("delivered", eng.delivered(s.campaign()).getLongCardinality());
                        m.put("clicked", eng.clicked(s.campaign()).getLongCardinality());
                        ImmutableRoaringBitmap conv = eng.converted(s.campaign());
                        m.put("converted", conv.getLongCardinality());
                        converted.or(conv);
                    }
                    steps.add(m);
                }
                versions.add(Map.of("version", v.version(), "steps", steps));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.put("converted", converted.getLongCardinality());
        out.put("conversionRate", st.entered == 0 ? 0.0 : Math.round(converted.getLongCardinality() * 10000.0 / st.entered) / 10000.0);
        out.put("versions", versions);
        out.put("runs", st.runs.size());
        List<String> current = new ArrayList<>();
        o.plans.get(o.journey.current().version()).steps().forEach(s -> current.add(s.step().id()));
        out.put("flow", flow(st.flow.days(zone, LocalDate.ofInstant(engine.deps().clock().instant(), zone), flowDays),
                zone, current));
        return out;
    }

    /** The report's {@code flow}: per day, entered, arrivals at every step and exits for every reason (zeros too). */
    private static Map<String, Object> flow(List<JourneyFlow.Day> days, ZoneId zone, List<String> currentSteps) {
        List<String> steps = JourneyFlow.steps(currentSteps, days);
        List<String> reasons = JourneyFlow.reasons(days);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JourneyFlow.Day d : days) {
            Map<String, Long> arrived = new LinkedHashMap<>();
            steps.forEach(s -> arrived.put(s, d.arrived().getOrDefault(s, 0L)));
            Map<String, Long> exited = new LinkedHashMap<>();
            reasons.forEach(r -> exited.put(r, d.exited().getOrDefault(r, 0L)));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("day", d.day().toString());
            row.put("entered", d.entered());
            row.put("arrived", arrived);
            row.put("exited", exited);
            rows.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("zone", zone.getId());
        out.put("days", days.size());
        out.put("steps", steps);
        out.put("reasons", reasons);
        out.put("rows", rows);
        return out;
    }

    /**
     * @return journey id → {@code {entered, waiting}} of every journey the engine runs (on its runner)
     */
    public static Map<String, Map<String, Long>> counts(JourneyEngine engine) {
        Map<String, Map<String, Long>> out = new java.util.TreeMap<>();
        for (JourneyEngine.Open o : engine.opened()) {
            out.put(o.journey.id(), Map.of("entered", o.state.entered, "waiting", o.state.waiting()));
        }
        return out;
    }

    /**
     * Where one recipient is, taken on the engine's runner; its history is then read from the
     * instance log by {@link #withHistory} off the runner (a scan of the whole log).
     *
     * @param journeyId the journey
     * @param recipient the recipient's id
     * @param now       its instances now
     * @param log       the journey's instance log
     * @param plans     its versions
     */
    public record Where(String journeyId, int recipient, List<Map<String, Object>> now, java.nio.file.Path log,
                        Map<Integer, JourneyPlan> plans) {
    }

    /**
     * @param recipient a recipient's id
     * @return its instances now (step, key, due time, run); on the engine's runner
     * @throws NoSuchElementException  if there is no such journey
     * @throws DamagedJourneyException if the engine does not run it
     */
    public static Where where(JourneyEngine engine, String journeyId, int recipient) {
        JourneyEngine.Open o = open(engine, journeyId);
        JourneyState st = o.state;
        List<Map<String, Object>> now = new ArrayList<>();
        for (int lane = 0; lane < st.active.size(); lane++) {
            Optional<JourneyState.Position> pos = st.active.get(lane).contains(recipient) ? st.locate(lane, recipient)
                    : Optional.empty();
            if (pos.isEmpty()) {
                continue;
            }
            Lane l = pos.get().lane();
            PlanStep s = l.plan.step(pos.get().step());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("lane", lane);
            m.put("version", l.plan.version());
            m.put("step", s.step().id());
            m.put("type", s.step().type());
            String key = st.keys.get(JourneyState.inst(lane, recipient));
            if (key != null) {
                m.put("key", key);
            }
            if (s.timed()) {
                st.dueOf(l, s.index(), recipient).ifPresent(d -> m.put("due", Instant.ofEpochMilli(d)));
            }
            for (RunState run : st.runs.values()) {
                if (run.lane == lane && run.step == s.index() && run.version == l.plan.version() && run.ids.contains(recipient)) {
                    m.put("run", run.seq);
                    m.put("waiting", run.running ? "being sent" : run.nextAt > 0 ? "deferred until "
                            + Instant.ofEpochMilli(run.nextAt) : "to be sent");
                }
            }
            now.add(m);
        }
        return new Where(journeyId, recipient, now, o.log.file(), Map.copyOf(o.plans));
    }

    /**
     * @return the recipient's view: its instances now and its history in the journey from the
     *     instance log (read here: call it off the engine's runner)
     * @throws UncheckedIOException if the instance log cannot be read
     */
    public static Map<String, Object> withHistory(Where w) {
        List<Map<String, Object>> history = new ArrayList<>();
        try {
            Map<Long, int[]> runSteps = new LinkedHashMap<>();
            JourneyLog.read(w.log(), r -> history(w.plans(), r, w.recipient(), history, runSteps));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("journey", w.journeyId());
        out.put("recipientId", w.recipient());
        out.put("instances", w.now());
        out.put("history", history);
        return out;
    }

    /** {@link #where} and {@link #withHistory} at once (tests, embedding). */
    public static Map<String, Object> recipient(JourneyEngine engine, String journeyId, int recipient) {
        return withHistory(where(engine, journeyId, recipient));
    }

    private static void history(Map<Integer, JourneyPlan> plans, Rec r, int recipient, List<Map<String, Object>> out,
                                Map<Long, int[]> runSteps) {
        String what = null;
        if (r instanceof Rec.Enter e && e.recipient() == recipient) {
            what = "entered version " + e.version() + (e.key().isEmpty() ? "" : ", key " + e.key()) + " (lane " + e.lane() + ")";
        } else if (r instanceof Rec.EnterMany e && e.ids().contains(recipient)) {
            what = "entered version " + e.version() + " (lane " + e.lane() + ")";
        } else if (r instanceof Rec.At a && a.ids().contains(recipient)) {
            PlanStep s = plans.get(a.version()).step(a.step());
            what = "at step " + s.step().id() + " (" + s.step().type() + ")"
                    + (a.due() > 0 ? ", due " + Instant.ofEpochMilli(a.due()) : "") + " (lane " + a.lane() + ")";
        } else if (r instanceof Rec.ImagePart p && p.index() == 0) {
            what = "(the log was compacted here: what happened before is summed up in its state)";
        } else if (r instanceof Rec.End e && e.ids().contains(recipient)) {
            what = "ended: " + e.reason() + " (lane " + e.lane() + ")";
        } else if (r instanceof Rec.Run u) {
            runSteps.put(u.seq(), new int[] {u.version(), u.step()});
            if (u.ids().contains(recipient)) {
                what = "handed to the pipeline in run " + u.seq() + " (lane " + u.lane() + ")";
            }
        } else if (r instanceof Rec.Settled s && s.ids().contains(recipient)) {
            int[] vs = runSteps.get(s.seq());
            String step = vs == null ? "?" : plans.get(vs[0]).step(vs[1]).step().id();
            what = "step " + step + ": " + s.outcome() + " (run " + s.seq() + ")";
        }
        if (what != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", Instant.ofEpochMilli(r.at()));
            m.put("what", what);
            out.add(m);
        }
    }

    private static JourneyEngine.Open open(JourneyEngine engine, String journeyId) {
        Optional<JourneyEngine.Open> o = engine.journey(journeyId);
        Optional<JourneyStore.Journey> stored = engine.deps().journeys().get(journeyId);
        if (o.isEmpty() || (stored.isPresent() && !stored.get().equals(o.get().journey))) {
            engine.refreshNow(); // created, paused, resumed, archived or given a version since its last look
            o = engine.journey(journeyId);
        }
        if (o.isEmpty()) {
            String broken = engine.broken().get(journeyId);
            if (broken != null) {
                throw new DamagedJourneyException("journey " + journeyId + " is not run: " + broken);
            }
            throw new NoSuchElementException("no journey '" + journeyId + "'");
        }
        return o.get();
    }
}
