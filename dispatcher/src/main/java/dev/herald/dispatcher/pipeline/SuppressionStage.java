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
}
