package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyLog.Rec;
import dev.herald.dispatcher.journey.JourneyPlan.Kind;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.IntFunction;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * The instances of one journey, bitmap-first: per (version, lane, step) the recipients there, and
 * for the timed steps (delay, wait-for) their due times in buckets (one bitmap per due second).
 * Changed only by {@link #apply} of the {@link JourneyLog} records, live and in replay alike, so a
 * restart rebuilds exactly what was there.
 *
 * <p>A recipient has at most one instance per lane; lane 0 unless a keyed journey (one instance per
 * {@code cartId}) runs several at once. Leaving a timed step does not search its buckets: the id
 * is only marked stale there, and dropped when its bucket comes due (or when it arrives at that
 * step again), so an exit is O(steps), whatever the number of buckets.
 *
 * <p>Not thread-safe: owned by the journey engine.
 */
final class JourneyState {

    /** At most this many concurrent instances of one recipient in one journey (keyed journeys). */
    static final int MAX_LANES = 64;

    final String id;
    /** version → plan; replaced when the journey gets a new version. */
    IntFunction<JourneyPlan> plans;
    /** version → lane → its sets. */
    final Map<Integer, Map<Integer, Lane>> versions = new TreeMap<>();
    /** lane → recipients with an instance in it (any version). */
    final List<MutableRoaringBitmap> active = new ArrayList<>();
    /** (lane, recipient) → the instance's key, keyed journeys only. */
    final Map<Long, String> keys = new HashMap<>();
    /** (lane, recipient) → its entry event's offset, journeys that branch on a property only. */
    final Map<Long, Long> offsets = new HashMap<>();
    final MutableRoaringBitmap everEntered = new MutableRoaringBitmap();
    /** Hashes of (recipient, key) ever entered (once-per-key). */
    final Roaring64Bitmap enteredKeys = new Roaring64Bitmap();
    /** recipient → its last entry, epoch ms (once-per-window only). */
    final Map<Integer, Long> lastEntry = new HashMap<>();
    final Map<Long, RunState> runs = new TreeMap<>();
    long nextRun = 1;
    long cursor;
    final MutableRoaringBitmap seen = new MutableRoaringBitmap();
    final Map<String, Long> dateFired = new HashMap<>();
    long entered;
    final Map<String, Long> exited = new TreeMap<>();
    /** version → step → outcome → count (send steps). */
    final Map<Integer, Map<Integer, Map<String, Long>>> outcomes = new TreeMap<>();
    /** version → step → how many instances arrived there. */
    final Map<Integer, Map<Integer, Long>> arrived = new TreeMap<>();
    /** Entered, arrivals and exits per quarter hour of the last days (the report's flow). */
    final JourneyFlow flow = new JourneyFlow();

    /** The sets of one (version, lane). */
    static final class Lane {
        final JourneyPlan plan;
        final int lane;
        final MutableRoaringBitmap all = new MutableRoaringBitmap();
        final MutableRoaringBitmap[] members;
        final MutableRoaringBitmap[] stale;
        final MutableRoaringBitmap[] pending;
        final List<TreeMap<Long, MutableRoaringBitmap>> due = new ArrayList<>();

        Lane(JourneyPlan plan, int lane) {
            this.plan = plan;
            this.lane = lane;
            int n = plan.steps().size();
            members = new MutableRoaringBitmap[n];
            stale = new MutableRoaringBitmap[n];
            pending = new MutableRoaringBitmap[n];
            for (int i = 0; i < n; i++) {
                members[i] = new MutableRoaringBitmap();
                stale[i] = new MutableRoaringBitmap();
                pending[i] = new MutableRoaringBitmap();
                due.add(new TreeMap<>());
            }
        }
    }

    /** One run of a send step: its ids, those settled, those whose instance ended meanwhile. */
    static final class RunState {
        final long seq;
        final int version;
        final int step;
        final int lane;
        final ImmutableRoaringBitmap ids;
        final MutableRoaringBitmap settled = new MutableRoaringBitmap();
        final MutableRoaringBitmap cancelled = new MutableRoaringBitmap();
        /** Not logged: whether its stream is running, and when its deferred ids are next due (epoch ms, 0 now). */
        boolean running;
        long nextAt;
        /** Not logged: whether the sender was asked to stop the running stream, and what was cancelled when it started. */
        boolean stopAsked;
        MutableRoaringBitmap cancelledAtStart = new MutableRoaringBitmap();

        RunState(long seq, int version, int step, int lane, ImmutableRoaringBitmap ids) {
            this.seq = seq;
            this.version = version;
            this.step = step;
            this.lane = lane;
            this.ids = ids;
        }
    }

    JourneyState(String id, IntFunction<JourneyPlan> plans) {
        this.id = id;
        this.plans = plans;
    }

    static long inst(int lane, int recipient) {
        return ((long) lane << 32) | (recipient & 0xffffffffL);
    }

    static long keyHash(int recipient, String key) {
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        long h = 0xcbf29ce484222325L ^ recipient;
        h *= 0x100000001b3L;
        for (byte x : b) {
            h ^= x;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 29;
        h *= 0xbf58476d1ce4e5b9L;
        return h ^ (h >>> 32);
    }

    Lane lane(int version, int lane) {
        return versions.computeIfAbsent(version, v -> new TreeMap<>()).computeIfAbsent(lane, l -> new Lane(plans.apply(version), l));
    }

    MutableRoaringBitmap active(int lane) {
        while (active.size() <= lane) {
            active.add(new MutableRoaringBitmap());
        }
        return active.get(lane);
    }

    /** @return the lowest lane where {@code recipient} has no instance, or -1 if all {@link #MAX_LANES} are taken */
    int freeLane(int recipient) {
        for (int l = 0; l < MAX_LANES; l++) {
            if (l >= active.size() || !active.get(l).contains(recipient)) {
                return l;
            }
        }
        return -1;
    }

    /** Where one instance is: its version's lane and step. */
    record Position(Lane lane, int step) {
    }

    /** @return where {@code recipient}'s instance in {@code lane} is, if it has one */
    Optional<Position> locate(int lane, int recipient) {
        for (Map<Integer, Lane> byLane : versions.values()) {
            Lane l = byLane.get(lane);
            if (l == null || !l.all.contains(recipient)) {
                continue;
            }
            for (int s = 0; s < l.members.length; s++) {
                if (l.members[s].contains(recipient)) {
                    return Optional.of(new Position(l, s));
                }
            }
        }
        return Optional.empty();
    }

    /** @return the due time of {@code recipient} at timed step {@code step} of {@code l}, if found (a scan of its buckets) */
    Optional<Long> dueOf(Lane l, int step, int recipient) {
        for (Map.Entry<Long, MutableRoaringBitmap> e : l.due.get(step).entrySet()) {
            if (e.getValue().contains(recipient) && !l.stale[step].contains(recipient)) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    /** @return the instances now waiting (every lane and version) */
    long waiting() {
        long n = 0;
        for (MutableRoaringBitmap b : active) {
            n += b.getLongCardinality();
        }
        return n;
    }

    /** Applies one record. */
    void apply(Rec r) {
        if (r instanceof Rec.Enter e) {
            Lane l = lane(e.version(), e.lane());
            l.all.add(e.recipient());
            active(e.lane()).add(e.recipient());
            long inst = inst(e.lane(), e.recipient());
            if (!e.key().isEmpty()) {
                keys.put(inst, e.key());
                enteredKeys.addLong(keyHash(e.recipient(), e.key()));
            }
            if (e.offset() >= 0 && l.plan.branchesOnProperty()) {
                offsets.put(inst, e.offset());
            }
            everEntered.add(e.recipient());
            if ("once-per-window".equals(l.plan.reentry())) {
                lastEntry.put(e.recipient(), e.at());
            }
            entered++;
            flow.entered(e.at(), 1);
        } else if (r instanceof Rec.EnterMany e) {
            Lane l = lane(e.version(), e.lane());
            l.all.or(e.ids());
            active(e.lane()).or(e.ids());
            everEntered.or(e.ids());
            if ("once-per-window".equals(l.plan.reentry())) {
                e.ids().forEach((org.roaringbitmap.IntConsumer) id -> lastEntry.put(id, e.at()));
            }
            entered += e.ids().getLongCardinality();
            flow.entered(e.at(), e.ids().getLongCardinality());
        } else if (r instanceof Rec.At a) {
            Lane l = lane(a.version(), a.lane());
            leave(l, a.ids());
            l.members[a.step()].or(a.ids());
            Kind kind = l.plan.step(a.step()).kind();
            if (kind == Kind.DELAY || kind == Kind.WAIT_FOR) {
                MutableRoaringBitmap stale = l.stale[a.step()];
                if (ImmutableRoaringBitmap.intersects(stale, a.ids())) {
                    MutableRoaringBitmap again = ImmutableRoaringBitmap.and(stale, a.ids());
                    l.due.get(a.step()).values().removeIf(b -> {
                        b.andNot(again);
                        return b.isEmpty();
                    });
                    stale.andNot(again);
                }
                l.due.get(a.step()).computeIfAbsent(a.due(), t -> new MutableRoaringBitmap()).or(a.ids());
            } else if (kind == Kind.SEND) {
                l.pending[a.step()].or(a.ids());
            }
            arrived.computeIfAbsent(a.version(), v -> new TreeMap<>()).merge(a.step(), a.ids().getLongCardinality(), Long::sum);
            flow.arrived(a.at(), l.plan.step(a.step()).step().id(), a.ids().getLongCardinality());
        } else if (r instanceof Rec.End e) {
            MutableRoaringBitmap ending = ImmutableRoaringBitmap.and(active(e.lane()), e.ids());
            for (Map<Integer, Lane> byLane : versions.values()) {
                Lane l = byLane.get(e.lane());
                if (l != null && ImmutableRoaringBitmap.intersects(l.all, ending)) {
                    MutableRoaringBitmap here = ImmutableRoaringBitmap.and(l.all, ending);
                    leave(l, here);
                    l.all.andNot(here);
                }
            }
            for (RunState run : runs.values()) {
                if (run.lane == e.lane() && ImmutableRoaringBitmap.intersects(run.ids, ending)) {
                    MutableRoaringBitmap c = ImmutableRoaringBitmap.and(run.ids, ending);
                    c.andNot(run.settled);
                    run.cancelled.or(c);
                }
            }
            active(e.lane()).andNot(ending);
            if (!keys.isEmpty() || !offsets.isEmpty()) {
                ending.forEach((org.roaringbitmap.IntConsumer) id -> {
                    keys.remove(inst(e.lane(), id));
                    offsets.remove(inst(e.lane(), id));
                });
            }
            exited.merge(e.reason(), ending.getLongCardinality(), Long::sum);
            flow.exited(e.at(), e.reason(), ending.getLongCardinality());
        } else if (r instanceof Rec.Run u) {
            Lane l = lane(u.version(), u.lane());
            l.pending[u.step()].andNot(u.ids());
            runs.put(u.seq(), new RunState(u.seq(), u.version(), u.step(), u.lane(), u.ids()));
            nextRun = Math.max(nextRun, u.seq() + 1);
        } else if (r instanceof Rec.Settled s) {
            RunState run = runs.get(s.seq());
            if (run != null) {
                run.settled.or(s.ids());
                outcomes.computeIfAbsent(run.version, v -> new TreeMap<>()).computeIfAbsent(run.step, t -> new TreeMap<>())
                        .merge(s.outcome(), s.ids().getLongCardinality(), Long::sum);
            }
        } else if (r instanceof Rec.RunDone d) {
            runs.remove(d.seq());
        } else if (r instanceof Rec.Cursor c) {
            cursor = Math.max(cursor, c.offset());
        } else if (r instanceof Rec.Seen s) {
            if (s.joined()) {
                seen.or(s.ids());
            } else {
                seen.andNot(s.ids());
            }
        } else if (r instanceof Rec.DateFired d) {
            dateFired.merge(d.zone(), d.epochDay(), Math::max);
        } else if (r instanceof Rec.ImagePart p) {
            if (p.index() == 0) {
                imageParts = new ArrayList<>();
            }
            if (imageParts == null || imageParts.size() != p.index()) {
                throw new IllegalStateException("journey " + id + ": image part " + p.index() + " out of order");
            }
            imageParts.add(p.bytes());
            if (p.last()) {
                java.util.List<java.io.InputStream> streams = new ArrayList<>();
                imageParts.forEach(b -> streams.add(new java.io.ByteArrayInputStream(b)));
                imageParts = null;
                try {
                    JourneyImage.load(this, new java.io.SequenceInputStream(java.util.Collections.enumeration(streams)));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("journey " + id + ": its image cannot be read: " + e.getMessage(), e);
                }
            }
        }
    }

    /** Image parts read so far in replay. */
    private java.util.List<byte[]> imageParts;

    /** Writes the whole state (a compacted log's start; {@link Rec.ImagePart} loads it back). */
    void image(java.io.DataOutputStream out) throws java.io.IOException {
        JourneyImage.write(this, out);
    }

    /** Takes {@code ids} off every step of {@code l} (timed steps: marked stale in their buckets). */
    private static void leave(Lane l, ImmutableRoaringBitmap ids) {
        for (int s = 0; s < l.members.length; s++) {
            if (!ImmutableRoaringBitmap.intersects(l.members[s], ids)) {
                continue;
            }
            MutableRoaringBitmap gone = ImmutableRoaringBitmap.and(l.members[s], ids);
            l.members[s].andNot(gone);
            if (l.plan.step(s).timed()) {
                l.stale[s].or(gone);
            } else {
                l.pending[s].andNot(gone);
            }
        }
    }

    /**
     * Takes the buckets of timed step {@code step} of {@code l} due by {@code now}: their ids still
     * there (stale ones dropped), taken out of the step; the caller moves them on at once (an
     * {@code At} or {@code End} record). Replay does not take buckets: there the same ids are marked
     * stale when they move on, and dropped when their bucket comes due — the same instances.
     */
    static MutableRoaringBitmap takeDue(Lane l, int step, long now) {
        NavigableMap<Long, MutableRoaringBitmap> head = l.due.get(step).headMap(now, true);
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        for (MutableRoaringBitmap b : head.values()) {
            out.or(b);
        }
        head.clear();
        MutableRoaringBitmap staleHits = ImmutableRoaringBitmap.andNot(out, l.members[step]);
        l.stale[step].andNot(staleHits);
        out.and(l.members[step]);
        // taken out of the step here (their bucket is gone), so the records that move them on mark nothing stale
        l.members[step].andNot(out);
        return out;
    }

    /** @return the earliest due time of any timed step, epoch ms, or {@link Long#MAX_VALUE} */
    long nextDue() {
        long next = Long.MAX_VALUE;
        for (Map<Integer, Lane> byLane : versions.values()) {
            for (Lane l : byLane.values()) {
                for (TreeMap<Long, MutableRoaringBitmap> d : l.due) {
                    if (!d.isEmpty()) {
                        next = Math.min(next, d.firstKey());
                    }
                }
            }
        }
        return next;
    }

    /** @return per step of {@code version}, how many are there now (summed over lanes) */
    Map<Integer, Long> atSteps(int version) {
        Map<Integer, Long> out = new LinkedHashMap<>();
        Map<Integer, Lane> byLane = versions.getOrDefault(version, Map.of());
        for (Lane l : byLane.values()) {
            for (int s = 0; s < l.members.length; s++) {
                out.merge(s, l.members[s].getLongCardinality(), Long::sum);
            }
        }
        return out;
    }
}
