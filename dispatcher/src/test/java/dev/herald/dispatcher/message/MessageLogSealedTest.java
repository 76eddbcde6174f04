package dev.herald.dispatcher.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.SealingDirectory;
import dev.herald.dispatcher.store.LogRewrite;
import dev.herald.dispatcher.store.SealedRecordsException;
import dev.herald.suppression.DataCipher;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FramedLog;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The message log with a master key: one sealed frame per group, no field value in the file, read
 * back exactly with the directory's cipher, refused without it naming the file, scrubbed of erased
 * recipients by opening and resealing; without a key the bytes are those of the plain log.
 */
class MessageLogSealedTest {

    private static final List<List<String>> NAMES = List.of(List.of("first_name", "city"), List.of("first_name"));
    private static final String NAME = "Quimby-Sealed-Zork";
    private static final String CITY = "Frobozz-Sealed-Town";

    private static MessageLog.Sent sent(int id, int variant, String text, Map<String, String> fields) {
        return new MessageLog.Sent(id, variant, 1_700_000_000_000L + id, text, fields);
    }

    private static void write(Path ledgerDir, DataCipher cipher, List<List<MessageLog.Sent>> groups) throws Exception {
        Files.createDirectories(ledgerDir);
        try (MessageLog log = MessageLog.open(ledgerDir, cipher)) {
            log.startRun("simulated", NAMES, 1L);
            for (List<MessageLog.Sent> g : groups) {
                log.append(g);
            }
        }
    }

    private static List<List<MessageLog.Sent>> groups() {
        return List.of(List.of(sent(1, 0, "Hi " + NAME + " of " + CITY, Map.of("first_name", NAME, "city", CITY)),
                        sent(2, 1, "Hi Bo", Map.of("first_name", "Bo", "city", "York")),
                        sent(3, 0, "Hi there", Map.of())),
                List.of(sent(2, 0, "Hi Bo again", Map.of("first_name", "Bo", "city", "York"))),
                List.of(sent(4, 1, "Hi Di", Map.of("first_name", "Di"))));
    }

