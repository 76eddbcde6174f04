package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.ZoneBuckets;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Stage 3: frequency caps, checked and reserved atomically across campaigns by the throttle
 * shards, one ask per cap zone of the chunk ({@link DecisionCore#byCapZone}: calendar windows are
 * in the recipient's local time). Records {@code capped:<rule>}, defers ids a deferring rule
 * pushes out ({@link DecisionCore#caps}), emits per chunk its non-empty reservations.
 *
 * <pre>{@code
 * chunks.via(CapsStage.flow(new CapsStage.Settings(shards, ctx, buckets, clock, askTimeout, 2), rec))
 * }</pre>
 *
 * <p>The flow is an immutable blueprint.
 */
public final class CapsStage {

    /**
     * @param shards      the throttle shards
     * @param ctx         the send (its zone is replaced per zone group)
     * @param buckets     the zone snapshot the campaign decides with
     * @param clock       the send instant, read per chunk
     * @param timeout     ask timeout per shard
     * @param parallelism chunks reserved at once, ≥ 1
     */
    public record Settings(ThrottleShards shards, CapContext ctx, ZoneBuckets buckets, Clock clock, Duration timeout,
                           int parallelism) {
        /** @throws IllegalArgumentException if {@code parallelism < 1} */
        public Settings {
            Objects.requireNonNull(shards, "shards");
            Objects.requireNonNull(ctx, "ctx");
            Objects.requireNonNull(buckets, "buckets");
            Objects.requireNonNull(clock, "clock");
            if (parallelism < 1) {
                throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
            }
        }
    }

    private CapsStage() {
    }

    /**
     * @param s   the shards and the send
     * @param rec where the decisions are recorded
     * @return per chunk, its reservations (one per zone) with at least one reserved id
     */
    public static Flow<ImmutableRoaringBitmap, List<ReservationBatch>, NotUsed> flow(Settings s, Recording rec) {
        return Flow.<ImmutableRoaringBitmap>create()
                .mapAsync(s.parallelism(), chunk -> reserveByZone(s, chunk, s.clock().instant()))
                .mapAsync(1, batches -> {
                    List<DecisionCore.Split> splits = new ArrayList<>(batches.size());
                    List<ReservationBatch> out = new ArrayList<>(batches.size());
                    for (ReservationBatch b : batches) {
                        splits.add(DecisionCore.caps(b, rec.expiresAt()));
                        if (!b.reserved().isEmpty()) {
                            out.add(b);
                        }
                    }
                    return rec.writeAsync(splits).thenApply(v -> out);
                })
                .filter(out -> !out.isEmpty())
                .named("campaign-caps");
    }

    private static CompletionStage<List<ReservationBatch>> reserveByZone(Settings s, ImmutableRoaringBitmap chunk, Instant now) {
        Map<ZoneId, MutableRoaringBitmap> byZone = DecisionCore.byCapZone(s.buckets(), chunk);
        List<CompletableFuture<ReservationBatch>> asks = new ArrayList<>(byZone.size());
        byZone.forEach((zone, ids) -> asks.add(s.shards().reserve(ids, s.ctx().inZone(zone), now, s.timeout()).toCompletableFuture()));
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
                .thenApply(v -> asks.stream().map(CompletableFuture::join).toList());
    }
}
