package dev.herald.dispatcher.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/** {@link ReceiptSettings#fromConfig}: the defaults of herald-connectors.conf, and bad values named by key. */
class ReceiptSettingsTest {

    private static Config with(String hocon) {
        return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load());
    }

    @Test
    void theDefaultsComeFromHeraldConnectorsConf() {
        ReceiptSettings s = ReceiptSettings.fromConfig(with(""));
        assertEquals(new ReceiptSettings(2_000_000, Duration.ofSeconds(30), Duration.ofDays(7)), s);
    }

    @Test
    void eachKeyCanBeSet() {
        ReceiptSettings s = ReceiptSettings.fromConfig(
                with("herald.receipts { capacity = 1000, early-wait = 0s, wait = 1m }"));
        assertEquals(new ReceiptSettings(1_000, Duration.ZERO, Duration.ofMinutes(1)), s);
        s = ReceiptSettings.fromConfig(with("herald.receipts.early-wait = 60s\nherald.receipts.wait = 30d"));
        assertEquals(new ReceiptSettings(2_000_000, Duration.ofSeconds(60), Duration.ofDays(30)), s);
    }

    @Test
    void badValuesFailNamingTheKey() {
        assertFails("herald.receipts.capacity = 999", "herald.receipts.capacity");
        assertFails("herald.receipts.capacity = -5", "herald.receipts.capacity");
        assertFails("herald.receipts.capacity = lots", "herald.receipts.capacity");
        assertFails("herald.receipts.early-wait = 601s", "herald.receipts.early-wait");
        assertFails("herald.receipts.early-wait = -1s", "herald.receipts.early-wait");
        assertFails("herald.receipts.early-wait = soon", "herald.receipts.early-wait");
        assertFails("herald.receipts.wait = 59s", "herald.receipts.wait");
        assertFails("herald.receipts.wait = forever", "herald.receipts.wait");
        assertFails("herald.receipts = 3", "herald.receipts");
    }

    @Test
    void aMissingKeyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReceiptSettings.fromConfig(
                ConfigFactory.parseString("herald.receipts { early-wait = 5s, wait = 7d }")));
        assertTrue(e.getMessage().contains("herald.receipts.capacity"), e.getMessage());
    }

    @Test
    void theConstructorChecksTooBecauseCodeMayBuildSettingsDirectly() {
        assertThrows(IllegalArgumentException.class, () -> new ReceiptSettings(2_000, null, Duration.ofDays(1)));
        assertThrows(IllegalArgumentException.class, () -> new ReceiptSettings(2_000, Duration.ZERO, null));
    }

    private static void assertFails(String hocon, String key) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReceiptSettings.fromConfig(with(hocon)), hocon);
        assertTrue(e.getMessage().contains(key), "'" + hocon + "' should name " + key + ": " + e.getMessage());
    }
}
