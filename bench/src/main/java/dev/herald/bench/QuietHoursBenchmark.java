package dev.herald.bench;

import com.typesafe.config.ConfigFactory;

import dev.herald.suppression.AudienceChunks;
import dev.herald.throttle.QuietHoursDecision;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.ZoneBuckets;
import dev.herald.throttle.ZoneIndex;
import dev.herald.throttle.ZoneSet;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
import org.openjdk.jmh.annotations.Warmup;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Quiet-hours decision for a whole campaign audience, chunk by chunk, on one thread: one
 * {@link QuietHoursPlan} (every zone bucket evaluated once) and a {@code decide} per chunk.
 * Target: ≤ 50 ms for 10,000,000 recipients over 300 zones.
 *
 * <p>The audience is the dense id range {@code [0, audienceSize)}; each id goes to one of
 * {@code zones} real zone ids drawn from {@code ZoneId.getAvailableZoneIds()} (seed {@link #SEED}),
 * each zone with a region from {@link #REGIONS} (France's Sunday and holiday rule included). The
 * {@link ZoneIndex} is built directly, not through a Chronicle directory. Policy: the shipped
 * {@code herald-quiet-hours.conf} default, category {@code marketing}, decision time {@code now}.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar QuietHoursBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class QuietHoursBenchmark {
    /** Seed of the zone draw and of the id spread. */
    public static final long SEED = 0x9E3779B97F4A7C15L;
    /** Regions given to the zones in turn. */
    public static final List<String> REGIONS = List.of("US", "FR", "GB", "IN", "BR", "JP", "AU", "DE", "NP", "CA");

    @Param({"10000000"})
    public int audienceSize;

    @Param({"300"})
    public int zones;

    /** A Sunday, 12:00 UTC: some zones open, some at night, French marketing closed. */
    @Param({"2026-06-14T12:00:00Z"})
    public String now;

    QuietHoursPolicy policy;
    MutableRoaringBitmap audience;
    ZoneBuckets buckets;
    /** The fixture's truth: the zone-set index of each id, and each one's zones and region. */
    short[] zoneOf;
    List<ZoneSet> zoneSets;
    List<String> regions;
    Instant decisionTime;

    /** What the campaign stage would pass on: how many now, and how many deferred to each instant. */
    public static final class Tally {
        public long sendNow;
        public final Map<Instant, Long> deferred = new TreeMap<>();

        void add(QuietHoursDecision d) {
            sendNow += d.sendNow().getLongCardinality();
            d.deferred().forEach((at, ids) -> deferred.merge(at, ids.getLongCardinality(), Long::sum));
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        policy = QuietHoursPolicies.fromConfig(ConfigFactory.parseResources("herald-quiet-hours.conf").resolve()).get("default");
        decisionTime = Instant.parse(now);
        Random random = new Random(SEED);
        List<String> all = new ArrayList<>(ZoneId.getAvailableZoneIds());
        Collections.sort(all);
        Collections.shuffle(all, random);
        zoneSets = new ArrayList<>(zones);
        regions = new ArrayList<>(zones);
        for (int i = 0; i < zones; i++) {
            zoneSets.add(ZoneSet.of(all.get(i)));
            regions.add(REGIONS.get(i % REGIONS.size()));
        }
        zoneOf = new short[audienceSize];
        ZoneIndex index = new ZoneIndex();
        for (int id = 0; id < audienceSize; id++) {
            int z = random.nextInt(zones);
            zoneOf[id] = (short) z;
            index.put(id, zoneSets.get(z), regions.get(z));
        }
        buckets = index.snapshot();
        audience = new MutableRoaringBitmap();
        audience.add(0L, (long) audienceSize);
        System.out.println("seed " + SEED + ": " + audienceSize + " ids over " + zones + " zones, " + buckets);
    }

    /** @return how many recipients are sent now and how many deferred to each instant */
    @Benchmark
    public Tally decideWholeAudience() {
        QuietHoursPlan plan = QuietHoursPlan.of(policy, buckets, "marketing", decisionTime);
        Tally tally = new Tally();
        AudienceChunks.forEach(audience, chunk -> tally.add(plan.decide(chunk)));
        return tally;
    }
}
