package dev.herald.bench;

import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

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

/**
 * One point lookup: is this recipient suppressed for this message? Target: ≤ 60 ns.
 *
 * <p>Index of {@code suppressed} distinct random ids over three scopes (as in
 * {@link SuppressionFilterBenchmark}, compacted, no delta; memory-mapped unless {@code mode=heap}); the probed ids come from a
 * precomputed random array of {@code probes} ids in {@code [0, audienceSize)} (about one in ten
 * suppressed), cycled through so the branch predictor and caches see a realistic mix.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar IsSuppressedBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class IsSuppressedBenchmark {

    @Param({"10000000"})
    public int audienceSize;

    @Param({"1000000"})
    public int suppressed;

    /** Base image memory-mapped (the production default) or copied onto the heap. */
    @Param({"mmap"})
    public String mode;

    /** Length of the probe array; a power of two. */
    @Param({"1048576"})
    public int probes;

    SuppressionFixture fixture;
    SuppressionIndex index;
    int[] probeIds;
    private int mask;
    private Path dir;

    /** Each benchmark thread walks the probe array on its own. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (Integer.bitCount(probes) != 1) {
            throw new IllegalArgumentException("probes must be a power of two, got " + probes);
        }
        fixture = SuppressionFixture.generate(SuppressionFixture.SEED, suppressed, 0, audienceSize);
        System.out.println(fixture.describe());
        dir = SuppressionFixture.newTempDir("lookup");
        index = SuppressionFixture.build(dir, fixture, SuppressionFilterBenchmark.options(mode));
        SplittableRandom rnd = new SplittableRandom(SuppressionFixture.SEED + 1);
        probeIds = new int[probes];
        for (int i = 0; i < probes; i++) {
            probeIds[i] = rnd.nextInt(audienceSize);
        }
        mask = probes - 1;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (index != null) {
            index.close();
        }
        SuppressionFixture.deleteTree(dir);
    }

    /** @return whether the next probe id is suppressed for the message */
    @Benchmark
    public boolean isSuppressed(Cursor cursor) {
        int id = probeIds[cursor.next++ & mask];
        return index.isSuppressed(id, SuppressionFixture.MESSAGE_SCOPES);
    }
}