    /** The kinds of the file's frames, in order. */
    private static String kinds(Path file) throws Exception {
        StringBuilder b = new StringBuilder();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            FramedLog.scan(file, FramedLog.map(file, ch), MessageCodec.FORMAT, (d, at, p, n) -> b.append((char) d.get(p)));
        }
        return b.toString();
    }

    private static boolean holds(byte[] haystack, String needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(new String(needle.getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1));
    }

    @Test
    void shouldSealEachGroupOnceAndReadItBackExactly(@TempDir Path dir) throws Exception {
        try (SealingDirectory d = SealingDirectory.encrypted(dir)) {
            write(dir.resolve("sealed"), d.cipher(MessageLog.PURPOSE), groups());
            write(dir.resolve("plain"), null, groups());
            Path file = dir.resolve("sealed").resolve(MessageLog.FILE);
            assertEquals("REEE", kinds(file), "the run in plain, then one sealed frame per group");
            byte[] raw = Files.readAllBytes(file);
            for (String s : List.of(NAME, CITY, "York")) {
                assertFalse(holds(raw, s), "no field value in plain: " + s);
            }
            assertTrue(holds(raw, "first_name") && holds(raw, "simulated"), "the run's names and connector stay plain");

            MessageLogReader.Read sealed = MessageLogReader.read(file, id -> true, d.cipher(MessageLog.PURPOSE));
            MessageLogReader.Read plain = MessageLogReader.read(dir.resolve("plain").resolve(MessageLog.FILE), id -> true);
            assertEquals(5, sealed.entries().size());
            assertEquals(plain.entries(), sealed.entries(), "the same messages as the plain log's");
            assertEquals(Map.of("first_name", NAME, "city", CITY), sealed.entries().get(0).fields());
            assertEquals(MessageCodec.crc32("Hi " + NAME + " of " + CITY), sealed.entries().get(0).textCrc32());
            assertEquals(List.of(2, 2), MessageLogReader.read(file, id -> id == 2, d.cipher(MessageLog.PURPOSE)).entries().stream()
                    .map(MessageLogReader.Entry::recipient).toList());
        }
    }

    @Test
    void shouldRefuseSealedFramesWithoutTheKeyOrUnderAnotherNamingTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ledger").resolve(MessageLog.FILE);
        try (SealingDirectory d = SealingDirectory.encrypted(dir.resolve("a"))) {
            write(dir.resolve("ledger"), d.cipher(MessageLog.PURPOSE), groups());
        }
        SealedRecordsException e = assertThrows(SealedRecordsException.class, () -> MessageLogReader.read(file, id -> true));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("master key"), e.getMessage());
        try (SealingDirectory other = SealingDirectory.encrypted(dir.resolve("b"))) {
            DamagedStoreException wrong = assertThrows(DamagedStoreException.class,
                    () -> MessageLogReader.read(file, id -> true, other.cipher(MessageLog.PURPOSE)));
            assertTrue(wrong.getMessage().contains(MessageLog.FILE) && wrong.getMessage().contains("does not open"),
                    wrong.getMessage());
        }
        try (SealingDirectory plain = SealingDirectory.plain(dir.resolve("c"))) {
            assertThrows(SealedRecordsException.class,
                    () -> MessageLogReader.read(file, id -> true, plain.cipher(MessageLog.PURPOSE)), "a disabled cipher opens nothing");
        }
    }

    @Test
    void shouldWriteThePlainLogsBytesWithoutAKey(@TempDir Path dir) throws Exception {
        try (SealingDirectory plain = SealingDirectory.plain(dir)) {
            write(dir.resolve("a"), null, groups());
            write(dir.resolve("b"), plain.cipher(MessageLog.PURPOSE), groups());
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(MessageLog.FILE)),
                Files.readAllBytes(dir.resolve("b").resolve(MessageLog.FILE)));
        assertEquals("RSSSSS", kinds(dir.resolve("b").resolve(MessageLog.FILE)));
    }

    @Test
    void shouldSplitAGroupPastTheSealedFrameLimitAndReadItAll(@TempDir Path dir) throws Exception {
        String big = "x".repeat(60_000);
        List<MessageLog.Sent> group = new ArrayList<>();
        for (int id = 0; id < 40; id++) {
            group.add(sent(id, 0, "t" + id, Map.of("first_name", big, "city", "c" + id)));
        }
        try (SealingDirectory d = SealingDirectory.encrypted(dir)) {
            write(dir.resolve("ledger"), d.cipher(MessageLog.PURPOSE), List.of(group));
            Path file = dir.resolve("ledger").resolve(MessageLog.FILE);
            assertEquals("REEE", kinds(file), "2.4 MB of fields: three sealed frames of at most 1 MiB");
            MessageLogReader.Read r = MessageLogReader.read(file, id -> true, d.cipher(MessageLog.PURPOSE));
            assertEquals(40, r.entries().size());
            assertEquals("c39", r.entries().get(39).fields().get("city"));
            assertEquals(big, r.entries().get(17).fields().get("first_name"));
        }
    }

    @Test
    void shouldScrubErasedRecipientsFromSealedGroupsAndResealTheRest(@TempDir Path dir) throws Exception {
        try (SealingDirectory d = SealingDirectory.encrypted(dir)) {
            DataCipher c = d.cipher(MessageLog.PURPOSE);
            write(dir.resolve("ledger"), c, groups());
            Path file = dir.resolve("ledger").resolve(MessageLog.FILE);
            byte[] before = Files.readAllBytes(file);

            SealedRecordsException noKey = assertThrows(SealedRecordsException.class, () -> MessageLog.scrub(file, id -> id == 2));
            assertTrue(noKey.getMessage().contains(file.toString()), noKey.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file), "left as it was");

            LogRewrite.Result r = MessageLog.scrub(file, id -> id == 2, c);
            assertTrue(r.rewritten());
            assertEquals(1, r.dropped(), "the group of recipient 2 alone");
            assertEquals(1, r.changed(), "the group of 1, 2 and 3 sealed anew without 2");
            assertEquals("REE", kinds(file));
            MessageLogReader.Read after = MessageLogReader.read(file, id -> true, c);
            assertEquals(List.of(1, 3, 4), after.entries().stream().map(MessageLogReader.Entry::recipient).toList());
            assertEquals(Map.of("first_name", NAME, "city", CITY), after.entries().get(0).fields());
            assertFalse(holds(Files.readAllBytes(file), NAME));
            byte[] lastFrame = java.util.Arrays.copyOfRange(before, before.length - 60, before.length);
            byte[] now = Files.readAllBytes(file);
            assertArrayEquals(lastFrame, java.util.Arrays.copyOfRange(now, now.length - 60, now.length),
                    "a group with none of theirs stays byte for byte");

            assertFalse(MessageLog.scrub(file, id -> id == 2, c).rewritten(), "idempotent: nothing of theirs is left");
            try (MessageLog reopened = MessageLog.open(file.getParent(), c)) { // still a valid log for its writer
                reopened.startRun("simulated", NAMES, 2L);
                reopened.append(List.of(sent(5, 1, "Hi Ed", Map.of("first_name", "Ed"))));
            }
            assertEquals(4, MessageLogReader.read(file, id -> true, c).entries().size());
        }
    }
}
