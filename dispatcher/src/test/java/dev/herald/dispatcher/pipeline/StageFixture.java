package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.suppression.AudienceChunks;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** Runs one stage on chunks of ids and collects what it emits; ids as bitmaps. */
final class StageFixture {

    private StageFixture() {
    }

    static <T> List<T> run(ActorSystem<?> system, ImmutableRoaringBitmap ids, Flow<ImmutableRoaringBitmap, T, NotUsed> stage)
            throws Exception {
        return Source.from(AudienceChunks.split(ids)).via(stage).runWith(Sink.seq(), system)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static MutableRoaringBitmap union(List<? extends ImmutableRoaringBitmap> chunks) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        chunks.forEach(out::or);
        return out;
    }

    /** Ids of the fixture's first {@code n} recipients. */
    static ImmutableRoaringBitmap first(int n) {
        return CampaignFixture.range(n);
    }

    /** Ids of {@code ledger} whose outcome's wire form starts with {@code prefix}. */
    static MutableRoaringBitmap withOutcome(OutcomeLedger ledger, String prefix) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        ledger.counts().keySet().stream().filter(k -> k.startsWith(prefix)).forEach(k -> out.or(ledger.ids(k)));
        return out;
    }
}
