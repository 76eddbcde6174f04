package dev.herald.bench;

import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.OpenReport;
import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * Opening the suppression index at start-up: loading and checking the base image, then
 * replaying the log written since. Target: base ≤ 200 ms for 10,000,000 suppressed ids; the
 * score is the whole {@code open}, and each iteration prints the {@link OpenReport}'s split
 * (base load vs log replay) — JMH's {@code @AuxCounters} do not apply to single-shot mode.
 *
 * <p>The base holds {@code baseIds} distinct random ids in {@code [0, idSpace)} over three scopes;
 * {@code replayRecords} opt-outs of further fresh ids follow it in the log. Files were just
 * written, so they are in the page cache: this is a warm open (a restart), not a cold boot.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar IndexOpenBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class IndexOpenBenchmark {

    @Param({"10000000"})
    public int baseIds;

    @Param({"50000000"})
    public int idSpace;

    @Param({"0", "100000"})
    public int replayRecords;

    SuppressionFixture fixture;
    /** The index opened by the current iteration; closed after it. */
    SuppressionIndex opened;
    final List<OpenReport> reports = new ArrayList<>();
    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        fixture = SuppressionFixture.generate(SuppressionFixture.SEED, baseIds, replayRecords, idSpace);
        System.out.println(fixture.describe());
        dir = SuppressionFixture.newTempDir("open");
        long t0 = System.nanoTime();
        SuppressionFixture.build(dir, fixture, IndexOptions.defaults()).close();
        System.out.printf("fixture built in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** @return what the open found; the index stays open until the end of the iteration */
    @Benchmark
    public OpenReport open() throws IOException {
        opened = SuppressionIndex.open(dir, IndexOptions.defaults());
        return opened.openReport();
    }

    @TearDown(Level.Iteration)
    public void closeOpened() {
        if (opened != null) {
            OpenReport r = opened.openReport();
            reports.add(r);
            System.out.printf("  open report: base %,d ids loaded in %.1f ms; %,d log records replayed in %.1f ms%n",
                    r.baseIds(), r.baseLoadNanos() / 1e6, r.replayedRecords(), r.replayNanos() / 1e6);
            opened.close();
            opened = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        closeOpened();
        if (!reports.isEmpty()) {
            System.out.printf("open reports over %d iterations (incl. warmup): base load median %.1f ms (min %.1f),"
                            + " replay median %.1f ms (min %.1f)%n", reports.size(),
                    median(reports, true), min(reports, true), median(reports, false), min(reports, false));
        }
        SuppressionFixture.deleteTree(dir);
    }

    private static double median(List<OpenReport> rs, boolean base) {
        double[] v = millis(rs, base);
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double min(List<OpenReport> rs, boolean base) {
        return Arrays.stream(millis(rs, base)).min().orElse(Double.NaN);
    }

    private static double[] millis(List<OpenReport> rs, boolean base) {
        return rs.stream().mapToDouble(r -> (base ? r.baseLoadNanos() : r.replayNanos()) / 1e6).toArray();
    }
}
