package dev.herald.bench;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.connector.smpp.MessageIds;
import dev.herald.dispatcher.delivery.Deliveries;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

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
 * Receipts matched per second by {@link Deliveries#receipt}: issue 14's second figure (target ≥ 20,000/s).
 *
 * <p>At setup, a data directory in {@code /tmp} with the campaign {@code bench} (its directory
 * created) and {@code messages} single-part messages accepted through {@link Deliveries#accepted}
 * (connector {@code node}, SMSC ids {@code 10000000, 10000001, ...}: 8 decimal digits), the map sized
 * for them. Each call is the first (final, DELIVRD) receipt of the next message, as the SMSC's
 * receipt text: matched, written to the campaign's delivery ledger, its id marked reported. Threads
 * share one counter, so no receipt repeats until every message had one; the trial prints how many
 * calls wrapped round (a repeat is cheaper: nothing is written), and fails if any receipt was not
 * matched.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar DeliveriesBenchmark -t 1
 * java -jar bench/target/benchmarks.jar DeliveriesBenchmark -t 2
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class DeliveriesBenchmark {

    /** The connector's name. */
    static final String CONNECTOR = "node";
    /** The campaign. */
    static final String CAMPAIGN = "bench";
    /** The first SMSC id (8 digits). */
    static final long FIRST_ID = 10_000_000L;

    /** Messages accepted at setup. */
    @Param({"4000000"})
    public int messages;

    Path dir;
    CampaignNumbers numbers;
    Deliveries deliveries;
    final AtomicLong next = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("herald-deliveries-bench-");
        numbers = CampaignNumbers.open(dir.resolve("campaign-numbers.log"));
        Files.createDirectories(dir.resolve("campaigns").resolve(CAMPAIGN));
        deliveries = Deliveries.open(dir, numbers, messages, Duration.ofSeconds(5), Duration.ofDays(7), Clock.systemUTC());
        long t0 = System.nanoTime();
        for (int i = 0; i < messages; i++) {
            deliveries.accepted(CONNECTOR, CAMPAIGN, i, List.of(key(i)));
        }
        System.out.printf(Locale.ROOT, "%n%,d messages accepted in %.1f s; map file %,d bytes%n", messages,
                (System.nanoTime() - t0) / 1e9, deliveries.ids().fileBytes());
    }

    /** @return the id key of message {@code i} */
    static String key(long i) {
        return MessageIds.key(Long.toString(FIRST_ID + i), MessageIds.Format.TEXT);
    }

    /** @return the receipt of message {@code i}, as the test SMSC writes it */
    static PeerEvents.Receipt receiptOf(long i) {
        String id = Long.toString(FIRST_ID + i);
        return new PeerEvents.Receipt(key(i), PeerEvents.DeliveryState.DELIVERED, "000",
                "id:" + id + " sub:001 dlvrd:001 submit date:2612070100 done date:2612070100 stat:DELIVRD err:000 text:Spring sale: 20% of");
    }

    /** One receipt, of the next message. */
    @Benchmark
    public Deliveries.Match receipt() throws IOException {
        long i = next.getAndIncrement() % messages;
        return deliveries.receipt(CONNECTOR, receiptOf(i));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        long calls = next.get();
        System.out.printf(Locale.ROOT, "%n%,d receipts, %,d repeats (wrapped round); matched %,d, unmatched %d, held %d; %s%n",
                calls, Math.max(0, calls - messages), deliveries.matched(), deliveries.unmatched(), deliveries.held(),
                deliveries.counts(CAMPAIGN));
        long unmatched = deliveries.unmatched() + deliveries.held();
        deliveries.close();
        numbers.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        if (unmatched != 0 || deliveries.matched() != calls) {
            throw new IllegalStateException("every receipt must be matched: " + unmatched + " were not");
        }
    }
}
