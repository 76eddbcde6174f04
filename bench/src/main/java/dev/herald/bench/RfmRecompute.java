package dev.herald.bench;

import dev.herald.dispatcher.segment.rfm.RfmAggregates;
import dev.herald.dispatcher.segment.rfm.RfmLog;
import dev.herald.dispatcher.segment.rfm.RfmModel;
import dev.herald.dispatcher.segment.rfm.RfmSegments;
import dev.herald.dispatcher.segment.rfm.RfmSettings;
import dev.herald.dispatcher.segment.rfm.RfmSnapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The RFM recompute's core (issue 17): {@code --purchases} purchases of {@code --recipients}
 * recipients (a skewed mix: a tenth of the customers make half the purchases, over two years)
 * folded into {@link RfmAggregates}, then {@link RfmModel#compute} — quintiles, tiers, lifecycle
 * bitmaps. Reading the purchases from storage is not in it. Prints each phase's time, three runs.
 *
 * <p>With {@code --data DIR}, the recompute as {@code herald serve} runs it instead, from the real
 * on-disk log: the purchases are written once into {@code DIR/rfm/activity.log} (frames of 65,536,
 * each fsynced; kept for the next run), then three runs each time the phases by hand (one
 * sequential read of the log folded batch by batch, the model, the durable write of the bitmaps)
 * and then {@link RfmSegments#recompute()} as a whole.
 *
 * <pre>{@code
 * java -Xmx4g -cp bench/target/benchmarks.jar dev.herald.bench.RfmRecompute --recipients 10000000 --purchases 50000000
 * java -Xmx4g -cp bench/target/benchmarks.jar dev.herald.bench.RfmRecompute --recipients 10000000 --purchases 50000000 --data /tmp/rfm-bench
 * }</pre>
 */
public final class RfmRecompute {

    private RfmRecompute() {
    }

    public static void main(String[] args) throws IOException {
        int recipients = 10_000_000;
        long purchases = 50_000_000L;
        Path data = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--recipients" -> recipients = Integer.parseInt(args[i + 1]);
                case "--purchases" -> purchases = Long.parseLong(args[i + 1]);
                case "--data" -> data = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--recipients, --purchases, --data)");
            }
        }
        long now = 1_800_000_000_000L;
        long day = Duration.ofDays(1).toMillis();
        if (data != null) {
            onDisk(data, recipients, purchases, now);
            return;
        }
        // what generating the purchases alone costs (subtract it from "fold")
        {
            SplittableRandom rnd = new SplittableRandom(20261207L);
            long t0 = System.nanoTime();
            long sink = 0;
            for (long p = 0; p < purchases; p++) {
                int r = rnd.nextInt(10) == 0 ? rnd.nextInt(recipients / 10) : rnd.nextInt(recipients);
                sink += r + (now - rnd.nextLong(730 * day)) + 100 + rnd.nextInt(20_000);
            }
            System.out.printf("generating %,d purchases alone: %,d ms (%d)%n", purchases, (System.nanoTime() - t0) / 1_000_000,
                    sink & 1);
        }
        for (int run = 1; run <= 3; run++) {
            SplittableRandom rnd = new SplittableRandom(20261207L);
            long t0 = System.nanoTime();
            RfmAggregates a = new RfmAggregates(now - 365 * day);
            a.activity(recipients - 1, now - day); // size the arrays once
            for (long p = 0; p < purchases; p++) {
                int r = rnd.nextInt(10) == 0 ? rnd.nextInt(recipients / 10) : rnd.nextInt(recipients);
                a.purchase(r, now - rnd.nextLong(730 * day), 100 + rnd.nextInt(20_000));
            }
            long t1 = System.nanoTime();
            RfmModel.Result res = RfmModel.compute(a, RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, now);
            long t2 = System.nanoTime();
            // the same purchases folded in batches of 4M (as read from storage), range by range
            rnd = new SplittableRandom(20261207L);
            RfmAggregates b = new RfmAggregates(now - 365 * day);
            b.activity(recipients - 1, now - day);
            int batch = 4_000_000;
            int[] rs = new int[batch];
            long[] ats = new long[batch];
            long[] vs = new long[batch];
            long gen = 0;
            long t3 = System.nanoTime();
            for (long p = 0; p < purchases; ) {
                long g0 = System.nanoTime();
                int k = 0;
                for (; k < batch && p < purchases; k++, p++) {
                    rs[k] = rnd.nextInt(10) == 0 ? rnd.nextInt(recipients / 10) : rnd.nextInt(recipients);
                    ats[k] = now - rnd.nextLong(730 * day);
                    vs[k] = 100 + rnd.nextInt(20_000);
                }
                gen += System.nanoTime() - g0;
                b.purchases(rs, ats, vs, k);
            }
            long t4 = System.nanoTime();
            RfmModel.Result res2 = RfmModel.compute(b, RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, now);
            long t5 = System.nanoTime();
            if (!res2.tiers().equals(res.tiers()) || !res2.stages().equals(res.stages())) {
                throw new IllegalStateException("the batch fold differs from the one-by-one fold");
            }
            System.out.printf("run %d (batches of %,d, by recipient range): fold %,d ms (of which generating %,d ms);"
                            + " compute %,d ms; total without generating %,d ms%n", run, batch, (t4 - t3) / 1_000_000,
                    gen / 1_000_000, (t5 - t4) / 1_000_000, (t5 - t3 - gen) / 1_000_000);
            StringBuilder sizes = new StringBuilder();
            for (Map.Entry<String, MutableRoaringBitmap> e : res.tiers().entrySet()) {
                sizes.append(e.getKey()).append('=').append(e.getValue().getLongCardinality()).append(' ');
            }
            System.out.printf("run %d: fold %,d purchases %,d ms; compute (quintiles, tiers, stages) %,d ms; total %,d ms;"
                            + " buyers %,d; %s%n", run, purchases, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                    (t2 - t0) / 1_000_000, res.buyers(), sizes);
        }
    }

    /** The purchases the in-memory runs fold, in the same order: a tenth of the customers make half of them, over two years. */
    private static void generate(SplittableRandom rnd, int recipients, long now, int[] r, long[] at, long[] v, int n) {
        long day = Duration.ofDays(1).toMillis();
        for (int k = 0; k < n; k++) {
            r[k] = rnd.nextInt(10) == 0 ? rnd.nextInt(recipients / 10) : rnd.nextInt(recipients);
            at[k] = now - rnd.nextLong(730 * day);
            v[k] = 100 + rnd.nextInt(20_000);
        }
    }

    /**
     * Returns the counters: read + fold, compute, write; then the whole recompute. Writes the log
     * first if it does not hold {@code purchases} purchases yet.
     */
    static Map<String, Long> onDisk(Path data, int recipients, long purchases, long now) throws IOException {
        Path dir = data.resolve(RfmLog.DIR);
        Map<String, Long> last = new LinkedHashMap<>();
        try (RfmLog log = RfmLog.open(dir)) {
            if (log.purchases() != purchases) {
                if (log.purchases() != 0) {
                    throw new IllegalStateException(dir + " holds " + log.purchases() + " purchases, not " + purchases
                            + ": remove it or give another --data");
                }
                long t0 = System.nanoTime();
                SplittableRandom rnd = new SplittableRandom(20261207L);
                int[] r = new int[RfmLog.MAX_RECORDS];
                long[] at = new long[r.length];
                long[] v = new long[r.length];
                for (long p = 0; p < purchases; ) {
                    int n = (int) Math.min(r.length, purchases - p);
                    generate(rnd, recipients, now, r, at, v, n);
                    p += n;
                    log.append(RfmLog.PURCHASES, p, r, at, v, n);
                }
                System.out.printf("wrote %,d purchases of %,d recipients to %s: %,d bytes in %,d ms (frames of %,d, each fsynced)%n",
                        purchases, recipients, log.file(), log.end(), (System.nanoTime() - t0) / 1_000_000, RfmLog.MAX_RECORDS);
            } else {
                System.out.printf("%s holds %,d purchases (%,d bytes)%n", log.file(), log.purchases(), log.end());
            }
            for (int run = 1; run <= 3; run++) {
                long t0 = System.nanoTime();
                RfmAggregates a = new RfmAggregates(now - 365 * Duration.ofDays(1).toMillis());
                a.reserve(recipients);
                RfmLog.Stats read = log.read(log.end(), new RfmLog.Sink() {
                    @Override
                    public void purchases(int[] rs, long[] ats, long[] vs, int n) {
                        a.purchases(rs, ats, vs, n);
                    }

                    @Override
                    public void activity(int[] rs, long[] ats, int n) {
                        for (int i = 0; i < n; i++) {
                            a.activity(rs[i], ats[i]);
                        }
                    }

                    @Override
                    public void clicks(int[] rs, long[] ats, int n) {
                        for (int i = 0; i < n; i++) {
                            a.clicked(rs[i], ats[i]);
                        }
                    }
                }, 4_000_000);
                long t1 = System.nanoTime();
                RfmModel.Result res = RfmModel.compute(a, RfmModel.DEFAULT_TIERS, RfmModel.Lifecycle.DEFAULTS, now);
                long t2 = System.nanoTime();
                new RfmSnapshot(now, now - 365 * Duration.ofDays(1).toMillis(), 365, res.buyers(), 0, read.purchases(), 0, 0,
                        res.boundaries(), new LinkedHashMap<>(res.tiers()), new LinkedHashMap<>(res.stages())).write(dir);
                long t3 = System.nanoTime();
                if (read.purchases() != purchases) {
                    throw new IllegalStateException("read " + read.purchases() + " purchases, wrote " + purchases);
                }
                System.out.printf("run %d (on disk): read + fold %,d purchases %,d ms; compute %,d ms; write bitmaps (%,d bytes)"
                                + " %,d ms; total %,d ms; buyers %,d%n", run, read.purchases(), (t1 - t0) / 1_000_000,
                        (t2 - t1) / 1_000_000, Files.size(dir.resolve(RfmSnapshot.FILE)), (t3 - t2) / 1_000_000,
                        (t3 - t0) / 1_000_000, res.buyers());
                last.put("readFoldMs", (t1 - t0) / 1_000_000);
                last.put("computeMs", (t2 - t1) / 1_000_000);
                last.put("writeMs", (t3 - t2) / 1_000_000);
                last.put("buyers", res.buyers());
                last.put("purchases", read.purchases());
            }
        }
        // the whole recompute as the service runs it (log opened and checked, nothing new to copy)
        for (int run = 1; run <= 2; run++) {
            long t0 = System.nanoTime();
            try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, Clock.fixed(Instant.ofEpochMilli(now),
                    ZoneOffset.UTC), () -> recipients)) {
                long t1 = System.nanoTime();
                RfmSnapshot s = rfm.recompute();
                long t2 = System.nanoTime();
                System.out.printf("RfmSegments run %d: open (checks every frame) %,d ms; recompute() %,d ms; buyers %,d;"
                                + " tiers %s%n", run, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, s.buyers(),
                        s.tiers().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().getLongCardinality()).toList());
                last.put("openMs", (t1 - t0) / 1_000_000);
                last.put("recomputeMs", (t2 - t1) / 1_000_000);
            }
        }
        return last;
    }
}
