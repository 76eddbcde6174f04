package dev.herald.dispatcher.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.store.DamagedStoreException;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The events log: once per id (also across a reopen and hash collisions), torn tail dropped, damage refused, read back in order. */
class EventsTest {
    private static final long AT = 1_800_000_000_000L;

    @TempDir
    Path dir;

    static Event event(String id, int recipient, String name, Map<String, Object> properties) {
        return new Event(id, recipient, name, AT, AT + 1, properties);
    }

    @Test
    void shouldRecordEachIdOnceAndAnswerARetryWithTheStoredEvent() throws IOException {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("cartId", "c-9");
        props.put("value", new BigDecimal("19.90"));
        props.put("gift", true);
        try (Events events = Events.open(dir)) {
            List<Events.Outcome> o = events.record(List.of(event("e-1", 7, "cart_abandoned", props),
                    event("e-2", 8, "signed_up", Map.of()), event("e-1", 9, "other", Map.of())));
            assertFalse(o.get(0).duplicate());
            assertFalse(o.get(1).duplicate());
            assertTrue(o.get(2).duplicate(), "the same id later in the batch");
            assertEquals("cart_abandoned", o.get(2).event().name(), "a duplicate answers the event stored first");
            assertEquals(2, events.size());
            Events.Outcome again = events.record(List.of(event("e-2", 1, "x", Map.of()))).get(0);
            assertTrue(again.duplicate());
            assertEquals(8, again.event().recipient());
            Event stored = events.find("e-1").orElseThrow();
            assertEquals(props, stored.properties(), "properties read back with their types");
            assertEquals(List.of("cartId", "value", "gift"), new ArrayList<>(stored.properties().keySet()), "in order");
        }
        assertEquals(2, Files.readAllLines(dir.resolve(Events.FILE)).size());
    }

    @Test
    void shouldDedupeAcrossAReopenAsTheIndexGrows() throws IOException {
        try (Events events = Events.open(dir)) {
            for (int b = 0; b < 20; b++) {
                List<Event> batch = new ArrayList<>();
                for (int i = 0; i < 5_000; i++) {
                    batch.add(event("e-" + (b * 5_000 + i), i, "signed_up", Map.of()));
                }
                events.record(batch);
            }
        }
        try (Events events = Events.open(dir)) {
            assertEquals(100_000, events.size());
            List<Event> retry = new ArrayList<>();
            for (int i = 0; i < 100_000; i += 7) {
                retry.add(event("e-" + i, 0, "other", Map.of()));
            }
            retry.add(event("e-new", 0, "other", Map.of()));
            List<Events.Outcome> o = events.record(retry);
            assertEquals(retry.size() - 1, o.stream().filter(Events.Outcome::duplicate).count());
            assertEquals(100_001, events.size());
        }
        try (Events events = Events.open(dir)) {
            assertEquals(100_001, events.size());
            assertEquals("other", events.find("e-new").orElseThrow().name());
        }
    }

    @Test
    void shouldTellIdsWhoseHashesCollideApart() throws IOException {
        try (Events events = Events.open(dir, id -> 42L)) {
            events.record(List.of(event("a", 1, "x", Map.of()), event("b", 2, "y", Map.of())));
            assertTrue(events.record(List.of(event("b", 3, "z", Map.of()))).get(0).duplicate());
        }
        try (Events events = Events.open(dir, id -> 42L)) {
            assertEquals(2, events.size());
            assertEquals("y", events.find("b").orElseThrow().name());
            assertFalse(events.record(List.of(event("c", 3, "z", Map.of()))).get(0).duplicate());
        }
    }

    @Test
    void shouldScanEventsInOrderFromAnOffset() throws IOException {
        try (Events events = Events.open(dir)) {
            assertEquals(0, events.scan(0, (o, e) -> {
                throw new AssertionError("empty");
            }));
            events.record(List.of(event("e-1", 1, "a", Map.of()), event("e-2", 2, "b", Map.of())));
            List<Long> offsets = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            long next = events.scan(0, (o, e) -> {
                offsets.add(o);
                ids.add(e.id());
            });
            assertEquals(List.of("e-1", "e-2"), ids);
            assertEquals(events.end(), next);
            events.record(List.of(event("e-3", 3, "c", Map.of("k", "v"))));
            List<String> later = new ArrayList<>();
            assertEquals(events.end(), events.scan(next, (o, e) -> later.add(e.id())));
            assertEquals(List.of("e-3"), later);
            List<String> fromSecond = new ArrayList<>();
            events.scan(offsets.get(1), (o, e) -> fromSecond.add(e.id()));
            assertEquals(List.of("e-2", "e-3"), fromSecond);
            assertThrows(IllegalArgumentException.class, () -> events.scan(offsets.get(1) - 3, (o, e) -> { }));
            assertThrows(IllegalArgumentException.class, () -> events.scan(events.end() + 1, (o, e) -> { }));
        }
    }

    @Test
    void shouldDropATornLastRecordAndRefuseADamagedOne() throws IOException {
        try (Events events = Events.open(dir)) {
            events.record(List.of(event("e-1", 1, "signed_up", Map.of())));
        }
        Path file = dir.resolve(Events.FILE);
        Files.write(file, "{\"id\":\"e-2\",\"recip".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        try (Events events = Events.open(dir)) {
            assertEquals(1, events.size(), "the torn record is dropped");
            assertFalse(events.record(List.of(event("e-2", 2, "signed_up", Map.of()))).get(0).duplicate());
        }
        try (Events events = Events.open(dir)) {
            assertEquals(2, events.size());
        }
        assertFalse(Events.verify(dir).isDamaged());
        Files.writeString(file, Files.readString(file).replace("\"e-1\"", "\"e-X\""));
        assertTrue(Events.verify(dir).isDamaged(), "herald data check names it too");
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> Events.open(dir));
        assertTrue(e.getMessage().contains(Events.FILE), e.getMessage());
    }

    @Test
    void shouldRefuseAnEventOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> event("", 1, "a", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> event("x".repeat(129), 1, "a", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> event("a\nb", 1, "a", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> event("e", -1, "a", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> event("e", 1, "Signed_Up", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> event("e", 1, "a".repeat(65), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> event("e", 1, "a", Map.of("k", List.of())));
        assertEquals(new BigDecimal("3"), event("e", 1, "a", Map.of("n", 3)).properties().get("n"));
    }

    @Test
    void shouldReadItsSettingsFromTheReferenceConfiguration() {
        EventSettings s = EventSettings.fromConfig(com.typesafe.config.ConfigFactory.load());
        assertEquals(EventSettings.DEFAULTS, s);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("herald.journeys.events.max-properties = 1000")
                        .withFallback(com.typesafe.config.ConfigFactory.load())));
        assertTrue(e.getMessage().contains("herald.journeys.events.max-properties"), e.getMessage());
    }
}
