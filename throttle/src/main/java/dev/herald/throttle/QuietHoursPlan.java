package dev.herald.throttle;

import dev.herald.throttle.internal.ZoneBucketsContainers;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MappeableContainer;
import org.roaringbitmap.buffer.MappeableContainerPointer;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Quiet hours for one category at one decision time: every zone bucket of a snapshot evaluated
 * once (when may its recipients receive the message?), then any number of chunks split by those
 * answers with bitmap algebra. Ids the snapshot does not hold are treated as recipients with an
 * unknown zone and region (the policy's {@code unknown-zones}, its category rule).
 *
 * <p>A zone set whose zones are never all open together within {@link QuietHoursRule#HORIZON_DAYS}
 * (say windows 10:00-18:00 and a US toll-free number, listed in 42 zones from Guam to Hawaii) does
 * not make the plan fail: its recipients are decided {@link QuietHoursDecision#neverOpen() never
 * open}, and only they; {@link #neverOpenZones()} names those zone sets.
 *
 * <pre>{@code
 * QuietHoursPlan plan = QuietHoursPlan.of(policy, index.snapshot(), "marketing", clock.instant());
 * AudienceChunks.forEach(audience, chunk -> route(plan.decide(chunk)));
 * }</pre>
 *
 * <p>Immutable and thread-safe: {@link #decide} may run on several threads at once. Building a
 * plan costs one next-open search per distinct (rule, zone set), microseconds each.
 */
public final class QuietHoursPlan {
    /** Groups of up to this many buckets are merged as sorted arrays rather than through a bitmap. */
    private static final int MERGE_MAX = 4;
    private final Instant now;
    private final String category;
    private final ZoneBuckets buckets;
    /** Per bucket: 0 = send now, k > 0 = deferred to {@code instants[k]}, {@code instants.length} = never open. */
    private final int[] outcomeOf;
    private final Instant[] instants;
    private final int unknownOutcome;
    private final RuntimeException unknownFailure;
    /** The zone sets never open in all their zones, with why (the rule and zones). */
    private final Map<ZoneSet, String> neverOpen;

    private QuietHoursPlan(QuietHoursPolicy policy, ZoneBuckets buckets, String category, Instant now, LocalSendTime at) {
        this.now = Objects.requireNonNull(now, "now");
        this.category = Objects.requireNonNull(category, "category");
        this.buckets = Objects.requireNonNull(buckets, "buckets");
        Objects.requireNonNull(policy, "policy");
        Map<List<Object>, Instant> memo = new HashMap<>();
        Map<ZoneSet, String> never = new java.util.TreeMap<>();
        List<ZoneBuckets.Bucket> all = buckets.buckets();
        Instant[] sendAt = new Instant[all.size()];
        TreeSet<Instant> later = new TreeSet<>();
        for (ZoneBuckets.Bucket b : all) {
            sendAt[b.index()] = sendAt(policy, b.zones(), b.region(), at, memo, never);
            if (sendAt[b.index()] != NEVER && sendAt[b.index()].isAfter(now)) {
                later.add(sendAt[b.index()]);
            }
        }
        Instant unknownAt = null;
        RuntimeException failure = null;
        try {
            unknownAt = sendAt(policy, ZoneSet.EMPTY, null, at, memo, never);
            if (unknownAt != NEVER && unknownAt.isAfter(now)) {
                later.add(unknownAt);
            }
        } catch (IllegalArgumentException e) {
            failure = e; // only an error if unindexed ids show up
        }
        instants = new Instant[later.size() + 1];
        instants[0] = now;
        int k = 1;
        for (Instant i : later) {
            instants[k++] = i;
        }
        outcomeOf = new int[all.size()];
        for (int b = 0; b < outcomeOf.length; b++) {
            outcomeOf[b] = outcomeIndex(sendAt[b]);
        }
        unknownOutcome = unknownAt == null ? -1 : outcomeIndex(unknownAt);
        unknownFailure = failure;
        neverOpen = java.util.Collections.unmodifiableMap(never);
    }

    /** Marks a zone set that is never open in the memo (compared by identity, never returned). */
    private static final Instant NEVER = Instant.ofEpochSecond(Long.MIN_VALUE / 1_000_000_000L);

    /**
     * A plan that sends as soon as quiet hours allow.
     *
     * @param policy   the quiet-hours policy
     * @param buckets  a snapshot of the zone index
     * @param category the message category, e.g. {@code marketing}
     * @param now      the decision time
     * @return the plan
     * @throws IllegalArgumentException if the category has no rule in a bucket's region or the policy
     */
    public static QuietHoursPlan of(QuietHoursPolicy policy, ZoneBuckets buckets, String category, Instant now) {
        return new QuietHoursPlan(policy, buckets, category, now, null);
    }

    /**
     * A plan that reaches each bucket at its next local {@code at} time at or after {@code now}, or at
     * the next open instant after that (exempt categories: exactly at that time).
     *
     * @throws IllegalArgumentException as for {@link #of(QuietHoursPolicy, ZoneBuckets, String, Instant)}
     */
    public static QuietHoursPlan of(QuietHoursPolicy policy, ZoneBuckets buckets, String category, Instant now,
                                    LocalSendTime at) {
        return new QuietHoursPlan(policy, buckets, category, now, Objects.requireNonNull(at, "at"));
    }

    private Instant sendAt(QuietHoursPolicy policy, ZoneSet zones, String region, LocalSendTime at,
                           Map<List<Object>, Instant> memo, Map<ZoneSet, String> never) {
        QuietHoursRule rule = policy.rule(category, region);
        ZoneSet effective = policy.zonesFor(zones);
        return memo.computeIfAbsent(List.of(rule, effective), k -> {
            Instant from = at == null ? now : at.nextAtOrAfter(effective, now);
            List<Object> key = List.of(rule, effective, at == null ? "" : at);
            NeverOpen known = NEVER_OPEN.get(key);
            if (known != null && !from.isBefore(known.searchedFrom())
                    && from.isBefore(known.searchedFrom().plus(NEVER_OPEN_REUSE))) {
                never.merge(effective, known.why(), (a, b) -> a.equals(b) ? a : a + "; " + b);
                return NEVER;
            }
            try {
                return rule.nextOpen(effective, from);
            } catch (IllegalStateException e) {
                never.merge(effective, e.getMessage(), (a, b) -> a.equals(b) ? a : a + "; " + b);
                if (NEVER_OPEN.size() >= NEVER_OPEN_MAX) {
                    NEVER_OPEN.clear();
                }
                NEVER_OPEN.put(key, new NeverOpen(from, e.getMessage()));
                return NEVER;
            }
        });
    }

    /**
     * Searches that found nothing open within the horizon (a year of every zone's DST changes, tens of
     * ms for 42 zones), reused by the plans made in the next {@link #NEVER_OPEN_REUSE}: a campaign
     * makes a fresh plan every second. A plan reusing one looks at most that much less far ahead.
     */
    private static final java.util.concurrent.ConcurrentHashMap<List<Object>, NeverOpen> NEVER_OPEN =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final java.time.Duration NEVER_OPEN_REUSE = java.time.Duration.ofHours(1);
    private static final int NEVER_OPEN_MAX = 1_000;

    private record NeverOpen(Instant searchedFrom, String why) {
    }

    private int outcomeIndex(Instant at) {
        if (at == NEVER) {
            return instants.length;
        }
        return at.isAfter(now) ? Arrays.binarySearch(instants, 1, instants.length, at) : 0;
    }

    /**
     * @return the zone sets of the snapshot (and the policy's unknown-zones) whose zones are never all
     *     open together within {@link QuietHoursRule#HORIZON_DAYS} days, each with a sentence naming
     *     the rule and zones; empty when every recipient can be reached
     */
    public Map<ZoneSet, String> neverOpenZones() {
        return neverOpen;
    }

    /** @return the decision time */
    public Instant now() {
        return now;
    }

    /** @return the category decided for */
    public String category() {
        return category;
    }

    /**
     * @param bucket a bucket index of the snapshot
     * @return when its recipients may be sent: {@link #now()} when now, null when never (its zones
     *     are never all open together)
     */
    public Instant sendAt(int bucket) {
        int o = outcomeOf[bucket];
        return o == instants.length ? null : instants[o];
    }

    /**
     * Splits a chunk (any bitmap; typically one container of ≤ 65,536 ids) into send-now and
     * deferred ids. Cost: per chunk key, one pass over the ids of each bucket present there
     * (about 3.5 ns per id on the benchmark machine).
     *
     * @param chunk the ids to decide; read, not modified
     * @return the decision, with new bitmaps
     * @throws IllegalArgumentException if the chunk holds ids the snapshot lacks and the category has
     *                                  no rule for a recipient of unknown region
     */
    public QuietHoursDecision decide(ImmutableRoaringBitmap chunk) {
        // slots: 0 = now, 1 .. instants.length - 1 = deferral instants, instants.length = never open
        MutableRoaringBitmap[] out = new MutableRoaringBitmap[instants.length + 1];
        long[] words = new long[ZoneBucketsContainers.WORDS];
        int[] count = new int[instants.length + 2];
        int[] order = new int[0];
        for (MappeableContainerPointer p = chunk.getContainerPointer(); p.hasContainer(); p.advance()) {
            char key = p.key();
            MappeableContainer part = p.getContainer();
            int ki = buckets.keyIndex(key);
            int covered = 0;
            if (ki >= 0) {
                int[] bs = buckets.bucketsAt(ki);
                char[][] vs = buckets.valuesAt(ki);
                if (order.length < bs.length) {
                    order = new int[bs.length];
                }
                groupByOutcome(bs, count, order);
                boolean full = part.isFull();
                for (int o = 0; o <= instants.length; o++) {
                    MappeableContainer c = group(part, full, vs, order, count[o], count[o + 1], words);
                    if (c != null) {
                        bitmap(out, o).append(key, c);
                        covered += c.getCardinality();
                    }
                }
            }
            if (covered < part.getCardinality()) {
                addUnindexed(out, key, part, ki, words);
            }
        }
        TreeMap<Instant, MutableRoaringBitmap> deferred = new TreeMap<>();
        for (int o = 1; o < instants.length; o++) {
            if (out[o] != null && !out[o].isEmpty()) {
                deferred.put(instants[o], out[o]);
            }
        }
        MutableRoaringBitmap never = out[instants.length];
        return new QuietHoursDecision(out[0] == null ? new MutableRoaringBitmap() : out[0], deferred,
                never == null ? new MutableRoaringBitmap() : never);
    }

    /**
     * The chunk's ids in the buckets {@code vs[order[from .. to)]}: small groups by merging their
     * sorted arrays, large ones through a bitmap. Null when none.
     */
    private static MappeableContainer group(MappeableContainer part, boolean full, char[][] vs, int[] order,
                                            int from, int to, long[] words) {
        if (from == to) {
            return null;
        }
        int total = 0;
        for (int j = from; j < to; j++) {
            total += vs[order[j]].length;
        }
        if (total <= ZoneBucketsContainers.ARRAY_MAX && to - from <= MERGE_MAX) {
            MappeableContainer c = ZoneBucketsContainers.fromSorted(ZoneBucketsContainers.merge(vs, order, from, to, total));
            return full ? c : ZoneBucketsContainers.and(part, c);
        }
        Arrays.fill(words, 0L);
        for (int j = from; j < to; j++) {
            ZoneBucketsContainers.orInto(vs[order[j]], words);
        }
        if (!full) {
            part.andInto(words);
        }
        return ZoneBucketsContainers.fromWords(words);
    }

    /** Counting sort of the positions of {@code bs} by outcome: group o is {@code order[count[o] .. count[o+1])}. */
    private void groupByOutcome(int[] bs, int[] count, int[] order) {
        Arrays.fill(count, 0);
        for (int b : bs) {
            count[outcomeOf[b] + 1]++;
        }
        for (int o = 1; o < count.length; o++) {
            count[o] += count[o - 1];
        }
        int[] next = count.clone();
        for (int j = 0; j < bs.length; j++) {
            order[next[outcomeOf[bs[j]]]++] = j;
        }
    }

    private void addUnindexed(MutableRoaringBitmap[] out, char key, MappeableContainer part, int ki, long[] words) {
        if (unknownFailure != null) {
            throw unknownFailure;
        }
        Arrays.fill(words, 0L);
        part.orInto(words);
        if (ki >= 0) {
            for (char[] v : buckets.valuesAt(ki)) {
                ZoneBucketsContainers.removeFrom(v, words);
            }
        }
        MutableRoaringBitmap rest = new MutableRoaringBitmap();
        rest.append(key, ZoneBucketsContainers.fromWords(words));
        bitmap(out, unknownOutcome).or(rest);
    }

    private static MutableRoaringBitmap bitmap(MutableRoaringBitmap[] out, int o) {
        if (out[o] == null) {
            out[o] = new MutableRoaringBitmap();
        }
        return out[o];
    }

    @Override
    public String toString() {
        return "QuietHoursPlan[" + category + " at " + now + ", " + buckets.buckets().size() + " buckets, "
                + (instants.length - 1) + " deferral instants" + (neverOpen.isEmpty() ? "" : ", never open in "
                + neverOpen.keySet()) + "]";
    }
}
