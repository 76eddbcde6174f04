package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.service.PartitionEngine;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The partitions open on this node now, for what the node shows of them itself ({@code /metrics}:
 * {@link NodeMetrics}). Requests never go through here: they reach a partition through Cluster
 * Sharding, wherever it runs.
 *
 * <pre>{@code
 * local.opened(7, engine);   // PartitionEntity, once partition 7 is open here
 * local.open();              // {7=engine, ...}
 * local.closing(7);          // before its stores close
 * }</pre>
 *
 * <p>Invariant: a partition is listed from the moment its engine is open until just before its
 * stores close; so a reader may find an engine closing under it, and must take a failure of it as
 * the partition having left (a scrape skips it).
 *
 * <p>Thread-safe.
 */
final class LocalPartitions {

    private final ConcurrentSkipListMap<Integer, PartitionEngine> open = new ConcurrentSkipListMap<>();

    /** Partition {@code partition} is open on this node as {@code engine}. */
    void opened(int partition, PartitionEngine engine) {
        open.put(partition, engine);
    }

    /** Partition {@code partition} is closing on this node (its stores close next). */
    void closing(int partition) {
        open.remove(partition);
    }

    /** @return the partitions open here now, by number (a copy) */
    SortedMap<Integer, PartitionEngine> open() {
        return new TreeMap<>(Map.copyOf(open));
    }

    /** @return how many partitions are open here now */
    int size() {
        return open.size();
    }
}
