package dev.herald.bench;

import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable opt-outs from 8 concurrent callers, each call returning only once its record is
 * fsynced and visible. Targets: ≥ 20,000 opt-outs/s, and the latency to acknowledgement
 * (p50/p99, from {@link #optOutLatency}).
 *
 * <p>The index starts with {@code baseSuppressed} ids compacted in its base (as in
 * {@link SuppressionFilterBenchmark}) and the production defaults (memory-mapped, background
 * compaction at 500,000 changes). Every call opts out a fresh id, never suppressed before:
 * {@code audienceSize + scatter(n)} for the n-th call, where {@code scatter} is a bijection on
 * [0, 2^24) that spreads consecutive calls over the id space as real STOP replies are
 * ({@code idOrder=sequential} uses {@code n} itself). The scope cycles over the three scopes. The
 * log lives in {@code java.io.tmpdir}: the same disk as the data directory on this machine.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar OptOutBenchmark
 * }</pre>
 */
@Threads(8)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class OptOutBenchmark {
    /** Fresh ids are {@code audienceSize + [0, ID_BLOCK)}. */
    static final int ID_BLOCK = 1 << 24;
    private static final ConsentEvidence EVIDENCE = ConsentEvidence.of(ConsentSource.API);

    @Param({"10000000"})
    public int audienceSize;

    @Param({"1000000"})
    public int baseSuppressed;

    @Param({"scattered"})
    public String idOrder;

    SuppressionFixture fixture;
    SuppressionIndex index;
    final AtomicInteger calls = new AtomicInteger();
    private boolean scattered;
    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        scattered = switch (idOrder) {
            case "scattered" -> true;
            case "sequential" -> false;
            default -> throw new IllegalArgumentException("idOrder must be scattered or sequential, got " + idOrder);
        };
        fixture = SuppressionFixture.generate(SuppressionFixture.SEED, baseSuppressed, 0, audienceSize);
        System.out.println(fixture.describe());
        dir = SuppressionFixture.newTempDir("optout");
        index = SuppressionFixture.build(dir, fixture, IndexOptions.defaults());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (index != null) {
            index.close();
        }
        System.out.printf("opt-outs acknowledged in this trial: %,d%n", calls.get());
        SuppressionFixture.deleteTree(dir);
    }

    /** The id of the {@code n}-th call: fresh for every n below {@link #ID_BLOCK}. */
    int freshId(int n) {
        if (n >= ID_BLOCK) {
            throw new IllegalStateException("more than " + ID_BLOCK + " opt-outs in one trial: ids would repeat");
        }
        // Multiplying by an odd constant is a bijection modulo 2^24.
        int offset = scattered ? (int) ((n * 0x9E3779B1L) & (ID_BLOCK - 1)) : n;
        return audienceSize + offset;
    }

    private ConsentRecord optOutNext() throws IOException {
        int n = calls.getAndIncrement();
        int id = freshId(n);
        return index.optOut(id, "+1" + (2_000_000_000L + id), SuppressionFixture.SCOPES.get(n % 3), EVIDENCE);
    }

    /** @return the acknowledged record */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public ConsentRecord optOutThroughput() throws IOException {
        return optOutNext();
    }

    /** @return the acknowledged record; JMH samples each call's time to acknowledgement */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public ConsentRecord optOutLatency() throws IOException {
        return optOutNext();
    }
}
