package dev.herald.dispatcher.links;

import static dev.herald.dispatcher.links.ClickRules.ClickClass.BOT;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.HUMAN;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.PREVIEW;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.SUSPICIOUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.links.ClickLedger.Click;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** {@link Clicks}: queued clicks are written and read back, floods are dropped and counted, failures counted. */
class ClicksTest {

    static final String IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            + " Version/17.1 Mobile/15E148 Safari/604.1";
    static final long NOW = Instant.parse("2026-12-07T04:00:00Z").toEpochMilli();
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
    static final ClickRules RULES = ClickRules.fromConfig(ConfigFactory.load().getConfig("herald.links.classify"));
    static final long WAIT = 30_000;

    @TempDir
    Path dir;

    Path campaigns() throws IOException {
        return Files.createDirectories(dir.resolve("campaigns"));
    }

    Clicks open(int capacity, Clicks.DeliveredAt deliveredAt, String... campaignDirs) throws IOException {
        for (String c : campaignDirs) {
            Files.createDirectories(campaigns().resolve(c));
        }
        Set<Thread> before = writers();
        Clicks clicks = Clicks.open(campaigns(), RULES, capacity, deliveredAt, CLOCK);
        Set<Thread> started = writers();
        started.removeAll(before);
        writer = started.size() == 1 ? started.iterator().next() : null;
        return clicks;
    }

    /** The writer thread of the Clicks this test opened last (not another test's). */
    private Thread writer;

