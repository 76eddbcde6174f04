package dev.herald.dispatcher.harness;

import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A thread that opts random recipients out (scope {@code global}) at a steady rate while a
 * campaign sends, as recipients replying STOP would, and records for each opt-out when it began
 * and when it was acknowledged, as {@link SequencePoints} tickets and as durations.
 *
 * <pre>{@code
 * OptOutDriver d = OptOutDriver.start(index, directory, scopes, 1_000_000, 250, points, seed);
 * ... campaign runs ...
 * OptOutDriver.Record r = d.stop(); // then r.acknowledged(i) is the ticket after optOut(i) returned
 * }</pre>
 *
 * <p>Each pick is a random id of {@code [0, ids)} not yet suppressed in any of the message's
 * scopes and not picked before. One {@link SuppressionIndex#optOut} at a time, each waiting for
 * its fsync: the rate is a target, reached only if an opt-out takes less than its period (the
 * driver never bursts to catch up; {@link Record#count()} over the run time is the achieved rate).
 *
 * <p>Thread-safety: {@link #start} and {@link #stop} from one controlling thread.
 */
public final class OptOutDriver {

    /**
     * What the driver did; index {@code i} is the i-th opt-out.
     *
     * @param ids          the recipients opted out
     * @param began        ticket taken right before {@code optOut} was called
     * @param acknowledged ticket taken right after {@code optOut} returned (first action after it)
     * @param latencyNanos time from the call to its return, ns
     */
    public record Record(int[] ids, long[] began, long[] acknowledged, long[] latencyNanos) {
        /** @return opt-outs made */
        public int count() {
            return ids.length;
        }
    }

    private final SuppressionIndex index;
    private final RecipientDirectory directory;
    private final List<Scope> scopes;
    private final int ids;
    private final long periodNanos;
    private final SequencePoints points;
    private final SplittableRandom random;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile Throwable failure;
    // Written by the driver thread only; read after join (happens-before).
    private final MutableRoaringBitmap picked = new MutableRoaringBitmap();
    private int n;
    private int[] pickedIds = new int[1024];
    private long[] began = new long[1024];
    private long[] acknowledged = new long[1024];
    private long[] latency = new long[1024];

    private OptOutDriver(SuppressionIndex index, RecipientDirectory directory, List<Scope> scopes, int ids,
                         double perSecond, SequencePoints points, long seed) {
        this.index = index;
        this.directory = directory;
        this.scopes = List.copyOf(scopes);
        this.ids = ids;
        this.periodNanos = (long) (1e9 / perSecond);
        this.points = points;
        this.random = new SplittableRandom(seed);
        this.thread = new Thread(this::loop, "herald-bench-opt-outs");
        this.thread.setDaemon(true);
    }

    /**
     * @param index     the suppression index the campaign checks
     * @param directory for the recipients' numbers (the consent record names them)
     * @param scopes    the campaign message's scopes: ids suppressed in any are not picked
     * @param ids       picks come from {@code [0, ids)}
     * @param perSecond target opt-outs per second, &gt; 0
     * @param points    where tickets come from (shared with the connector)
     * @param seed      seed of the picks
     * @return the running driver
     * @throws IllegalArgumentException if {@code ids < 1} or {@code perSecond <= 0}
     */
    public static OptOutDriver start(SuppressionIndex index, RecipientDirectory directory, List<Scope> scopes, int ids,
                                     double perSecond, SequencePoints points, long seed) {
        if (ids < 1 || !(perSecond > 0)) {
            throw new IllegalArgumentException("opt-out driver: need ids >= 1 and a rate > 0, got " + ids + ", " + perSecond);
        }
        OptOutDriver d = new OptOutDriver(index, directory, scopes, ids, perSecond, points, seed);
        d.thread.start();
        return d;
    }

    /**
     * Stops after the opt-out in progress and waits for the thread.
     *
     * @return what it did
     * @throws IOException          if an opt-out failed (the driver stopped there)
     * @throws InterruptedException if interrupted while waiting
     */
    public Record stop() throws IOException, InterruptedException {
        stopping = true;
        thread.join();
        if (failure instanceof IOException e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException("opt-out driver failed: " + failure, failure);
        }
        return new Record(Arrays.copyOf(pickedIds, n), Arrays.copyOf(began, n), Arrays.copyOf(acknowledged, n),
                Arrays.copyOf(latency, n));
    }

    /**
     * Opts the recipients of {@code record} back in ({@code global}), so the directory is as
     * before the scenario for later runs; in groups of at most
     * {@link SuppressionIndex#MAX_CHANGES_PER_CALL}.
     *
     * @throws IOException if the changes cannot be made durable
     */
    public static void undo(SuppressionIndex index, RecipientDirectory directory, Record record) throws IOException {
        ConsentEvidence evidence = ConsentEvidence.of(ConsentSource.OPERATOR).channel(CampaignRig.CHANNEL)
                .rawText("herald bench: undo the opt-outs of opt-outs-mid-send");
        List<ConsentChange> batch = new ArrayList<>();
        for (int id : record.ids()) {
            batch.add(ConsentChange.optIn(id, phone(directory, id), Scope.GLOBAL, evidence));
            if (batch.size() == SuppressionIndex.MAX_CHANGES_PER_CALL) {
                index.apply(batch);
                batch.clear();
            }
        }
        index.apply(batch);
    }

    private static String phone(RecipientDirectory directory, int id) throws IOException {
        return directory.get(id).map(Recipient::e164).orElse(null);
    }

    private void loop() {
        ConsentEvidence evidence = ConsentEvidence.of(ConsentSource.KEYWORD).channel(CampaignRig.CHANNEL)
                .rawText("STOP (herald bench)");
        long next = System.nanoTime();
        try {
            while (!stopping) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                    continue;
                }
                next = Math.max(next + periodNanos, System.nanoTime());
                int id = pick();
                if (id < 0) {
                    return; // everyone is suppressed already
                }
                String phone = phone(directory, id);
                long s = points.next();
                long t0 = System.nanoTime();
                index.optOut(id, phone, Scope.GLOBAL, evidence);
                long r = points.next();
                long t1 = System.nanoTime();
                add(id, s, r, t1 - t0);
            }
        } catch (Throwable e) {
            failure = e;
        }
    }

    /** @return a random id not suppressed in the scopes and not picked before, or -1 after 1,000 misses */
    private int pick() {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int id = random.nextInt(ids);
            if (!picked.contains(id) && !index.isSuppressed(id, scopes)) {
                picked.add(id);
                return id;
            }
        }
        return -1;
    }

    private void add(int id, long s, long r, long nanos) {
        if (n == pickedIds.length) {
            int size = n * 2;
            pickedIds = Arrays.copyOf(pickedIds, size);
            began = Arrays.copyOf(began, size);
            acknowledged = Arrays.copyOf(acknowledged, size);
            latency = Arrays.copyOf(latency, size);
        }
        pickedIds[n] = id;
        began[n] = s;
        acknowledged[n] = r;
        latency[n] = nanos;
        n++;
    }
}
