package dev.herald.bench;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.campaign.CampaignPreview;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneBuckets;
import dev.herald.throttle.ZoneIndex;
import dev.herald.throttle.ZoneSet;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
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
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * {@code POST /v1/campaigns/preview}'s computation ({@link CampaignPreview}) for a whole audience
 * on one thread: suppression filter, quiet-hours plan and a read-only cap check per chunk.
 * Target (issue 5): ≤ 1 s for 10,000,000 recipients.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar CampaignPreviewBenchmark
 * }</pre>
 *
 * <p>Fixture (seed {@link #SEED}): the dense ids {@code [0, audienceSize)}; zones as in
 * {@link QuietHoursBenchmark} ({@code zones} real zones, {@link ZoneIndex} built directly, no
 * Chronicle directory); opt-outs of 5% of the ids over global / sender / category scopes
 * ({@link SuppressionFixture}; the message's scopes are its sender acme / category promo); the
 * shipped quiet-hours policy's {@code marketing} rules (it has none for {@code promo}) at
 * {@code now}; and, with
 * {@code caps = true}, one rule "1 marketing message per local day" in an mmap {@link SendLedger}
 * holding a send today for every 10th id (so every id that passes quiet hours is read from the
 * ledger); with {@code caps = false} no rule applies (the ledger is not read).
 *
 * <p>State: one per trial, shared; one thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class CampaignPreviewBenchmark {
    /** Seed of the zone draw and the opt-outs. */
    public static final long SEED = 0x9E3779B97F4A7C15L;
    static final CapContext CTX = new CapContext("sms", "promo", true, ZoneOffset.UTC);

    @Param({"10000000"})
    public int audienceSize;

    @Param({"300"})
    public int zones;

    @Param({"true", "false"})
    public boolean caps;

    /** A Sunday, 12:00 UTC: some zones open, some at night. */
    @Param({"2026-06-14T12:00:00Z"})
    public String now;

    Path root;
    SuppressionIndex suppression;
    SendLedger capLedger;
    QuietHoursPolicy policy;
    ZoneBuckets buckets;
    MutableRoaringBitmap audience;
    Instant decisionTime;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        root = SuppressionFixture.newTempDir("preview");
        policy = QuietHoursPolicies.fromConfig(ConfigFactory.parseResources("herald-quiet-hours.conf").resolve()).get("default");
        decisionTime = Instant.parse(now);
        Random random = new Random(SEED);
        List<String> all = new ArrayList<>(ZoneId.getAvailableZoneIds());
        Collections.sort(all);
        Collections.shuffle(all, random);
        ZoneIndex index = new ZoneIndex();
        for (int id = 0; id < audienceSize; id++) {
            int z = random.nextInt(zones);
            index.put(id, ZoneSet.of(all.get(z)), QuietHoursBenchmark.REGIONS.get(z % QuietHoursBenchmark.REGIONS.size()));
        }
        buckets = index.snapshot();
        audience = new MutableRoaringBitmap();
        audience.add(0L, (long) audienceSize);
        int optOuts = audienceSize / 20;
        suppression = SuppressionFixture.build(root.resolve("suppression"),
                SuppressionFixture.generate(SEED, optOuts - optOuts / 10, optOuts / 10, audienceSize), IndexOptions.defaults());
        FrequencyCaps rules = caps ? FrequencyCaps.of(List.of(new CapRule("daily", 1, CapWindow.calendar(CapWindow.Period.DAY),
                CapScope.MARKETING, Optional.empty(), CapAction.DROP))) : FrequencyCaps.of(List.of());
        capLedger = SendLedger.open(root.resolve("send-ledger"), rules, new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 4,
                audienceSize), name -> null);
        if (caps) {
            MutableRoaringBitmap sentToday = new MutableRoaringBitmap();
            for (int id = 0; id < audienceSize; id += 10) {
                sentToday.add(id);
            }
            ReservationBatch b = capLedger.reserve(sentToday, CTX, decisionTime.minusSeconds(3600));
            capLedger.confirm(b.reserved(), b.stamp());
        }
        System.out.println("seed " + SEED + ": " + audienceSize + " ids over " + zones + " zones, " + optOuts
                + " opt-outs, caps " + caps + ", " + buckets);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (capLedger != null) {
            capLedger.close();
        }
        if (suppression != null) {
            suppression.close();
        }
        SuppressionFixture.deleteTree(root);
    }

    /** @return the preview of the whole audience */
    @Benchmark
    public CampaignPreview.Result previewWholeAudience() {
        return CampaignPreview.of(audience, SuppressionFixture.MESSAGE_SCOPES, suppression.snapshot(),
                QuietHoursPlan.of(policy, buckets, "marketing", decisionTime), buckets, CTX, capLedger::check, null);
    }
}
