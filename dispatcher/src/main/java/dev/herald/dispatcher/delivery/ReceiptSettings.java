package dev.herald.dispatcher.delivery;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.time.Duration;

/**
 * {@code herald.receipts}: how delivery receipts are matched (documented key by key in
 * {@code herald-connectors.conf}).
 *
 * @param capacity  message ids the durable map is sized for (it grows to 10 times that)
 * @param earlyWait how long a receipt that came before its message's id waits for it
 * @param receiptWait how long an id waits for its receipt before it is forgotten
 */
public record ReceiptSettings(long capacity, Duration earlyWait, Duration receiptWait) {

    /** @throws IllegalArgumentException naming the key that is out of range */
    public ReceiptSettings {
        if (capacity < 1_000) {
            throw new IllegalArgumentException("herald.receipts.capacity must be >= 1000, got " + capacity);
        }
        if (earlyWait == null || earlyWait.isNegative() || earlyWait.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("herald.receipts.early-wait must be 0-10m, got " + earlyWait);
        }
        if (receiptWait == null || receiptWait.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new IllegalArgumentException("herald.receipts.wait must be at least 1m, got " + receiptWait);
        }
    }

    /**
     * @param root the whole configuration
     * @return the settings
     * @throws IllegalArgumentException naming the key that is missing, of the wrong type or out of range
     */
    public static ReceiptSettings fromConfig(Config root) {
        try {
            // full paths, so that a wrong type is reported as herald.receipts.<key>, not <key>
            return new ReceiptSettings(root.getLong("herald.receipts.capacity"),
                    root.getDuration("herald.receipts.early-wait"), root.getDuration("herald.receipts.wait"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }
}
