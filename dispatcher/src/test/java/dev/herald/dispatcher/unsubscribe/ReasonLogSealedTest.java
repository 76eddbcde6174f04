package dev.herald.dispatcher.unsubscribe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.SealingDirectory;
import dev.herald.dispatcher.report.UnsubscribeReasons;
import dev.herald.dispatcher.store.SealedRecordsException;
import dev.herald.suppression.DataCipher;
import dev.herald.suppression.store.DamagedStoreException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * reasons.jsonl with a master key: the number and the free text sealed ({@code enc:}), everything
 * the counts need plain; read back exactly with the key, refused without it naming the file; the
 * erasure's scrub needs no key; without a key the lines are those of the plain log.
 */
class ReasonLogSealedTest {

    private static final Instant T = Instant.parse("2026-11-23T01:02:03Z");
    private static final String TEXT = "Plugh-Sealed-Reason \"quoted\" ünïcode";
    private static final String PHONE = "+447700900002";

    private static void three(Path dir, DataCipher cipher) throws Exception {
        try (ReasonLog log = ReasonLog.open(dir, cipher)) {
            log.append(T, 1, "+447700900001", "c1", "acme", Reason.TOO_FREQUENT, null);
            log.append(T, 2, PHONE, "c1", "acme", Reason.OTHER, TEXT);
            log.append(T, 3, "+447700900003", null, "acme", Reason.OTHER, "enc:not sealed, typed by a person");
        }
    }

    @Test
    void shouldSealTheNumberAndTheTextAndKeepTheCountsReadable(@TempDir Path dir) throws Exception {
        try (SealingDirectory d = SealingDirectory.encrypted(dir)) {
            DataCipher c = d.cipher(ReasonLog.PURPOSE);
            three(dir.resolve("u"), c);
            Path f = dir.resolve("u/reasons.jsonl");
            String raw = Files.readString(f);
            assertFalse(raw.contains("Plugh") || raw.contains("+4477009000") || raw.contains("typed by a person"), raw);
            JsonNode second = new ObjectMapper().readTree(Files.readAllLines(f).get(1));
            assertTrue(second.path("phone").asText().startsWith(ReasonLog.SEALED_PREFIX), second.toString());
            assertTrue(second.path("text").asText().startsWith(ReasonLog.SEALED_PREFIX), second.toString());
            assertEquals("other", second.path("reason").asText());
            assertTrue(new ObjectMapper().readTree(Files.readAllLines(f).get(0)).path("text").isNull(), "no text stays null");
            assertTrue(ReasonLog.verify(f).ok());

            List<ReasonLogReader.Entry> read = ReasonLogReader.read(f, c);
            assertEquals(new ReasonLogReader.Entry(T, 2, PHONE, "c1", "acme", "other", TEXT), read.get(1));
            assertNull(read.get(0).text());
            assertEquals("enc:not sealed, typed by a person", read.get(2).text(), "a person's text is theirs, as typed");
            UnsubscribeReasons counts = UnsubscribeReasons.read(f, "c1"::equals);
            assertEquals("other", counts.reasonOf(2, "c1").orElseThrow(), "the counts need no key");
            assertEquals(0, counts.damaged());

            SealedRecordsException e = assertThrows(SealedRecordsException.class, () -> ReasonLogReader.read(f, null));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("master key"), e.getMessage());
            try (SealingDirectory other = SealingDirectory.encrypted(dir.resolve("other"))) {
                assertThrows(DamagedStoreException.class, () -> ReasonLogReader.read(f, other.cipher(ReasonLog.PURPOSE)));
            }
        }
    }

    @Test
    void shouldScrubAnErasedRecipientsSealedValuesWithoutTheKey(@TempDir Path dir) throws Exception {
        try (SealingDirectory d = SealingDirectory.encrypted(dir)) {
            DataCipher c = d.cipher(ReasonLog.PURPOSE);
            three(dir.resolve("u"), c);
            Path f = dir.resolve("u/reasons.jsonl");
            assertEquals(1, ReasonLog.scrub(f, id -> id == 2).changed());
            List<ReasonLogReader.Entry> read = ReasonLogReader.read(f, c);
            assertEquals(new ReasonLogReader.Entry(T, 2, null, "c1", "acme", "other", null), read.get(1));
            assertEquals("+447700900001", read.get(0).phone(), "the others' stay sealed and open");
            assertEquals("other", UnsubscribeReasons.read(f, "c1"::equals).reasonOf(2, "c1").orElseThrow(), "counts unchanged");

            try (ReasonLog log = ReasonLog.open(dir.resolve("u"), c)) { // the eraser's path: erase on the open log
                log.erase(3);
                log.append(T, 4, "+447700900004", "c1", "acme", Reason.NOT_RELEVANT, "later");
            }
            read = ReasonLogReader.read(f, c);
            assertNull(read.get(2).phone());
            assertNull(read.get(2).text());
            assertEquals("later", read.get(3).text());
        }
    }

    @Test
    void shouldWriteThePlainLinesWithoutAKey(@TempDir Path dir) throws Exception {
        try (SealingDirectory plain = SealingDirectory.plain(dir)) {
            three(dir.resolve("a"), null);
            three(dir.resolve("b"), plain.cipher(ReasonLog.PURPOSE));
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/reasons.jsonl")), Files.readAllBytes(dir.resolve("b/reasons.jsonl")));
        assertTrue(Files.readString(dir.resolve("a/reasons.jsonl")).contains("\"phone\":\"" + PHONE + "\""));
        assertEquals(TEXT, ReasonLogReader.read(dir.resolve("a/reasons.jsonl"), null).get(1).text());
    }
}
