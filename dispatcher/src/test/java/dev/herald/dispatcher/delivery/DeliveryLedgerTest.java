package dev.herald.dispatcher.delivery;

import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.ACCEPTED;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.DELIVERED;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.ENROUTE;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.EXPIRED;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.REJECTED;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.UNDELIVERABLE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.links.DelayHistogram;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.TornTails;
import dev.herald.suppression.store.VerifyResult;

/** {@link DeliveryLedger}: the rules of its Javadoc, its file, and the store rule on damage. */
class DeliveryLedgerTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(DeliveryLedger.FILE);
    }

    private long fileLines() throws IOException {
        return Files.readAllLines(file()).size();
    }

    @Test
    void aSinglePartMessageIsDeliveredByItsReceipt() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertNull(d.resultOf(7));
            assertTrue(d.record(7, 1, 1, DELIVERED, "", "41459"));
            assertEquals("delivered", d.resultOf(7));
            assertEquals(Map.of("delivered", 1L), d.counts());
            assertTrue(d.delivered().contains(7));
            assertEquals(1, d.lines());
            assertEquals(Map.of(1, "41459"), d.messageIds(7));
        }
        List<String> lines = Files.readAllLines(file());
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).matches("7 1/1 DELIVERED - 41459 \\d+ -\t.*"), "its arrival, no acceptance time: " + lines.get(0));
    }

    @Test
    void aMultiPartMessageIsDeliveredOnlyOnceEveryPartIsInAnyOrderAndDuplicatePartsAreIgnored() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertTrue(d.record(9, 3, 3, DELIVERED, "", "c"));
            assertNull(d.resultOf(9), "1 of 3 parts");
            assertFalse(d.record(9, 3, 3, DELIVERED, "", "c"), "a duplicate of part 3 changes nothing");
            assertTrue(d.record(9, 1, 3, DELIVERED, "", "a"));
            assertNull(d.resultOf(9), "2 of 3 parts");
            assertFalse(d.record(9, 1, 3, DELIVERED, "", "a-again"));
            assertEquals(Map.of(), d.counts(), "nobody is delivered yet");
            assertFalse(d.delivered().contains(9));
            assertEquals(2, fileLines());
            assertTrue(d.record(9, 2, 3, DELIVERED, "", "b"));
            assertEquals("delivered", d.resultOf(9));
            assertEquals(Map.of("delivered", 1L), d.counts());
            assertFalse(d.record(9, 2, 3, DELIVERED, "", "b"), "delivered already");
            assertEquals(3, fileLines());
            assertEquals(Map.of(1, "a", 2, "b", 3, "c"), d.messageIds(9));
            assertEquals(List.of(1, 2, 3), new ArrayList<>(d.messageIds(9).keySet()), "in part order");
        }
    }

    @Test
    void failedStatesNameTheirReasonAndErrorCode() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertTrue(d.record(1, 1, 1, UNDELIVERABLE, "001", "m1"));
            assertTrue(d.record(2, 1, 1, UNDELIVERABLE, "000", "m2"));
            assertTrue(d.record(3, 1, 1, UNDELIVERABLE, "", "m3"));
            assertTrue(d.record(4, 1, 1, EXPIRED, "", "m4"));
            assertTrue(d.record(5, 1, 1, EXPIRED, "0a1", "m5"));
            assertTrue(d.record(6, 1, 1, REJECTED, "0A1", "m6"));
            assertEquals("undelivered:undeliverable-err-001", d.resultOf(1));
            assertEquals("undelivered:undeliverable", d.resultOf(2));
            assertEquals("undelivered:undeliverable", d.resultOf(3));
            assertEquals("expired", d.resultOf(4));
            assertEquals("expired", d.resultOf(5), "EXPIRED is expired whatever its error");
            assertEquals("undelivered:rejected-err-0a1", d.resultOf(6));
            assertEquals(Map.of("undelivered:undeliverable-err-001", 1L, "undelivered:undeliverable", 2L, "expired", 2L,
                    "undelivered:rejected-err-0a1", 1L), d.counts());
        }
    }

    @Test
    void aFailedPartEndsTheRecipientWhateverItsOtherPartsDo() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertTrue(d.record(5, 1, 3, DELIVERED, "", "a"));
            assertTrue(d.record(5, 2, 3, UNDELIVERABLE, "001", "b"));
            assertEquals("undelivered:undeliverable-err-001", d.resultOf(5));
            assertFalse(d.record(5, 3, 3, DELIVERED, "", "c"), "the last part delivered changes nothing");
            assertFalse(d.record(5, 2, 3, DELIVERED, "", "b"));
            assertEquals("undelivered:undeliverable-err-001", d.resultOf(5));
            assertEquals(Map.of("undelivered:undeliverable-err-001", 1L), d.counts());
            assertFalse(d.delivered().contains(5));
            // a failure before any part was delivered
            assertTrue(d.record(6, 2, 2, EXPIRED, "", "x"));
            assertFalse(d.record(6, 1, 2, DELIVERED, "", "y"));
            assertEquals("expired", d.resultOf(6));
            assertEquals(3, fileLines());
        }
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertEquals("undelivered:undeliverable-err-001", d.resultOf(5));
            assertEquals("expired", d.resultOf(6));
        }
    }

    @Test
    void theFirstFinalResultStandsAndLaterReceiptsWriteNothing() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertTrue(d.record(3, 1, 1, DELIVERED, "", "m"));
            long before = fileLines();
            assertFalse(d.record(3, 1, 1, UNDELIVERABLE, "001", "m"));
            assertFalse(d.record(3, 1, 1, EXPIRED, "", "m"));
            assertFalse(d.record(3, 1, 1, DELIVERED, "", "m"));
            assertEquals(before, fileLines());
            assertEquals(1, d.lines());
            assertEquals("delivered", d.resultOf(3));

            assertTrue(d.record(4, 1, 1, EXPIRED, "", "n"));
            assertFalse(d.record(4, 1, 1, DELIVERED, "", "n"));
            assertFalse(d.record(4, 1, 1, UNDELIVERABLE, "002", "n"));
            assertEquals("expired", d.resultOf(4));
            assertEquals(2, fileLines());
            assertEquals(Map.of("delivered", 1L, "expired", 1L), d.counts());
        }
    }

    @Test
    void intermediateStatesAreNotRecorded() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertFalse(d.record(8, 1, 1, ENROUTE, "", "m"));
            assertFalse(d.record(8, 1, 1, ACCEPTED, "", "m"));
            assertNull(d.resultOf(8));
            assertEquals(Map.of(), d.counts());
            assertEquals(0, d.lines());
            assertEquals(0, Files.size(file()));
            assertEquals(Map.of(), d.messageIds(8));
            assertTrue(d.record(8, 1, 1, DELIVERED, "", "m"));
            assertEquals(1, fileLines());
        }
    }

    @Test
    void messageIdsAreKeptPerRecipientAndTextFieldsBecomeOneToken() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            d.record(1, 1, 2, DELIVERED, "", "id-1a");
            d.record(12, 1, 1, DELIVERED, "", "id-12");
            d.record(1, 2, 2, DELIVERED, "", "id 1b\twith\nspace");
            d.record(2, 1, 1, UNDELIVERABLE, "bad code", "x");
            assertEquals(Map.of(1, "id-1a", 2, "id_1b_with_space"), d.messageIds(1), "recipient 1, not 12");
            assertEquals(Map.of(1, "id-12"), d.messageIds(12));
            assertEquals(Map.of(), d.messageIds(3));
            assertEquals("undelivered:undeliverable-err-bad_code", d.resultOf(2));
        }
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertEquals("delivered", d.resultOf(1));
            assertEquals(Map.of(1, "id-1a", 2, "id_1b_with_space"), d.messageIds(1));
        }
    }

    @Test
    void reopeningReplaysToTheSameState() throws Exception {
        Map<String, Long> counts;
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            for (int r = 0; r < 300; r++) {
                switch (r % 5) {
                    case 0 -> d.record(r, 1, 1, DELIVERED, "", "s" + r);
                    case 1 -> {
                        d.record(r, 2, 2, DELIVERED, "", "a" + r);
                        d.record(r, 1, 2, DELIVERED, "", "b" + r);
                    }
                    case 2 -> d.record(r, 1, 2, DELIVERED, "", "p" + r); // stays partial
                    case 3 -> d.record(r, 1, 1, UNDELIVERABLE, r % 2 == 0 ? "001" : "", "u" + r);
                    default -> d.record(r, 1, 1, EXPIRED, "", "e" + r);
                }
            }
            counts = d.counts();
            assertEquals(120L, counts.get("delivered"));
        }
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertEquals(counts, d.counts());
            assertEquals(fileLines(), d.lines());
            for (int r = 0; r < 300; r++) {
                String expected = switch (r % 5) {
                    case 0, 1 -> "delivered";
                    case 2 -> null;
                    case 3 -> r % 2 == 0 ? "undelivered:undeliverable-err-001" : "undelivered:undeliverable";
                    default -> "expired";
                };
                assertEquals(expected, d.resultOf(r), "recipient " + r);
            }
            // the partial part survives the replay: the other part completes it, a duplicate does not
            assertFalse(d.record(2, 1, 2, DELIVERED, "", "p2"));
            assertNull(d.resultOf(2));
            assertTrue(d.record(2, 2, 2, DELIVERED, "", "q2"));
            assertEquals("delivered", d.resultOf(2));
        }
    }

    @Test
    void aTornLastLineIsDroppedAndReportedAndTheRestKept() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            d.record(1, 1, 1, DELIVERED, "", "a");
            d.record(2, 1, 1, EXPIRED, "", "b");
        }
        long end = Files.size(file());
        Files.write(file(), "3 1/1 DELIV".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        VerifyResult v = DeliveryLedger.verify(file());
        assertEquals(11, v.tornBytes());
        assertEquals(end, v.tornAt());
        List<String> dropped = new ArrayList<>();
        TornTails.Listener l = (f, at, bytes) -> {
            if (f.equals(file())) {
                dropped.add(at + "+" + bytes);
            }
        };
        TornTails.addListener(l);
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertEquals(List.of(end + "+11"), dropped, "the torn line is reported with offset and bytes");
            assertEquals(end, Files.size(file()), "the torn line is cut");
            assertEquals("delivered", d.resultOf(1));
            assertEquals("expired", d.resultOf(2));
            assertNull(d.resultOf(3));
            assertEquals(2, d.lines());
            assertTrue(d.record(3, 1, 1, DELIVERED, "", "c"));
        } finally {
            TornTails.removeListener(l);
        }
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertEquals("delivered", d.resultOf(3));
            assertEquals(3, fileLines());
        }
    }

    @Test
    void aWholeLineWithABadChecksumIsRefusedNamingTheFileAndLeftAsItIs() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            d.record(1, 1, 1, DELIVERED, "", "a");
            d.record(2, 1, 1, DELIVERED, "", "b");
        }
        byte[] b = Files.readAllBytes(file());
        int second = indexOf(b, (byte) '\n') + 1;
        b[second] = '4'; // recipient 2 becomes 4: the checksum no longer matches
        Files.write(file(), b);
        IOException e = assertThrows(IOException.class, () -> DeliveryLedger.open(file()));
        assertTrue(e.getMessage().contains(file().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(String.valueOf(second)), "names the offset: " + e.getMessage());
        assertArrayEquals(b, Files.readAllBytes(file()), "nothing is changed");
        assertTrue(DeliveryLedger.verify(file()).isDamaged());
        assertArrayEquals(b, Files.readAllBytes(file()));
    }

    @Test
    void aChecksumValidLineWithGarbageIsRefusedNamingTheFileAndOffset() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            d.record(1, 1, 1, DELIVERED, "", "a");
        }
        long at = Files.size(file());
        for (String garbage : List.of("hello world", "1 1/1 NOSUCHSTATE - a", "1 2/1 DELIVERED - a", "-1 1/1 DELIVERED - a",
                "x 1/1 DELIVERED - a", "1 1-1 DELIVERED - a", "1 1/256 DELIVERED - a")) {
            Path f = dir.resolve("g" + Math.abs(garbage.hashCode()) + ".log");
            Files.copy(file(), f);
            ByteBuffer frame = ByteBuffer.allocate(2048);
            FrameFormat.putLine(frame, garbage.getBytes(StandardCharsets.UTF_8));
            Files.write(f, java.util.Arrays.copyOf(frame.array(), frame.position()), StandardOpenOption.APPEND);
            byte[] before = Files.readAllBytes(f);
            assertTrue(DeliveryLedger.verify(f).ok(), "the frame itself is whole: " + garbage);
            IOException e = assertThrows(IOException.class, () -> DeliveryLedger.open(f), garbage);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("offset " + at), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(f), "nothing is changed: " + garbage);
        }
    }

    @Test
    void numbersOutOfRangeAreRefusedAndNothingIsWritten() throws Exception {
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertThrows(IllegalArgumentException.class, () -> d.record(1, 0, 1, DELIVERED, "", "m"));
            assertThrows(IllegalArgumentException.class, () -> d.record(1, 2, 1, DELIVERED, "", "m"));
            assertThrows(IllegalArgumentException.class, () -> d.record(1, 1, 0, DELIVERED, "", "m"));
            assertThrows(IllegalArgumentException.class, () -> d.record(1, 1, 256, DELIVERED, "", "m"));
            assertThrows(IllegalArgumentException.class, () -> d.record(-1, 1, 1, DELIVERED, "", "m"));
            assertThrows(IllegalArgumentException.class, () -> d.record(1, 0, 1, ENROUTE, "", "m"), "even if intermediate");
            assertEquals(0, Files.size(file()));
            assertTrue(d.record(1, 255, 255, DELIVERED, "", "m"), "255 parts is the limit, not out of range");
            assertNull(d.resultOf(1));
        }
    }

    @Test
    void linesKeepTheReceiptsTimeAndTheAcceptanceTime() throws Exception {
        long at = 1_796_600_000_123L;
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertTrue(d.record(7, 1, 1, DELIVERED, "", "m7", at, 1_796_599_990L));
            assertTrue(d.record(8, 1, 1, UNDELIVERABLE, "001", "m8", at + 5, -1));
        }
        List<String> lines = Files.readAllLines(file());
        assertTrue(lines.get(0).startsWith("7 1/1 DELIVERED - m7 1796600000123 1796599990\t"), lines.get(0));
        assertTrue(lines.get(1).startsWith("8 1/1 UNDELIVERABLE 001 m8 1796600000128 -\t"), lines.get(1));
    }

    @Test
    void theSendToDeliveryHistogramCountsRecipientsThatBecameDeliveredWithAKnownAcceptanceTime() throws Exception {
        long t0 = 1_796_600_000L; // accepted, epoch seconds
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            d.record(1, 1, 1, DELIVERED, "", "a", (t0 + 4) * 1000 + 999, t0);      // 4 s (not rounded up)
            d.record(2, 1, 2, DELIVERED, "", "b1", (t0 + 3) * 1000, t0);            // part 1 of 2: not yet
            assertEquals(1, d.sendToDelivery().count());
            d.record(2, 2, 2, DELIVERED, "", "b2", (t0 + 3_600) * 1000, t0 + 100); // completes it: 3,500 s, from its part
            d.record(3, 1, 1, DELIVERED, "", "c", (t0 + 9) * 1000, -1);             // acceptance not known: not counted
            d.record(4, 1, 1, UNDELIVERABLE, "001", "d", (t0 + 9) * 1000, t0);     // not delivered: not counted
            d.record(1, 1, 1, DELIVERED, "", "a", (t0 + 99) * 1000, t0);            // a repeat: not counted again
            d.record(5, 1, 1, DELIVERED, "", "e", (t0 - 2) * 1000, t0);             // clocks apart: counts as 0
            DelayHistogram h = d.sendToDelivery();
            assertEquals(3, h.count());
            assertEquals(0, h.percentile(0.0));
            assertEquals(4, h.percentile(0.5));
            long p100 = h.percentile(1.0);
            assertTrue(p100 <= 3_500 && p100 >= 3_500 * 15 / 16, "within a bucket of 3,500 s: " + p100);
            h.add(1);
            assertEquals(3, d.sendToDelivery().count(), "a copy: the ledger's own is not changed");
        }
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            DelayHistogram h = d.sendToDelivery();
            assertEquals(3, h.count(), "rebuilt by the replay");
            assertEquals(4, h.percentile(0.5));
            assertEquals(Map.of("<10s", 2L, "10s-1m", 0L, "1m-5m", 0L, "5m-30m", 0L, "30m-1h", 1L, "1h-6h", 0L,
                    "6h-24h", 0L, "1d-3d", 0L, ">=3d", 0L), h.buckets());
        }
    }

    @Test
    void linesWrittenBeforeTimesWereKeptAreStillReadAndNotTimed() throws Exception {
        ByteBuffer frames = ByteBuffer.allocate(4096);
        for (String old : List.of("1 1/1 DELIVERED - a", "2 1/2 DELIVERED - b1", "3 1/1 UNDELIVERABLE 001 c")) {
            FrameFormat.putLine(frames, old.getBytes(StandardCharsets.UTF_8));
        }
        Files.write(file(), java.util.Arrays.copyOf(frames.array(), frames.position()));
        assertTrue(DeliveryLedger.verify(file()).ok());
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertEquals(3, d.lines());
            assertEquals("delivered", d.resultOf(1));
            assertNull(d.resultOf(2), "1 of 2 parts");
            assertEquals("undelivered:undeliverable-err-001", d.resultOf(3));
            assertEquals(0, d.sendToDelivery().count(), "no times in old lines");
            assertEquals(Map.of(1, "b1"), d.messageIds(2));
            // a new line completes an old one's recipient, with its own times
            assertTrue(d.record(2, 2, 2, DELIVERED, "", "b2", 10_000_000L, 9_990L));
            assertEquals(1, d.sendToDelivery().count());
        }
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertEquals(4, d.lines(), "old and new lines in one file");
            assertEquals("delivered", d.resultOf(2));
            assertEquals(10, d.sendToDelivery().percentile(1.0));
            assertEquals(Map.of(1, "b1", 2, "b2"), d.messageIds(2));
        }
    }

    @Test
    void aLineWithBadTimesIsRefusedNamingTheFile() throws Exception {
        for (String garbage : List.of("1 1/1 DELIVERED - a 5", "1 1/1 DELIVERED - a -5 -", "1 1/1 DELIVERED - a x -",
                "1 1/1 DELIVERED - a 5 -3", "1 1/1 DELIVERED - a 5 y", "1 1/1 DELIVERED - a 5 - z")) {
            Path f = dir.resolve("t" + Math.abs(garbage.hashCode()) + ".log");
            ByteBuffer frame = ByteBuffer.allocate(2048);
            FrameFormat.putLine(frame, garbage.getBytes(StandardCharsets.UTF_8));
            Files.write(f, java.util.Arrays.copyOf(frame.array(), frame.position()));
            IOException e = assertThrows(IOException.class, () -> DeliveryLedger.open(f), garbage);
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("offset 0"), e.getMessage());
        }
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            assertThrows(IllegalArgumentException.class, () -> d.record(1, 1, 1, DELIVERED, "", "m", -1, 5));
            assertEquals(0, Files.size(file()));
        }
    }

    @Test
    void verifyIsReadOnly() throws Exception {
        Path absent = dir.resolve("absent.log");
        assertThrows(IOException.class, () -> DeliveryLedger.verify(absent));
        assertFalse(Files.exists(absent), "verify creates nothing");
        try (DeliveryLedger d = DeliveryLedger.open(file())) {
            d.record(1, 1, 1, DELIVERED, "", "a");
            d.record(2, 1, 1, DELIVERED, "", "b");
        }
        Files.write(file(), "3 1/".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        byte[] before = Files.readAllBytes(file());
        VerifyResult v = DeliveryLedger.verify(file());
        assertEquals(2, v.frames());
        assertEquals(4, v.tornBytes());
        assertArrayEquals(before, Files.readAllBytes(file()), "verify does not cut the torn tail");
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "and keeps no copy of it");
        }
    }

    private static int indexOf(byte[] b, byte x) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
