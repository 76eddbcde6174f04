package dev.herald.dispatcher.pipeline;

import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.util.List;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * Stage 1 of the flow: removes suppressed ids (opt-outs, blocks), recording
 * {@code suppressed:<scope>} for them under the first matching scope ({@link DecisionCore#suppression}).
 *
 * <pre>{@code
 * AudienceSource.due(ledger, now).via(SuppressionStage.flow(index, Scope.forMessage(sender, channel, category), rec))
 * }</pre>
 *
 * <p>A fresh index snapshot per chunk; the send stage checks again right before each hand-over.
 * The flow is an immutable blueprint.
 */
public final class SuppressionStage {

    private SuppressionStage() {
    }

    /**
     * @param index  the suppression index
     * @param scopes the message's scopes, most general first
     * @param rec    where the decisions are recorded
     * @return chunks without their suppressed ids (empty chunks dropped)
     */
    public static Flow<ImmutableRoaringBitmap, ImmutableRoaringBitmap, NotUsed> flow(SuppressionIndex index, List<Scope> scopes,
                                                                                   Recording rec) {
        return Flow.<ImmutableRoaringBitmap>create()
                .mapAsync(1, chunk -> {
                    DecisionCore.Split s = DecisionCore.suppression(index.snapshot(), chunk, scopes);
                    return rec.writeAsync(s).thenApply(v -> (ImmutableRoaringBitmap) s.kept());
                })
                .filter(chunk -> !chunk.isEmpty())
                .named("campaign-suppression");
    }

    /**
     * As {@link #flow(SuppressionIndex, List, Recording)} for a run whose variants send as different
     * senders: each variant's recipients are filtered by its own sender's scopes.
     */
    public static Flow<ImmutableRoaringBitmap, ImmutableRoaringBitmap, NotUsed> flow(SuppressionIndex index, Variants variants,
                                                                                   Recording rec) {
        if (variants.oneSender()) {
            return flow(index, variants.scopes(variants.senders().get(0)), rec);
        }
        return Flow.<ImmutableRoaringBitmap>create()
                .mapAsync(1, chunk -> {
                    dev.herald.suppression.SuppressionSnapshot snapshot = index.snapshot();
                    java.util.List<DecisionCore.Split> splits = new java.util.ArrayList<>();
                    org.roaringbitmap.buffer.MutableRoaringBitmap kept = new org.roaringbitmap.buffer.MutableRoaringBitmap();
                    java.util.List<org.roaringbitmap.buffer.MutableRoaringBitmap> parts = variants.plan().split(chunk);
                    for (int v = 0; v < parts.size(); v++) {
                        if (!parts.get(v).isEmpty()) {
                            DecisionCore.Split s = DecisionCore.suppression(snapshot, parts.get(v),
                                    variants.scopes(variants.senders().get(v)));
                            splits.add(s);
                            kept.or(s.kept());
                        }
                    }
                    // ids of no variant (held by an undecided test; never emitted by the source) go on, to fail at render
                    org.roaringbitmap.buffer.MutableRoaringBitmap none = chunk.toMutableRoaringBitmap();
                    parts.forEach(none::andNot);
                    kept.or(none);
                    return rec.writeAsync(splits).thenApply(v -> (ImmutableRoaringBitmap) kept);
                })
                .filter(chunk -> !chunk.isEmpty())
                .named("campaign-suppression");
    }
}
