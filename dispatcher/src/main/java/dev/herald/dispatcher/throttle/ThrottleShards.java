package dev.herald.dispatcher.throttle;

import dev.herald.suppression.AudienceChunks;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MappeableContainerPointer;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Routes chunks of recipient ids to the {@link ThrottleShard} that owns them, with an ask-based
 * API shaped for a stream's {@code mapAsync}.
 *
 * <pre>{@code
 * ThrottleShards shards = ThrottleShards.spawn(ctx, "throttle", ledger, 8, ThrottleShards.idsPerShard(directorySize, 8));
 * Flow<ImmutableRoaringBitmap, ReservationBatch, NotUsed> caps = Flow.<ImmutableRoaringBitmap>create()
 *         .mapAsync(4, chunk -> shards.reserve(chunk, capContext, Instant.now(), Duration.ofSeconds(5)));
 * }</pre>
 *
 * <p><b>Layout.</b> Shard {@code i} owns ids {@code [i × idsPerShard, (i + 1) × idsPerShard)};
 * the last shard also owns every id above, up to 2^31, so an id added to the directory after the
 * layout was chosen still has exactly one owner. {@code idsPerShard} is a multiple of 65,536 ids,
 * so a chunk from {@link AudienceChunks} (one Roaring container) always maps to one shard and
 * goes to it as one message, without a copy.
 *
 * <p><b>Failures.</b> Every method answers with a stage and never throws for bad input: ids of
 * several shards given to {@link #reserve}, ids a shard refuses, a ledger failure and an ask
 * timeout all fail the stage (with {@link IllegalArgumentException}, the ledger's exception or
 * {@link java.util.concurrent.TimeoutException}); a failed stage fails a {@code mapAsync} stream.
 *
 * <p><b>Thread-safety.</b> Immutable; safe from any thread and any number of streams at once.
 * The single-writer invariant lives in the shards: each recipient's check-and-reserve happens
 * in the one shard that owns it, whichever campaign asks.
 */
public final class ThrottleShards {

    /** The ids of one chunk (one Roaring container); {@code idsPerShard} is a multiple of it. */
    public static final int CHUNK_IDS = AudienceChunks.MAX_CHUNK;

    private final List<ActorRef<ThrottleShard.Command>> shards;
    private final int idsPerShard;
    private final Scheduler scheduler;
    private final SendLedger ledger;

    private ThrottleShards(List<ActorRef<ThrottleShard.Command>> shards, int idsPerShard, Scheduler scheduler, SendLedger ledger) {
        this.shards = List.copyOf(shards);
        this.idsPerShard = idsPerShard;
        this.scheduler = scheduler;
        this.ledger = ledger;
    }

    /**
     * Start-up recovery, straight on the ledger (not through the shards): forgets the reservations
     * a killed process left for recipients it never handed over ({@link SendLedger#releaseStale}).
     * Call before any campaign runs.
     *
     * @return how many reservations were forgotten
     */
    public int releaseStale(ImmutableRoaringBitmap ids, CapContext ctx) {
        return ledger.releaseStale(ids, ctx);
    }

    /**
     * Read-only, straight on the ledger (not through the shards): what reserving {@code ids} now
     * would decide, nothing recorded ({@link SendLedger#check}). For previews; the answer may be
     * stale a moment later. Any thread.
     */
    public ReservationBatch check(ImmutableRoaringBitmap ids, CapContext ctx, Instant now) {
        return ledger.check(ids, ctx, now);
    }

    /**
     * Spawns the shards as children of {@code parent} (the usual case: the campaign manager).
     *
     * @param parent      the parent actor's context; call from inside that actor
     * @param namePrefix  shard {@code i} is named {@code <namePrefix>-<i>}
     * @param ledger      the ledger shared by the shards; the caller closes it after they stop
     * @param shardCount  how many shards, ≥ 1
     * @param idsPerShard ids per shard, a positive multiple of {@value #CHUNK_IDS}
     * @return the router
     * @throws IllegalArgumentException if the counts are out of range or the layout needs ids past 2^31
     */
    public static ThrottleShards spawn(ActorContext<?> parent, String namePrefix, SendLedger ledger, int shardCount, int idsPerShard) {
        return start(ledger, shardCount, idsPerShard, parent.getSystem().scheduler(),
                (behavior, name) -> parent.spawn(behavior, namePrefix + "-" + name));
    }

    /**
     * Spawns the shards as system actors of {@code system} (embedding without a parent actor, tests).
     *
     * @param system      the actor system
     * @param namePrefix  shard {@code i} is named {@code <namePrefix>-<i>}; unique within the system
     * @param ledger      the ledger shared by the shards; the caller closes it after {@link #stop()}
     * @param shardCount  how many shards, ≥ 1
     * @param idsPerShard ids per shard, a positive multiple of {@value #CHUNK_IDS}
     * @return the router
     * @throws IllegalArgumentException as {@link #spawn(ActorContext, String, SendLedger, int, int)}
     */
    public static ThrottleShards spawn(ActorSystem<?> system, String namePrefix, SendLedger ledger, int shardCount, int idsPerShard) {
        return start(ledger, shardCount, idsPerShard, system.scheduler(),
                (behavior, name) -> system.systemActorOf(behavior, namePrefix + "-" + name, Props.empty()));
    }

    private static ThrottleShards start(SendLedger ledger, int shardCount, int idsPerShard, Scheduler scheduler,
                                        BiFunction<Behavior<ThrottleShard.Command>, String, ActorRef<ThrottleShard.Command>> spawn) {
        if (shardCount < 1 || idsPerShard < 1 || idsPerShard % CHUNK_IDS != 0) {
            throw new IllegalArgumentException("throttle shards: need at least 1 shard and a positive multiple of "
                    + CHUNK_IDS + " ids per shard, got " + shardCount + " shards of " + idsPerShard + " ids");
        }
        if ((long) (shardCount - 1) * idsPerShard >= 1L << 31) {
            throw new IllegalArgumentException("throttle shards: " + shardCount + " shards of " + idsPerShard
                    + " ids go past the largest id 2^31 - 1");
        }
        List<ActorRef<ThrottleShard.Command>> refs = new ArrayList<>(shardCount);
        for (int i = 0; i < shardCount; i++) {
            long from = (long) i * idsPerShard;
            long to = i == shardCount - 1 ? 1L << 31 : from + idsPerShard;
            refs.add(spawn.apply(ThrottleShard.create(ledger, from, to), Integer.toString(i)));
        }
        return new ThrottleShards(refs, idsPerShard, scheduler, ledger);
    }

    /**
     * @param directorySize the ids the directory holds (or is expected to), ≥ 0
     * @param shardCount    how many shards, ≥ 1
     * @return the smallest multiple of {@value #CHUNK_IDS} that spreads {@code directorySize} ids over the shards
     * @throws IllegalArgumentException if {@code shardCount < 1} or {@code directorySize} is outside {@code [0, 2^31]}
     */
    public static int idsPerShard(long directorySize, int shardCount) {
        if (shardCount < 1 || directorySize < 0 || directorySize > 1L << 31) {
            throw new IllegalArgumentException("need at least 1 shard and a directory size in [0, 2^31], got "
                    + shardCount + " shards, " + directorySize + " ids");
        }
        long perShard = (directorySize + shardCount - 1) / shardCount;
        long chunks = Math.max(1, (perShard + CHUNK_IDS - 1) / CHUNK_IDS);
        return (int) Math.min(chunks * CHUNK_IDS, 1L << 30);
    }

    /** @return the number of shards */
    public int shardCount() {
        return shards.size();
    }

    /** @return the ids per shard (the last shard also owns every id above its range) */
    public int idsPerShard() {
        return idsPerShard;
    }

    /**
     * @param id a recipient id, ≥ 0
     * @return the index of the shard that owns it
     * @throws IllegalArgumentException if {@code id < 0}
     */
    public int shardOf(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + id);
        }
        return Math.min(id / idsPerShard, shards.size() - 1);
    }

    /**
     * @param index a shard index in {@code [0, shardCount())}
     * @return the shard's actor
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     */
    public ActorRef<ThrottleShard.Command> shard(int index) {
        return shards.get(index);
    }

    /**
     * Splits ids by owning shard; the parts share containers with {@code ids} (read-only).
     *
     * @param ids recipient ids, all ≥ 0
     * @return shard index → its ids, in shard order, only shards that get ids
     * @throws IllegalArgumentException if an id is negative (above 2^31 - 1 unsigned)
     */
    public Map<Integer, ImmutableRoaringBitmap> split(ImmutableRoaringBitmap ids) {
        Map<Integer, ImmutableRoaringBitmap> parts = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return parts;
        }
        int first = shardOf(ids.first());
        if (first == shardOf(ids.last())) {
            parts.put(first, ids);
            return parts;
        }
        MappeableContainerPointer p = ids.getContainerPointer();
        while (p.hasContainer()) {
            int shard = shardOf(p.key() << 16);
            ((MutableRoaringBitmap) parts.computeIfAbsent(shard, s -> new MutableRoaringBitmap())).append(p.key(), p.getContainer());
            p.advance();
        }
        return parts;
    }

    /**
     * Check-and-reserve for a chunk whose ids all belong to one shard (any {@link AudienceChunks} chunk).
     *
     * @param chunk   recipient ids of one shard, all in {@code ctx}'s zone; read-only until the stage completes
     * @param ctx     the send
     * @param now     the send instant
     * @param timeout how long to wait for the shard
     * @return the batch; failed with {@link IllegalArgumentException} if the chunk spans shards,
     *     the ledger's exception if it failed, or a timeout
     */
    public CompletionStage<ReservationBatch> reserve(ImmutableRoaringBitmap chunk, CapContext ctx, Instant now, Duration timeout) {
        Map<Integer, ImmutableRoaringBitmap> parts;
        try {
            parts = split(chunk);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (parts.size() > 1) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("chunk of " + chunk.getLongCardinality()
                    + " ids spans shards " + parts.keySet() + " of " + idsPerShard + " ids each; use reserveAll"));
        }
        int shard = parts.isEmpty() ? 0 : parts.keySet().iterator().next();
        return this.<ThrottleShard.Reserved>ask(shard, replyTo -> new ThrottleShard.Reserve(chunk, ctx, now, replyTo), timeout)
                .thenApply(ThrottleShard.Reserved::batch);
    }

    /**
     * Check-and-reserve for ids of any number of shards, one message per shard, in parallel.
     *
     * @param ids     recipient ids, all in {@code ctx}'s zone; read-only until the stage completes
     * @param ctx     the send
     * @param now     the send instant
     * @param timeout how long to wait for each shard
     * @return one batch per shard that got ids, in shard order; failed as {@link #reserve} if any shard failed
     */
    public CompletionStage<List<ReservationBatch>> reserveAll(ImmutableRoaringBitmap ids, CapContext ctx, Instant now, Duration timeout) {
        return each(ids, (shard, part) -> this.<ThrottleShard.Reserved>ask(shard,
                replyTo -> new ThrottleShard.Reserve(part, ctx, now, replyTo), timeout).thenApply(ThrottleShard.Reserved::batch));
    }

    /**
     * Marks reservations handed over to the connector, through their shards.
     *
     * @param ids     recipients (any shards) reserved with {@code stamp}
     * @param stamp   {@link ReservationBatch#stamp()}
     * @param timeout how long to wait for each shard
     * @return how many reservations were confirmed; failed if a shard failed
     */
    public CompletionStage<Integer> confirm(ImmutableRoaringBitmap ids, long stamp, Duration timeout) {
        return sum(each(ids, (shard, part) -> this.<ThrottleShard.Updated>ask(shard,
                replyTo -> new ThrottleShard.Confirm(part, stamp, replyTo), timeout)));
    }

    /**
     * Forgets reservations whose send failed before the connector accepted it, through their shards.
     *
     * @param ids     recipients (any shards) reserved with {@code stamp}
     * @param stamp   {@link ReservationBatch#stamp()}
     * @param timeout how long to wait for each shard
     * @return how many reservations were released; failed if a shard failed
     */
    public CompletionStage<Integer> release(ImmutableRoaringBitmap ids, long stamp, Duration timeout) {
        return sum(each(ids, (shard, part) -> this.<ThrottleShard.Updated>ask(shard,
                replyTo -> new ThrottleShard.Release(part, stamp, replyTo), timeout)));
    }

    /** Stops every shard once it has answered the messages already sent to it. */
    public void stop() {
        shards.forEach(s -> s.tell(ThrottleShard.Stop.INSTANCE));
    }

    private <R> CompletionStage<R> ask(int shard, Function<ActorRef<StatusReply<R>>, ThrottleShard.Command> message,
                                       Duration timeout) {
        return AskPattern.askWithStatus(shards.get(shard), message::apply, timeout, scheduler);
    }

    private <R> CompletionStage<List<R>> each(ImmutableRoaringBitmap ids,
                                              BiFunction<Integer, ImmutableRoaringBitmap, CompletionStage<R>> call) {
        Map<Integer, ImmutableRoaringBitmap> parts;
        try {
            parts = split(ids);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<R>> calls = new ArrayList<>(parts.size());
        parts.forEach((shard, part) -> calls.add(call.apply(shard, part).toCompletableFuture()));
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                .thenApply(done -> calls.stream().map(CompletableFuture::join).toList());
    }

    private static CompletionStage<Integer> sum(CompletionStage<List<ThrottleShard.Updated>> updates) {
        return updates.thenApply(list -> list.stream().mapToInt(ThrottleShard.Updated::found).sum());
    }

    @Override
    public String toString() {
        return "ThrottleShards[" + shards.size() + " shards of " + idsPerShard + " ids]";
    }
}
