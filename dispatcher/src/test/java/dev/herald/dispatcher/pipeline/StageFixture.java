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

    /**
     * The executor a test's {@link Recording} writes through: a thread of its own, counting the
     * writes it ran. A stage that wrote on the stream's thread instead would leave it at zero.
     */
    static final class IoProbe implements java.util.concurrent.Executor, AutoCloseable {
        private final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor(
                r -> new Thread(r, "stage-io-probe"));
        private final java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void execute(Runnable task) {
            pool.execute(() -> {
                ran.incrementAndGet();
                task.run();
            });
        }

        /** @return how many writes ran here */
        int ran() {
            return ran.get();
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }
}
