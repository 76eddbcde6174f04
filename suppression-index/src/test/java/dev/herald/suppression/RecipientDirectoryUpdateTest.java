package dev.herald.suppression;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RecipientDirectory#updateFields}: set and remove some fields, keep the rest. */
class RecipientDirectoryUpdateTest {

    private static final DirectoryOptions SMALL = DirectoryOptions.defaults().withCapacity(10_000);
    private static final String ANN = "+447400100001";

    @TempDir
    Path dir;

    private static Map<String, String> fields(String... nameValue) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            m.put(nameValue[i], nameValue[i + 1]);
        }
        return m;
    }

    @Test
    void shouldSetFieldsKeepingTheOtherFieldsZoneAndLocale() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(ANN, "Europe/London", "en-GB", fields("first_name", "Ann", "tier", "gold"));
            RecipientDirectory.Registration r = d.updateFields(ANN, fields("birthday", " 1990-03-14 ", "tier", "silver"), null);
            assertEquals(new RecipientDirectory.Registration(0, false), r);
            Recipient ann = d.find(ANN).orElseThrow();
            assertEquals("Europe/London", ann.zone());
            assertEquals("en-GB", ann.locale());
            assertEquals(fields("first_name", "Ann", "tier", "silver", "birthday", "1990-03-14"), ann.fields());
            assertEquals(List.of("first_name", "tier", "birthday"), List.copyOf(ann.fields().keySet()),
                    "a field set keeps its place, a new one is appended");
        }
    }

    @Test
    void shouldRemoveNamedFieldsAndFieldsSetToBlankOrNull() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(ANN, null, null, fields("first_name", "Ann", "tier", "gold", "city", "Leeds", "pet", "cat"));
            Map<String, String> set = new HashMap<>();
            set.put("city", " ");
            set.put("pet", null);
            d.updateFields(ANN, set, Set.of("tier", "never_had_it"));
            assertEquals(fields("first_name", "Ann"), d.find(ANN).orElseThrow().fields());
            // register cannot do this: a blank value leaves the stored one
            d.register(ANN, null, null, fields("first_name", ""));
            assertEquals(fields("first_name", "Ann"), d.find(ANN).orElseThrow().fields());
        }
    }

    @Test
    void shouldRegisterAnUnknownNumberWithTheFieldsSet() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register("+447400100000", null, null, null);
            assertEquals(new RecipientDirectory.Registration(1, true),
                    d.updateFields(ANN, "Europe/Paris", "fr_FR", fields("tier", "gold"), Set.of("birthday")));
            assertEquals(new Recipient(1, ANN, "GB", "Europe/Paris", "fr-FR", fields("tier", "gold")), d.get(1).orElseThrow());
        }
    }

    @Test
    void shouldSetZoneAndLocaleOnlyWhenGiven() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(ANN, "Europe/London", "en-GB", fields("tier", "gold"));
            d.updateFields(ANN, "America/New_York", " ", null, null);
            Recipient ann = d.find(ANN).orElseThrow();
            assertEquals("America/New_York", ann.zone());
            assertEquals("en-GB", ann.locale());
            assertEquals(fields("tier", "gold"), ann.fields());
        }
    }

    @Test
    void shouldRejectInvalidNamesNamingThemAndChangeNothing() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(ANN, null, null, fields("tier", "gold"));
            Recipient before = d.find(ANN).orElseThrow();
            IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
                    () -> d.updateFields(ANN, fields("tier", "silver", " ", "x"), null));
            assertEquals("field name ' ' is blank", blank.getMessage());
            Map<String, String> nullName = new HashMap<>();
            nullName.put(null, "x");
            assertThrows(IllegalArgumentException.class, () -> d.updateFields(ANN, nullName, null));
            IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                    () -> d.updateFields(ANN, fields("tier", "silver"), Set.of("tier")));
            assertEquals("field 'tier' is both set and removed", both.getMessage());
            IllegalArgumentException zone = assertThrows(IllegalArgumentException.class,
                    () -> d.updateFields(ANN, "Mars/Olympus", null, fields("tier", "silver"), null));
            assertTrue(zone.getMessage().contains("Mars/Olympus"), zone.getMessage());
            assertThrows(InvalidPhoneNumberException.class, () -> d.updateFields("+44", fields("tier", "silver"), null));
            assertEquals(before, d.find(ANN).orElseThrow());
            assertEquals(1, d.size());
        }
    }

    @Test
    void shouldRefuseARecordOver64KiBNamingTheLargestFieldAndLeaveTheStoredRecordUnchanged() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(ANN, "Europe/London", null, fields("notes", "n".repeat(40_000), "tier", "gold"));
            Recipient before = d.find(ANN).orElseThrow();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.updateFields(ANN,
                    fields("tier", "silver", "history", "h".repeat(30_000)), Set.of("first_name")));
            assertTrue(e.getMessage().contains("field 'history' (30000 characters)"), e.getMessage());
            assertTrue(e.getMessage().contains("65536"), e.getMessage());
            assertEquals(before, d.find(ANN).orElseThrow());
            // removing the big field first makes room: one update, all of it applied
            d.updateFields(ANN, fields("tier", "silver", "history", "h".repeat(30_000)), Set.of("notes"));
            assertEquals(List.of("tier", "history"), List.copyOf(d.find(ANN).orElseThrow().fields().keySet()));
            // a new number whose fields alone are too large is not registered
            assertThrows(IllegalArgumentException.class,
                    () -> d.updateFields("+447400100002", fields("notes", "n".repeat(70_000)), null));
            assertEquals(1, d.size());
        }
    }

    @Test
    void shouldKeepAnUpdateAcrossCloseAndReopen() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 300; i++) { // past one page of 256 ids: the update rewrites a written page
                d.register("+447400" + (100_000 + i), null, null, fields("n", Integer.toString(i), "tier", "gold"));
            }
            d.flush();
            d.updateFields("+447400100005", fields("birthday", "--03-14"), Set.of("tier"));
        }
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            assertEquals(fields("n", "5", "birthday", "--03-14"), d.get(5).orElseThrow().fields());
            assertEquals(Map.of("birthday", "--03-14"), d.fields(5, List.of("birthday")).orElseThrow().fields());
            assertEquals(fields("n", "6", "tier", "gold"), d.get(6).orElseThrow().fields());
        }
    }
}
