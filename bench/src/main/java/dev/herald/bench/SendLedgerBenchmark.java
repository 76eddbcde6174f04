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
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.annotations.Warmup;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Cap check-and-reserve, batch path, single thread (the single-owner case: stripe locks
 * uncontended). Target: ≥ 10M recipients/s against a ledger of 10M users with 3 rules.
 *
 * <p>Ledger of {@code users} recipients (store {@code mmap} or {@code chronicle}, K = 8), each
 * with one marketing SMS recorded two days before the start. Rules: {@code daily} (marketing,
 * 2 per calendar day in Europe/Paris, defer), {@code sms-weekly} (channel:sms, 5 per rolling
 * 7 days, drop), {@code promo-monthly} (category:promo, 6 per calendar month, drop). One call
 * reserves one chunk of {@value #CHUNK} consecutive ids (one Roaring container); calls walk the
 * audience in order, and each full pass moves the clock {@code clockStepHours} on: at 168 (a
 * weekly campaign) every recipient is reserved, a slot written each time (the write-heavy worst
 * case); at 6 (four passes a day) most are deferred or capped once the caps fill. Expired slots
 * are reused. The outcome mix is printed at the end of each trial. Score: recipients per second.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar SendLedgerBenchmark -p store=mmap,chronicle -p clockStepHours=168,6
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class SendLedgerBenchmark {

    /** Ids per call: one Roaring container. */
    public static final int CHUNK = 65_536;
    static final Instant START = Instant.parse("2026-06-01T08:00:00Z");
    static final CapContext CONTEXT = CapContext.marketing("sms", "promo", ZoneId.of("Europe/Paris"));
    static final FrequencyCaps CAPS = FrequencyCaps.of(List.of(
            new CapRule("daily", 2, CapWindow.calendar(CapWindow.Period.DAY), CapScope.MARKETING, Optional.empty(), CapAction.DEFER),
            new CapRule("sms-weekly", 5, CapWindow.rolling(Duration.ofDays(7)), CapScope.parse("channel:sms"), Optional.empty(), CapAction.DROP),
            new CapRule("promo-monthly", 6, CapWindow.calendar(CapWindow.Period.MONTH), CapScope.parse("category:promo"),
                    Optional.empty(), CapAction.DROP)));

    @Param({"mmap", "chronicle"})
    public String store;

    @Param({"10000000"})
    public int users;

    /** Hours the clock moves on after each full pass: 168 = a weekly campaign (every id reserved), 6 = four a day. */
    @Param({"168", "6"})
    public int clockStepHours;

    SendLedger ledger;
    MutableRoaringBitmap[] chunks;
    Instant now;
    private int next;
    private Path dir;
    private long reserved;
    private long deferred;
    private long decided;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = SuppressionFixture.newTempDir("send-ledger");
        ledger = SendLedger.open(dir, CAPS, new SendLedgerOptions(SendLedgerOptions.Store.valueOf(store.toUpperCase(Locale.ROOT)),
                8, users), name -> null);
        int n = (users + CHUNK - 1) / CHUNK;
        chunks = new MutableRoaringBitmap[n];
        for (int c = 0; c < n; c++) {
            chunks[c] = new MutableRoaringBitmap();
            chunks[c].add((long) c * CHUNK, Math.min(users, (long) (c + 1) * CHUNK));
            ledger.reserve(chunks[c], CONTEXT, START.minus(Duration.ofDays(2)));
        }
        now = START;
        next = 0;
        System.out.printf("ledger: %s, %,d users, K = 8, %d rules, %d chunks of %,d%n", store, users, CAPS.rules().size(), n, CHUNK);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.printf("outcomes: %,d decided: %.1f%% reserved, %.1f%% deferred, %.1f%% capped; clock at %s%n", decided,
                100.0 * reserved / Math.max(1, decided), 100.0 * deferred / Math.max(1, decided),
                100.0 * (decided - reserved - deferred) / Math.max(1, decided), now);
        if (ledger != null) {
            ledger.close();
        }
        SuppressionFixture.deleteTree(dir);
    }

    /** @return the outcome of one chunk (every id reserved, deferred or capped) */
    @Benchmark
    @OperationsPerInvocation(CHUNK)
    public ReservationBatch reserveChunk() {
        ReservationBatch b = ledger.reserve(chunks[next], CONTEXT, now);
        reserved += b.reserved().getLongCardinality();
        deferred += b.deferredCount();
        decided += chunks[next].getLongCardinality();
        if (++next == chunks.length) {
            next = 0;
            now = now.plus(Duration.ofHours(clockStepHours));
        }
        return b;
    }
}
