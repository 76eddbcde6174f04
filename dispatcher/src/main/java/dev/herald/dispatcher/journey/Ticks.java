package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyEngine.Open;
import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.dispatcher.journey.JourneyPlan.Kind;
import dev.herald.dispatcher.journey.JourneyPlan.PlanStep;
import dev.herald.dispatcher.journey.JourneyState.Lane;
import dev.herald.dispatcher.journey.JourneyState.RunState;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a tick does for one journey: ends the instances of recipients who opted out, moves the
 * delays and waits due, enters segment joiners, and makes runs of what waits at send steps.
 *
 * <p>Not thread-safe: used by the {@link JourneyEngine}'s owner.
 */
final class Ticks {

    private static final Logger LOG = LoggerFactory.getLogger(Ticks.class);
    private final JourneyDeps deps;
    private final Moves moves;

    Ticks(JourneyDeps deps, Moves moves) {
        this.deps = deps;
        this.moves = moves;
    }

    void optOuts(Open o, long now, List<Rec> out) {
        for (int lane = 0; lane < o.state.active.size(); lane++) {
            for (Map.Entry<Integer, Map<Integer, Lane>> v : o.state.versions.entrySet()) {
                Lane l = v.getValue().get(lane);
                if (l == null || l.all.isEmpty() || !l.plan.marketing()) {
                    continue;
                }
                MutableRoaringBitmap out0 = ImmutableRoaringBitmap.andNot(l.all, moves.allowed(l.plan, l.all));
                if (!out0.isEmpty()) {
                    Moves.apply(o, out, new Rec.End(now, lane, JourneyEngine.OPTED_OUT, out0));
                }
            }
        }
    }

    void due(Open o, long now, List<Rec> out) throws IOException {
        for (Map<Integer, Lane> byLane : o.state.versions.values()) {
            for (Lane l : byLane.values()) {
                for (PlanStep s : l.plan.steps()) {
                    if (!s.timed()) {
                        continue;
                    }
                    var bucket = l.due.get(s.index());
                    if (bucket.isEmpty() || bucket.firstKey() > now) {
                        continue;
                    }
                    MutableRoaringBitmap ids = JourneyState.takeDue(l, s.index(), now);
                    int next = s.kind() == Kind.DELAY ? s.next() : s.onTimeout();
                    moves.arrive(o, l.plan, l.lane, next, ids, now, null, out);
                }
            }
        }
    }

    void segmentEntries(Open o, JourneyPlan plan, long now, List<Rec> out) throws IOException {
        String every = plan.def().entry().every();
        long period = every == null ? 3_600_000L : java.time.Duration.parse(every.strip()).toMillis();
        if (o.segmentCheckedAt != Long.MIN_VALUE && now - o.segmentCheckedAt < period) {
            return;
        }
        o.segmentCheckedAt = now;
        Optional<ImmutableRoaringBitmap> members = deps.segments().members(plan.def().entry().segment());
        if (members.isEmpty()) {
            LOG.warn("journey {}: its entry segment {} is gone; nobody enters", o.journey.id(), plan.def().entry().segment());
            return;
        }
        MutableRoaringBitmap joined = ImmutableRoaringBitmap.andNot(members.get(), o.state.seen);
        MutableRoaringBitmap left = ImmutableRoaringBitmap.andNot(o.state.seen, members.get());
        if (!left.isEmpty()) {
            Moves.apply(o, out, new Rec.Seen(now, false, left));
        }
        if (joined.isEmpty()) {
            return;
        }
        Moves.apply(o, out, new Rec.Seen(now, true, joined));
        moves.enterMany(o, plan, joined, now, out);
    }

    void runs(Open o, long now, List<Rec> out, List<StepRun> start) {
        for (Map<Integer, Lane> byLane : o.state.versions.values()) {
            for (Lane l : byLane.values()) {
                for (PlanStep s : l.plan.steps()) {
                    if (s.kind() == Kind.SEND && !l.pending[s.index()].isEmpty()) {
                        long seq = o.state.nextRun;
                        Moves.apply(o, out, new Rec.Run(now, seq, l.plan.version(), s.index(), l.lane, l.pending[s.index()].clone()));
                    }
                }
            }
        }
        for (RunState run : o.state.runs.values()) {
            if (!run.running && run.nextAt <= now) {
                run.running = true;
                run.stopAsked = false;
                run.cancelledAtStart = run.cancelled.clone();
                start.add(stepRun(o, run));
            }
        }
    }

    StepRun stepRun(Open o, RunState run) {
        return new StepRun(o.journey.id(), run.seq, o.plans.get(run.version), run.step, run.ids, run.cancelled.clone(),
                deps.dir().resolve(JourneyEngine.RUNS).resolve(o.journey.id()).resolve(Long.toString(run.seq)));
    }
}
