package dev.herald.dispatcher.delivery;

import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.DELIVERED;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.ENROUTE;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.UNDELIVERABLE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;
import dev.herald.dispatcher.connector.PeerEvents.Receipt;
import dev.herald.dispatcher.delivery.Deliveries.Match;
import dev.herald.dispatcher.delivery.DeliveriesTest.SettableClock;

/**
 * {@link Deliveries} with ledgers loaded in the background ({@link Ledgers}): a receipt for a
 * campaign whose ledger is still loading is held durably and answered at once, then recorded
 * once when the ledger is loaded — across a stop too. The loads are held back with a gate, so a
 * receipt that waited for its ledger's replay would wait for ever (caught by a generous timeout,
 * not by timing).
 */
class DeliveriesLedgerLoadTest {

    private static final long CAPACITY = 10_000;
    /** Every ledger is loaded in the background, whatever its size. */
    private static final long ALWAYS_BACKGROUND = -1;

    @TempDir
    Path data;

    private CampaignNumbers numbers;
    private final SettableClock clock = new SettableClock(Instant.parse("2026-12-07T01:00:00Z"));
    private final ExecutorService connectorThread = Executors.newSingleThreadExecutor();

    @BeforeEach
    void setUp() throws Exception {
        numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"));
        Files.createDirectories(data.resolve("campaigns").resolve("spring"));
    }

    @AfterEach
    void tearDown() throws Exception {
        connectorThread.shutdownNow();
        numbers.close();
    }

    private Deliveries open(long inlineOpenBytes) throws Exception {
        return Deliveries.open(data, numbers, CAPACITY, Duration.ofSeconds(5), Duration.ofDays(7), clock, inlineOpenBytes);
    }

    private static Receipt receipt(String key, DeliveryState state) {
        return new Receipt(key, state, "", "id:" + key + " stat:" + state);
    }

    private Path ledgerFile() {
        return data.resolve("campaigns").resolve("spring").resolve(DeliveryLedger.FILE);
    }

    private List<String> heldLines() throws Exception {
        return Files.readAllLines(data.resolve(Deliveries.DIR).resolve(Deliveries.HELD), StandardCharsets.UTF_8);
    }

