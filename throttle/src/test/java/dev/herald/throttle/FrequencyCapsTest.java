package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class FrequencyCapsTest {

    private static Config withRules(String rules) {
        return ConfigFactory.parseString("herald.frequency-caps.rules { " + rules + " }")
                .withFallback(ConfigFactory.defaultReference()).resolve();
    }

    @Test
    void shouldLoadTheDocumentedDefaults() {
        Config ref = ConfigFactory.defaultReference();
        assertTrue(FrequencyCaps.fromConfig(ref).rules().isEmpty());
        assertEquals(SendLedgerOptions.defaults(), SendLedgerOptions.fromConfig(ref));
    }

    @Test
    void shouldLoadLifecycleRulesInNameOrder() {
        FrequencyCaps caps = FrequencyCaps.fromConfig(withRules("""
                new-weekly { limit = 1, window = 7d, scope = marketing, segment = new-customers, action = drop }
                dormant-quarterly { limit = 1, window = quarter, scope = marketing, segment = dormant, action = drop }
                sms-daily { limit = 2, window = day, scope = "channel:SMS", action = defer }
                """));
        assertEquals(3, caps.rules().size());
        assertEquals(new CapRule("dormant-quarterly", 1, CapWindow.calendar(CapWindow.Period.QUARTER), CapScope.MARKETING,
                Optional.of("dormant"), CapAction.DROP), caps.rules().get(0));
        assertEquals(CapWindow.rolling(Duration.ofDays(7)), caps.rules().get(1).window());
        assertEquals(new CapScope(CapScope.Kind.CHANNEL, "sms"), caps.rules().get(2).scope());
        assertEquals(2, caps.maxLimit());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "r { limit = 0, window = day, scope = marketing, action = drop }          | herald.frequency-caps.rules.r.limit",
        "r { window = day, scope = marketing, action = drop }                     | herald.frequency-caps.rules.r.limit",
        "r { limit = 1, window = fortnight, scope = marketing, action = drop }    | herald.frequency-caps.rules.r.window",
        "r { limit = 1, window = 0s, scope = marketing, action = drop }           | herald.frequency-caps.rules.r.window",
        "r { limit = 1, window = day, scope = sender, action = drop }             | herald.frequency-caps.rules.r.scope",
        "r { limit = 1, window = day, scope = marketing, action = skip }          | herald.frequency-caps.rules.r.action",
        "r { limit = 1, window = day, scope = marketing, action = drop, segment = \"\" } | herald.frequency-caps.rules.r.segment",
        "\"Bad Name\" { limit = 1, window = day, scope = marketing, action = drop } | herald.frequency-caps.rules.\"Bad Name\"",
        "r = 3                                                                     | herald.frequency-caps.rules.r",
    })
    void shouldRejectBadRulesNamingTheKeyPath(String rules, String path) {
        ConfigException e = assertThrows(ConfigException.class, () -> FrequencyCaps.fromConfig(withRules(rules)));
        assertTrue(e.getMessage().contains(path), e.getMessage());
    }

    @Test
    void shouldRejectMoreThanTenRules() {
        StringBuilder rules = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            rules.append("r").append(i).append(" { limit = 1, window = day, scope = marketing, action = drop }\n");
        }
        ConfigException e = assertThrows(ConfigException.class, () -> FrequencyCaps.fromConfig(withRules(rules.toString())));
        assertTrue(e.getMessage().contains("herald.frequency-caps.rules"), e.getMessage());
    }

    @Test
    void shouldRejectBadLedgerOptionsNamingTheKey() {
        Config bad = ConfigFactory.parseString("herald.frequency-caps { store = redis, slots-per-user = 1 }")
                .withFallback(ConfigFactory.defaultReference());
        ConfigException e = assertThrows(ConfigException.class, () -> SendLedgerOptions.fromConfig(bad));
        assertTrue(e.getMessage().contains("herald.frequency-caps.store"), e.getMessage());
        Config slots = ConfigFactory.parseString("herald.frequency-caps.slots-per-user = 1").withFallback(ConfigFactory.defaultReference());
        e = assertThrows(ConfigException.class, () -> SendLedgerOptions.fromConfig(slots));
        assertTrue(e.getMessage().contains("herald.frequency-caps.slots-per-user"), e.getMessage());
    }
}
