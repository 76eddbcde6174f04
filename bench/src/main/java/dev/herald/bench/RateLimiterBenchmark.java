package dev.herald.bench;

import dev.herald.throttle.Priority;
import dev.herald.throttle.RateLimit;
import dev.herald.throttle.RateLimiter;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One uncontended {@link RateLimiter#tryAcquire} (single thread). Target: ≤ 50 ns.
 *
 * <p>{@code acquireGranted}: a marketing permit from a bucket that never runs dry (1e12/s).
 * {@code acquireRefused}: a marketing permit from a bucket that is always empty (1 message per
 * 1,000 s), i.e. the answer "wait N ns". The clock is a field advanced by 1 ns per call, so
 * {@code System.nanoTime()} (≈ 20 ns here) is not measured.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar RateLimiterBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class RateLimiterBenchmark {

    RateLimiter open;
    RateLimiter dry;
    long now;

    @Setup(Level.Trial)
    public void setUp() {
        open = new RateLimiter(RateLimit.of(1e12, 1_000_000), () -> now);
        dry = new RateLimiter(new RateLimit(0.001, 1, 0, Duration.ofSeconds(1), Duration.ofSeconds(60), 0.5, 0.1, 0.05), () -> now);
        dry.tryAcquire(Priority.MARKETING, 1, now);
    }

    /** @return 0 (granted) */
    @Benchmark
    public long acquireGranted() {
        return open.tryAcquire(Priority.MARKETING, 1, ++now);
    }

    /** @return the nanoseconds to wait (&gt; 0) */
    @Benchmark
    public long acquireRefused() {
        return dry.tryAcquire(Priority.MARKETING, 1, ++now);
    }
}
