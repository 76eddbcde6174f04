package dev.herald.bench;

import dev.herald.dispatcher.segment.rfm.RfmAggregates;
import dev.herald.dispatcher.segment.rfm.RfmModel;

import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The RFM recompute's core (issue 17): {@code --purchases} purchases of {@code --recipients}
 * recipients (a skewed mix: a tenth of the customers make half the purchases, over two years)
 * folded into {@link RfmAggregates}, then {@link RfmModel#compute} — quintiles, tiers, lifecycle
 * bitmaps. Reading the purchases from storage is not in it. Prints each phase's time, three runs.
 *
 * <pre>{@code
 * java -Xmx4g -cp bench/target/benchmarks.jar dev.herald.bench.RfmRecompute --recipients 10000000 --purchases 50000000
 * }</pre>
 */
public final class RfmRecompute {

    private RfmRecompute() {
    }

    public static void main(String[] args) {
        int recipients = 10_000_000;
        long purchases = 50_000_000L;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--recipients" -> recipients = Integer.parseInt(args[i + 1]);
                case "--purchases" -> purchases = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--recipients, --purchases)");
            }
        }
        long now = 1_800_000_000_000L;
        long day = Duration.ofDays(1).toMillis();
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
}
