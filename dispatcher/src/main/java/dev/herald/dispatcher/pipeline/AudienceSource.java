package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.suppression.AudienceChunks;

import java.time.Instant;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The first stage: the campaign's recipients still to decide, as chunks of ids (one Roaring
 * container, ≤ 65,536 ids each), in id order.
 *
 * <pre>{@code
 * AudienceSource.due(ledger, now).via(SuppressionStage.flow(index, scopes, rec)) ...
 * }</pre>
 *
 * <p>The ids are read from the ledger when the source is materialized (lazily), so a source
 * built before a resume sees the ledger as the resume left it.
 */
public final class AudienceSource {

    private AudienceSource() {
    }

    /** @return the ids pending in {@code ledger} (all of them on a fresh campaign), in chunks */
    public static Source<ImmutableRoaringBitmap, NotUsed> pending(OutcomeLedger ledger) {
        return Source.lazySource(() -> Source.from(AudienceChunks.split(ledger.pending())))
                .mapMaterializedValue(f -> NotUsed.getInstance())
                .named("campaign-chunks");
    }

    /** @return the ids pending in {@code ledger} and those deferred until {@code now} or before, in chunks */
    public static Source<ImmutableRoaringBitmap, NotUsed> due(OutcomeLedger ledger, Instant now) {
        return Source.lazySource(() -> {
                    MutableRoaringBitmap ids = ledger.pending().toMutableRoaringBitmap();
                    ids.or(ledger.deferredDue(now));
                    return Source.from(AudienceChunks.split(ids));
                })
                .mapMaterializedValue(f -> NotUsed.getInstance())
                .named("campaign-chunks");
    }
}
