package dev.herald.dispatcher.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.SealingDirectory;
import dev.herald.dispatcher.message.MessageLog;
import dev.herald.dispatcher.message.MessageLogReader;
import dev.herald.dispatcher.unsubscribe.Reason;
import dev.herald.dispatcher.unsubscribe.ReasonLog;
import dev.herald.dispatcher.unsubscribe.ReasonLogReader;
import dev.herald.suppression.DataCipher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The compaction's scrub of a data directory with a master key: the message log's sealed groups
 * are opened, the erased recipient's messages dropped and the rest sealed anew; the reasons' sealed
 * number and text are replaced without the key; without the message log's cipher the log is named
 * as a problem and left as it is while the rest is scrubbed.
 */
class PersonalDataScrubSealedTest {

    private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");
    private static final int ERASED = 2;

    private static void fill(Path data, SealingDirectory d) throws Exception {
        Path ledger = data.resolve("campaigns/c1/outcomes");
        Files.createDirectories(ledger);
        try (MessageLog log = MessageLog.open(ledger, d.cipher(MessageLog.PURPOSE))) {
            log.startRun("simulated", List.of(List.of("first_name")), 1L);
            log.append(List.of(sent(1), sent(2), sent(3)));
            log.append(List.of(sent(2)));
            log.append(List.of(sent(4)));
        }
        try (ReasonLog reasons = ReasonLog.open(data.resolve("unsubscribe"), d.cipher(ReasonLog.PURPOSE))) {
            for (int id = 1; id <= 3; id++) {
                reasons.append(AT, id, "+4477009001" + id, "c1", "acme", Reason.OTHER, "words of " + id);
            }
        }
    }

    private static MessageLog.Sent sent(int id) {
        return new MessageLog.Sent(id, 0, 1_700_000_000_000L + id, "Hi Name" + id, Map.of("first_name", "Name" + id));
    }

    @Test
    void shouldOpenDropAndResealTheMessageLogsGroupsAndReplaceTheReasonsSealedValues(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        try (SealingDirectory d = SealingDirectory.encrypted(dir)) {
            fill(data, d);
            DataCipher messages = d.cipher(MessageLog.PURPOSE);
            Path log = data.resolve("campaigns/c1/outcomes/" + MessageLog.FILE);
            byte[] before = Files.readAllBytes(log);

            PersonalDataScrub.Report without = PersonalDataScrub.run(data, MutableRoaringBitmap.bitmapOf(ERASED));
            assertEquals(1, without.problems().size(), without.toString());
            assertTrue(without.problems().get(0).contains(MessageLog.FILE) && without.problems().get(0).contains("master key"),
                    without.problems().get(0));
            assertArrayEquals(before, Files.readAllBytes(log), "the log without its cipher is left as it is");
            assertEquals(1, without.written(), "the reasons need no key: " + without);

            PersonalDataScrub.Report r = PersonalDataScrub.run(data, MutableRoaringBitmap.bitmapOf(ERASED), messages);
            assertEquals(List.of(), r.problems());
            assertEquals(1, r.written(), r.toString());
            assertEquals(1, r.dropped(), "the group of recipient 2 alone");
            assertEquals(1, r.changed(), "the group of 1, 2 and 3, sealed anew");
            MessageLogReader.Read read = MessageLogReader.read(log, id -> true, messages);
            assertEquals(List.of(1, 3, 4), read.entries().stream().map(MessageLogReader.Entry::recipient).toList());
            assertEquals(Map.of("first_name", "Name3"), read.entries().get(1).fields());

            List<ReasonLogReader.Entry> reasons = ReasonLogReader.read(data.resolve("unsubscribe/reasons.jsonl"), d.cipher(ReasonLog.PURPOSE));
            assertEquals(new ReasonLogReader.Entry(AT, ERASED, null, "c1", "acme", "other", null), reasons.get(1));
            assertEquals("words of 3", reasons.get(2).text());
            assertEquals("+44770090013", reasons.get(2).phone());

            assertEquals(0, PersonalDataScrub.run(data, MutableRoaringBitmap.bitmapOf(ERASED), messages).written(),
                    "a second run writes nothing");
        }
    }
}
