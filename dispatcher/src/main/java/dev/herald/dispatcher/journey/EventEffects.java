package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyEngine.Open;
import dev.herald.dispatcher.journey.JourneyStore.Status;
import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.dispatcher.journey.JourneyPlan.Kind;
import dev.herald.dispatcher.journey.JourneyPlan.PlanStep;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one stored event does to a journey, in this order: it ends the instances its exits name
 * (with the same key, if {@code matchKey}), ends the waits for it (with the instance's key), and
 * enters the recipient if it is the journey's entry event and its re-entry policy lets it in.
 *
 * <p>Not thread-safe: used by the {@link JourneyEngine}'s owner.
 */
final class EventEffects {

    private static final Logger LOG = LoggerFactory.getLogger(EventEffects.class);
    private final Moves moves;

    EventEffects(Moves moves) {
        this.moves = moves;
    }

    void event(Open o, long offset, Event e, long applied, List<Rec> out) throws IOException {
        // what the event causes counts from when it happened (an instance entered on a cart abandoned
        // at 10:00 is reminded at 11:00 even if Herald applied the event late), never from the future
        long now = Math.min(applied, e.atMillis());
        JourneyState st = o.state;
        int r = e.recipient();
        for (int lane = 0; lane < st.active.size(); lane++) {
            if (!st.active.get(lane).contains(r)) {
                continue;
            }
            Optional<JourneyState.Position> pos = st.locate(lane, r);
            if (pos.isEmpty()) {
                continue;
            }
            JourneyPlan plan = pos.get().lane().plan;
            String key = st.keys.get(JourneyState.inst(lane, r));
            if (exits(plan, e, key)) {
                Moves.apply(o, out, new Rec.End(now, lane, JourneyEngine.GOAL, Moves.bitmap(r)));
                continue;
            }
            PlanStep at = plan.step(pos.get().step());
            if (at.kind() == Kind.WAIT_FOR && at.step().event().equals(e.name()) && keyMatches(plan, e, key)) {
                moves.arrive(o, plan, lane, at.onEvent(), Moves.bitmap(r), now, e.properties(), out);
            }
        }
        if (o.journey.status() != Status.ACTIVE) {
            return;
        }
        JourneyPlan plan = o.plans.get(o.journey.current().version());
        JourneyDefinition.Entry entry = plan.def().entry();
        if (entry.event() == null || !entry.event().equals(e.name()) || !filterMatches(entry, e)
                || e.receivedAtMillis() < o.journey.versions().get(0).createdAt().toEpochMilli()) {
            return; // not its entry, or stored before the journey existed
        }
        String key = "";
        if (plan.key() != null) {
            Object k = e.properties().get(plan.key());
            if (k == null) {
                return;
            }
            key = String.valueOf(k);
        }
        int lane = admit(o, plan, r, key, now);
        if (lane < 0) {
            return;
        }
        Moves.apply(o, out, new Rec.Enter(now, plan.version(), lane, r, key, offset));
        moves.arrive(o, plan, lane, plan.start(), Moves.bitmap(r), now, e.properties(), out);
    }

    /** @return the lane a new instance of {@code r} takes, or -1 if its re-entry policy (or an opt-out) keeps it out */
    private int admit(Open o, JourneyPlan plan, int r, String key, long now) {
        JourneyState st = o.state;
        switch (plan.reentry()) {
            case "once" -> {
                if (st.everEntered.contains(r)) {
                    return -1;
                }
            }
            case "once-per-window" -> {
                Long last = st.lastEntry.get(r);
                if (last != null && now - last < plan.reentryWindow().toMillis()) {
                    return -1;
                }
            }
            default -> {
                if (st.enteredKeys.contains(JourneyState.keyHash(r, key))) {
                    return -1;
                }
            }
        }
        if (plan.key() == null && st.active(0).contains(r)) {
            return -1; // one instance at a time
        }
        if (moves.optedOut(plan, r)) {
            return -1; // opted out of what it would send
        }
        int lane = plan.key() == null ? 0 : st.freeLane(r);
        if (lane < 0) {
            LOG.warn("journey {}: recipient {} already has {} instances, key {} not entered", o.journey.id(), r,
                    JourneyState.MAX_LANES, key);
        }
        return lane;
    }

    private static boolean exits(JourneyPlan plan, Event e, String key) {
        if (plan.def().exits() == null) {
            return false;
        }
        for (JourneyDefinition.Exit x : plan.def().exits()) {
            if (x.event().equals(e.name()) && (!Boolean.TRUE.equals(x.matchKey()) || keyMatches(plan, e, key))) {
                return true;
            }
        }
        return false;
    }

    private static boolean keyMatches(JourneyPlan plan, Event e, String key) {
        if (plan.key() == null || key == null) {
            return true;
        }
        Object k = e.properties().get(plan.key());
        return k != null && String.valueOf(k).equals(key);
    }

    private static boolean filterMatches(JourneyDefinition.Entry entry, Event e) {
        if (entry.filter() == null) {
            return true;
        }
        for (Map.Entry<String, Object> f : entry.filter().entrySet()) {
            if (!Moves.same(e.properties().get(f.getKey()), f.getValue())) {
                return false;
            }
        }
        return true;
    }
}
