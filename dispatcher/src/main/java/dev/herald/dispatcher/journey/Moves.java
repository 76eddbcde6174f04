package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyEngine.Open;
import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.dispatcher.journey.JourneyPlan.PlanStep;
import dev.herald.suppression.Scope;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * How instances move: to a step and on through branches and exits until each rests at a send,
 * delay or wait-for step or ends — every move an applied record — and how many enter at once
 * (segment and date entries), with the opt-out check every entry into a marketing journey has.
 *
 * <pre>{@code
 * moves.arrive(open, plan, lane, plan.start(), ids, now, null, out);
 * }</pre>
 *
 * <p>Not thread-safe: used by the {@link JourneyEngine}'s owner.
 */
final class Moves {

    private final JourneyDeps deps;

    Moves(JourneyDeps deps) {
        this.deps = deps;
    }

    /**
     * Moves {@code ids} (of {@code lane}) to step {@code step}, through branches and exits, until each
     * rests at a send, delay or wait-for step or ends. Records are applied as they are made.
     *
     * @param props the entry event's properties when the move is caused by it (a branch on a
     *              property then needs no read); null otherwise
     */
    void arrive(Open o, JourneyPlan plan, int lane, int step, ImmutableRoaringBitmap ids, long now,
                        Map<String, Object> props, List<Rec> out) throws IOException {
        if (ids.isEmpty()) {
            return;
        }
        if (step == JourneyPlan.END) {
            apply(o, out, new Rec.End(now, lane, JourneyEngine.DONE, ids));
            return;
        }
        PlanStep s = plan.step(step);
        switch (s.kind()) {
            case SEND -> apply(o, out, new Rec.At(now, plan.version(), step, lane, 0, ids));
            case WAIT_FOR -> apply(o, out, new Rec.At(now, plan.version(), step, lane, dueSecond(now + s.span().toMillis()), ids));
            case DELAY -> {
                if (s.span() != null) {
                    apply(o, out, new Rec.At(now, plan.version(), step, lane, dueSecond(now + s.span().toMillis()), ids));
                } else {
                    for (Map.Entry<Long, MutableRoaringBitmap> d : LocalTimes.next(deps.zones(), ids, s.until(), now).entrySet()) {
                        apply(o, out, new Rec.At(now, plan.version(), step, lane, d.getKey(), d.getValue()));
                    }
                }
            }
            case EXIT -> apply(o, out, new Rec.End(now, lane, s.step().reason(), ids));
            case BRANCH -> {
                MutableRoaringBitmap yes = holds(o, plan, s, lane, ids, props);
                MutableRoaringBitmap no = ImmutableRoaringBitmap.andNot(ids, yes);
                arrive(o, plan, lane, s.then(), yes, now, props, out);
                arrive(o, plan, lane, s.otherwise(), no, now, props, out);
            }
        }
    }

    /** Due times are whole seconds (rounded up), so instances moved in the same second share a bucket. */
    static long dueSecond(long millis) {
        return Math.floorDiv(millis + 999, 1000) * 1000;
    }

    private MutableRoaringBitmap holds(Open o, JourneyPlan plan, PlanStep s, int lane, ImmutableRoaringBitmap ids,
                                       Map<String, Object> props) throws IOException {
        JourneyDefinition.Condition c = s.step().on();
        if (c.segment() != null) {
            Optional<ImmutableRoaringBitmap> seg = deps.segments().members(c.segment());
            return seg.map(m -> ImmutableRoaringBitmap.and(ids, m)).orElseGet(MutableRoaringBitmap::new);
        }
        if (c.step() != null) {
            String campaign = plan.step(s.condStep()).campaign();
            ImmutableRoaringBitmap had = switch (c.outcome()) {
                case "delivered" -> deps.engagement().delivered(campaign);
                case "clicked" -> deps.engagement().clicked(campaign);
                default -> deps.engagement().converted(campaign);
            };
            return ImmutableRoaringBitmap.and(ids, had);
        }
        MutableRoaringBitmap yes = new MutableRoaringBitmap();
        for (org.roaringbitmap.IntIterator it = ids.getIntIterator(); it.hasNext(); ) {
            int r = it.next();
            Object value = props != null ? props.get(c.property()) : null;
            if (value == null && props == null) {
                Long offset = o.state.offsets.get(JourneyState.inst(lane, r));
                if (offset != null) {
                    value = deps.events().at(offset).properties().get(c.property());
                }
            }
            if (value == null) {
                value = deps.directory().fields(r, List.of(c.property())).map(f -> f.fields().get(c.property())).orElse(null);
            }
            if (same(value, c.equals())) {
                yes.add(r);
            }
        }
        return yes;
    }

    static MutableRoaringBitmap bitmap(int r) {
        return MutableRoaringBitmap.bitmapOf(r);
    }

    /** Applies {@code r} to the journey's state and adds it to the records to log. */
    static void apply(Open o, List<Rec> out, Rec r) {
        o.state.apply(r);
        out.add(r);
    }

    /** Property equality as JSON means it: numbers by value, everything else by its text. */
    static boolean same(Object actual, Object expected) {
        if (actual == null) {
            return false;
        }
        if (actual instanceof Number a && expected instanceof Number b) {
            return new java.math.BigDecimal(a.toString()).compareTo(new java.math.BigDecimal(b.toString())) == 0;
        }
        return String.valueOf(actual).equals(String.valueOf(expected));
    }

    /** @return those of {@code ids} no marketing send step of {@code plan} would be suppressed for */
    MutableRoaringBitmap allowed(JourneyPlan plan, ImmutableRoaringBitmap ids) {
        MutableRoaringBitmap ok = ids instanceof MutableRoaringBitmap m ? m.clone() : ids.toMutableRoaringBitmap();
        for (List<Scope> scopes : plan.marketingScopes()) {
            ok = deps.suppression().filter(ok, scopes);
        }
        return ok;
    }

    /** @return whether {@code r} opted out of what a marketing send step of {@code plan} would send */
    boolean optedOut(JourneyPlan plan, int r) {
        for (List<Scope> scopes : plan.marketingScopes()) {
            if (deps.suppression().isSuppressed(r, scopes)) {
                return true;
            }
        }
        return false;
    }

    /** Enters those of {@code ids} the re-entry policy and opt-outs let in (segment and date entries, lane 0). */
    void enterMany(Open o, JourneyPlan plan, ImmutableRoaringBitmap ids, long now, List<Rec> out) throws IOException {
        JourneyState st = o.state;
        MutableRoaringBitmap in = ImmutableRoaringBitmap.andNot(ids, st.active(0));
        if ("once".equals(plan.reentry())) {
            in.andNot(st.everEntered);
        } else if ("once-per-window".equals(plan.reentry())) {
            long window = plan.reentryWindow().toMillis();
            MutableRoaringBitmap recent = new MutableRoaringBitmap();
            in.forEach((org.roaringbitmap.IntConsumer) r -> {
                Long last = st.lastEntry.get(r);
                if (last != null && now - last < window) {
                    recent.add(r);
                }
            });
            in.andNot(recent);
        }
        if (plan.marketing()) {
            in = allowed(plan, in);
        }
        if (in.isEmpty()) {
            return;
        }
        apply(o, out, new Rec.EnterMany(now, plan.version(), 0, in));
        arrive(o, plan, 0, plan.start(), in, now, null, out);
    }
}
