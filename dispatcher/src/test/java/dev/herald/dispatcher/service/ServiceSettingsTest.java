package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code herald.service} read from HOCON: the shipped defaults, an override, and a bad value named. */
class ServiceSettingsTest {

    private static ServiceSettings read(String overrides) {
        Config config = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve();
        return ServiceSettings.fromConfig(config);
    }

    @Test
    void shouldShipTheSimulatedConnectorWithoutIdempotencyKeys() {
        ServiceSettings s = read("");
        assertFalse(s.idempotencyKeys(), "a repeat is a new message unless the operator says the peer deduplicates");
        assertEquals(1024, s.window());
    }

    @Test
    void shouldTurnOnIdempotencyKeysFromTheConfiguration() {
        assertTrue(read("herald.service.connector.idempotency-keys = true").idempotencyKeys());
        ServiceSettings moved = read("herald.service.connector.idempotency-keys = on").withAddress("127.0.0.1", 0);
        assertTrue(moved.idempotencyKeys(), "kept when the address is overridden");
    }

    @Test
    void shouldNameTheKeyOfABadValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> read("herald.service.connector.idempotency-keys = maybe"));
        assertTrue(e.getMessage().contains("idempotency-keys"), e.getMessage());
    }
}
