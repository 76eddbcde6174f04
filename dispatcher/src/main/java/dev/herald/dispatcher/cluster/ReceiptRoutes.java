package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.delivery.MessageIdMap;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * One partition's slice of the cluster's routing table of SMSC message ids: which partition sent
 * the message an id names. A receipt can arrive on any node (an SMSC sends it on whichever bind of
 * the account it likes), and only the sending partition knows the recipient; the id alone names
 * the partition holding its route ({@link #partitionOf}), which names the sender.
 *
 * <pre>{@code
 * int r = ReceiptRoutes.partitionOf("acme-smsc", "41459", new Partitioner(64));    // the partition holding this id's route
 * routes.put("acme-smsc", "41459", 12);                           // on partition r: partition 12 sent it
 * routes.get("acme-smsc", "41459");                               // Optional[12]
 * }</pre>
 *
 * <p><b>Storage.</b> A {@link MessageIdMap} of its own in the partition's folder
 * ({@code receipt-routes/message-ids.dat}): durable once put, recovered after {@code kill -9}, so
 * a route survives its partition moving to another node. Entries carry the partition as the
 * target's campaign number (plus one) and are swept as the message-id map's are: a route whose
 * final receipt came an hour ago, or older than the receipt wait, is forgotten.
 *
 * <p>Thread-safe.
 */
final class ReceiptRoutes implements AutoCloseable {

    /** The folder in a partition's folder. */
    static final String DIR = "receipt-routes";

    private final MessageIdMap map;
    private final Duration receiptWait;
    private final Clock clock;

    private ReceiptRoutes(MessageIdMap map, Duration receiptWait, Clock clock) {
        this.map = map;
        this.receiptWait = receiptWait;
        this.clock = clock;
    }

    /**
     * @param partitionFolder the partition's folder
     * @param capacity        routes it is sized for (the partition's share of the receipts' capacity)
     * @param receiptWait     how long a route waits for its receipt ({@code herald.receipts.wait})
     * @throws IOException naming the file if it cannot be opened
     */
    static ReceiptRoutes open(Path partitionFolder, long capacity, Duration receiptWait, Clock clock) throws IOException {
        return new ReceiptRoutes(MessageIdMap.open(partitionFolder.resolve(DIR), capacity), receiptWait, clock);
    }

    /**
     * The partition holding the route of message id {@code key} of {@code connector}: a hash of
     * both, so that ids spread evenly whatever the SMSC's numbering.
     */
    static int partitionOf(String connector, String key, Partitioner partitions) {
        long h = 1125899906842597L;
        for (int i = 0; i < connector.length(); i++) {
            h = 31 * h + connector.charAt(i);
        }
        h = 31 * h + '/';
        for (int i = 0; i < key.length(); i++) {
            h = 31 * h + key.charAt(i);
        }
        return partitions.ofKey(h); // its SplitMix64 finish spreads the string hash's bits
    }

    /** Partition {@code partition} sent message id {@code key} of {@code connector}. */
    void put(String connector, String key, int partition) {
        map.put(connector, key, new MessageIdMap.Target(partition + 1, 0, 1, 1, clock.instant().getEpochSecond()));
    }

    /** @return the partition that sent message id {@code key} of {@code connector}, if known here */
    Optional<Integer> get(String connector, String key) {
        return map.get(connector, key).map(t -> t.campaign() - 1);
    }

    /** The final receipt of {@code key} came: its route stays an hour (a repeat still finds it), then goes. */
    void reported(String connector, String key) {
        map.reported(connector, key, clock.instant().getEpochSecond());
    }

    /** Forgets routes older than the receipt wait, and routes reported more than an hour ago. @return how many */
    long sweep() {
        return map.sweep(clock.instant().minus(receiptWait).getEpochSecond(),
                clock.instant().minus(dev.herald.dispatcher.delivery.Deliveries.REPORTED_GRACE).getEpochSecond());
    }

    /** @return routes held */
    long size() {
        return map.size();
    }

    @Override
    public void close() throws IOException {
        map.close();
    }
}
