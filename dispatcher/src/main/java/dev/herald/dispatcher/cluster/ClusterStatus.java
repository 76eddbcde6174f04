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
 *  "members": [{"address", "status": "Up", "reachable": true, "partitions": [0, 3, ...]}],
 *  "unallocated": [5, 9]}          // partitions running nowhere now (moving, or not started yet)
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
                .thenApply(this::view);
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
