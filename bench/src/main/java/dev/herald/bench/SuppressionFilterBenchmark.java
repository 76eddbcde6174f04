package dev.herald.bench;

import dev.herald.suppression.AudienceChunks;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Suppression filter over a whole campaign audience, chunk by chunk, on one thread.
 * Target: ≤ 15 ms per 10,000,000-id audience against 1,000,000 suppressed ids.
 *
 * <p>The audience is the dense id range {@code [0, audienceSize)}; {@code suppressed} distinct
 * random ids of it (fixed seed) are spread uniformly over global, sender:acme and category:promo
 * and compacted into the base image ({@code mode}: memory-mapped or heap copy);
 * {@code recentOptOuts} more are left uncompacted so the delta path is measured too. The message
 * scopes are {@code Scope.forMessage("acme", "sms", "promo")}.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar SuppressionFilterBenchmark -p mode=mmap
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class SuppressionFilterBenchmark {

    @Param({"10000000"})
    public int audienceSize;

    @Param({"1000000"})
    public int suppressed;

    /** Opt-outs after the last compaction: 0 = base only; otherwise the delta path. */
    @Param({"0", "10000"})
    public int recentOptOuts;

    @Param({"mmap", "heap"})
    public String mode;

    SuppressionFixture fixture;
    MutableRoaringBitmap audience;
    SuppressionIndex index;
    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        fixture = SuppressionFixture.generate(SuppressionFixture.SEED, suppressed, recentOptOuts, audienceSize);
        System.out.println(fixture.describe());
        audience = new MutableRoaringBitmap();
        audience.add(0L, (long) audienceSize);
        dir = SuppressionFixture.newTempDir("filter");
        index = SuppressionFixture.build(dir, fixture, options(mode));
    }

    static IndexOptions options(String mode) {
        return switch (mode) {
            case "mmap" -> IndexOptions.defaults().withAutoCompactChanges(0);
            case "heap" -> IndexOptions.defaults().withMemoryMapped(false).withAutoCompactChanges(0);
            default -> throw new IllegalArgumentException("mode must be mmap or heap, got " + mode);
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (index != null) {
            index.close();
        }
        SuppressionFixture.deleteTree(dir);
    }

    /** @return the number of audience ids kept (not suppressed in any message scope) */
    @Benchmark
    public long filterWholeAudience() {
        KeptCounter counter = new KeptCounter(index.snapshot(), SuppressionFixture.MESSAGE_SCOPES);
        AudienceChunks.forEach(audience, counter);
        return counter.kept;
    }

    /** Filters each chunk and sums what is kept, as a campaign stage would before passing it on. */
    private static final class KeptCounter implements Consumer<ImmutableRoaringBitmap> {
        private final SuppressionSnapshot snapshot;
        private final Collection<Scope> scopes;
        long kept;

        KeptCounter(SuppressionSnapshot snapshot, Collection<Scope> scopes) {
            this.snapshot = snapshot;
            this.scopes = scopes;
        }

        @Override
        public void accept(ImmutableRoaringBitmap chunk) {
            kept += snapshot.filter(chunk, scopes).getLongCardinality();
        }
    }
}
