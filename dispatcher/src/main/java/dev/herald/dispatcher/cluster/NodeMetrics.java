package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.metrics.HeraldMetrics;
import dev.herald.dispatcher.service.PartitionEngine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster node's {@code GET /metrics} (no key, Prometheus text as on a single node): the node's
 * own series, then those of every partition open on this node, each labelled {@code partition="N"}.
 *
 * <pre>{@code
 * NodeMetrics m = new NodeMetrics(connectors, local);
 * m.scrape().thenAccept(text -> ...);   // one exposition, each family declared once
 * }</pre>
 *
 * <ul>
 *   <li><b>The node's own</b> ({@link HeraldMetrics#node()}): the JVM and process
 *       ({@code jvm_*}, {@code process_*}, {@code system_*}, {@code herald_store_torn_tails_total}),
 *       its SMPP binds ({@code herald_smpp_*{connector}}: the binds belong to the node, not to a
 *       partition), {@code herald_cluster_partitions_open} and {@code herald_cluster_event_streams}.</li>
 *   <li><b>Each local partition's</b> ({@link HeraldMetrics#partition()}): its campaigns' totals
 *       ({@code herald_messages_total{partition, outcome}} ...), stores, receipts, clicks, its sends
 *       through each connector ({@code herald_connector_*}) and the requests the node forwarded to it.
 *       Summing over {@code partition} gives the cluster's figure once a scrape of every node is
 *       summed: each partition is open on one node at a time, and one that moves simply appears on
 *       its new node. A partition that does not answer within {@value #PARTITION_TIMEOUT_S} s (it is
 *       closing, or its campaign manager is busy) is left out of this scrape, and said so in a
 *       comment line.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
final class NodeMetrics implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);
    /** How long a partition's own scrape may take before it is left out. */
    static final long PARTITION_TIMEOUT_S = 5;

    private final HeraldMetrics own;
    private final LocalPartitions local;
    private volatile IntSupplier eventStreams = () -> 0;

    /**
     * @param connectors the node's connectors (its SMPP binds are shown)
     * @param local      the partitions open on this node
     */
    NodeMetrics(NodeConnectors connectors, LocalPartitions local) {
        this.own = HeraldMetrics.node();
        this.local = local;
        connectors.smpp().forEach(own::smpp);
        own.clusterNode(local::size, () -> eventStreams.getAsInt());
    }

    /** Shows {@code open} (the live progress streams the node serves now) as {@code herald_cluster_event_streams}. */
    void eventStreams(IntSupplier open) {
        this.eventStreams = open;
    }

    /** @return the node's series and its local partitions', as one Prometheus text exposition */
    CompletionStage<String> scrape() {
        CompletableFuture<String> mine = own.scrape().toCompletableFuture();
        List<Integer> numbers = new ArrayList<>();
        List<CompletableFuture<String>> theirs = new ArrayList<>();
        for (Map.Entry<Integer, PartitionEngine> e : local.open().entrySet()) {
            numbers.add(e.getKey());
            CompletableFuture<String> text;
            try {
                text = e.getValue().metrics().scrape().toCompletableFuture();
            } catch (RuntimeException closing) {
                text = CompletableFuture.failedFuture(closing);
            }
            theirs.add(text.orTimeout(PARTITION_TIMEOUT_S, TimeUnit.SECONDS));
        }
        List<CompletableFuture<?>> all = new ArrayList<>(theirs);
        all.add(mine);
        return CompletableFuture.allOf(all.stream().map(f -> f.handle((x, e) -> null)).toArray(CompletableFuture[]::new))
                .thenApply(x -> {
                    ExpositionMerge merge = new ExpositionMerge();
                    merge.add(mine.join(), null);
                    StringBuilder left = new StringBuilder();
                    for (int i = 0; i < theirs.size(); i++) {
                        CompletableFuture<String> t = theirs.get(i);
                        if (t.isCompletedExceptionally()) {
                            String why = t.handle((v, e) -> String.valueOf(e instanceof java.util.concurrent.CompletionException
                                    ? e.getCause() : e)).join();
                            LOG.warn("metrics: partition {} left out of this scrape: {}", numbers.get(i), why);
                            left.append("# partition ").append(numbers.get(i)).append(" left out of this scrape (it did not"
                                    + " answer within ").append(PARTITION_TIMEOUT_S).append(" s)\n");
                        } else {
                            merge.add(t.join(), numbers.get(i));
                        }
                    }
                    return merge.text() + left;
                });
    }

    @Override
    public void close() {
        own.close();
    }
}
