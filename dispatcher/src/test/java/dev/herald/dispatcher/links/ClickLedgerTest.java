package dev.herald.dispatcher.links;

import static dev.herald.dispatcher.links.ClickRules.ClickClass.BOT;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.HUMAN;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.PREVIEW;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.SUSPICIOUS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.links.ClickLedger.Click;
import dev.herald.dispatcher.links.ClickRules.ClickClass;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.TornTails;
import dev.herald.suppression.store.VerifyResult;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** {@link ClickLedger}: counts, replay, its file and the store rule on damage. */
class ClickLedgerTest {

    static final String UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Safari/604.1";
    static final String HASH = "9f2c4e1a7b3d5f60";

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(ClickLedger.FILE);
    }

    static Click click(int recipient, int link, ClickClass c, long sinceDeliveryMs) {
        return new Click(recipient, link, c, 1_765_000_000_000L + recipient, c == BOT, sinceDeliveryMs, HASH, UA);
    }

    /** Recipients 1 and 5 human (1 twice on link 0, once on link 2), 2 a preview, 3 a bot, 4 suspicious, 5 not delivered. */
    static List<Click> sample() {
        return List.of(click(1, 0, HUMAN, 10_000), click(1, 0, HUMAN, 50_000), click(2, 1, PREVIEW, 2_000),
                click(3, 0, BOT, 70_000), click(4, 0, SUSPICIOUS, 900), click(5, 2, HUMAN, -1), click(1, 2, HUMAN, 400_000),
                click(2, 1, PREVIEW, 2_500), click(6, 2, HUMAN, 3_600_000));
    }

    static Map<ClickClass, Long> counts(long human, long preview, long bot, long suspicious) {
        Map<ClickClass, Long> m = new EnumMap<>(ClickClass.class);
        m.put(HUMAN, human);
        m.put(PREVIEW, preview);
        m.put(BOT, bot);
        m.put(SUSPICIOUS, suspicious);
        return m;
    }

    static void assertSample(ClickLedger l) {
        ClickLedger.Summary s = l.summary();
        assertEquals(counts(3, 1, 1, 1), s.unique());
        assertEquals(counts(5, 2, 1, 1), s.totals());
        assertEquals(3, s.links().size(), "links 0..2: " + s.links());
        assertEquals(new ClickLedger.LinkStats(1, counts(2, 0, 1, 1)), s.links().get(0));
        assertEquals(new ClickLedger.LinkStats(0, counts(0, 2, 0, 0)), s.links().get(1));
        assertEquals(new ClickLedger.LinkStats(3, counts(3, 0, 0, 0)), s.links().get(2));
        assertEquals(MutableRoaringBitmap.bitmapOf(1, 5, 6), s.humans());
        // one delay per recipient's first human click whose delivery is known: 1 (10 s) and 6 (1 h)
        assertEquals(2, s.deliveryToClick().count());
        assertEquals(10, s.deliveryToClick().percentile(0.5));
        long top = s.deliveryToClick().percentile(1);
        assertTrue(top <= 3_600 && top >= 3_600 * 15 / 16, "1 h, within 6.25 %: " + top);
        assertEquals(1L, s.deliveryToClick().buckets().get("10s-1m"));
        assertEquals(1L, s.deliveryToClick().buckets().get("1h-6h"));
        assertEquals(MutableRoaringBitmap.bitmapOf(1, 5, 6), l.unique(HUMAN));
        assertEquals(MutableRoaringBitmap.bitmapOf(2), l.unique(PREVIEW));
        assertEquals(MutableRoaringBitmap.bitmapOf(1), l.humanOn(0));
        assertEquals(MutableRoaringBitmap.bitmapOf(1, 5, 6), l.humanOn(2));
        assertEquals(MutableRoaringBitmap.bitmapOf(), l.humanOn(15));
        assertEquals(5, l.total(HUMAN));
        assertEquals(2, l.total(1, PREVIEW));
        assertEquals(0, l.total(15, HUMAN));
        assertEquals(9, l.lines());
    }

    @Test
    void appendSyncAndReopenGiveTheSameSummary() throws Exception {
        try (ClickLedger l = ClickLedger.open(file())) {
            assertEquals(0, l.lines());
            assertEquals(List.of(), l.summary().links());
            for (Click c : sample()) {
                l.append(c);
            }
            l.sync();
            assertSample(l);
        }
        try (ClickLedger l = ClickLedger.open(file())) {
            assertSample(l);
            l.append(click(7, 15, HUMAN, 20_000));
            l.sync();
            assertEquals(16, l.summary().links().size());
        }
        try (ClickLedger l = ClickLedger.open(file())) {
            assertEquals(10, l.lines());
            assertEquals(4, l.summary().unique().get(HUMAN));
            assertEquals(3, l.deliveryToClick().count());
        }
        List<String> lines = Files.readAllLines(file());
        assertEquals(10, lines.size());
        assertTrue(lines.get(0).startsWith("1 0 human 1765000000001 0 10000 " + HASH + " " + UA + "\t"), lines.get(0));
        assertTrue(lines.get(3).startsWith("3 0 bot 1765000000003 1 70000 " + HASH + " "), lines.get(3));
    }

    @Test
    void theCopiesItHandsOutDoNotChangeTheLedger() throws Exception {
        try (ClickLedger l = ClickLedger.open(file())) {
            l.append(click(1, 0, HUMAN, 10_000));
            ((MutableRoaringBitmap) l.unique(HUMAN)).add(99);
            ((MutableRoaringBitmap) l.humanOn(0)).add(99);
            l.deliveryToClick().add(5);
            assertEquals(MutableRoaringBitmap.bitmapOf(1), l.unique(HUMAN));
            assertEquals(MutableRoaringBitmap.bitmapOf(1), l.humanOn(0));
            assertEquals(1, l.deliveryToClick().count());
        }
    }

    @Test
    void aDamagedMiddleLineRefusesTheFileNamingItAndChangesNothing() throws Exception {
        try (ClickLedger l = ClickLedger.open(file())) {
            for (Click c : sample()) {
                l.append(c);
            }
            l.sync();
        }
        byte[] b = Files.readAllBytes(file());
        int second = indexOf(b, (byte) '\n', 0) + 1;
        b[second] = '7'; // recipient 1 becomes 7: the checksum no longer matches
        Files.write(file(), b);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> ClickLedger.open(file()));
        assertTrue(e.getMessage().contains(file().toString()), e.getMessage());
        assertEquals(second, e.offset());
        assertArrayEquals(b, Files.readAllBytes(file()), "nothing is changed");
        assertTrue(ClickLedger.verify(file()).isDamaged());
        assertArrayEquals(b, Files.readAllBytes(file()));
        // the file is not held open by the refused ledger: it can be opened again once repaired
        b[second] = '1';
        Files.write(file(), b);
        try (ClickLedger l = ClickLedger.open(file())) {
            assertSample(l);
        }
    }

    @Test
    void aChecksumValidLineThatIsNoClickRefusesTheFileNamingItsOffset() throws Exception {
        try (ClickLedger l = ClickLedger.open(file())) {
            l.append(click(1, 0, HUMAN, 10_000));
            l.sync();
        }
        long at = Files.size(file());
        for (String garbage : List.of("hello world", "1 0 nosuchclass 5 0 -1 - ua", "1 16 human 5 0 -1 - ua",
                "-1 0 human 5 0 -1 - ua", "1 0 human 5 2 -1 - ua", "1 0 human", "1 0 human x 0 -1 - ua",
                "1 0 human 5 0 -1  ua", "99999999999 0 human 5 0 -1 - ua")) {
            Path f = dir.resolve("g" + Math.abs(garbage.hashCode()) + ".log");
            Files.copy(file(), f);
            ByteBuffer frame = ByteBuffer.allocate(2048);
            FrameFormat.putLine(frame, garbage.getBytes(StandardCharsets.UTF_8));
            Files.write(f, Arrays.copyOf(frame.array(), frame.position()), StandardOpenOption.APPEND);
            byte[] before = Files.readAllBytes(f);
            assertFalse(ClickLedger.verify(f).ok(), "the frame is whole, but herald data check reads its fields too: " + garbage);
            DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> ClickLedger.open(f), garbage);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            assertEquals(at, e.offset(), garbage);
            assertArrayEquals(before, Files.readAllBytes(f), "nothing is changed: " + garbage);
        }
    }

    @Test
    void aTornLastLineIsDroppedAndReportedAndTheRestKept() throws Exception {
        try (ClickLedger l = ClickLedger.open(file())) {
            l.append(click(1, 0, HUMAN, 10_000));
            l.append(click(2, 1, PREVIEW, 100));
            l.sync();
        }
        long end = Files.size(file());
        Files.write(file(), "3 0 hum".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        VerifyResult v = ClickLedger.verify(file());
        assertEquals(7, v.tornBytes());
        assertEquals(end, v.tornAt());
        assertEquals(2, ClickLedger.clicksOf(file(), 1).size() + ClickLedger.clicksOf(file(), 2).size(),
                "a view reads the whole lines of a file with a torn tail");
        List<String> dropped = new ArrayList<>();
        TornTails.Listener listener = (f, at, bytes) -> {
            if (f.equals(file())) {
                dropped.add(at + "+" + bytes);
            }
        };
        TornTails.addListener(listener);
        try (ClickLedger l = ClickLedger.open(file())) {
            assertEquals(List.of(end + "+7"), dropped, "the torn line is reported with offset and bytes");
            assertEquals(end, Files.size(file()), "the torn line is cut");
            assertEquals(2, l.lines());
            assertEquals(MutableRoaringBitmap.bitmapOf(1), l.unique(HUMAN));
            assertFalse(l.unique(HUMAN).contains(3));
            l.append(click(3, 0, HUMAN, 20_000));
            l.sync();
        } finally {
            TornTails.removeListener(listener);
        }
        try (ClickLedger l = ClickLedger.open(file())) {
            assertEquals(3, l.lines());
            assertEquals(MutableRoaringBitmap.bitmapOf(1, 3), l.unique(HUMAN));
        }
    }

    @Test
    void userAgentsAreCleanedOfControlCharactersAndCut() throws Exception {
        String injected = "Mozilla/5.0\r\nX-Forged: 1\tand\u0000nul\u0085nel\u007fdel";
        String emoji = "Agent \uD83D\uDE00 smile";
        String cjk = "\u9000".repeat(400);
        String spaced = "   padded agent   ";
        try (ClickLedger l = ClickLedger.open(file())) {
            assertEquals("Mozilla/5.0??X-Forged: 1?and?nul?nel?del", click(1, injected).userAgent());
            assertEquals("Agent ?? smile", click(2, emoji).userAgent());
            assertEquals(ClickLedger.MAX_AGENT, click(3, "x".repeat(10_000)).userAgent().length());
            assertEquals("\u9000".repeat(ClickLedger.MAX_AGENT), click(4, cjk).userAgent());
            assertEquals("", click(5, null).userAgent());
            assertEquals("padded agent", click(6, spaced).userAgent());
            assertEquals("?", click(7, "  \n ").userAgent(), "the line feed replaced, then the spaces around it stripped");
            for (int r = 1; r <= 7; r++) {
                String ua = switch (r) {
                    case 1 -> injected;
                    case 2 -> emoji;
                    case 3 -> "x".repeat(10_000);
                    case 4 -> cjk;
                    case 5 -> null;
                    case 6 -> spaced;
                    default -> "  \n ";
                };
                // the longest line there is: the largest numbers, 256 three-byte characters
                l.append(new Click(Integer.MAX_VALUE - r, 15, SUSPICIOUS, Long.MIN_VALUE, true, Long.MIN_VALUE, "f".repeat(
                        ClickLedger.MAX_HASH), ua));
                l.append(click(r, ua));
            }
            l.sync();
        }
        assertEquals(14, Files.readAllLines(file()).size(), "one line per click: no line feed got through");
        try (ClickLedger l = ClickLedger.open(file())) {
            assertEquals(14, l.lines());
        }
        assertEquals("Mozilla/5.0??X-Forged: 1?and?nul?nel?del", ClickLedger.clicksOf(file(), 1).get(0).userAgent());
        assertEquals("\u9000".repeat(ClickLedger.MAX_AGENT), ClickLedger.clicksOf(file(), 4).get(0).userAgent());
        assertEquals("", ClickLedger.clicksOf(file(), 5).get(0).userAgent());
        assertEquals("?", ClickLedger.clicksOf(file(), 7).get(0).userAgent());
    }

    static Click click(int recipient, String ua) {
        return new Click(recipient, 0, HUMAN, 1L, false, -1, "-", ua);
    }

    @Test
    void clicksOutOfRangeAreRefusedAndNothingIsWritten() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new Click(-1, 0, HUMAN, 1, false, -1, "-", UA));
        assertThrows(IllegalArgumentException.class, () -> new Click(1, -1, HUMAN, 1, false, -1, "-", UA));
        assertThrows(IllegalArgumentException.class, () -> new Click(1, 16, HUMAN, 1, false, -1, "-", UA));
        assertThrows(IllegalArgumentException.class, () -> new Click(1, 0, null, 1, false, -1, "-", UA));
        for (String hash : Arrays.asList(null, "", "a b", "a\tb", "a\nb", "\u00e9", "f".repeat(ClickLedger.MAX_HASH + 1))) {
            assertThrows(IllegalArgumentException.class, () -> new Click(1, 0, HUMAN, 1, false, -1, hash, UA), String.valueOf(hash));
        }
        try (ClickLedger l = ClickLedger.open(file())) {
            assertEquals(0, l.lines());
        }
        assertEquals(0, Files.size(file()));
    }

    @Test
    void clicksOfReturnsOnlyThatRecipientsClicksOldestFirst() throws Exception {
        assertEquals(List.of(), ClickLedger.clicksOf(file(), 1), "no file, no clicks");
        assertFalse(Files.exists(file()), "and none made");
        List<Click> all = List.of(click(1, 0, HUMAN, 10_000), click(12, 1, HUMAN, 20_000), click(21, 0, BOT, 5),
                click(1, 3, PREVIEW, 30_000), click(11, 0, HUMAN, 1), click(121, 0, HUMAN, 1));
        try (ClickLedger l = ClickLedger.open(file())) {
            for (Click c : all) {
                l.append(c);
            }
            l.sync();
            assertEquals(List.of(all.get(0), all.get(3)), ClickLedger.clicksOf(file(), 1), "read while the ledger is open");
        }
        assertEquals(List.of(all.get(0), all.get(3)), ClickLedger.clicksOf(file(), 1));
        assertEquals(List.of(all.get(1)), ClickLedger.clicksOf(file(), 12));
        assertEquals(List.of(all.get(5)), ClickLedger.clicksOf(file(), 121));
        assertEquals(List.of(), ClickLedger.clicksOf(file(), 2));
    }

    private static int indexOf(byte[] b, byte x, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
