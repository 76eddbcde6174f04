package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.segment.rfm.RfmModel;
import dev.herald.dispatcher.segment.rfm.RfmSegments;
import dev.herald.dispatcher.segment.rfm.RfmValues;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition's half of a cluster RFM recompute ({@link ClusterRfm} is the other): {@link Gather}
 * reads the partition's log as of the cluster's time and keeps its aggregates and its buyers'
 * values, sorted; {@link Count} answers how many of its buyers are at most some values (the
 * cluster's cut point search, {@link dev.herald.dispatcher.segment.rfm.RfmCutSearch}); {@link Apply}
 * scores its buyers with the cluster's cut points, stores and serves the tiers and stages
 * ({@link RfmSegments#applyCuts}) and drops what it kept; {@link Abandon} drops it unapplied.
 *
 * <p>One recompute at a time: a {@link Gather} while another recompute is kept is refused as
 * busy, unless that one was left untouched for {@link #HOLD} (its coordinator gone). What is kept
 * is in memory only: a partition that moves or restarts in the middle answers the next step that
 * it holds no such recompute, and the coordinator gives up.
 *
 * <p>Thread-safety: the steps run on the blocking executor; the state is guarded by {@code this}.
 */
final class PartitionRfm {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionRfm.class);

    /**
     * How long a kept recompute with no step is kept from another one: longer than a coordinator
     * waits for any step (at most {@code herald.cluster.upload-timeout}, 120 s by default), so a live
     * one is never cut off, and short enough that a coordinator that died (its node gone between two
     * steps) does not keep every partition busy, and its values in memory, for long.
     */
    static final Duration HOLD = Duration.ofMinutes(3);

    /** A step of a cluster recompute, sent to a partition. */
    public interface Step extends PartitionEntity.Command {
    }

    /** Read the log as of {@code now} (epoch ms) and keep it under {@code recompute}. */
    public record Gather(String recompute, long now, ActorRef<Reply> replyTo) implements Step {
    }

    /** How many buyers are at most each probe ({@link RfmValues#atMost(long[][])}). */
    public record Count(String recompute, long[][] probes, ActorRef<Reply> replyTo) implements Step {
    }

    /** Score with these cut points, store and serve. */
    public record Apply(String recompute, long[] recency, long[] frequency, long[] monetary, ActorRef<Reply> replyTo)
            implements Step {
    }

    /** Drop {@code recompute} unapplied (if it is the one kept). */
    public record Abandon(String recompute) implements Step {
    }

    /**
     * A step's answer: {@code failure} non-null if it was not done ({@code busy}: another recompute
     * holds the partition); after a gather, the buyers and per score the least and greatest value;
     * after a count, the counts.
     */
    public record Reply(int partition, String failure, boolean busy, long buyers, long[] min, long[] max, long[][] counts)
            implements ClusterMessage {

        static Reply failed(int partition, String why, boolean busy) {
            return new Reply(partition, why, busy, 0, null, null, null);
        }

        boolean ok() {
            return failure == null;
        }
    }

    private final int partition;
    private final RfmSegments rfm;
    private final Executor blocking;
    private String kept;
    private RfmSegments.Gathered gathered;
    private RfmValues values;
    private long touched;
    /** Steps running on the blocking executor; guarded by {@code this}. */
    private int running;
    private boolean closed;

    PartitionRfm(int partition, RfmSegments rfm, Executor blocking) {
        this.partition = partition;
        this.rfm = rfm;
        this.blocking = blocking;
    }

    /** Does {@code step} off the actor, and answers it. */
    void handle(Step step) {
        synchronized (this) {
            if (closed) {
                if (step instanceof Gather g) {
                    g.replyTo().tell(Reply.failed(partition, "partition " + partition + " is closing", false));
                } else if (step instanceof Count c) {
                    c.replyTo().tell(notKept(c.recompute()));
                } else if (step instanceof Apply a) {
                    a.replyTo().tell(notKept(a.recompute()));
                }
                return;
            }
        }
        if (step instanceof Gather g) {
            Reply refused = claim(g); // here, in the order the steps came: an Abandon after it finds it
            if (refused != null) {
                g.replyTo().tell(refused);
            } else {
                answer(g.replyTo(), () -> gather(g));
            }
        } else if (step instanceof Count c) {
            answer(c.replyTo(), () -> count(c));
        } else if (step instanceof Apply a) {
            answer(a.replyTo(), () -> apply(a));
        } else if (step instanceof Abandon a) {
            synchronized (this) {
                if (a.recompute().equals(kept)) {
                    drop();
                }
            }
        }
    }

    private interface Work {
        Reply run() throws Exception;
    }

    /**
     * Closing the partition: no step starts after this, and it returns once the steps running
     * finished (a step's write into the folder must be done before the partition's lock is let go,
     * or the next owner could find it half written), or after {@code wait}, saying so.
     */
    void close(Duration wait) {
        long end = System.nanoTime() + wait.toNanos();
        synchronized (this) {
            closed = true;
            drop();
            while (running > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    LOG.error("partition {}: {} RFM recompute step(s) still running after {} s; closing anyway",
                            partition, running, wait.toSeconds());
                    return;
                }
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void answer(ActorRef<Reply> replyTo, Work work) {
        synchronized (this) {
            running++;
        }
        CompletableFuture.runAsync(() -> {
            Reply r;
            try {
                r = work.run();
            } catch (RfmSegments.BusyException e) {
                r = Reply.failed(partition, "partition " + partition + ": " + e.getMessage(), true);
            } catch (Exception e) {
                LOG.error("partition {}: an RFM recompute step failed: {}", partition, e.toString(), e);
                r = Reply.failed(partition, "partition " + partition + ": " + e, false);
            } finally {
                synchronized (this) {
                    running--;
                    notifyAll();
                }
            }
            replyTo.tell(r);
        }, blocking);
    }

    /** Makes {@code g}'s recompute the one kept; the refusal if another one holds the partition. */
    private synchronized Reply claim(Gather g) {
        if (kept != null && !kept.equals(g.recompute()) && System.currentTimeMillis() - touched < HOLD.toMillis()) {
            return Reply.failed(partition, "partition " + partition + " is in another RFM recompute (" + kept
                    + "); try again when it ends", true);
        }
        drop();
        kept = g.recompute();
        touched = System.currentTimeMillis();
        return null;
    }

    private Reply gather(Gather g) throws Exception {
        RfmSegments.Gathered read;
        RfmValues v;
        try {
            read = rfm.gatherAt(g.now());
            v = RfmValues.of(read.aggregates());
        } catch (Exception | OutOfMemoryError e) {
            synchronized (this) {
                if (g.recompute().equals(kept)) {
                    drop(); // not held for a recompute that cannot go on
                }
            }
            throw e;
        }
        synchronized (this) {
            if (!g.recompute().equals(kept)) {
                return Reply.failed(partition, "partition " + partition + ": recompute " + g.recompute()
                        + " was abandoned while it was read", false);
            }
            gathered = read;
            values = v;
            touched = System.currentTimeMillis();
        }
        long[] min = new long[RfmValues.SCORES];
        long[] max = new long[RfmValues.SCORES];
        for (int s = 0; s < RfmValues.SCORES && v.buyers() > 0; s++) {
            min[s] = v.min(s);
            max[s] = v.max(s);
        }
        return new Reply(partition, null, false, v.buyers(), min, max, null);
    }

    private Reply count(Count c) {
        RfmValues v;
        synchronized (this) {
            if (!c.recompute().equals(kept) || values == null) {
                return notKept(c.recompute());
            }
            v = values;
            touched = System.currentTimeMillis();
        }
        return new Reply(partition, null, false, v.buyers(), null, null, v.atMost(c.probes()));
    }

    private Reply apply(Apply a) throws Exception {
        RfmSegments.Gathered g;
        synchronized (this) {
            if (!a.recompute().equals(kept) || gathered == null) {
                return notKept(a.recompute());
            }
            g = gathered;
            drop(); // applied or failed, it is over: the coordinator asks again from the start
        }
        rfm.applyCuts(g, new RfmModel.Boundaries(a.recency(), a.frequency(), a.monetary()));
        return new Reply(partition, null, false, 0, null, null, null);
    }

    private Reply notKept(String recompute) {
        return Reply.failed(partition, "partition " + partition + " holds no RFM recompute " + recompute
                + " (it moved or restarted since it was read)", false);
    }

    private void drop() {
        kept = null;
        gathered = null;
        values = null;
    }
}
