package dev.herald.bench;

import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
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
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * What one campaign does to the send ledger, on a ledger the campaign touches for the first time
 * (a new data directory, or recipients never sent to): reserve chunks of {@value #CHUNK} ids
 * (45 % of them in the audience, spread over the whole range: what reaches the caps after
 * suppression and quiet hours), then confirm what was reserved in batches of {@value #CONFIRM}
 * (the send stage's groups). One rule ({@code daily}, 1 per rolling day, drop): every id is
 * reserved and confirmed once. Each invocation starts on a fresh ledger directory whose first
 * segment exists already; later segments are created as the store grows them.
 *
 * <p>This is the path where the first touch of each page counts: through a shared file mapping
 * that is two page faults per 4 KiB page, through a stripe's one positional read and write it is
 * a copy. Score: time per recipient reserved and confirmed.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar SendLedgerCampaignBenchmark
 * }</pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class SendLedgerCampaignBenchmark {

    /** Ids per reserve call: one Roaring container. */
    public static final int CHUNK = 65_536;
    /** Ids per confirm call: a send group. */
    public static final int CONFIRM = 256;
    static final Instant NOW = Instant.parse("2026-06-01T08:00:00Z");
    static final CapContext CONTEXT = CapContext.marketing("sms", "promo", ZoneOffset.UTC);
    static final FrequencyCaps CAPS = FrequencyCaps.of(List.of(new CapRule("daily", 1, CapWindow.rolling(Duration.ofDays(1)),
            CapScope.MARKETING, Optional.empty(), CapAction.DROP)));

    /** Ids of the directory the audience is drawn from. */
    @Param({"3000000"})
    public int ids;

    MutableRoaringBitmap[] chunks;
    long audience;
    private Path dir;
    private SendLedger ledger;

    @Setup(Level.Trial)
    public void audience() {
        int n = (ids + CHUNK - 1) / CHUNK;
        chunks = new MutableRoaringBitmap[n];
        for (int c = 0; c < n; c++) {
            chunks[c] = new MutableRoaringBitmap();
            for (int id = c * CHUNK; id < Math.min(ids, (c + 1) * CHUNK); id++) {
                if ((id * 2654435761L >>> 16) % 100 < 45) {
                    chunks[c].add(id);
                }
            }
            audience += chunks[c].getLongCardinality();
        }
        System.out.printf("audience: %,d of %,d ids, %d chunks%n", audience, ids, n);
    }

    @Setup(Level.Invocation)
    public void freshLedger() throws IOException {
        dir = SuppressionFixture.newTempDir("send-ledger-campaign");
        ledger = SendLedger.open(dir, CAPS, SendLedgerOptions.defaults(), name -> null);
        ledger.recorded(0); // the first segment exists (created at open or by the first write)
        ledger.reserve(0, CONTEXT, NOW.minus(Duration.ofDays(30)));
    }

    @TearDown(Level.Invocation)
    public void dropLedger() {
        ledger.close();
        SuppressionFixture.deleteTree(dir);
    }

    /** @return the reservations confirmed (every id of the audience) */
    @Benchmark
    public long reserveAndConfirm() {
        long confirmed = 0;
        for (MutableRoaringBitmap chunk : chunks) {
            ReservationBatch b = ledger.reserve(chunk, CONTEXT, NOW);
            int[] reserved = b.reserved().toArray();
            for (int k = 0; k < reserved.length; k += CONFIRM) {
                confirmed += ledger.confirm(ImmutableRoaringBitmap.bitmapOf(
                        Arrays.copyOfRange(reserved, k, Math.min(reserved.length, k + CONFIRM))), b.stamp());
            }
        }
        if (confirmed != audience) {
            throw new IllegalStateException("confirmed " + confirmed + " of " + audience);
        }
        return confirmed;
    }
}
