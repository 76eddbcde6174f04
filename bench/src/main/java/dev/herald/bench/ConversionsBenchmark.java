package dev.herald.bench;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.api.ConversionBatch;
import dev.herald.dispatcher.api.ConversionIntake;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.funnel.Attribution;
import dev.herald.dispatcher.funnel.ConversionSettings;
import dev.herald.dispatcher.funnel.Conversions;
import dev.herald.dispatcher.funnel.Touches;
import dev.herald.dispatcher.links.LinkTokens;
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
import java.util.Optional;
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
 * Conversions ingested per second in NDJSON batches, as {@code POST /v1/conversions} does them
 * without the HTTP layer ({@link ConversionBatch#ingest}): every line parsed strictly, checked,
 * its recipient found in the directory (phone) or its token verified, attributed, and the batch
 * stored with one write and one fsync. Issue 15's figure: ≥ 20,000 conversions/s in batches. The
 * score is conversions per second ({@code @OperationsPerInvocation} = {@value #BATCH}).
 *
 * <p>At setup, a data directory in {@code /tmp}: {@code recipients} numbers registered, campaign
 * {@code bench} numbered, and for every recipient a delivery of {@code bench} an hour ago (so a line
 * by phone is attributed by last touch, {@code delivery}). Each invocation ingests the next batch,
 * built before it (not timed): {@value #BATCH} lines with fresh order ids, random recipients (fixed
 * seed), 1 in 10 by tracked-link token, the others by phone, values with cents in EUR or USD. The
 * trial fails if a line was not recorded.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar ConversionsBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class ConversionsBenchmark {

    /** Lines per batch. */
    static final int BATCH = 10_000;
    /** The campaign. */
    static final String CAMPAIGN = "bench";
    static final long SEED = 15L;

    /** Recipients in the directory. */
    @Param({"1000000"})
    public int recipients;

    Path dir;
    RecipientDirectory directory;
    CampaignNumbers numbers;
    LinkTokens tokens;
    Conversions conversions;
    ConversionIntake intake;
    private final SplittableRandom random = new SplittableRandom(SEED);
    private long nextOrder;
    private long ingested;
    private long recorded;
    byte[] body;

    /**
     * Every recipient's last delivery: campaign {@code bench}, an hour before setup, unless a later
     * delivery is recorded (the benchmark records none: its conversions read touches, never write them).
     */
    private static final class DeliveredAll implements Touches {
        private volatile Touch touch;

        DeliveredAll(int campaignNumber, long atMillis) {
            this.touch = new Touch(campaignNumber, atMillis);
        }

        @Override
        public void delivered(int recipient, int campaignNumber, long atMillis) {
            if (atMillis > touch.atMillis()) {
                touch = new Touch(campaignNumber, atMillis); // one touch stands for every recipient
            }
        }

        @Override
        public void clicked(int recipient, int campaignNumber, long atMillis) {
            // clicks are not part of this benchmark's attribution (deliveries only): nothing kept
        }

        @Override
        public Optional<Touch> lastDelivered(int recipient) {
            return Optional.of(touch);
        }

        @Override
        public Optional<Touch> lastClicked(int recipient) {
            return Optional.empty();
        }
    }

    /** @return recipient {@code i}'s number (a valid GB mobile) */
    static String phone(int i) {
        return "+4474" + String.format(Locale.ROOT, "%08d", i);
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("herald-conversions-bench-");
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults()
                .withCapacity(Math.max(1_000, recipients + recipients / 4)));
        long t0 = System.nanoTime();
        for (int i = 0; i < recipients; i++) {
            if (directory.register(phone(i), null, null, Map.of()).id() != i) {
                throw new IllegalStateException("recipient ids are expected dense from 0");
            }
        }
        numbers = CampaignNumbers.open(dir.resolve("campaign-numbers.log"));
        int number = numbers.numberOf(CAMPAIGN);
        tokens = LinkTokens.open(dir.resolve("links"), ConfigFactory.parseString(
                "herald.links.base-url = \"http://go.example/l/\"\nherald.links.secret = \"\""), numbers);
        Clock clock = Clock.systemUTC();
        Attribution attribution = new Attribution(ConversionSettings.DEFAULTS.clickWindow(),
                ConversionSettings.DEFAULTS.deliveryWindow(), new DeliveredAll(number, clock.millis() - 3_600_000L),
                numbers::campaignOf);
        intake = new ConversionIntake(directory, tokens, CAMPAIGN::equals, attribution, ConversionSettings.DEFAULTS, clock);
        conversions = Conversions.open(dir.resolve(Conversions.DIR));
        System.out.printf(Locale.ROOT, "%n%,d recipients registered in %.1f s%n", recipients, (System.nanoTime() - t0) / 1e9);
    }

    /** Builds the next batch (not timed). */
    @Setup(Level.Invocation)
    public void nextBatch() {
        StringBuilder b = new StringBuilder(BATCH * 100);
        for (int i = 0; i < BATCH; i++) {
            int r = random.nextInt(recipients);
            long cents = random.nextLong(1, 100_000);
            b.append('{');
            if (random.nextInt(10) == 0) {
                b.append("\"token\":\"").append(tokens.token(CAMPAIGN, r, 0)).append('"');
            } else {
                b.append("\"phone\":\"").append(phone(r)).append('"');
            }
            b.append(",\"orderId\":\"bench-").append(nextOrder++).append("\",\"value\":").append(cents / 100).append('.')
                    .append(String.format(Locale.ROOT, "%02d", cents % 100)).append(",\"currency\":\"")
                    .append(cents % 3 == 0 ? "USD" : "EUR").append("\"}\n");
        }
        body = b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @return the batch's answer; JMH counts {@value #BATCH} conversions per call */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Map<String, Object> ingestBatch() {
        Map<String, Object> answer = ConversionBatch.ingest(body, intake, conversions);
        ingested += BATCH;
        recorded += (Long) answer.get("recorded");
        return answer;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        System.out.printf(Locale.ROOT, "%n%,d conversions ingested, %,d recorded; log %,d bytes; campaign %s: %,d%n", ingested,
                recorded, Files.size(conversions.file()), CAMPAIGN, conversions.of(CAMPAIGN).count());
        conversions.close();
        numbers.close();
        directory.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        if (recorded != ingested) {
            throw new IllegalStateException("every line must be recorded: " + (ingested - recorded) + " were not");
        }
    }
}
