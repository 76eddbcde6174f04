package dev.herald.dispatcher.pipeline;

import dev.herald.throttle.QuietHoursPlan;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * Stage 2: defers ids whose local time is in quiet hours until their window opens, or records
 * {@code expired} when it opens only after the campaign's end, and {@code expired:never-open} for
 * ids whose zones are never all open together ({@link DecisionCore#quietHours}); emits the rest.
 *
 * <pre>{@code
 * Map<Integer, Long> decidedAt = new ConcurrentHashMap<>();   // read by the send stage's re-check
 * chunks.via(QuietHoursStage.flow(plans, decidedAt, rec))
 * }</pre>
 *
 * <p>The plan is asked once per chunk, so it can follow the clock. The flow is an immutable blueprint.
 */
public final class QuietHoursStage {

    private QuietHoursStage() {
    }

    /** As {@link #flow(Supplier, Map, Recording)} with one fixed plan and no record of decision times. */
    public static Flow<ImmutableRoaringBitmap, ImmutableRoaringBitmap, NotUsed> flow(QuietHoursPlan plan, Recording rec) {
        return flow(() -> plan, new ConcurrentHashMap<>(), rec);
    }

    /**
     * @param plans     the plan for each chunk
     * @param decidedAt filled per chunk ({@code id >>> 16}) with the epoch ms of the plan that
     *                  decided it, for the send stage's re-check of old decisions
     * @param rec       where the decisions are recorded
     * @return chunks of the ids that may be sent now (empty chunks dropped)
     */
    public static Flow<ImmutableRoaringBitmap, ImmutableRoaringBitmap, NotUsed> flow(
            Supplier<QuietHoursPlan> plans, Map<Integer, Long> decidedAt, Recording rec) {
        return Flow.<ImmutableRoaringBitmap>create()
                .mapAsync(1, chunk -> {
                    QuietHoursPlan plan = plans.get();
                    if (!chunk.isEmpty()) {
                        decidedAt.put(chunk.first() >>> 16, plan.now().toEpochMilli());
                    }
                    DecisionCore.Split s = DecisionCore.quietHours(plan, chunk, rec.expiresAt());
                    return rec.writeAsync(s).thenApply(v -> (ImmutableRoaringBitmap) s.kept());
                })
                .filter(chunk -> !chunk.isEmpty())
                .named("campaign-quiet-hours");
    }
}
