package dev.herald.dispatcher.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * {@code GET /v1/cluster} (and {@code herald cluster status}): the cluster's members as this node
 * sees them, and which partitions each runs, from Cluster Sharding's own statistics (asking them
 * starts no partition).
 *
 * <pre>{@code
 * {"self": "pekko://herald@127.0.0.1:25520", "leader": "...", "partitions": 64,
 *  "members": [{"address", "status": "Up", "reachable": true, "partitions": [0, 3, ...], "opening": [3]}],
 *  "unallocated": [5, 9],          // partitions running nowhere now (moving, or not started yet)
 *  "open": 61, "recipients": 1000000}   // partitions open (answering), and the recipients they hold
 * }</pre>
 */
final class ClusterStatus {

    private final ActorSystem<Void> system;
    private final ClusterSharding sharding;
    private final ClusterSettings settings;

    ClusterStatus(ActorSystem<Void> system, ClusterSharding sharding, ClusterSettings settings) {
        this.system = system;
        this.sharding = sharding;
        this.settings = settings;
    }

    CompletionStage<Map<String, Object>> describe() {
        // an unreachable node's region cannot answer: its partitions are then shown as unallocated after
        // this much, rather than the status itself waiting for the ask timeout when an operator needs it
        Duration timeout = Duration.ofSeconds(Math.min(3, settings.askTimeout().toSeconds()));
        return AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
                        sharding.shardState(), r -> new GetClusterShardingStats(PartitionEntity.TYPE, timeout, r),
                        timeout.plusSeconds(1), system.scheduler())
                .thenCompose(stats -> {
                    Map<String, Object> view = view(stats);
                    return openStates().thenApply(open -> {
                        withOpen(view, open);
                        return view;
                    });
                });
    }

    /**
     * Which partitions are open: each is asked to describe itself and answers at once when open;
     * one still opening its folder (or waiting for its lock) answers only after, so it is shown
     * {@code opening} after a short wait. Allocated is not yet open: a request to an opening
     * partition waits for it.
     */
    private CompletionStage<Map<Integer, PartitionEntity.PartitionState>> openStates() {
        Duration wait = Duration.ofMillis(1500);
        List<java.util.concurrent.CompletableFuture<PartitionEntity.PartitionState>> asked = new ArrayList<>();
        for (int p = 0; p < settings.partitions(); p++) {
            int partition = p;
            asked.add(sharding.entityRefFor(PartitionEntity.TYPE, Integer.toString(p))
                    .<PartitionEntity.PartitionState>ask(PartitionEntity.Describe::new, wait)
                    .exceptionally(e -> new PartitionEntity.PartitionState(partition, null, "opening", -1, null))
                    .toCompletableFuture());
        }
        return java.util.concurrent.CompletableFuture.allOf(asked.toArray(java.util.concurrent.CompletableFuture[]::new))
                .thenApply(x -> {
                    Map<Integer, PartitionEntity.PartitionState> out = new java.util.TreeMap<>();
                    asked.forEach(f -> out.put(f.join().partition(), f.join()));
                    return out;
                });
    }

    /** Adds each member's {@code opening} partitions and the cluster's {@code open} count. */
    @SuppressWarnings("unchecked")
    private static void withOpen(Map<String, Object> view, Map<Integer, PartitionEntity.PartitionState> states) {
        long open = states.values().stream().filter(s -> s.state().equals("open")).count();
        for (Map<String, Object> m : (List<Map<String, Object>>) view.get("members")) {
            Set<Integer> opening = new TreeSet<>();
            for (int p : (Set<Integer>) m.get("partitions")) {
                PartitionEntity.PartitionState s = states.get(p);
                if (s == null || !s.state().equals("open")) {
                    opening.add(p);
                }
            }
            m.put("opening", opening);
        }
        view.put("open", open);
        long recipients = states.values().stream().mapToLong(s -> Math.max(0, s.recipients())).sum();
        view.put("recipients", recipients);
    }

    private Map<String, Object> view(ShardRegion.ClusterShardingStats stats) {
        Cluster cluster = Cluster.get(system);
        org.apache.pekko.cluster.ClusterEvent.CurrentClusterState state = cluster.state();
        Set<Member> unreachable = state.getUnreachable();
        Set<Integer> allocated = new TreeSet<>();
        List<Map<String, Object>> members = new ArrayList<>();
        for (Member m : state.getMembers()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("address", m.address().toString());
            e.put("status", m.status().toString());
            e.put("reachable", !unreachable.contains(m));
            Set<Integer> here = new TreeSet<>();
            ShardRegion.ShardRegionStats region = stats.getRegions().get(m.address());
            if (region != null) {
                region.getStats().keySet().forEach(id -> here.add(Integer.parseInt(id)));
            }
            allocated.addAll(here);
            e.put("partitions", here);
            members.add(e);
        }
        for (Map.Entry<Address, ShardRegion.ShardRegionStats> r : stats.getRegions().entrySet()) {
            r.getValue().getStats().keySet().forEach(id -> allocated.add(Integer.parseInt(id)));
        }
        List<Integer> unallocated = new ArrayList<>();
        for (int p = 0; p < settings.partitions(); p++) {
            if (!allocated.contains(p)) {
                unallocated.add(p);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("self", cluster.selfMember().address().toString());
        out.put("leader", state.getLeader() == null ? null : state.getLeader().toString());
        out.put("partitions", settings.partitions());
        out.put("storageRoot", settings.storageRoot().toString());
        out.put("members", members);
        out.put("unallocated", unallocated);
        return out;
    }
}
