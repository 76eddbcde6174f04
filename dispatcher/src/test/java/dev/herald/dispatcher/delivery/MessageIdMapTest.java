package dev.herald.dispatcher.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.delivery.MessageIdMap.Target;

/** {@link MessageIdMap}: entries, their encoding, durability across close and unclean shutdown, the sweep. */
class MessageIdMapTest {

    private static final long CAPACITY = 10_000;

    @TempDir
    Path dir;

    @Test
    void putGetRemove() throws Exception {
        try (MessageIdMap ids = MessageIdMap.open(dir.resolve("receipts"), CAPACITY)) {
            assertEquals(Optional.empty(), ids.get("acme", "41459"));
            Target t = new Target(3, 7, 1, 2, 1_700_000_040L);
            ids.put("acme", "41459", t);
            assertEquals(Optional.of(t), ids.get("acme", "41459"));
            assertEquals(1, ids.size());
            Target t2 = new Target(3, 8, 2, 2, 1_700_000_100L);
            ids.put("acme", "41459", t2);
            assertEquals(Optional.of(t2), ids.get("acme", "41459"), "a put replaces");
            assertEquals(1, ids.size());
            ids.remove("acme", "41459");
            assertEquals(Optional.empty(), ids.get("acme", "41459"));
            assertEquals(0, ids.size());
            ids.remove("acme", "never-there"); // no error
            assertTrue(ids.fileBytes() > 0);
            assertTrue(Files.exists(dir.resolve("receipts").resolve(MessageIdMap.FILE)));
        }
    }

    @Test
    void targetsRoundTripWithTheAcceptedTimeKeptToTheSecond() {
        for (Target t : new Target[] {
                new Target(1, 0, 1, 1, 0),
                new Target(3, 7, 1, 2, 1_700_000_040L),
                new Target(16_777_215, Integer.MAX_VALUE, 255, 255, 1_700_000_000L),
                new Target(Integer.MAX_VALUE, 123_456, 17, 200, 4_000_000_000L)}) {
            byte[] b = t.encode();
            assertEquals(16, b.length);
            Target back = Target.decode(b);
            assertEquals(t.campaign(), back.campaign());
            assertEquals(t.recipient(), back.recipient());
            assertEquals(t.part(), back.part());
            assertEquals(t.parts(), back.parts());
            assertEquals(t.acceptedAtEpochSeconds(), back.acceptedAtEpochSeconds(), t.toString());
            assertEquals(t.reported(), back.reported());
        }
        Target t = Target.decode(new Target(2, 5, 1, 1, 1_700_000_059L, true).encode());
        assertEquals(1_700_000_059L, t.acceptedAtEpochSeconds(), "the second within the minute is kept");
        assertTrue(t.reported());
        // an entry written before seconds were kept (flags 0 or 1): the start of its minute
        byte[] old = java.nio.ByteBuffer.allocate(16).putInt(2).putInt(5).put((byte) 1).put((byte) 1).putShort((short) 1)
                .putInt(28_333_333).array();
        Target o = Target.decode(old);
        assertEquals(28_333_333L * 60, o.acceptedAtEpochSeconds());
        assertTrue(o.reported());
    }

