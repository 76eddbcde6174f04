package dev.herald.dispatcher.delivery;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;
import dev.herald.dispatcher.connector.PeerEvents.Receipt;

/**
 * The child JVM of {@link DeliveriesCrashTest}: opens {@link Deliveries} on its data directory with
 * every ledger loaded in the background, the loads held back until {@code release} receipts were
 * answered (never if negative), then sends the receipts of recipients {@code from..to-1} (id
 * {@code k<r>}, each followed by a repeat of an earlier one) and prints {@code ACK <r>} once each
 * returned, as a connector answers its peer; then {@code DONE}, and waits to be killed.
 */
public final class DeliveriesCrashChild {

    private DeliveriesCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        int from = Integer.parseInt(args[1]);
        int to = Integer.parseInt(args[2]);
        int release = Integer.parseInt(args[3]);
        CampaignNumbers numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"));
        Deliveries d = Deliveries.open(data, numbers, DeliveriesCrashTest.CAPACITY, Duration.ofSeconds(5), Duration.ofDays(7),
                Clock.systemUTC(), -1);
        CountDownLatch gate = new CountDownLatch(1);
        d.ledgers().pauseLoads(gate);
        d.startSweeping(Duration.ofHours(1));
        int answered = 0;
        for (int r = from; r < to; r++) {
            d.receipt("acme", receipt(r));
            System.out.println("ACK " + r);
            System.out.flush();
            if (++answered == release) {
                gate.countDown();
            }
            d.receipt("acme", receipt(from + (r - from) / 2)); // a repeat (our answer lost): changes nothing
        }
        System.out.println("DONE");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    static Receipt receipt(int r) {
        return new Receipt("k" + r, DeliveryState.DELIVERED, "000", "id:k" + r + " stat:DELIVRD err:000");
    }
}
