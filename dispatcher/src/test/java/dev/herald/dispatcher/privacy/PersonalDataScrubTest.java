package dev.herald.dispatcher.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.inbound.IntentPhrases;
import dev.herald.dispatcher.inbound.ReviewQueue;
import dev.herald.dispatcher.journey.Event;
import dev.herald.dispatcher.journey.Events;
import dev.herald.dispatcher.links.ClickLedger;
import dev.herald.dispatcher.links.ClickRules.ClickClass;
import dev.herald.dispatcher.message.MessageLog;
import dev.herald.dispatcher.message.MessageLogReader;
import dev.herald.dispatcher.store.LogRewrite;
import dev.herald.dispatcher.unsubscribe.Frequency;
import dev.herald.dispatcher.unsubscribe.Preferences;
import dev.herald.dispatcher.unsubscribe.Reason;
import dev.herald.dispatcher.unsubscribe.ReasonLog;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compaction's scrub on real stores: after an erasure recorded before a restart, the erased
 * recipient's messages, clicks, preference lines, reasons' number and text, held words and event
 * properties are gone from every byte, everyone else's records read back as before; the rewrite
 * is atomic (a leftover aside file is removed, a torn tail kept for the store's own open), a
 * damaged file is named and left alone while the rest is scrubbed, and a second run writes nothing.
 */
class PersonalDataScrubTest {

    private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");
    private static final int ERASED = 2;
    private static final String SECRET_NAME = "Zebedee-Quux";

    /** Writes a data directory where recipients 1, 2 and 3 have records in every scrubbed store. */
    private static void fill(Path data) throws Exception {
        Path ledger = data.resolve("campaigns/c1/outcomes");
        Files.createDirectories(ledger);
        try (MessageLog log = MessageLog.open(ledger)) {
            log.startRun("simulated", List.of(List.of("first_name")), 1L);
            for (int id = 1; id <= 3; id++) {
                String name = id == ERASED ? SECRET_NAME : "Name" + id;
                log.append(List.of(new MessageLog.Sent(id, 0, 1_700_000_000_000L + id, "Hi " + name, Map.of("first_name", name))));
            }
        }
        try (ClickLedger clicks = ClickLedger.open(data.resolve("campaigns/c1/" + ClickLedger.FILE))) {
            for (int id = 1; id <= 3; id++) {
                clicks.append(new ClickLedger.Click(id, 0, ClickClass.HUMAN, AT.toEpochMilli(), false, 1000, "abc" + id,
                        id == ERASED ? "Agent-" + SECRET_NAME : "Agent-" + id));
            }
            clicks.sync();
        }
        try (ReasonLog reasons = ReasonLog.open(data.resolve("unsubscribe"))) {
            for (int id = 1; id <= 3; id++) {
                reasons.append(AT, id, "+4477009001" + id, "c1", "acme", Reason.OTHER, id == ERASED ? SECRET_NAME + " says no" : null);
            }
        }
        try (Preferences prefs = Preferences.open(data.resolve("unsubscribe"))) {
            for (int id = 1; id <= 3; id++) {
                prefs.set(id, Frequency.WEEKLY);
            }
        }
        try (ReviewQueue q = ReviewQueue.open(data.resolve("inbound"))) {
            for (int id = 1; id <= 3; id++) {
                q.hold(AT, "+4477009001" + id, id, "60600", "acme", "sms", id == ERASED ? "stop it " + SECRET_NAME : "stop it",
                        new IntentPhrases.Match("en", "stop it"), "sender:acme");
            }
        }
        try (Events events = Events.open(data.resolve(Events.DIR))) {
            for (int id = 1; id <= 3; id++) {
                events.record(List.of(new Event("e" + id, id, "cart", AT.toEpochMilli(), AT.toEpochMilli(),
                        Map.of("note", id == ERASED ? SECRET_NAME : "n" + id))));
            }
        }
    }

    @Test
    void shouldScrubEveryStoreOfAnErasureRecordedBeforeARestart(@TempDir Path data) throws Exception {
        fill(data);
        Path events = data.resolve(Events.DIR).resolve(Events.FILE);
        long eventsSize = Files.size(events);
        long thirdEvent;
        try (Events e = Events.open(data.resolve(Events.DIR))) {
            long[] offsets = new long[3];
            int[] i = {0};
            e.scan(0, (offset, ev) -> offsets[i[0]++] = offset);
            thirdEvent = offsets[2];
        }
        try (Erasures e = Erasures.open(data)) {
            e.record(ERASED, 99L, AT, "cli");
        }
        assertFalse(filesHolding(data, SECRET_NAME).isEmpty(), "the fixture holds the name");

        PersonalDataScrub.Report r;
        try (Erasures e = Erasures.open(data)) { // after a restart
            r = PersonalDataScrub.run(data, e.erasedIds());
        }
        assertEquals(List.of(), r.problems());
        assertEquals(6, r.written(), r.toString());
        assertEquals(List.of(), filesHolding(data, SECRET_NAME), "no byte holds the name");
        assertEquals(List.of(), filesHolding(data, "+44770090012"), "no byte holds the number");

        // everyone else's records are as they were, and the stores open
        MessageLogReader.Read messages = MessageLogReader.read(data.resolve("campaigns/c1/outcomes/" + MessageLog.FILE), id -> true);
        assertEquals(List.of(1, 3), messages.entries().stream().map(MessageLogReader.Entry::recipient).toList());
        assertEquals(Map.of("first_name", "Name3"), messages.entries().get(1).fields());
        MessageLog.open(data.resolve("campaigns/c1/outcomes")).close();
        try (ClickLedger clicks = ClickLedger.open(data.resolve("campaigns/c1/" + ClickLedger.FILE))) {
            assertEquals(2, clicks.unique(ClickClass.HUMAN).getCardinality(), "the erased person's click no longer counts");
            assertFalse(clicks.unique(ClickClass.HUMAN).contains(ERASED));
        }
        try (Preferences prefs = Preferences.open(data.resolve("unsubscribe"))) {
            assertEquals(Frequency.AS_SENT, prefs.frequency(ERASED));
            assertEquals(Frequency.WEEKLY, prefs.frequency(3));
        }
        ReasonLog.open(data.resolve("unsubscribe")).close();
        List<String> reasons = Files.readAllLines(data.resolve("unsubscribe/reasons.jsonl"));
        assertEquals(3, reasons.size(), "the reason still counts");
        assertTrue(reasons.get(1).contains("\"recipientId\":2,\"phone\":null") && reasons.get(1).contains("\"reason\":\"other\"")
                && reasons.get(1).contains("\"text\":null"), reasons.get(1));
        try (ReviewQueue q = ReviewQueue.open(data.resolve("inbound"))) {
            List<ReviewQueue.Item> items = q.list(null);
            assertEquals(3, items.size());
            assertEquals(null, items.get(1).phone());
            assertEquals(null, items.get(1).text());
            assertEquals("+44770090013", items.get(2).phone());
            assertEquals(4, q.hold(AT, "+1", 9, "1", "acme", "sms", "x", new IntentPhrases.Match("en", "x"), "global").id(),
                    "ids are not reused");
        }
        assertEquals(eventsSize, Files.size(events), "events keep their offsets");
        try (Events e = Events.open(data.resolve(Events.DIR))) {
            assertEquals(Map.of("note", "n3"), e.at(thirdEvent).properties());
            assertEquals("cart", e.find("e2").orElseThrow().name());
            assertTrue(e.find("e2").orElseThrow().properties() == null || e.find("e2").orElseThrow().properties().isEmpty());
        }

        PersonalDataScrub.Report again = PersonalDataScrub.run(data, Erasures.open(data).erasedIds());
        assertEquals(0, again.written(), "nothing left to do: " + again);
    }

    @Test
    void shouldRemoveAnInterruptedRewriteAndKeepATornTailForTheStoresOpen(@TempDir Path data) throws Exception {
        fill(data);
        Path log = data.resolve("campaigns/c1/outcomes/" + MessageLog.FILE);
        // a crash during an earlier scrub: the aside file was never renamed
        Path aside = log.resolveSibling(MessageLog.FILE + LogRewrite.TMP_SUFFIX);
        Files.write(aside, "half a rewrite".getBytes(StandardCharsets.UTF_8));
        // and a crash during an append: a torn last frame
        byte[] torn = {0, 0, 0, 40, 1, 2, 3};
        Files.write(log, torn, StandardOpenOption.APPEND);
        PersonalDataScrub.Report r = PersonalDataScrub.run(data, bitmap(ERASED));
        assertEquals(1, r.leftover());
        assertFalse(Files.exists(aside));
        byte[] after = Files.readAllBytes(log);
        assertArrayEquals(torn, java.util.Arrays.copyOfRange(after, after.length - torn.length, after.length),
                "the torn tail is kept for the store's open to drop and report");
        MessageLog.open(log.getParent()).close(); // drops it, as after any crash
        assertEquals(List.of(1, 3), MessageLogReader.read(log, id -> true).entries().stream()
                .map(MessageLogReader.Entry::recipient).toList());
    }

    @Test
    void shouldNameADamagedFileLeaveItAsItIsAndScrubTheRest(@TempDir Path data) throws Exception {
        fill(data);
        Path clicks = data.resolve("campaigns/c1/" + ClickLedger.FILE);
        byte[] b = Files.readAllBytes(clicks);
        b[2] ^= 1; // the first line's checksum fails
        Files.write(clicks, b);
        PersonalDataScrub.Report r = PersonalDataScrub.run(data, bitmap(ERASED));
        assertEquals(1, r.problems().size(), r.toString());
        assertTrue(r.problems().get(0).startsWith(Path.of("campaigns/c1/clicks.log") + ": not scrubbed"), r.problems().get(0));
        assertArrayEquals(b, Files.readAllBytes(clicks), "the damaged file is left as it is");
        assertEquals(List.of(clicks.toString()), filesHolding(data, SECRET_NAME), "everything else is scrubbed");
    }

    private static org.roaringbitmap.buffer.ImmutableRoaringBitmap bitmap(int... ids) {
        return org.roaringbitmap.buffer.MutableRoaringBitmap.bitmapOf(ids);
    }

    private static List<String> filesHolding(Path data, String s) throws Exception {
        byte[] needle = s.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(data)) {
            return files.filter(Files::isRegularFile).filter(f -> {
                try {
                    String all = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    return all.contains(new String(needle, StandardCharsets.ISO_8859_1));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(Path::toString).toList();
        }
    }
}
