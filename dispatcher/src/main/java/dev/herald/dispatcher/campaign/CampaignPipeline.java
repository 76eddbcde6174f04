package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.AudienceChunks;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.QuietHoursDecision;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.ZoneBuckets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The stages of a campaign's stream, as reusable {@link Flow}s: audience chunks → suppression →
 * quiet hours → caps → units → (re-check, render, rate limit, claim, send: {@link SendStage}) → outcomes.
 * ({@link #claim} is the earlier mode that claims whole units ahead of the send stage.)
 *
 * <pre>{@code
 * LongAdder decided = new LongAdder();
 * CampaignPipeline.chunks(ledger)
 *         .via(CampaignPipeline.suppression(index, scopes, ledger, decided))
 *         .via(CampaignPipeline.quietHours(plan, ledger, decided))
 *         .via(CampaignPipeline.caps(shards, ctx, buckets, now, timeout, ledger, 2, decided))
 *         .mapConcat(reservations -> CampaignPipeline.units(reservations, window))
 *         .via(SendStage.flow(...))                 // claims each group just in time (JustInTimeClaims)
 *         .via(CampaignPipeline.record(ledger, shards, timeout, 4096, Duration.ofMillis(20), decided))
 * }</pre>
 *
 * <p>Work moves as chunks of ids (one Roaring container, ≤ 65,536 ids) until the send stage,
 * which works in small batches and emits one {@link Delivery} per recipient. Every stage that
 * removes ids from the chunk records their outcome in the campaign's {@link OutcomeLedger} before
 * it emits the rest, so every id leaves the stream with an outcome or is still carried by it.
 * Back-pressure holds end to end: no stage buffers more than its {@link Attributes#inputBuffer} of
 * chunks.
 *
 * <p><b>Progress.</b> The stages that record outcomes add the number of ids they recorded to a
 * {@code decided} counter right after recording them ({@code suppressed}, {@code deferred},
 * {@code capped}, and the send stage's final answers); at the end it equals the ids processed.
 *
 * <p>Thread-safety: the flows are immutable blueprints, materializable many times; the ledger is
 * the campaign's own (single writer: only this campaign's stream writes it).
 */
public final class CampaignPipeline {

    /**
     * Reserved recipients, each with its cap reservation stamp (one unit may span several
     * reservations of a chunk): claimed durably by {@link #claim}, or by the send stage group by
     * group, just in time ({@link JustInTimeClaims}).
     *
     * @param ids    the recipients (do not modify)
     * @param stamps their reservation stamps, same positions (do not modify)
     */
    public record Claimed(int[] ids, long[] stamps) {
        /** @throws IllegalArgumentException if the arrays differ in length or are empty */
        public Claimed {
            if (ids.length != stamps.length || ids.length == 0) {
                throw new IllegalArgumentException("claimed: " + ids.length + " ids, " + stamps.length + " stamps");
            }
        }

        /** @return the ids as a new bitmap */
        public MutableRoaringBitmap bitmap() {
            return MutableRoaringBitmap.bitmapOf(ids);
        }
    }

    /**
     * One recipient's final answer from the send stage, or {@link #RETURNED}: stopped before the
     * hand-over, so un-claimed (pending again) and its cap reservation released.
     *
     * @param claimed  whether the id is claimed in the ledger (with just-in-time claims, an id
     *                 decided before its group's claim is not)
     * @param recorded whether the send stage wrote the answer to the ledger already (with
     *                 just-in-time claims it does so for claimed ids before it frees their window
     *                 slots); the record stage then only settles the cap reservation
     */
    public record Delivery(int recipientId, long stamp, String outcome, boolean claimed, boolean recorded) {
        /** A delivery of a claimed id, not recorded yet. */
        public Delivery(int recipientId, long stamp, String outcome) {
            this(recipientId, stamp, outcome, true, false);
        }

        /** A delivery not recorded yet. */
        public Delivery(int recipientId, long stamp, String outcome, boolean claimed) {
            this(recipientId, stamp, outcome, claimed, false);
        }
    }

    /** The {@link Delivery#outcome()} of an id the send stage gave back unsent because the run stops. */
    public static final String RETURNED = "returned";

    private static final String DEFERRED_AT = "deferred@";

    /**
     * The {@link Delivery#outcome()} of an id the send stage found in quiet hours at hand-over:
     * un-claimed, then deferred until {@code until} (or expired), its cap reservation released.
     */
    public static String deferredUntil(Instant until) {
        return DEFERRED_AT + until.toEpochMilli();
    }

    private CampaignPipeline() {
    }

    /**
     * @param ledger the campaign's outcome ledger
     * @return the ids still pending in {@code ledger} (all of them on a fresh campaign), in chunks
     */
    public static Source<ImmutableRoaringBitmap, NotUsed> chunks(OutcomeLedger ledger) {
        return Source.lazySource(() -> Source.from(AudienceChunks.split(ledger.pending())))
                .mapMaterializedValue(f -> NotUsed.getInstance())
                .named("campaign-chunks");
    }

    /**
     * Removes suppressed ids, recording {@code suppressed:<scope>} for them (first matching scope).
     *
     * @param index  the suppression index; a fresh snapshot per chunk
     * @param scopes the scopes of the message, most general first
     * @param ledger  the campaign's outcome ledger
     * @param decided incremented by the ids recorded
     */
    public static Flow<ImmutableRoaringBitmap, ImmutableRoaringBitmap, NotUsed> suppression(
            SuppressionIndex index, List<Scope> scopes, OutcomeLedger ledger, LongAdder decided) {
        return Flow.<ImmutableRoaringBitmap>create()
                .map(chunk -> (ImmutableRoaringBitmap) index.snapshot().filter(chunk, scopes, (scope, hit) -> {
                    io(() -> ledger.record(Outcomes.suppressed(scope.toString()), hit));
                    decided.add(hit.getLongCardinality());
                }))
                .filter(chunk -> !chunk.isEmpty())
                .named("campaign-suppression");
    }

    /**
     * Defers ids whose local time is in quiet hours ({@code defer(until, ids)}), emits the rest.
     *
     * @param plan   the campaign's quiet-hours plan (decision time fixed at its creation)
     * @param ledger  the campaign's outcome ledger
     * @param decided incremented by the ids deferred
     */
    public static Flow<ImmutableRoaringBitmap, ImmutableRoaringBitmap, NotUsed> quietHours(QuietHoursPlan plan,
                                                                                          OutcomeLedger ledger, LongAdder decided) {
        return quietHours(() -> plan, null, ledger, decided);
    }

    /**
     * Defers ids whose local time is in quiet hours ({@code defer(until, ids)}), or records
     * {@code expired} for those whose window opens only after {@code expiresAt}, and
     * {@value Outcomes#NEVER_OPEN} for those whose zones are never all open together; emits the rest.
     *
     * @param plans     the plan for each chunk (asked once per chunk, so it can follow the clock)
     * @param expiresAt the campaign's end, or null for none
     * @param ledger    the campaign's outcome ledger
     * @param decided   incremented by the ids deferred or expired
     */
    public static Flow<ImmutableRoaringBitmap, ImmutableRoaringBitmap, NotUsed> quietHours(
            Supplier<QuietHoursPlan> plans, Instant expiresAt, OutcomeLedger ledger, LongAdder decided) {
        return quietHours(plans, expiresAt, ledger, decided, new java.util.concurrent.ConcurrentHashMap<>());
    }

    /**
     * As {@link #quietHours(Supplier, Instant, OutcomeLedger, LongAdder)}, noting per chunk
     * ({@code id >>> 16}) the epoch ms of the plan that decided it, for the send stage's re-check.
     */
    public static Flow<ImmutableRoaringBitmap, ImmutableRoaringBitmap, NotUsed> quietHours(
            Supplier<QuietHoursPlan> plans, Instant expiresAt, OutcomeLedger ledger, LongAdder decided,
            Map<Integer, Long> decidedAt) {
        return Flow.<ImmutableRoaringBitmap>create()
                .map(chunk -> {
                    QuietHoursPlan plan = plans.get();
                    QuietHoursDecision d = plan.decide(chunk);
                    if (!chunk.isEmpty()) {
                        decidedAt.put(chunk.first() >>> 16, plan.now().toEpochMilli());
                    }
                    d.deferred().forEach((until, ids) -> {
                        deferOrExpire(ledger, until, ids, expiresAt);
                        decided.add(ids.getLongCardinality());
                    });
                    if (!d.neverOpen().isEmpty()) {
                        // waiting would not help: a final outcome, so the campaign still ends
                        io(() -> ledger.record(Outcomes.NEVER_OPEN, d.neverOpen()));
                        decided.add(d.neverOpen().getLongCardinality());
                    }
                    return (ImmutableRoaringBitmap) d.sendNow();
                })
                .filter(chunk -> !chunk.isEmpty())
                .named("campaign-quiet-hours");
    }

    /** {@code defer(until, ids)}, or {@code expired} when {@code until} is after {@code expiresAt}. */
    static void deferOrExpire(OutcomeLedger ledger, Instant until, ImmutableRoaringBitmap ids, Instant expiresAt) {
        if (expiresAt != null && until.isAfter(expiresAt)) {
            io(() -> ledger.record(Outcomes.EXPIRED, ids));
        } else {
            io(() -> ledger.defer(until, ids));
        }
    }

    /**
     * Check-and-reserve through the throttle shards, one ask per zone of the chunk (calendar cap
     * windows are in the recipient's local time); records {@code capped:<rule>}, defers ids a
     * defer rule pushes out, emits per chunk its non-empty reservations (one per zone), if any.
     *
     * @param shards      the throttle shards
     * @param ctx         the send (its zone is replaced per zone group)
     * @param buckets     zone index snapshot; a recipient of several zones is counted in the first
     * @param now         the send instant
     * @param timeout     ask timeout per shard
     * @param ledger      the campaign's outcome ledger
     * @param parallelism chunks reserved at once, ≥ 1
     * @param decided     incremented by the ids capped or deferred
     */
    public static Flow<ImmutableRoaringBitmap, List<ReservationBatch>, NotUsed> caps(
            ThrottleShards shards, CapContext ctx, ZoneBuckets buckets, Instant now, Duration timeout,
            OutcomeLedger ledger, int parallelism, LongAdder decided) {
        return caps(shards, ctx, buckets, Clock.fixed(now, ZoneOffset.UTC), null, timeout, ledger, parallelism, decided);
    }

    /**
     * As {@link #caps(ThrottleShards, CapContext, ZoneBuckets, Instant, Duration, OutcomeLedger, int, LongAdder)},
     * with the send instant read from {@code clock} per chunk, and {@code expired} instead of a
     * deferral past {@code expiresAt} (null: none).
     */
    public static Flow<ImmutableRoaringBitmap, List<ReservationBatch>, NotUsed> caps(
            ThrottleShards shards, CapContext ctx, ZoneBuckets buckets, Clock clock, Instant expiresAt, Duration timeout,
            OutcomeLedger ledger, int parallelism, LongAdder decided) {
        return Flow.<ImmutableRoaringBitmap>create()
                .mapAsync(parallelism, chunk -> reserveByZone(shards, ctx, buckets, chunk, clock.instant(), timeout))
                .map(batches -> {
                    List<ReservationBatch> out = new ArrayList<>(batches.size());
                    for (ReservationBatch b : batches) {
                        b.capped().forEach((outcome, ids) -> {
                            io(() -> ledger.record(Outcomes.check(outcome), ids));
                            decided.add(ids.getLongCardinality());
                        });
                        deferByInstant(b).forEach((until, ids) -> {
                            deferOrExpire(ledger, until, ids, expiresAt);
                            decided.add(ids.getLongCardinality());
                        });
                        if (!b.reserved().isEmpty()) {
                            out.add(b);
                        }
                    }
                    return out;
                })
                .filter(out -> !out.isEmpty())
                .named("campaign-caps");
    }

    /**
     * Claims each chunk's reservations in the ledger, fsynced before they are emitted: nothing
     * reaches the connector unclaimed, so a crash can never make the campaign send it again.
     */
    public static Flow<List<ReservationBatch>, Claimed, NotUsed> claim(OutcomeLedger ledger) {
        return claim(ledger, Integer.MAX_VALUE);
    }

    /**
     * Claims each chunk's reservations in units of at most {@code unit} ids, each fsynced before it
     * is emitted: nothing reaches the connector unclaimed, so a crash can never make the campaign
     * send it again. A unit spans the chunk's reservations (one per zone) so that units are full
     * but the chunk's last: few fsyncs, full send batches. The unit bounds what a crash turns
     * {@code unknown}: the units claimed ahead of the connector (this stage's output buffer plus
     * the one being handed over).
     *
     * @param unit most ids per claim (the connector's in-flight window is a good choice), ≥ 1
     * @throws IllegalArgumentException if {@code unit < 1}
     */
    public static Flow<List<ReservationBatch>, Claimed, NotUsed> claim(OutcomeLedger ledger, int unit) {
        if (unit < 1) {
            throw new IllegalArgumentException("claim unit must be >= 1, got " + unit);
        }
        return Flow.<List<ReservationBatch>>create()
                .mapConcat(chunk -> units(chunk, unit))
                .map(c -> {
                    ledger.claim(c.bitmap());
                    return c;
                })
                .named("campaign-claim");
    }

    /** The reservations' ids, in their order, in units of at most {@code unit}, with their stamps. */
    static List<Claimed> units(List<ReservationBatch> reservations, int unit) {
        long total = 0;
        for (ReservationBatch b : reservations) {
            total += b.reserved().getLongCardinality();
        }
        List<Claimed> out = new ArrayList<>((int) ((total + unit - 1) / unit));
        int size = (int) Math.min(unit, total);
        int[] ids = new int[size];
        long[] stamps = new long[size];
        int filled = 0;
        int[] step = new int[4096];
        for (ReservationBatch b : reservations) {
            org.roaringbitmap.BatchIterator it = b.reserved().getBatchIterator();
            while (it.hasNext()) {
                int got = it.nextBatch(step);
                int at = 0;
                while (at < got) {
                    int take = Math.min(got - at, ids.length - filled);
                    System.arraycopy(step, at, ids, filled, take);
                    java.util.Arrays.fill(stamps, filled, filled + take, b.stamp());
                    filled += take;
                    at += take;
                    total -= take;
                    if (filled == ids.length) {
                        out.add(new Claimed(ids, stamps));
                        size = (int) Math.min(unit, total);
                        ids = new int[size];
                        stamps = new long[size];
                        filled = 0;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Records final answers in batches of up to {@code batch} (or every {@code within}): {@code sent}
     * confirms the cap reservation, any other outcome releases it; a {@code suppressed:*} answer
     * (opt-out caught by the last check) is un-claimed first; {@link #RETURNED} ids are only
     * un-claimed (pending again). Answers the send stage {@link Delivery#recorded() recorded}
     * already only settle their cap reservation. Adds the number of final answers to
     * {@code decided} once they are recorded. Emits each recorded group.
     */
    public static Flow<Delivery, List<Delivery>, NotUsed> record(OutcomeLedger ledger, ThrottleShards shards,
                                                                 Duration timeout, int batch, Duration within,
                                                                 LongAdder decided) {
        return record(ledger, shards, timeout, batch, within, decided, null);
    }

    /**
     * As {@link #record(OutcomeLedger, ThrottleShards, Duration, int, Duration, LongAdder)}; ids
     * deferred at hand-over ({@link #deferredUntil}) past {@code expiresAt} (null: none) expire.
     */
    public static Flow<Delivery, List<Delivery>, NotUsed> record(OutcomeLedger ledger, ThrottleShards shards,
                                                                 Duration timeout, int batch, Duration within,
                                                                 LongAdder decided, Instant expiresAt) {
        return Flow.<Delivery>create()
                .groupedWithin(batch, within)
                .mapAsync(1, group -> {
                    Map<String, MutableRoaringBitmap> byOutcome = new HashMap<>();
                    Map<Long, MutableRoaringBitmap> confirm = new HashMap<>();
                    Map<Long, MutableRoaringBitmap> release = new HashMap<>();
                    MutableRoaringBitmap unclaimed = new MutableRoaringBitmap();
                    long returned = 0;
                    for (Delivery d : group) {
                        if (d.recorded()) {
                            returned += RETURNED.equals(d.outcome()) ? 1 : 0;
                        } else {
                            byOutcome.computeIfAbsent(d.outcome(), k -> new MutableRoaringBitmap()).add(d.recipientId());
                            if (!d.claimed()) {
                                unclaimed.add(d.recipientId());
                            }
                        }
                        (Outcomes.SENT.equals(d.outcome()) ? confirm : release)
                                .computeIfAbsent(d.stamp(), k -> new MutableRoaringBitmap()).add(d.recipientId());
                    }
                    returned += settle(ledger, byOutcome, unclaimed, expiresAt);
                    decided.add(group.size() - returned);
                    List<CompletableFuture<Integer>> acks = new ArrayList<>();
                    confirm.forEach((stamp, ids) -> acks.add(shards.confirm(ids, stamp, timeout).toCompletableFuture()));
                    release.forEach((stamp, ids) -> acks.add(shards.release(ids, stamp, timeout).toCompletableFuture()));
                    return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).thenApply(v -> group);
                })
                .named("campaign-record");
    }

    /**
     * Writes the send stage's answers to the ledger, by outcome: {@code suppressed:*},
     * {@link #RETURNED} and {@link #deferredUntil deferred} ids are un-claimed first (stopped before
     * the connector), then suppressed or deferred (expired past {@code expiresAt}); returned ids
     * stay pending. Ids that failed before their group's claim ({@code unclaimed}) are claimed
     * first where their outcome needs a claim.
     *
     * @param byOutcome ids by send-stage outcome
     * @param unclaimed which of those ids are not claimed (empty with claimed input)
     * @param expiresAt the campaign's end, or null
     * @return how many ids were returned (not final)
     * @throws UncheckedIOException if the ledger cannot be written
     */
    static long settle(OutcomeLedger ledger, Map<String, MutableRoaringBitmap> byOutcome, ImmutableRoaringBitmap unclaimed,
                       Instant expiresAt) {
        long[] returned = {0};
        byOutcome.forEach((outcome, ids) -> io(() -> {
            boolean later = outcome.startsWith(DEFERRED_AT);
            MutableRoaringBitmap claimedIds = unclaimed.isEmpty() ? ids : ImmutableRoaringBitmap.andNot(ids, unclaimed);
            if (outcome.startsWith(Outcomes.SUPPRESSED_PREFIX) || RETURNED.equals(outcome) || later) {
                ledger.release(claimedIds); // stopped before the connector: un-claim, then decide
            } else if (Outcomes.needsClaim(outcome) && claimedIds.getLongCardinality() != ids.getLongCardinality()) {
                // failed before its group's claim (unknown recipient, render): never handed over
                ledger.claim(ImmutableRoaringBitmap.andNot(ids, claimedIds));
            }
            if (RETURNED.equals(outcome)) {
                returned[0] += ids.getLongCardinality();
            } else if (later) {
                deferOrExpire(ledger, Instant.ofEpochMilli(Long.parseLong(outcome.substring(DEFERRED_AT.length()))),
                        ids, expiresAt);
            } else {
                ledger.record(outcome, ids);
            }
        }));
        return returned[0];
    }

    private static CompletionStage<List<ReservationBatch>> reserveByZone(ThrottleShards shards, CapContext ctx,
            ZoneBuckets buckets, ImmutableRoaringBitmap chunk, Instant now, Duration timeout) {
        Map<ZoneId, MutableRoaringBitmap> byZone = new HashMap<>();
        List<ZoneBuckets.Bucket> all = buckets.buckets();
        buckets.split(chunk).forEach((bucket, part) -> {
            ZoneId zone = bucket < 0 || all.get(bucket).zones().isEmpty() ? ZoneOffset.UTC : all.get(bucket).zones().zones().get(0);
            MutableRoaringBitmap ids = byZone.get(zone);
            if (ids == null) {
                byZone.put(zone, part);
            } else {
                ids.or(part);
            }
        });
        List<CompletableFuture<ReservationBatch>> asks = new ArrayList<>(byZone.size());
        byZone.forEach((zone, ids) -> asks.add(shards.reserve(ids, ctx.inZone(zone), now, timeout).toCompletableFuture()));
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
                .thenApply(v -> asks.stream().map(CompletableFuture::join).toList());
    }

    private static Map<Instant, MutableRoaringBitmap> deferByInstant(ReservationBatch b) {
        Map<Instant, MutableRoaringBitmap> out = new TreeMap<>();
        for (int i = 0; i < b.deferredCount(); i++) {
            out.computeIfAbsent(b.deferredUntilAt(i), k -> new MutableRoaringBitmap()).add(b.deferredIdAt(i));
        }
        return out;
    }

    /** A ledger write; an I/O failure fails the stream (the ledger then refuses further writes). */
    interface IoAction {
        void run() throws IOException;
    }

    static void io(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException("outcome ledger write failed", e);
        }
    }
}
