package dev.herald.suppression.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.MasterKey;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Two numbers with one keyed hash (forced here): the second is refused, the first is left as it was. */
class PhoneHashCollisionTest {

    @TempDir
    Path dir;

    @AfterEach
    void unforce() {
        PhoneHasher.testOverride = null;
    }

    @ParameterizedTest(name = "encrypted={0}")
    @ValueSource(booleans = {false, true})
    void shouldRefuseASecondNumberWithTheSameHash(boolean encrypted) throws IOException {
        DirectoryOptions o = DirectoryOptions.defaults().withCapacity(10_000);
        if (encrypted) {
            o = o.withMasterKey(MasterKey.generate());
        }
        PhoneHasher.testOverride = key -> key == 447400000001L || key == 447400000002L ? 42L : key * 31;
        try (RecipientDirectory d = RecipientDirectory.open(dir, o)) {
            assertEquals(0, d.register("+447400000001", null, null, Map.of("first_name", "Ann")).id());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> d.register("+447400000002", null, null, Map.of("first_name", "Bob")));
            assertTrue(e.getMessage().contains("+447400000002") && e.getMessage().contains("hash collision")
                    && e.getMessage().contains("recipient id 0"), e.getMessage());
            assertEquals("Ann", d.get(0).orElseThrow().fields().get("first_name"));
            assertEquals("+447400000001", d.get(0).orElseThrow().e164());
            assertEquals(1, d.size());
            assertEquals(1, d.register("+447400000003", null, null, null).id());
            assertEquals(OptionalInt.of(0), d.idOf("+447400000001"));
            assertTrue(d.erase("+447400000002").isEmpty(), "the other number is not registered");
            assertEquals("Ann", d.get(0).orElseThrow().fields().get("first_name"));
        }
    }
}
