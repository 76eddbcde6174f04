package dev.herald.dispatcher.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** {@code herald.funnel.touches-capacity} as {@link ServiceStores} reads it. */
class TouchesCapacityTest {

    private static Config with(String hocon) {
        return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
    }

    @Test
    void theDefaultIsTheDirectorysCapacityAndAValueIsTakenAsItIs() {
        assertEquals(0, ConfigFactory.defaultReference().getLong("herald.funnel.touches-capacity"), "documented in herald-funnel.conf");
        assertEquals(1_000, ServiceStores.touchesCapacity(with("herald.service.directory-capacity = 1000"), 1_000));
        assertEquals(250_000, ServiceStores.touchesCapacity(with("herald.funnel.touches-capacity = 250000"), 1_000));
    }

    @Test
    void aNegativeOrNonNumericCapacityIsRefusedNamingTheKey() {
        for (String bad : new String[] {"herald.funnel.touches-capacity = -1", "herald.funnel.touches-capacity = lots"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServiceStores.touchesCapacity(with(bad), 1_000), bad);
            assertTrue(e.getMessage().contains("herald.funnel.touches-capacity"), e.getMessage());
        }
    }
}
