package dev.herald.dispatcher.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.render.Footer;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.dispatcher.render.Template;
import dev.herald.suppression.RecipientFields;
import dev.herald.suppression.store.DamagedStoreException;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The message log: records read back as written, a torn tail dropped, damage refused, texts rebuilt or refused. */
class MessageLogTest {

    private static final List<List<String>> NAMES = List.of(List.of("first_name", "city"), List.of("first_name"));

    private static MessageLog.Sent sent(int id, int variant, String text, Map<String, String> fields) {
        return new MessageLog.Sent(id, variant, 1_700_000_000_000L + id, text, fields);
    }

    @Test
    void shouldReadBackEachRecipientsMessagesWithOnlyTheirVariantsFields(@TempDir Path dir) throws Exception {
        try (MessageLog log = MessageLog.open(dir)) {
            log.startRun("simulated", NAMES, 1L);
            log.append(List.of(sent(1, 0, "Hi Ana from Leeds", Map.of("first_name", "Ana", "city", "Leeds")),
                    sent(2, 1, "Hi Bo", Map.of("first_name", "Bo", "city", "York")),
                    sent(3, 0, "Hi there", Map.of())));
        }
        MessageLogReader.Read all = MessageLogReader.read(dir.resolve(MessageLog.FILE), id -> true);
        assertEquals(3, all.entries().size());
        assertEquals(0, all.tornBytes());
        MessageLogReader.Entry one = all.entries().get(0);
        assertEquals(Map.of("first_name", "Ana", "city", "Leeds"), one.fields());
        assertEquals(MessageCodec.crc32("Hi Ana from Leeds"), one.textCrc32());
        assertEquals(1_700_000_000_001L, one.handedAtMillis());
        assertEquals("simulated", one.connector());
        assertEquals(Map.of("first_name", "Bo"), all.entries().get(1).fields(), "variant 1's template names no city");
        assertEquals(Map.of(), all.entries().get(2).fields(), "no value: the placeholder's fallback");
        assertEquals(List.of(2), MessageLogReader.read(dir.resolve(MessageLog.FILE), id -> id == 2).entries().stream()
                .map(MessageLogReader.Entry::recipient).toList());
    }

    @Test
    void shouldDropATornTailAfterACrashAndReadTheRest(@TempDir Path dir) throws Exception {
        MessageLog log = MessageLog.open(dir);
        log.startRun("simulated", NAMES, 1L);
        List<MessageLog.Sent> batch = new ArrayList<>();
        for (int id = 0; id < 100; id++) {
            batch.add(sent(id, 0, "Hi " + id, Map.of("first_name", "n" + id)));
        }
        log.append(batch);
        log.force();
        Path file = dir.resolve(MessageLog.FILE);
        long whole = Files.size(file);
        // a crash in the middle of the next group's write: half of its first frame reached the disk
        log.append(List.of(sent(500, 0, "Hi 500", Map.of("first_name", "n500", "city", "Hull"))));
        long after = Files.size(file);
        log.close(); // as the OS closes a killed process's files
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(whole + (after - whole) / 2);
        }

        MessageLogReader.Read read = MessageLogReader.read(file, id -> true);
        assertEquals(100, read.entries().size(), "every whole record is read");
        assertTrue(read.tornBytes() > 0, "the torn frame is seen, not read");
        assertTrue(read.entries().stream().noneMatch(e -> e.recipient() == 500));

        try (MessageLog reopened = MessageLog.open(dir)) { // the writer drops the tail (copied aside) and goes on
            assertEquals(whole, Files.size(file));
            reopened.startRun("simulated", NAMES, 2L);
            reopened.append(List.of(sent(501, 1, "Hi 501", Map.of("first_name", "n501"))));
        }
        MessageLogReader.Read again = MessageLogReader.read(file, id -> true);
        assertEquals(101, again.entries().size());
        assertEquals(0, again.tornBytes());
        try (var files = Files.list(dir)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith(MessageLog.FILE + ".torn-")),
                    "the dropped bytes are kept beside the log");
        }
    }

    @Test
    void shouldRefuseADamagedRecordNamingTheFile(@TempDir Path dir) throws Exception {
        try (MessageLog log = MessageLog.open(dir)) {
            log.startRun("simulated", NAMES, 1L);
            log.append(List.of(sent(1, 0, "Hi Ana", Map.of("first_name", "Ana")), sent(2, 0, "Hi Bo", Map.of("first_name", "Bo"))));
        }
        Path file = dir.resolve(MessageLog.FILE);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x40; // a bit flipped inside the last whole record
        Files.write(file, bytes);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> MessageLogReader.read(file, id -> true));
        assertTrue(e.getMessage().contains(MessageLog.FILE), e.getMessage());
        assertThrows(DamagedStoreException.class, () -> MessageLog.open(dir), "the writer refuses it too, never cuts it");
        assertEquals(bytes.length, Files.size(file), "nothing was cut");
    }

    @Test
    void shouldRebuildTheTextOnlyWhenItsChecksumMatches() {
        Renderer renderer = new Renderer(Template.parse("Hi {{first_name|there}}, see https://ex.com/a", true),
                Footer.of("Reply STOP to opt out")).withTrackedLinks((id, link) -> "https://go.ex/" + id + "/" + link);
        String sentText = renderer.render(new RecipientFields(7, "+447400123456", Map.of("first_name", "Ana")), Map.of()).text();
        MessageLogReader.Entry e = new MessageLogReader.Entry(7, 0, 1L, MessageCodec.crc32(sentText), "simulated",
                Map.of("first_name", "Ana"));
        SentMessages.Rebuilt r = SentMessages.rebuild(List.of(renderer), e, "+447400123456");
        assertEquals(sentText, r.text());
        assertEquals("Hi Ana, see https://go.ex/7/0\nReply STOP to opt out", r.text());
        assertNull(r.why());

        Renderer otherKey = new Renderer(Template.parse("Hi {{first_name|there}}, see https://ex.com/a", true),
                Footer.of("Reply STOP to opt out")).withTrackedLinks((id, link) -> "https://go.ex/x" + id + "/" + link);
        SentMessages.Rebuilt wrong = SentMessages.rebuild(List.of(otherKey), e, "+447400123456");
        assertNull(wrong.text(), "a text that differs from what was sent is never answered");
        assertTrue(wrong.why().contains("could not be rebuilt exactly"), wrong.why());
    }
}
