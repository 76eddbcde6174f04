package dev.herald.dispatcher.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator of A/B tests on a cluster: one decision per campaign, from every partition's
 * figures, given to every partition. It runs in partition 0 (where every campaign exists), wherever
 * that partition runs.
 *
 * <p><b>How a decision comes about.</b> A partition's campaign never decides its test alone
 * ({@code dev.herald.dispatcher.campaign.TestCoordinator}): when its wait has ended it tells
 * partition 0 ({@link PartitionEntity.TestDue}), and again every {@code release-poll} while it
 * holds recipients and its test is undecided. Partition 0 then asks every partition for its
 * figures ({@link PartitionEntity.GetTestFigures}), and {@link TestMerge} decides with the test's
 * own rule on the sums; the decision is sent to every partition ({@link PartitionEntity.ApplyTest}),
 * each releasing its own held recipients to the winner, as {@link WinnerPick} sends an operator's.
 *
 * <p><b>Failures.</b> A partition that does not answer (moving, its node dead), or whose own wait
 * has not ended, makes the coordinator wait: it logs why, and tries again when the next partition
 * says its test is due (every {@code release-poll} from each partition still holding recipients;
 * after a silent partition, not before the ask timeout has passed, so that a long move costs one
 * gathering per ask timeout, not one per reminder): never a decision from a part of the figures.
 * There is no last try: held recipients wait for the whole campaign's decision as long as their
 * campaign runs (its expiry, a cancel or an operator's pick ends the wait). Nothing here is durable, and nothing needs to be:
 * the trigger is the partitions' stored, undecided tests, so a decision due while partition 0 moves
 * is made once it has reopened elsewhere; and applying a decision is idempotent (a partition already
 * decided the same way counts as done; one that the decision did not reach is completed with the
 * same figures at the next try).
 *
 * <p>Thread-safe: {@link #due} may be called from any thread; one gathering per campaign at a time.
 */
final class WholeTests {

    private static final Logger LOG = LoggerFactory.getLogger(WholeTests.class);

    private final ActorSystem<?> system;
    private final int partitions;
    private final Duration timeout;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Campaigns whose last gathering found a partition silent: not gathered again before then (nanoTime). */
    private final java.util.Map<String, Long> quietUntil = new ConcurrentHashMap<>();

    /**
     * @param system     the node's actor system (Cluster Sharding's)
     * @param partitions how many partitions there are
     * @param timeout    how long a partition may take to answer
     */
    WholeTests(ActorSystem<?> system, int partitions, Duration timeout) {
        this.system = system;
        this.partitions = partitions;
        this.timeout = timeout;
    }

    /** A partition says campaign {@code campaign}'s test is due: decide it if every partition can be asked. */
    void due(String campaign) {
        Long quiet = quietUntil.get(campaign);
        if (quiet != null && System.nanoTime() - quiet < 0) {
            return; // a partition was silent a moment ago: asked again once the ask timeout has passed
        }
        if (!inFlight.add(campaign)) {
            return; // being gathered: the outcome covers this call too
        }
        quietUntil.remove(campaign);
        List<CompletableFuture<TestFigures>> asks = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            int partition = p;
            asks.add(entity(p).<TestFigures>ask(r -> new PartitionEntity.GetTestFigures(campaign, r), timeout)
                    .toCompletableFuture()
                    .exceptionally(e -> TestFigures.failed(partition, "did not answer within " + timeout.toMillis() + " ms: " + e)));
        }
        CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
                .thenCompose(x -> decide(campaign, asks.stream().map(CompletableFuture::join).toList()))
                .whenComplete((x, failure) -> {
                    inFlight.remove(campaign);
                    if (failure != null) {
                        LOG.warn("campaign {}: the A/B test's decision failed (tried again when a partition says it is due): {}",
                                campaign, failure.toString());
                    }
                });
    }

    private CompletableFuture<Void> decide(String campaign, List<TestFigures> answers) {
        TestMerge.Plan plan = TestMerge.plan(answers, Instant.now());
        if (!plan.apply()) {
            if (plan.waits() && answers.stream().anyMatch(f -> f.failure() != null)) {
                quietUntil.put(campaign, System.nanoTime() + timeout.toNanos());
            }
            if (plan.waits()) {
                LOG.info("campaign {}: the A/B test's decision waits: {} (asked again when a partition says it is due)",
                        campaign, plan.reason());
            }
            return CompletableFuture.completedFuture(null);
        }
        if (plan.decision() != null) {
            LOG.info("campaign {}: A/B test decided for the whole campaign by its rule on every partition's figures {}: {} ({});"
                    + " sent to partitions {}", campaign, plan.counts(), plan.send() == null ? "none sent" : plan.send(),
                    plan.decision().reason().wire(), plan.targets());
        } else {
            LOG.info("campaign {}: A/B test's decision completed: {}", campaign, plan.reason());
        }
        List<CompletableFuture<PartitionEntity.TestApplied>> applied = new ArrayList<>();
        for (int p : plan.targets()) {
            applied.add(entity(p).<PartitionEntity.TestApplied>ask(r -> new PartitionEntity.ApplyTest(campaign,
                            plan.counts() == null ? null : plan.counts().stream().map(c -> c.variant()).toList(),
                            plan.counts() == null ? null : plan.counts().stream().map(c -> c.exposed()).toList(),
                            plan.counts() == null ? null : plan.counts().stream().map(c -> c.successes()).toList(),
                            plan.send(), plan.by(), r), timeout)
                    .toCompletableFuture()
                    .exceptionally(e -> new PartitionEntity.TestApplied(p, "did not answer: " + e)));
        }
        return CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new)).thenAccept(x -> {
            List<String> failed = applied.stream().map(CompletableFuture::join).filter(a -> a.failure() != null)
                    .map(a -> a.partition() + ": " + a.failure()).toList();
            if (!failed.isEmpty()) {
                LOG.warn("campaign {}: the A/B test's decision did not reach {} (completed when a partition says it is due"
                        + " again)", campaign, failed);
            }
        });
    }

    private EntityRef<PartitionEntity.Command> entity(int p) {
        return ClusterSharding.get(system).entityRefFor(PartitionEntity.TYPE, Integer.toString(p));
    }
}