    static Set<Thread> writers() {
        Set<Thread> out = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("herald-clicks-writer")) {
                out.add(t);
            }
        }
        return out;
    }

    static LinkTokens.Link link(String campaign, int recipient, int link) {
        return new LinkTokens.Link(campaign, 1, recipient, link);
    }

    /** Waits (no timing asserted) until the writer thread is blocked on a monitor the test holds. */
    void awaitWriterBlocked() throws InterruptedException {
        assertTrue(writer != null, "the writer thread of this test's Clicks was not found");
        long end = System.nanoTime() + WAIT * 1_000_000;
        while (System.nanoTime() < end) {
            if (writer.getState() == Thread.State.BLOCKED) {
                return;
            }
            Thread.sleep(1);
        }
        fail("the clicks writer never blocked on the ledger");
    }

    @Test
    void aRecordedClickIsWrittenAndReadBack() throws Exception {
        try (Clicks clicks = open(100, null, "spring")) {
            assertEquals(HUMAN, clicks.record(link("spring", 42, 1), IPHONE, false, "9f2c4e1a7b3d5f60"));
            assertEquals(PREVIEW, clicks.record(link("spring", 43, 0), "WhatsApp/2.23", false, "-"));
            assertEquals(BOT, clicks.record(link("spring", 44, 0), IPHONE, true, null));
            assertEquals(BOT, clicks.record(link("spring", 45, 0), null, false, ""));
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(0, clicks.waiting());
            assertEquals(1, clicks.recorded(HUMAN));
            assertEquals(2, clicks.recorded(BOT));
            assertEquals(MutableRoaringBitmap.bitmapOf(42), clicks.read("spring", l -> l.unique(HUMAN)));
            assertEquals(4L, clicks.read("spring", ClickLedger::lines));
            assertEquals(0, clicks.dropped());
            assertEquals(0, clicks.failed());
        }
        Path file = dir.resolve("campaigns/spring/" + ClickLedger.FILE);
        assertEquals(List.of(new Click(42, 1, HUMAN, NOW, false, -1, "9f2c4e1a7b3d5f60", IPHONE)), ClickLedger.clicksOf(file, 42));
        assertEquals(List.of(new Click(44, 0, BOT, NOW, true, -1, "-", IPHONE)), ClickLedger.clicksOf(file, 44));
        assertEquals(List.of(new Click(45, 0, BOT, NOW, false, -1, "-", "")), ClickLedger.clicksOf(file, 45));
        try (ClickLedger l = ClickLedger.open(file)) {
            assertEquals(4, l.lines(), "durable: another ledger replays them");
        }
    }

    @Test
    void theDeliveryTimeMakesATooQuickClickSuspiciousAndFeedsTheDelays() throws Exception {
        Clicks.DeliveredAt delivered = (campaign, recipient) -> switch (recipient) {
            case 1 -> NOW - 1_000;
            case 2 -> NOW - 10_000;
            case 3 -> -1;
            case 4 -> NOW + 60_000; // a receipt stamped ahead of this clock
            default -> NOW - 3_000;
        };
        try (Clicks clicks = open(100, delivered, "c")) {
            assertEquals(SUSPICIOUS, clicks.record(link("c", 1, 0), IPHONE, false, "-"));
            assertEquals(HUMAN, clicks.record(link("c", 2, 0), IPHONE, false, "-"));
            assertEquals(HUMAN, clicks.record(link("c", 3, 0), IPHONE, false, "-"), "delivery not known");
            assertEquals(SUSPICIOUS, clicks.record(link("c", 4, 0), IPHONE, false, "-"), "no negative delay");
            assertEquals(HUMAN, clicks.record(link("c", 5, 0), IPHONE, false, "-"), "3 s is not within 3 s");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(MutableRoaringBitmap.bitmapOf(1, 4), clicks.read("c", l -> l.unique(SUSPICIOUS)));
            DelayHistogram h = clicks.read("c", ClickLedger::deliveryToClick);
            assertEquals(2, h.count(), "recipients 2 and 5: human and delivered");
            assertEquals(3, h.percentile(0));
            assertEquals(10, h.percentile(1));
        }
        Path file = dir.resolve("campaigns/c/" + ClickLedger.FILE);
        assertEquals(1_000, ClickLedger.clicksOf(file, 1).get(0).sinceDeliveryMs());
        assertEquals(10_000, ClickLedger.clicksOf(file, 2).get(0).sinceDeliveryMs());
        assertEquals(-1, ClickLedger.clicksOf(file, 3).get(0).sinceDeliveryMs());
        assertEquals(0, ClickLedger.clicksOf(file, 4).get(0).sinceDeliveryMs());
    }

    @Test
    void aFullQueueDropsAndCountsTheClickAndTheRedirectStillGetsItsClass() throws Exception {
        try (Clicks clicks = open(1, null, "c")) {
            ClickLedger ledger = clicks.read("c", l -> l);
            synchronized (ledger) { // the writer cannot append to it: stalled
                clicks.record(link("c", 1, 0), IPHONE, false, "-");
                awaitWriterBlocked(); // it took click 1 and waits on the ledger
                assertEquals(HUMAN, clicks.record(link("c", 2, 0), IPHONE, false, "-"));
                assertEquals(1, clicks.waiting());
                assertEquals(PREVIEW, clicks.record(link("c", 3, 0), "WhatsApp/2.23", false, "-"), "classed though dropped");
                assertEquals(HUMAN, clicks.record(link("c", 4, 0), IPHONE, false, "-"));
                assertEquals(2, clicks.dropped());
                assertEquals(2, clicks.recorded(HUMAN), "dropped clicks are not counted as recorded");
                assertEquals(0, clicks.recorded(PREVIEW));
            }
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(MutableRoaringBitmap.bitmapOf(1, 2), clicks.read("c", l -> l.unique(HUMAN)));
            assertEquals(2L, clicks.read("c", ClickLedger::lines));
            assertEquals(2, clicks.dropped());
            assertEquals(0, clicks.failed());
        }
    }

    @Test
    void closeWritesWhatIsQueuedAndLaterClicksAreDropped() throws Exception {
        Clicks clicks = open(10_000, null, "c");
        int queued = 0;
        CompletableFuture<Void> closed;
        ClickLedger ledger = clicks.read("c", l -> l);
        synchronized (ledger) {
            clicks.record(link("c", 0, 0), IPHONE, false, "-");
            awaitWriterBlocked();
            for (int r = 1; r <= 50; r++) {
                clicks.record(link("c", r, 0), IPHONE, false, "-");
            }
            closed = CompletableFuture.runAsync(() -> {
                try {
                    clicks.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // records until one is refused: close() has begun, with clicks still queued behind the stalled writer
            int r = 1_000;
            while (clicks.dropped() == 0) {
                clicks.record(link("c", r++, 0), IPHONE, false, "-");
                Thread.sleep(1);
            }
            queued = r - 1_000 - 1;
            assertTrue(clicks.waiting() >= 50, "still queued: " + clicks.waiting());
        }
        closed.get();
        assertEquals(0, clicks.waiting());
        assertEquals(1, clicks.dropped());
        assertEquals(HUMAN, clicks.record(link("c", 9_999, 0), IPHONE, false, "-"), "after close: classed, not recorded");
        assertEquals(2, clicks.dropped());
        try (ClickLedger l = ClickLedger.open(dir.resolve("campaigns/c/" + ClickLedger.FILE))) {
            assertEquals(51 + queued, l.lines(), "every click queued before close is written");
        }
    }

    @Test
    void aCampaignWithoutADirectoryCountsFailedAndTheWriterGoesOn() throws Exception {
        try (Clicks clicks = open(100, null, "real")) {
            clicks.record(link("ghost", 1, 0), IPHONE, false, "-");
            clicks.record(link("ghost", 2, 0), IPHONE, false, "-");
            clicks.record(link("real", 1, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(2, clicks.failed());
            assertEquals(1L, clicks.read("real", ClickLedger::lines));
            assertThrows(IOException.class, () -> clicks.read("ghost", ClickLedger::lines), "no directory: no ledger");
            assertTrue(Files.notExists(dir.resolve("campaigns/ghost")), "no directory is made for it");

            clicks.record(link("real", 2, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(2L, clicks.read("real", ClickLedger::lines), "the writer still writes");

            Files.createDirectories(dir.resolve("campaigns/ghost")); // its directory made later: its clicks are written
            clicks.record(link("ghost", 3, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(1L, clicks.read("ghost", ClickLedger::lines));
            assertEquals(2, clicks.failed());
        }
    }

    @Test
    void aCampaignDirectoryRemovedWhileItsLedgerIsOpenCountsFailedAndTheWriterGoesOn() throws Exception {
        try (Clicks clicks = open(100, null, "gone", "kept")) {
            clicks.record(link("gone", 1, 0), IPHONE, false, "-");
            clicks.record(link("kept", 1, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(1L, clicks.read("gone", ClickLedger::lines), "its ledger is open");
            Path gone = dir.resolve("campaigns/gone");
            Files.delete(gone.resolve(ClickLedger.FILE));
            Files.delete(gone);

            clicks.record(link("gone", 2, 0), IPHONE, false, "-");
            clicks.record(link("kept", 2, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(1, clicks.failed(), "not written to a file no one can read any more");
            assertEquals(2L, clicks.read("kept", ClickLedger::lines), "the writer still writes the others");
            assertThrows(IOException.class, () -> clicks.read("gone", ClickLedger::lines), "no directory: no ledger");
            assertTrue(Files.notExists(gone), "no directory is made for it");

            Files.createDirectories(gone); // made again: its clicks are written to a new ledger
            clicks.record(link("gone", 3, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(1L, clicks.read("gone", ClickLedger::lines));
            assertEquals(List.of(new Click(3, 0, HUMAN, NOW, false, -1, "-", IPHONE)),
                    ClickLedger.clicksOf(gone.resolve(ClickLedger.FILE), 3));
            assertEquals(1, clicks.failed());
        }
    }

    @Test
    void aCampaignDirectoryRemovedWhileABatchIsWrittenCountsItsClicksFailed() throws Exception {
        try (Clicks clicks = open(100, null, "gone", "kept")) {
            ClickLedger ledger = clicks.read("gone", l -> l);
            Path gone = dir.resolve("campaigns/gone");
            synchronized (ledger) {
                clicks.record(link("gone", 1, 0), IPHONE, false, "-");
                awaitWriterBlocked(); // in the middle of its batch, about to append
                Files.delete(gone.resolve(ClickLedger.FILE));
                Files.delete(gone);
                clicks.record(link("kept", 1, 0), IPHONE, false, "-");
            }
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(1, clicks.failed(), "appended and synced to a file that no longer exists: not written");
            assertEquals(1L, clicks.read("kept", ClickLedger::lines));
            assertThrows(IOException.class, () -> clicks.read("gone", ClickLedger::lines));
        }
    }

    @Test
    void aCampaignWhoseLedgerCannotBeMadeForAnyReasonCountsFailedAndTheOthersOfTheBatchAreWritten() throws Exception {
        try (Clicks clicks = open(100, null, "real")) {
            ClickLedger ledger = clicks.read("real", l -> l);
            synchronized (ledger) { // so that all three clicks go in one batch
                clicks.record(link("real", 1, 0), IPHONE, false, "-");
                awaitWriterBlocked();
                clicks.record(link("bad\u0000id", 1, 0), IPHONE, false, "-"); // not even a path
                clicks.record(link("real", 2, 0), IPHONE, false, "-");
            }
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(1, clicks.failed());
            assertEquals(2L, clicks.read("real", ClickLedger::lines));
        }
    }

    @Test
    void aDamagedLedgerCountsFailedAndIsNamedWhenRead() throws Exception {
        Path file = Files.createDirectories(campaigns().resolve("d")).resolve(ClickLedger.FILE);
        Files.writeString(file, "garbage without a checksum\n1 0 human 1 0 -1 - x\tffffffff\n");
        try (Clicks clicks = open(100, null)) {
            clicks.record(link("d", 1, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(1, clicks.failed());
            IOException e = assertThrows(IOException.class, () -> clicks.read("d", ClickLedger::lines));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
    }

    @Test
    void clicksFromManyThreadsAreAllWritten() throws Exception {
        try (Clicks clicks = open(100_000, null, "a", "b")) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int base = t * 1_000;
                threads.add(new Thread(() -> {
                    for (int i = 0; i < 500; i++) {
                        clicks.record(link(i % 2 == 0 ? "a" : "b", base + i, i % 16), IPHONE, false, "-");
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(2_000L, clicks.read("a", ClickLedger::lines));
            assertEquals(2_000L, clicks.read("b", ClickLedger::lines));
            assertEquals(4_000, clicks.recorded(HUMAN));
            assertEquals(0, clicks.dropped());
        }
    }

    @Test
    void aQueueOfNoClicksIsRefused() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(0, null));
        assertTrue(e.getMessage().contains("herald.links.queue-capacity"), e.getMessage());
    }

    @Test
    void idleLedgersAreClosedAndOpenedAgainWhenNextClickedOrReported() throws Exception {
        Clicks clicks = open(100, null, "spring", "autumn");
        try {
            clicks.record(link("spring", 1, 0), IPHONE, false, "-");
            clicks.record(link("autumn", 2, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(2, clicks.openLedgers());
            assertEquals(0, clicks.closeIdle(java.time.Duration.ofMinutes(10)), "used just now");
            assertEquals(2, clicks.closeIdle(java.time.Duration.ZERO), "both idle for zero");
            assertEquals(0, clicks.openLedgers());
            assertEquals(1L, clicks.summary("spring").unique().get(ClickRules.ClickClass.HUMAN), "replayed when reported");
            clicks.record(link("autumn", 3, 0), IPHONE, false, "-");
            assertTrue(clicks.awaitWritten(WAIT));
            assertEquals(2L, clicks.summary("autumn").unique().get(ClickRules.ClickClass.HUMAN), "reopened to be written");
            assertEquals(0, clicks.failed());
        } finally {
            clicks.close();
        }
    }
}
