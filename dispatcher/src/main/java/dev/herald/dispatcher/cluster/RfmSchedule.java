package dev.herald.dispatcher.cluster;

import java.time.Duration;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's scheduled RFM recompute: one actor in the whole cluster (a Cluster Singleton, on
 * the oldest node; it moves when that node leaves) runs {@link ClusterRfm#recompute} every
 * {@code herald.segments.rfm.recompute-every}, the first one interval after it starts. Partitions
 * never recompute on a schedule of their own ({@link PartitionConfig}). A recompute that fails is
 * logged and the next interval tries again; a tick while one runs is skipped.
 *
 * <pre>{@code
 * RfmSchedule.init(system, new ClusterRfm(sharding, cluster, clock), every);   // on every node
 * }</pre>
 */
final class RfmSchedule {

    private static final Logger LOG = LoggerFactory.getLogger(RfmSchedule.class);

    /** What the singleton is sent (by itself only: local, never serialized). */
    interface Command {
    }

    private enum Tick implements Command {
        INSTANCE
    }

    private record Ended(ClusterRfm.Outcome outcome, Throwable failure) implements Command {
    }

    private RfmSchedule() {
    }

    /** Starts the singleton (its proxy on this node); nothing if {@code every} is zero. */
    static void init(org.apache.pekko.actor.typed.ActorSystem<?> system, ClusterRfm rfm, Duration every) {
        if (every.isZero()) {
            return;
        }
        ClusterSingleton.get(system).init(SingletonActor.of(Behaviors.supervise(create(rfm, every))
                .onFailure(SupervisorStrategy.restart()), "rfm-schedule"));
    }

    static Behavior<Command> create(ClusterRfm rfm, Duration every) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, every, every);
            boolean[] running = {false};
            return Behaviors.receive(Command.class)
                    .onMessageEquals(Tick.INSTANCE, () -> {
                        if (!running[0]) {
                            running[0] = true;
                            ctx.pipeToSelf(rfm.recompute(), Ended::new);
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Ended.class, e -> {
                        running[0] = false;
                        if (e.failure() != null) {
                            LOG.error("RFM: the scheduled cluster recompute failed (the previous tiers stay): {}",
                                    e.failure().toString());
                        } else if (e.outcome().failure() != null) {
                            LOG.error("RFM: the scheduled cluster recompute failed: {}", e.outcome().failure().text());
                        }
                        return Behaviors.same();
                    })
                    .build();
        }));
    }
}
