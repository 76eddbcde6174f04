package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Erasure, in plain and encrypted directories: afterwards no file under the directory holds the
 * person's number (text, national digits, key in any encoding) or any of their field values; the
 * id is still found by the number and answers empty; registering the number again reuses the id.
 */
class DirectoryErasureTest {
    private static final DirectoryOptions SMALL = DirectoryOptions.defaults().withCapacity(10_000).withDefaultRegion("GB");
    private static final List<String> NAMES = List.of("first_name", "street");
    private static final String PERSON = "+447400123456";
    private static final String NATIONAL = "07400123456";
    private static final Map<String, String> DISTINCTIVE = Map.of("first_name", "Zebediah", "street", "Marigoldcourt 9");
    /** A value the person had before an update made their record longer (moved in the map). */
    private static final String EARLIER = "Quincelot";

    @TempDir
    Path dir;

    private static String phone(int i) {
        return "+4474001" + String.format("%05d", i);
    }

    private DirectoryOptions options(boolean encrypted, MasterKey key) {
        return encrypted ? SMALL.withMasterKey(key) : SMALL;
    }

    private static Map<String, byte[]> patterns() {
        Map<String, byte[]> p = new HashMap<>(RawBytes.numberPatterns(PERSON, NATIONAL));
        p.putAll(RawBytes.texts("Zebediah", "Marigoldcourt 9", EARLIER, "cy-GB"));
        return p;
    }

    /** {@code before} others, the person, {@code after} others; returns the person's id. */
    private static int populate(RecipientDirectory d, int before, int after) {
        for (int i = 0; i < before; i++) {
            d.register(phone(i), "Europe/London", "en-GB", Map.of("first_name", "Name" + i));
        }
        int id = d.register(PERSON, null, null, Map.of("first_name", EARLIER)).id();
        d.register(PERSON, "Europe/London", "cy-GB", DISTINCTIVE); // an update that grows the record
        for (int i = before; i < before + after; i++) {
            d.register(phone(i), "Europe/London", "en-GB", Map.of("first_name", "Name" + i));
        }
        return id;
    }

    @ParameterizedTest(name = "encrypted={0}")
    @ValueSource(booleans = {false, true})
    void shouldLeaveNoTraceInAnyFileAndKeepTheId(boolean encrypted) throws IOException {
        MasterKey key = MasterKey.generate();
        int id;
        long hash;
        try (RecipientDirectory d = RecipientDirectory.open(dir, options(encrypted, key))) {
            id = populate(d, 300, 400); // the person's page is written, rewritten by the update, then full
            d.flush();
            hash = d.phoneHash(PERSON);
            if (!encrypted) {
                assertFalse(RawBytes.find(dir, patterns()).isEmpty(), "the scan finds the person before the erasure");
            }
            Optional<Erasure> e = d.erase(NATIONAL.substring(0, 5) + " " + NATIONAL.substring(5));
            assertEquals(Optional.of(new Erasure(id, hash)), e);
            assertEquals(e, d.erase(PERSON), "erasing again changes nothing");
            assertAnswersErased(d, id);
        }
        assertEquals(List.of(), RawBytes.find(dir, patterns()));
        try (RecipientDirectory d = RecipientDirectory.open(dir, options(encrypted, key))) {
            assertAnswersErased(d, id);
            assertEquals(701, d.size());
            assertEquals("Name299", d.get(299).orElseThrow().fields().get("first_name"));
            assertEquals("Name300", d.get(id + 1).orElseThrow().fields().get("first_name"));
            assertEquals(new RecipientDirectory.Registration(id, false), d.register(PERSON, null, "en-GB", Map.of("first_name", "Zed")));
            Recipient again = d.find(PERSON).orElseThrow();
            assertEquals(Map.of("first_name", "Zed"), again.fields(), "a fresh record: nothing of the erased one");
            assertNull(again.zone());
            assertEquals(id, again.id());
            assertEquals(701, d.register(phone(9_999), null, null, null).id(), "ids are never reused");
        }
        try (RecipientDirectory d = RecipientDirectory.open(dir, options(encrypted, key))) {
            assertEquals("Zed", d.get(id).orElseThrow().fields().get("first_name"));
        }
    }

    @ParameterizedTest(name = "encrypted={0}")
    @ValueSource(booleans = {false, true})
    void shouldEraseARecipientOfThePartialTailPageAndAnUnknownNumberNot(boolean encrypted) throws IOException {
        MasterKey key = MasterKey.generate();
        int id;
        try (RecipientDirectory d = RecipientDirectory.open(dir, options(encrypted, key))) {
            id = populate(d, 3, 2);
            d.flush(); // the partial page goes to its file ...
            d.register(phone(50), null, null, Map.of("first_name", "Late")); // ... and is written again later
            d.flush();
            assertEquals(Optional.empty(), d.erase("+447400999999"));
            assertTrue(d.erase(PERSON).isPresent());
            assertAnswersErased(d, id);
            assertEquals("Late", d.find(phone(50)).orElseThrow().fields().get("first_name"));
        }
        assertEquals(List.of(), RawBytes.find(dir, patterns()));
        try (RecipientDirectory d = RecipientDirectory.open(dir, options(encrypted, key))) {
            assertAnswersErased(d, id);
            assertEquals("Name2", d.get(2).orElseThrow().fields().get("first_name"));
        }
    }

    private static void assertAnswersErased(RecipientDirectory d, int id) {
        assertEquals(OptionalInt.of(id), d.idOf(PERSON), "suppression by id keeps working");
        assertTrue(d.get(id).isEmpty());
        assertTrue(d.find(PERSON).isEmpty());
        assertTrue(d.fields(id, NAMES).isEmpty());
        assertNull(d.reader(NAMES).fields(id));
        assertNull(d.reader(NAMES).recipient(id));
        assertNull(d.fields(new int[] {id}, NAMES)[0]);
    }
}