    @Test
    void targetRangesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new Target(0, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Target(1, -1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Target(1, 1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Target(1, 1, 2, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Target(1, 1, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Target(1, 1, 1, 256, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Target(1, 1, 256, 256, 0));
        assertTrue(e.getMessage().contains("256"), e.getMessage());
        new Target(1, 0, 255, 255, 0); // the limits themselves are fine
    }

    @Test
    void keysOfDifferentConnectorsDoNotCollide() throws Exception {
        try (MessageIdMap ids = MessageIdMap.open(dir, CAPACITY)) {
            Target a = new Target(1, 10, 1, 1, 60);
            Target b = new Target(2, 20, 1, 1, 120);
            ids.put("acme", "42", a);
            ids.put("beta", "42", b);
            assertEquals(Optional.of(a), ids.get("acme", "42"));
            assertEquals(Optional.of(b), ids.get("beta", "42"));
            assertEquals(Optional.empty(), ids.get("gamma", "42"));
            ids.remove("acme", "42");
            assertEquals(Optional.empty(), ids.get("acme", "42"));
            assertEquals(Optional.of(b), ids.get("beta", "42"), "the other connector's id stays");
        }
    }

    @Test
    void entriesSurviveCloseAndReopen() throws Exception {
        Path d = dir.resolve("receipts");
        try (MessageIdMap ids = MessageIdMap.open(d, CAPACITY)) {
            for (int i = 0; i < 1_000; i++) {
                ids.put("acme", "id-" + i, new Target(1 + i % 3, i, 1, 1, 60L * i));
            }
            ids.remove("acme", "id-5");
        }
        assertFalse(Files.exists(d.resolve("message-ids.open")), "a clean close leaves no marker");
        try (MessageIdMap ids = MessageIdMap.open(d, CAPACITY)) {
            assertEquals(999, ids.size());
            assertEquals(Optional.empty(), ids.get("acme", "id-5"));
            for (int i = 0; i < 1_000; i++) {
                if (i != 5) {
                    assertEquals(Optional.of(new Target(1 + i % 3, i, 1, 1, 60L * i)), ids.get("acme", "id-" + i));
                }
            }
            ids.put("acme", "after", new Target(1, 1, 1, 1, 0));
            assertEquals(1_000, ids.size());
        }
    }

    @Test
    void aMapNotClosedIsRecoveredWithItsEntries() throws Exception {
        Path d = dir.resolve("receipts");
        Path copy = dir.resolve("copy");
        try (MessageIdMap ids = MessageIdMap.open(d, CAPACITY)) {
            for (int i = 0; i < 500; i++) {
                ids.put("acme", "k" + i, new Target(2, i, 1, 1, 600L));
            }
            assertTrue(Files.exists(d.resolve("message-ids.open")), "the marker is there while it is open");
            Files.createDirectories(copy);
            try (var s = Files.list(d)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Files.copy(p, copy.resolve(p.getFileName()));
                }
            }
        }
        assertTrue(Files.exists(copy.resolve("message-ids.open")), "the copy looks like a killed process's");
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(MessageIdMap.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen =
                new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        log.addAppender(seen);
        try (MessageIdMap ids = MessageIdMap.open(copy, CAPACITY)) {
            log.detachAppender(seen);
            assertTrue(seen.list.stream().anyMatch(e -> e.getFormattedMessage().contains("not closed cleanly")
                    && e.getFormattedMessage().contains(copy.resolve(MessageIdMap.FILE).toString())),
                    "the unclean shutdown is seen and recovered, naming the file: " + seen.list);
            assertEquals(500, ids.size());
            for (int i = 0; i < 500; i++) {
                assertEquals(Optional.of(new Target(2, i, 1, 1, 600L)), ids.get("acme", "k" + i));
            }
            ids.put("acme", "new", new Target(2, 1, 1, 1, 0));
            ids.remove("acme", "k0");
        }
        assertFalse(Files.exists(copy.resolve("message-ids.open")));
        seen.list.clear();
        log.addAppender(seen);
        try (MessageIdMap ids = MessageIdMap.open(copy, CAPACITY)) {
            log.detachAppender(seen);
            assertTrue(seen.list.isEmpty(), "a cleanly closed map is not recovered: " + seen.list);
            assertEquals(500, ids.size());
            assertTrue(ids.get("acme", "new").isPresent());
        }
    }

    @Test
    void sweepRemovesOnlyEntriesOlderThanTheCutoff() throws Exception {
        try (MessageIdMap ids = MessageIdMap.open(dir, CAPACITY)) {
            long minute = 28_000_000L * 60; // some minute
            for (int i = 0; i < 100; i++) {
                ids.put("acme", "old" + i, new Target(1, i, 1, 1, minute - 60L * (1 + i)));
                ids.put("acme", "new" + i, new Target(1, i, 1, 1, minute + 60L * i));
            }
            ids.put("beta", "edge", new Target(1, 1, 1, 1, minute + 59)); // kept to the minute: exactly the cutoff
            assertEquals(100, ids.sweep(minute, minute));
            assertEquals(101, ids.size());
            for (int i = 0; i < 100; i++) {
                assertFalse(ids.get("acme", "old" + i).isPresent(), "old" + i);
                assertTrue(ids.get("acme", "new" + i).isPresent(), "new" + i);
            }
            assertTrue(ids.get("beta", "edge").isPresent(), "not older than the cutoff");
            assertEquals(0, ids.sweep(minute, minute), "nothing more to sweep");
            // reported entries go by their own cutoff, from when they were reported
            ids.reported("acme", "new0", minute + 3_600);
            assertTrue(ids.get("acme", "new0").orElseThrow().reported());
            assertEquals(0, ids.sweep(minute, minute + 3_600), "reported at the cutoff: kept");
            assertEquals(1, ids.sweep(minute, minute + 3_660));
            assertFalse(ids.get("acme", "new0").isPresent());
            ids.reported("acme", "absent", minute);
            assertFalse(ids.get("acme", "absent").isPresent(), "marking an unknown id adds nothing");
            assertEquals(100, ids.sweep(Long.MAX_VALUE, Long.MAX_VALUE));
            assertEquals(0, ids.size());
        }
    }
}
