package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.segment.rfm.RfmCutSearch;
import dev.herald.dispatcher.segment.rfm.RfmModel;
import dev.herald.dispatcher.segment.rfm.RfmValues;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster's RFM recompute (issue 20): the tiers of every partition scored with the quintile cut
 * points of <em>all</em> buyers, so that a buyer's tier is the one a single node holding every
 * buyer gives it and the partitions' tier sizes add up to that node's.
 *
 * <ol>
 *   <li><b>Read</b>: every partition reads its log as of one time (this node's clock) and keeps
 *       its aggregates and its buyers' values sorted ({@link PartitionRfm.Gather}); it answers its
 *       buyers and each score's least and greatest value.</li>
 *   <li><b>Cut points</b>: {@link RfmCutSearch} narrows each of the 12 cut points by the counts of
 *       buyers at most a few probe values, summed over the partitions ({@link PartitionRfm.Count}):
 *       at most 12 rounds, each a message of at most 12 × 63 values a partition, never a buyer's
 *       values (a partition's millions would not fit Pekko's frame).</li>
 *   <li><b>Apply</b>: every partition scores its own buyers with those cut points, stores the tiers
 *       and stages durably and serves them ({@link PartitionRfm.Apply}), all stamped with the
 *       recompute's time.</li>
 * </ol>
 *
 * <p><b>Failures.</b> A partition that does not answer (or fails) while reading or counting: the
 * recompute is dropped everywhere ({@link PartitionRfm.Abandon}), nothing is applied anywhere, and
 * the answer is 503 {@code partition_unavailable} naming it; one busy with another recompute: 409
 * {@code busy}. A partition that fails to apply (it moved or its disk failed at that moment) while
 * others applied: 503 {@code partly_applied} naming both; the partitions then disagree and
 * {@code GET /v1/segments/rfm} answers 409 {@code out_of_step} (never a mix) until a recompute
 * reaches every partition. A partition keeps serving its previous tiers until it applies.
 *
 * <p>Thread-safety: stateless between recomputes; each recompute's state is its own.
 */
final class ClusterRfm {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterRfm.class);

    /** How a recompute ended: {@code failure} null if every partition applied it. */
    record Outcome(HttpAnswer failure, long buyers, int rounds, long elapsedMillis) {
    }

    private final ClusterSharding sharding;
    private final int partitions;
    private final Duration askTimeout;
    private final Duration longTimeout;
    private final Clock clock;

    ClusterRfm(ClusterSharding sharding, ClusterSettings cluster, Clock clock) {
        this.sharding = sharding;
        this.partitions = cluster.partitions();
        this.askTimeout = cluster.askTimeout();
        this.longTimeout = cluster.uploadTimeout();
        this.clock = clock;
    }

    /**
     * {@code POST /v1/segments/rfm/recompute}: recomputes, then answers the merged summary
     * ({@link RfmViews#summary}) as a single node answers its own, or the failure.
     *
     * @param c the request (its key is the one the partitions are asked with)
     */
    CompletionStage<HttpAnswer> answer(ClusterRoutes routes, HttpCall c) {
        return recompute().thenCompose(o -> {
            if (o.failure() != null) {
                return CompletableFuture.completedFuture(o.failure());
            }
            HttpCall view = new HttpCall("GET", "/v1/segments/rfm", c.headers(), null, new byte[0]);
            return routes.all(view, askTimeout).thenApply(RfmViews::summary);
        });
    }

    /** One recompute over every partition; a failure of its own (a bug) is dropped everywhere and answered 500. */
    CompletionStage<Outcome> recompute() {
        String id = "rfm-" + UUID.randomUUID();
        long t0 = System.nanoTime();
        return recompute(id, clock.millis(), t0).handle((o, e) -> {
            if (e == null) {
                return o;
            }
            LOG.error("RFM: cluster recompute {} failed: {}", id, e.toString(), e);
            abandon(id);
            return new Outcome(HttpAnswer.error(500, "internal_error", "the RFM recompute failed and was applied nowhere"
                    + " (the previous tiers stay): " + e), 0, 0, millis(t0));
        });
    }

    private CompletionStage<Outcome> recompute(String id, long now, long t0) {
        return each((p, r) -> new PartitionRfm.Gather(id, now, r), longTimeout).thenCompose(read -> {
            HttpAnswer refused = refusal(read, "read");
            if (refused != null) {
                abandon(id);
                return CompletableFuture.completedFuture(new Outcome(refused, 0, 0, millis(t0)));
            }
            long buyers = 0;
            long[] min = new long[RfmValues.SCORES];
            long[] max = new long[RfmValues.SCORES];
            java.util.Arrays.fill(min, Long.MAX_VALUE);
            java.util.Arrays.fill(max, Long.MIN_VALUE);
            for (PartitionRfm.Reply r : read) {
                buyers += r.buyers();
                for (int s = 0; s < RfmValues.SCORES && r.buyers() > 0; s++) {
                    min[s] = Math.min(min[s], r.min()[s]);
                    max[s] = Math.max(max[s], r.max()[s]);
                }
            }
            RfmCutSearch search = new RfmCutSearch(buyers, min, max);
            long all = buyers;
            return search(id, search).thenCompose(failed -> {
                if (failed != null) {
                    abandon(id);
                    return CompletableFuture.completedFuture(new Outcome(failed, all, search.rounds(), millis(t0)));
                }
                RfmModel.Boundaries b = search.boundaries();
                return each((p, r) -> new PartitionRfm.Apply(id, b.recency(), b.frequency(), b.monetary(), r), longTimeout)
                        .thenApply(applied -> {
                            Outcome o = new Outcome(partlyApplied(applied), all, search.rounds(), millis(t0));
                            LOG.info("RFM: cluster recompute {} of {} buyers over {} partitions, {} rounds of counts, {} ms: {}",
                                    id, all, partitions, o.rounds(), o.elapsedMillis(),
                                    o.failure() == null ? "applied everywhere" : o.failure().text());
                            return o;
                        });
            });
        });
    }

    /** The rounds of counts until every cut point is found; the refusal that stopped them, or null. */
    private CompletionStage<HttpAnswer> search(String id, RfmCutSearch s) {
        if (s.done()) {
            return CompletableFuture.completedFuture(null);
        }
        long[][] probes = s.probes();
        return each((p, r) -> new PartitionRfm.Count(id, probes, r), askTimeout).thenCompose(counted -> {
            HttpAnswer refused = refusal(counted, "counted");
            if (refused != null) {
                return CompletableFuture.completedFuture(refused);
            }
            long[][] sum = new long[probes.length][];
            for (int t = 0; t < probes.length; t++) {
                sum[t] = new long[probes[t].length];
                for (PartitionRfm.Reply r : counted) {
                    for (int i = 0; i < sum[t].length; i++) {
                        sum[t][i] += r.counts()[t][i];
                    }
                }
            }
            s.narrow(sum);
            return search(id, s);
        });
    }

    /** 409 if a partition is busy with another recompute, 503 naming those that failed, or null. */
    private static HttpAnswer refusal(List<PartitionRfm.Reply> replies, String step) {
        List<Integer> busy = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (PartitionRfm.Reply r : replies) {
            if (r.busy()) {
                busy.add(r.partition());
            } else if (!r.ok()) {
                failed.add(r.failure());
            }
        }
        if (!failed.isEmpty()) {
            return HttpAnswer.error(503, "partition_unavailable", "the RFM recompute needs every partition and was applied"
                    + " nowhere (the previous tiers stay; try again): " + String.join("; ", failed));
        }
        if (!busy.isEmpty()) {
            return HttpAnswer.error(409, "busy", "an RFM recompute is already running on partitions " + busy
                    + "; its result will be served when it ends (nothing was changed by this one)");
        }
        return null;
    }

    /** 503 naming the partitions that did not apply and those that did, or null if all did. */
    private static HttpAnswer partlyApplied(List<PartitionRfm.Reply> replies) {
        List<Integer> applied = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (PartitionRfm.Reply r : replies) {
            if (r.ok()) {
                applied.add(r.partition());
            } else {
                failed.add(r.failure());
            }
        }
        if (failed.isEmpty()) {
            return null;
        }
        return HttpAnswer.error(503, "partly_applied", "the RFM recompute was applied by partitions " + applied
                + " but not by the others: " + String.join("; ", failed) + ". Until a recompute reaches every partition,"
                + " GET /v1/segments/rfm answers 409 out_of_step; POST /v1/segments/rfm/recompute again");
    }

    private void abandon(String id) {
        for (int p = 0; p < partitions; p++) {
            sharding.entityRefFor(PartitionEntity.TYPE, Integer.toString(p)).tell(new PartitionRfm.Abandon(id));
        }
    }

    /** Every partition's reply to its step, in partition order; one that does not answer in time, as a failure. */
    private CompletionStage<List<PartitionRfm.Reply>> each(
            BiFunction<Integer, ActorRef<PartitionRfm.Reply>, PartitionRfm.Step> step, Duration timeout) {
        List<CompletableFuture<PartitionRfm.Reply>> asked = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            int partition = p;
            asked.add(sharding.entityRefFor(PartitionEntity.TYPE, Integer.toString(p))
                    .<PartitionRfm.Reply>ask(replyTo -> step.apply(partition, replyTo), timeout)
                    .exceptionally(e -> PartitionRfm.Reply.failed(partition, "partition " + partition + " did not answer within "
                            + timeout.toSeconds() + " s (it may be moving to another node)", false))
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
                .thenApply(x -> asked.stream().map(CompletableFuture::join).toList());
    }

    private static long millis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
