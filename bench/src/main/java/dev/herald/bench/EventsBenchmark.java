package dev.herald.bench;

import dev.herald.dispatcher.api.EventBatch;
import dev.herald.dispatcher.api.EventIntake;
import dev.herald.dispatcher.journey.EventSettings;
import dev.herald.dispatcher.journey.Events;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Events ingested per second in NDJSON batches, as {@code POST /v1/events} does them without the
 * HTTP layer ({@link EventBatch#ingest}): every line parsed strictly, checked (id, name, at,
 * properties), its recipient found in the directory by phone, and the batch stored with one write
 * and one fsync (durable). Issue 16's figure: ≥ 50,000 events/s in batches. The score is events
 * per second ({@code @OperationsPerInvocation} = {@value #BATCH}).
 *
 * <p>At setup, a data directory in {@code /tmp} with {@code recipients} numbers registered. Each
 * invocation ingests the next batch, built before it (not timed): {@value #BATCH} lines with fresh
 * event ids, random recipients (fixed seed), one of four names, an {@code at} a minute ago, and two
 * or three properties (a cart id, a value with cents, a boolean). The trial fails if a line was not
 * recorded.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar EventsBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class EventsBenchmark {

    /** Lines per batch. */
    static final int BATCH = 10_000;
    static final long SEED = 16L;
    private static final String[] NAMES = {"signed_up", "cart_abandoned", "order_placed", "page.viewed"};

    /** Recipients in the directory. */
    @Param({"1000000"})
    public int recipients;

    Path dir;
    RecipientDirectory directory;
    Events events;
    EventIntake intake;
    private final SplittableRandom random = new SplittableRandom(SEED);
    private long nextEvent;
    private long ingested;
    private long recorded;
    byte[] body;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("herald-events-bench-");
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults()
                .withCapacity(Math.max(1_000, recipients + recipients / 4)));
        long t0 = System.nanoTime();
        for (int i = 0; i < recipients; i++) {
            if (directory.register(ConversionsBenchmark.phone(i), null, null, Map.of()).id() != i) {
                throw new IllegalStateException("recipient ids are expected dense from 0");
            }
        }
        intake = new EventIntake(directory, EventSettings.DEFAULTS, Clock.systemUTC());
        events = Events.open(dir.resolve(Events.DIR));
        System.out.printf(Locale.ROOT, "%n%,d recipients registered in %.1f s%n", recipients, (System.nanoTime() - t0) / 1e9);
    }

    /** Builds the next batch (not timed). */
    @Setup(Level.Invocation)
    public void nextBatch() {
        String at = java.time.Instant.now().minusSeconds(60).toString();
        StringBuilder b = new StringBuilder(BATCH * 180);
        for (int i = 0; i < BATCH; i++) {
            int r = random.nextInt(recipients);
            long cents = random.nextLong(1, 100_000);
            b.append("{\"id\":\"ev-").append(nextEvent++).append("\",\"phone\":\"").append(ConversionsBenchmark.phone(r))
                    .append("\",\"name\":\"").append(NAMES[random.nextInt(NAMES.length)]).append("\",\"at\":\"").append(at)
                    .append("\",\"properties\":{\"cartId\":\"c-").append(random.nextInt(1_000_000)).append("\",\"value\":")
                    .append(cents / 100).append('.').append(String.format(Locale.ROOT, "%02d", cents % 100));
            if (random.nextBoolean()) {
                b.append(",\"gift\":true");
            }
            b.append("}}\n");
        }
        body = b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @return the batch's answer; JMH counts {@value #BATCH} events per call */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Map<String, Object> ingestBatch() {
        Map<String, Object> answer = EventBatch.ingest(body, intake, events);
        ingested += BATCH;
        recorded += (Long) answer.get("recorded");
        return answer;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        System.out.printf(Locale.ROOT, "%n%,d events ingested, %,d recorded; log %,d bytes%n", ingested, recorded,
                Files.size(events.file()));
        events.close();
        directory.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        if (recorded != ingested) {
            throw new IllegalStateException("every line must be recorded: " + (ingested - recorded) + " were not");
        }
    }
}