    /** Runs a connector's call on a thread of its own: it must return although the load is held back. */
    private <T> T onConnectorThread(Callable<T> call) throws Exception {
        Future<T> f = connectorThread.submit(call);
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the call waited for the ledger's load", e);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 30 s: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Recipients 1..3 accepted (ids r1..r3), r1's receipt recorded; the process stopped. */
    private void recipientOneDeliveredBeforeARestart() throws Exception {
        try (Deliveries d = open(Ledgers.INLINE_OPEN_BYTES)) {
            for (int r = 1; r <= 3; r++) {
                d.accepted("acme", "spring", r, List.of("r" + r));
            }
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("r1", DELIVERED)), "a short log opens on the caller's thread");
        }
    }

    @Test
    void shouldHoldAReceiptWhoseLedgerIsLoadingAndRecordItOnceWhenLoaded() throws Exception {
        recipientOneDeliveredBeforeARestart();
        int spring = numbers.numberOf("spring");
        try (Deliveries d = open(ALWAYS_BACKGROUND)) {
            CountDownLatch gate = new CountDownLatch(1);
            d.ledgers().pauseLoads(gate);
            assertEquals(Match.HELD, onConnectorThread(() -> d.receipt("acme", receipt("r2", ENROUTE))));
            assertEquals(Match.HELD, onConnectorThread(() -> d.receipt("acme", receipt("r2", DELIVERED))), "the final one replaces it");
            assertEquals(Match.HELD, onConnectorThread(() -> d.receipt("acme", receipt("r2", DELIVERED))), "a repeat");
            assertEquals(Match.HELD, onConnectorThread(() -> d.callback("kannel", spring, 3, DELIVERED, "", "tok\t3")));
            assertEquals(2, d.held(), "r2 once, the callback once");
            assertFalse(d.ledgers().isOpen("spring"), "still loading");
            List<String> held = heldLines();
            assertTrue(held.stream().anyMatch(l -> l.startsWith("H\tacme\tr2\tDELIVERED\t")), held.toString());
            assertTrue(held.stream().anyMatch(l -> l.startsWith("T\tkannel\ttok_3\tDELIVERED\t")), held.toString());

            gate.countDown();
            await(() -> d.held() == 0, "the held receipts are recorded once the ledger is loaded");
            assertEquals(Map.of("delivered", 3L), d.counts("spring"));
            assertEquals(2, d.heldThenMatched());
            assertEquals(0, d.matched());
            assertEquals(0, d.unmatched());
            assertTrue(d.ids().get("acme", "r2").orElseThrow().reported());
            assertEquals(List.of("tok_3"), d.of("spring", 3).orElseThrow().messageIds());
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("r2", DELIVERED)), "loaded: matched at once now");
            assertTrue(heldLines().stream().anyMatch(l -> l.startsWith("R\tkannel\t#" + spring + "/3/tok_3\t")),
                    "the callback resolved: " + heldLines());
        }
        try (DeliveryLedger l = DeliveryLedger.open(ledgerFile())) {
            assertEquals(3, l.lines(), "one line per recipient: nothing recorded twice");
        }
    }

    @Test
    void shouldKeepAPartsCallbackHeldAcrossAStopAsThatPart() throws Exception {
        recipientOneDeliveredBeforeARestart();
        int spring = numbers.numberOf("spring");
        try (Deliveries d = open(ALWAYS_BACKGROUND)) {
            d.ledgers().pauseLoads(new CountDownLatch(1)); // never opens: the stop comes first
            assertEquals(Match.HELD, onConnectorThread(() -> d.callback("kannel", spring, 4, 1, 2, DELIVERED, "", "t4-1")));
        }
        assertTrue(heldLines().stream().anyMatch(l -> l.startsWith("T\tkannel\tt4-1\tDELIVERED\t") && l.contains("\t1\t2\t")),
                heldLines().toString());
        try (Deliveries d = open(Ledgers.INLINE_OPEN_BYTES)) {
            assertEquals(0, d.held(), "matched at open");
            assertEquals(Map.of("delivered", 1L), d.counts("spring"), "part 1 of 2: recipient 4 is not delivered yet");
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 4, 2, 2, DELIVERED, "", "t4-2"));
            assertEquals(Map.of("delivered", 2L), d.counts("spring"), "both parts: delivered");
        }
    }

    @Test
    void shouldKeepReceiptsHeldForALoadAcrossAStopAndRecordThemOnceAfterIt() throws Exception {
        recipientOneDeliveredBeforeARestart();
        int spring = numbers.numberOf("spring");
        try (Deliveries d = open(ALWAYS_BACKGROUND)) {
            d.ledgers().pauseLoads(new CountDownLatch(1)); // never opens: the stop comes first
            assertEquals(Match.HELD, onConnectorThread(() -> d.receipt("acme", receipt("r2", DELIVERED))));
            assertEquals(Match.HELD, onConnectorThread(() -> d.callback("kannel", spring, 3, UNDELIVERABLE, "001", "t3")));
        }
        assertEquals(2, heldLines().stream().filter(l -> l.startsWith("H\t") || l.startsWith("T\t")).count());
        assertTrue(heldLines().stream().noneMatch(l -> l.startsWith("R\t")), "nothing was resolved: " + heldLines());
        // as if r2 was recorded in the instant before a crash, its R line not yet written
        try (DeliveryLedger l = DeliveryLedger.open(ledgerFile())) {
            assertTrue(l.record(2, 1, 1, DELIVERED, "", "r2"));
        }
        try (Deliveries d = open(Ledgers.INLINE_OPEN_BYTES)) {
            assertEquals(0, d.held(), "both matched at open (a short log opens at once)");
            assertEquals(Map.of("delivered", 2L, "undelivered:undeliverable-err-001", 1L), d.counts("spring"));
            assertEquals(2, d.heldThenMatched());
        }
        try (DeliveryLedger l = DeliveryLedger.open(ledgerFile())) {
            assertEquals(3, l.lines(), "r2 recorded again changed nothing and wrote nothing");
        }
        try (Deliveries d = open(ALWAYS_BACKGROUND)) {
            assertEquals(0, d.held(), "nothing held any more");
        }
    }

    @Test
    void shouldSendTheWaitingReceiptsOfALedgerThatFailsToLoadAsideAsDamaged() throws Exception {
        recipientOneDeliveredBeforeARestart();
        byte[] bytes = Files.readAllBytes(ledgerFile());
        bytes[0] = (byte) (bytes[0] == '1' ? '4' : '1'); // a whole line whose checksum now fails
        Files.write(ledgerFile(), bytes);
        try (Deliveries d = open(ALWAYS_BACKGROUND)) {
            CountDownLatch gate = new CountDownLatch(1);
            d.ledgers().pauseLoads(gate);
            assertEquals(Match.HELD, onConnectorThread(() -> d.receipt("acme", receipt("r2", DELIVERED))));
            gate.countDown();
            await(() -> d.held() == 0, "the waiting receipt is resolved after the failed load");
            assertEquals(1, d.unmatched());
            assertEquals(Match.UNMATCHED, d.receipt("acme", receipt("r3", DELIVERED)),
                    "the failure stands a while: no replay for every receipt");
            List<String> lines = Files.readAllLines(data.resolve(Deliveries.DIR).resolve(Deliveries.UNMATCHED));
            assertEquals(2, lines.size());
            assertTrue(lines.get(0).contains("\tr2\t") && lines.get(0).contains("delivery ledger is damaged")
                    && lines.get(0).contains(ledgerFile().toString()), lines.get(0));
            assertThrowsIo(() -> d.counts("spring"));
        }
        assertArrayEquals(bytes, Files.readAllBytes(ledgerFile()), "the damaged file is left as it was");
        assertTrue(DeliveryLedger.verify(ledgerFile()).isDamaged());
    }

    private static void assertThrowsIo(Callable<?> call) {
        try {
            call.call();
            fail("no IOException");
        } catch (java.io.IOException expected) {
            // the view reports the damaged ledger
        } catch (Exception e) {
            fail("not an IOException: " + e);
        }
    }

    @Test
    void shouldRecordEveryReceiptOnceWhenManyThreadsSendThemWhileTheLedgerLoads() throws Exception {
        int threads = 4;
        int each = 500;
        try (Deliveries d = open(Ledgers.INLINE_OPEN_BYTES)) {
            for (int r = 0; r < threads * each; r++) {
                d.accepted("acme", "spring", r, List.of("m" + r));
            }
        }
        try (Deliveries d = open(ALWAYS_BACKGROUND)) {
            CountDownLatch gate = new CountDownLatch(1);
            d.ledgers().pauseLoads(gate);
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> sent = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    sent.add(ex.submit(() -> {
                        for (int i = 0; i < each; i++) {
                            int r = thread * each + i;
                            if (thread == 0 && i == each / 2) {
                                gate.countDown(); // the load runs while receipts keep coming
                            }
                            Match m = d.receipt("acme", receipt("m" + r, DELIVERED));
                            if (m == Match.UNMATCHED) {
                                throw new AssertionError("m" + r + " unmatched");
                            }
                            d.receipt("acme", receipt("m" + r, DELIVERED)); // and its repeat
                        }
                        return null;
                    }));
                }
                for (Future<?> f : sent) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                ex.shutdownNow();
            }
            await(() -> d.held() == 0, "every held receipt resolved");
            assertEquals(Map.of("delivered", (long) threads * each), d.counts("spring"));
            assertEquals(0, d.unmatched());
            long counted = d.matched() + d.heldThenMatched();
            assertTrue(counted >= threads * each && counted <= 2L * threads * each,
                    "a repeat held with its receipt is one held receipt: " + counted);
        }
        try (DeliveryLedger l = DeliveryLedger.open(ledgerFile())) {
            assertEquals(threads * each, l.lines(), "one line per recipient");
        }
    }
}
