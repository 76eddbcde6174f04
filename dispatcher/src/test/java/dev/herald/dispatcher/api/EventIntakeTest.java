package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.journey.Event;
import dev.herald.dispatcher.journey.EventSettings;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.RecipientDirectory;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every field of a posted event checked, naming the field. */
class EventIntakeTest {
    static final Instant NOW = Instant.parse("2026-12-07T09:00:00Z");
    static final String A = "+447400123456";

    @TempDir
    Path dir;

    private RecipientDirectory directory;
    private EventIntake intake;
    private int a;

    @BeforeEach
    void open() throws Exception {
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults().withDefaultRegion("GB")
                .withCapacity(1_000));
        a = directory.register(A, null, null, Map.of()).id();
        intake = new EventIntake(directory, new EventSettings(Duration.ofDays(30), Duration.ofMinutes(5), 100, 4, 120),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void close() throws Exception {
        directory.close();
    }

    private Event read(String json) {
        return intake.read(json.getBytes(StandardCharsets.UTF_8));
    }

    private void assertRefused(String json, String code, String field) {
        ApiError e = assertThrows(ApiError.class, () -> read(json));
        assertEquals(400, e.status(), e.getMessage());
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
    }

    private static String ev(String rest) {
        return "{\"id\": \"e-1\", \"phone\": \"" + A + "\", \"name\": \"cart_abandoned\"" + rest + "}";
    }

    @Test
    void shouldReadAnEventWithItsPropertiesAndDefaultTimeNow() {
        Event e = read(ev(", \"properties\": {\"cartId\": \"c-9\", \"value\": 19.90, \"n\": 3, \"gift\": false}"));
        assertEquals("e-1", e.id());
        assertEquals(a, e.recipient());
        assertEquals("cart_abandoned", e.name());
        assertEquals(NOW.toEpochMilli(), e.atMillis());
        assertEquals(NOW.toEpochMilli(), e.receivedAtMillis());
        assertEquals("c-9", e.properties().get("cartId"));
        assertEquals(0, new BigDecimal("19.9").compareTo((BigDecimal) e.properties().get("value")));
        assertEquals(new BigDecimal("3"), e.properties().get("n"));
        assertEquals(false, e.properties().get("gift"));
        assertEquals(NOW.minusSeconds(3600).toEpochMilli(), read(ev(", \"at\": \"2026-12-07T08:00:00Z\"")).atMillis());
        assertTrue(read(ev(", \"properties\": null")).properties().isEmpty());
        assertEquals(a, read("{\"id\": \"e-1\", \"phone\": \"07400123456\", \"name\": \"a.b-c_1\"}").recipient(),
                "a national number with the directory's region");
    }

    @Test
    void shouldRefuseABadIdNamingIt() {
        assertRefused("{\"phone\": \"" + A + "\", \"name\": \"x\"}", "missing_field", "id");
        assertRefused("{\"id\": \"\", \"phone\": \"" + A + "\", \"name\": \"x\"}", "invalid_value", "id");
        assertRefused("{\"id\": \"" + "x".repeat(129) + "\", \"phone\": \"" + A + "\", \"name\": \"x\"}", "invalid_value", "id");
        assertRefused("{\"id\": \"a\\nb\", \"phone\": \"" + A + "\", \"name\": \"x\"}", "invalid_value", "id");
        assertRefused("{\"id\": 7, \"phone\": \"" + A + "\", \"name\": \"x\"}", "wrong_type", "id");
        assertEquals(128, read("{\"id\": \"" + "x".repeat(128) + "\", \"phone\": \"" + A + "\", \"name\": \"x\"}").id().length());
    }

    @Test
    void shouldRefuseABadPhoneNamingIt() {
        assertRefused("{\"id\": \"e\", \"name\": \"x\"}", "missing_field", "phone");
        assertRefused("{\"id\": \"e\", \"phone\": \"+447400999999\", \"name\": \"x\"}", "unknown_phone", "phone");
        assertRefused("{\"id\": \"e\", \"phone\": \"hello\", \"name\": \"x\"}", "invalid_phone", "phone");
        assertRefused("{\"id\": \"e\", \"phone\": \"\", \"name\": \"x\"}", "invalid_phone", "phone");
        assertRefused("{\"id\": \"e\", \"phone\": \"" + "1".repeat(65) + "\", \"name\": \"x\"}", "invalid_phone", "phone");
    }

    @Test
    void shouldRefuseABadNameNamingIt() {
        assertRefused("{\"id\": \"e\", \"phone\": \"" + A + "\"}", "missing_field", "name");
        for (String bad : new String[]{"", "Signed_Up", "cart abandoned", "a/b", "é", "a".repeat(65)}) {
            assertRefused("{\"id\": \"e\", \"phone\": \"" + A + "\", \"name\": \"" + bad + "\"}", "invalid_value", "name");
        }
        assertEquals(64, read("{\"id\": \"e\", \"phone\": \"" + A + "\", \"name\": \"" + "a".repeat(64) + "\"}").name().length());
    }

    @Test
    void shouldRefuseAnAtInTheFutureTooOldOrUnreadable() {
        assertRefused(ev(", \"at\": \"2026-12-07T09:05:01Z\""), "invalid_value", "at");
        assertEquals(NOW.plusSeconds(300).toEpochMilli(), read(ev(", \"at\": \"2026-12-07T09:05:00Z\"")).atMillis());
        assertRefused(ev(", \"at\": \"2026-11-07T08:59:59Z\""), "invalid_value", "at");
        assertRefused(ev(", \"at\": \"yesterday\""), "invalid_value", "at");
        assertRefused(ev(", \"at\": \"2026-12-07\""), "invalid_value", "at");
    }

    @Test
    void shouldRefuseBadPropertiesNamingThem() {
        assertRefused(ev(", \"properties\": [1]"), "wrong_type", "properties");
        assertRefused(ev(", \"properties\": \"x\""), "wrong_type", "properties");
        assertRefused(ev(", \"properties\": {\"a\": {\"b\": 1}}"), "invalid_value", "properties");
        assertRefused(ev(", \"properties\": {\"a\": [1]}"), "invalid_value", "properties");
        assertRefused(ev(", \"properties\": {\"a\": null}"), "invalid_value", "properties");
        assertRefused(ev(", \"properties\": {\"a\": 1e999}"), "invalid_value", "properties");
        assertRefused(ev(", \"properties\": {\"\": 1}"), "invalid_value", "properties");
        assertRefused(ev(", \"properties\": {\"" + "k".repeat(65) + "\": 1}"), "invalid_value", "properties");
        assertRefused(ev(", \"properties\": {\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5}"), "too_many_properties",
                "properties");
        assertEquals(4, read(ev(", \"properties\": {\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}")).properties().size());
        assertRefused(ev(", \"properties\": {\"a\": \"" + "x".repeat(120) + "\"}"), "properties_too_large", "properties");
        assertRefused(ev(", \"properties\": {\"a\": \"" + "é".repeat(60) + "\"}"), "properties_too_large", "properties");
        assertEquals(1, read(ev(", \"properties\": {\"a\": \"" + "x".repeat(100) + "\"}")).properties().size());
    }

    @Test
    void shouldRefuseUnknownFieldsAndBrokenJson() {
        assertRefused(ev(", \"extra\": 1"), "unknown_field", "extra");
        ApiError e = assertThrows(ApiError.class, () -> read("{\"id\": "));
        assertEquals(400, e.status());
    }
}
