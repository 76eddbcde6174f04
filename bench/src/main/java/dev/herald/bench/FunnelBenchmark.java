package dev.herald.bench;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.delivery.DeliveryLedger;
import dev.herald.dispatcher.funnel.FunnelReport;
import dev.herald.dispatcher.links.ClickLedger;
import dev.herald.dispatcher.links.ClickRules.ClickClass;
import dev.herald.dispatcher.links.Clicks;
import dev.herald.dispatcher.links.ClickRules;

import com.typesafe.config.ConfigFactory;

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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Issue 15's funnel figure: {@link FunnelReport#of} of a campaign of {@code recipients} (target:
 * 10,000,000 in ≤ 200 ms), its ledgers open (a report of a campaign not reported for 10 minutes
 * first replays them; {@code DeliveryLedgerOpen} measures that).
 *
 * <p>Setup, in a temporary data directory: campaign {@code bench}, every recipient sent; its
 * delivery ledger written through {@link DeliveryLedger#record} (90 % delivered, 5 % undelivered
 * with one of 4 reasons, 5 % without a receipt), and its click ledger through
 * {@link ClickLedger#append}: 8 % of recipients click as a person (a tenth of them twice, on one
 * of 2 links), 3 % are previewed, 2 % hit by a scanner.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar FunnelBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class FunnelBenchmark {

    static final String CAMPAIGN = "bench";

    /** The campaign's recipients. */
    @Param({"10000000"})
    public int recipients;

    Path dir;
    CampaignNumbers numbers;
    Deliveries deliveries;
    Clicks clicks;
    FunnelReport report;
    CampaignRecord record;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("herald-funnel-bench-");
        Path campaignDir = dir.resolve("campaigns").resolve(CAMPAIGN);
        Files.createDirectories(campaignDir);
        long t0 = System.nanoTime();
        String[] reasons = {"001", "002", "034", "069"};
        try (DeliveryLedger ledger = DeliveryLedger.open(campaignDir.resolve(DeliveryLedger.FILE))) {
            for (int i = 0; i < recipients; i++) {
                int r = i % 20;
                if (r < 18) {
                    ledger.record(i, 1, 1, PeerEvents.DeliveryState.DELIVERED, "000", Integer.toString(10_000_000 + i));
                } else if (r == 18) {
                    ledger.record(i, 1, 1, PeerEvents.DeliveryState.UNDELIVERABLE, reasons[(i / 20) % 4],
                            Integer.toString(10_000_000 + i));
                }
            }
        }
        long t1 = System.nanoTime();
        long now = System.currentTimeMillis();
        long n = 0;
        try (ClickLedger ledger = ClickLedger.open(campaignDir.resolve(ClickLedger.FILE))) {
            for (int i = 0; i < recipients; i++) {
                int r = i % 100;
                if (r < 8) {
                    ledger.append(new ClickLedger.Click(i, i % 2, ClickClass.HUMAN, now, false, 60_000L * (1 + i % 600),
                            "0123456789abcdef", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"));
                    n++;
                    if (i % 10 == 0) {
                        ledger.append(new ClickLedger.Click(i, 1, ClickClass.HUMAN, now, false, 120_000, "0123456789abcdef",
                                "Mozilla/5.0 (iPhone) Safari/604.1"));
                        n++;
                    }
                } else if (r < 11) {
                    ledger.append(new ClickLedger.Click(i, 0, ClickClass.PREVIEW, now, false, 1_000, "fedcba9876543210",
                            "facebookexternalhit/1.1 Facebot Twitterbot/1.0"));
                    n++;
                } else if (r < 13) {
                    ledger.append(new ClickLedger.Click(i, 0, ClickClass.BOT, now, true, 500, "00aa00aa00aa00aa", "curl/8.5.0"));
                    n++;
                }
            }
            ledger.sync();
        }
        long t2 = System.nanoTime();
        numbers = CampaignNumbers.open(dir.resolve("campaign-numbers.log"));
        numbers.numberOf(CAMPAIGN);
        deliveries = Deliveries.open(dir, numbers, 1_000, Duration.ofSeconds(5), Duration.ofDays(7), Clock.systemUTC());
        clicks = Clicks.open(dir.resolve("campaigns"), ClickRules.fromConfig(ConfigFactory.load()
                .getConfig("herald.links.classify")), 1_000, null, Clock.systemUTC());
        report = new FunnelReport(deliveries, clicks, FunnelReport.ConversionTotals.NONE, FunnelReport.OptOutCount.NONE);
        record = new CampaignRecord(CAMPAIGN, "Bench", "sms", "marketing", "acme",
                "Sale: https://shop.example/sale and {{link:https://shop.example/terms}}", "", recipients,
                CampaignStatus.COMPLETED, Instant.now(), null, null, Instant.now(), Instant.now(), null,
                Map.of("sent", (long) recipients), null, null, null, true, null, null, null, null);
        long t3 = System.nanoTime();
        Map<String, Object> first = report.of(record); // opens (replays) both ledgers
        long t4 = System.nanoTime();
        System.out.printf(Locale.ROOT, "%nwrote %,d delivery lines in %.1f s, %,d clicks in %.1f s; first report (replays"
                + " both ledgers) %.1f s: %s%n", recipients - recipients / 20, (t1 - t0) / 1e9, n, (t2 - t1) / 1e9,
                (t4 - t3) / 1e9, first.get("steps"));
    }

    /** The funnel of the campaign, its ledgers open. */
    @Benchmark
    public Map<String, Object> funnel() throws IOException {
        return report.of(record);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        clicks.close();
        deliveries.close();
        numbers.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
