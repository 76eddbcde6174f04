package dev.herald.dispatcher.delivery;

import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.DELIVERED;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.ENROUTE;
import static dev.herald.dispatcher.connector.PeerEvents.DeliveryState.UNDELIVERABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;
import dev.herald.dispatcher.connector.PeerEvents.Receipt;
import dev.herald.dispatcher.delivery.Deliveries.Match;
import dev.herald.dispatcher.delivery.Deliveries.RecipientDelivery;

/** {@link Deliveries}: receipts matched to recipients through the message-id map, early, late, unmatched, after a restart. */
class DeliveriesTest {

    private static final long CAPACITY = 10_000;
    private static final Duration WAIT = Duration.ofDays(7);

    @TempDir
    Path data;

    private CampaignNumbers numbers;
    private final SettableClock clock = new SettableClock(Instant.parse("2026-12-07T01:00:00Z"));

    @BeforeEach
    void setUp() throws Exception {
        numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"));
        campaign("spring");
    }

    @AfterEach
    void tearDown() throws Exception {
        numbers.close();
    }

    private void campaign(String id) throws Exception {
        Files.createDirectories(data.resolve("campaigns").resolve(id));
    }

    private Deliveries open(Duration earlyWait) throws Exception {
        return Deliveries.open(data, numbers, CAPACITY, earlyWait, WAIT, clock);
    }

    private static Receipt receipt(String key, DeliveryState state, String error) {
        return new Receipt(key, state, error, "id:" + key + " sub:001 dlvrd:001 stat:" + state + " err:" + error + "\ttext");
    }

    private List<String> unmatchedLines() throws Exception {
        Path f = data.resolve(Deliveries.DIR).resolve(Deliveries.UNMATCHED);
        return Files.readAllLines(f, StandardCharsets.UTF_8);
    }

    @Test
    void aMessageReportedPartByPartIsDeliveredWhenEveryPartIsAndUndeliveredByAFailedPart() throws Exception {
        int spring = numbers.numberOf("spring");
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 7, 1, 3, DELIVERED, "", "t7-1"));
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 7, 2, 3, DELIVERED, "", "t7-2"));
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 7, 2, 3, DELIVERED, "", "t7-2"), "a replay");
            assertEquals(Map.of(), d.counts("spring"), "two parts of three: not delivered yet, the replay counted once");
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 7, 3, 3, DELIVERED, "", "t7-3"));
            assertEquals(Map.of("delivered", 1L), d.counts("spring"), "every part delivered");

            // recipient 8: part 1 delivered, part 2 not: undelivered, and a later part's delivery changes nothing
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 8, 1, 3, DELIVERED, "", "t8-1"));
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 8, 2, 3, UNDELIVERABLE, "001", "t8-2"));
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 8, 3, 3, DELIVERED, "", "t8-3"));
            assertEquals(Match.MATCHED, d.callback("kannel", spring, 8, 1, 3, DELIVERED, "", "t8-1"));
            assertEquals(Map.of("delivered", 1L, "undelivered:undeliverable-err-001", 1L), d.counts("spring"));
            assertEquals("undelivered:undeliverable-err-001", d.of("spring", 8).orElseThrow().result());
            assertEquals(List.of("t7-1", "t7-2", "t7-3"), d.of("spring", 7).orElseThrow().messageIds(), "each part's id");
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> d.callback("kannel", spring, 9, 4, 3, DELIVERED, "", "t9"));
        }
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(Map.of("delivered", 1L, "undelivered:undeliverable-err-001", 1L), d.counts("spring"), "after a restart");
        }
    }

    @Test
    void aHeldReceiptStoredElsewhereIsNoLongerHeldNorUnmatchedNorHeldAgainAfterARestart() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(Match.HELD, d.receipt("acme", receipt("elsewhere-1", DELIVERED, "000")));
            assertEquals(Match.HELD, d.receipt("acme", receipt("elsewhere-2", DELIVERED, "000")));
            assertEquals(Optional.of(DELIVERED), d.heldReceipt("acme", "elsewhere-1").map(Receipt::state));
            assertEquals(Optional.empty(), d.heldReceipt("other", "elsewhere-1"), "by connector and id");
            assertTrue(d.forwarded("acme", "elsewhere-1", receipt("elsewhere-1", DELIVERED, "000"))); // stored by its sender
            assertFalse(d.forwarded("acme", "never-held", receipt("never-held", DELIVERED, "000")), "nothing held");
            // an intermediate receipt handed over while a final one replaced it: the final one stays held
            assertEquals(Match.HELD, d.receipt("acme", receipt("elsewhere-3", ENROUTE, "")));
            assertEquals(Match.HELD, d.receipt("acme", receipt("elsewhere-3", DELIVERED, "000")));
            assertFalse(d.forwarded("acme", "elsewhere-3", receipt("elsewhere-3", ENROUTE, "")));
            assertEquals(Optional.of(DELIVERED), d.heldReceipt("acme", "elsewhere-3").map(Receipt::state));
            assertEquals(2, d.heldIds().size(), "elsewhere-2 and elsewhere-3: " + d.heldIds());
            assertTrue(d.forwarded("acme", "elsewhere-3", receipt("elsewhere-3", DELIVERED, "000")));
            assertEquals(Optional.empty(), d.heldReceipt("acme", "elsewhere-1"));
            assertEquals(1, d.held());
            clock.set(clock.instant().plusMillis(100));
            d.expireHeld();
            assertEquals(1, d.unmatched(), "only the one never handed over ends unmatched");
            assertEquals(1, unmatchedLines().size());
            assertTrue(unmatchedLines().get(0).contains("elsewhere-2"), unmatchedLines().toString());
        }
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(0, d.held(), "neither is held again after a restart");
            assertEquals(Optional.empty(), d.heldReceipt("acme", "elsewhere-1"));
        }
    }

    @Test
    void anAcceptedIdsReceiptIsMatchedRecordedAndForgottenWhenFinal() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            d.accepted("acme", "spring", 7, List.of("41459"));
            assertTrue(d.ids().get("acme", "41459").isPresent());
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("41459", ENROUTE, "")));
            assertTrue(d.ids().get("acme", "41459").isPresent(), "an intermediate receipt keeps the id");
            assertEquals(Map.of(), d.counts("spring"));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("41459", DELIVERED, "000")));
            assertTrue(d.ids().get("acme", "41459").orElseThrow().reported(), "the final receipt marks the id reported");
            assertEquals(Map.of("delivered", 1L), d.counts("spring"));
            assertEquals(Optional.of(new RecipientDelivery("delivered", List.of("41459"))), d.of("spring", 7).map(RecipientDelivery::untimed));
            assertEquals(2, d.matched());
            assertEquals(0, d.unmatched());
            assertEquals(List.of(), unmatchedLines());

            // the SMSC sends it again (our acknowledgement lost): it still matches and changes nothing
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("41459", DELIVERED, "000")));
            assertEquals(3, d.matched());
            assertEquals(Map.of("delivered", 1L), d.counts("spring"));
            // an hour after its final receipt the sweep forgets it; a repeat then waits, held, and matches nothing
            clock.set(clock.instant().plus(Deliveries.REPORTED_GRACE).plusSeconds(120));
            assertEquals(1, d.sweep());
            assertEquals(Optional.empty(), d.ids().get("acme", "41459"));
            assertEquals(Match.HELD, d.receipt("acme", receipt("41459", DELIVERED, "000")), "its id is gone");
            assertEquals(1, d.held());
            d.expireHeld();
            assertEquals(1, d.held(), "not before the early wait");
            clock.set(clock.instant().plusMillis(100));
            d.expireHeld();
            assertEquals(0, d.held());
            assertEquals(1, d.unmatched());
            assertEquals(3, d.matched());
            assertEquals(0, d.heldThenMatched());
            List<String> lines = unmatchedLines();
            assertEquals(1, lines.size());
            String[] f = lines.get(0).split("\t");
            assertEquals(List.of("acme", "41459", "DELIVERED", "000", "no message with this id (held PT0.1S)"),
                    List.of(f).subList(1, 6), lines.get(0));
            assertTrue(f[6].startsWith("id:41459 sub:001"), "the receipt's text, its tab made a space: " + f[6]);
            assertEquals(Map.of("delivered", 1L), d.counts("spring"), "the duplicate changed nothing");
        }
    }

    @Test
    void aMultiPartMessageIsDeliveredWhenEveryPartIsAndOfListsItsIds() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            d.accepted("acme", "spring", 7, List.of("a1", "a2"));
            d.accepted("acme", "spring", 8, List.of("b1", "b2", "b3"));
            assertEquals(new MessageIdMap.Target(numbers.numberOf("spring"), 8, 3, 3,
                    clock.instant().getEpochSecond()), d.ids().get("acme", "b3").orElseThrow());
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("a2", DELIVERED, "")));
            assertEquals(Optional.of(new RecipientDelivery(null, List.of("a2"))), d.of("spring", 7).map(RecipientDelivery::untimed), "1 of 2 parts");
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("a1", DELIVERED, "")));
            assertEquals(Optional.of(new RecipientDelivery("delivered", List.of("a1", "a2"))), d.of("spring", 7).map(RecipientDelivery::untimed));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("b2", UNDELIVERABLE, "001")));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("b1", DELIVERED, "")));
            assertEquals(Optional.of(new RecipientDelivery("undelivered:undeliverable-err-001", List.of("b2"))),
                    d.of("spring", 8).map(RecipientDelivery::untimed), "the delivered part after the failure changed nothing and was not written");
            assertEquals(Map.of("delivered", 1L, "undelivered:undeliverable-err-001", 1L), d.counts("spring"));
            assertEquals(Optional.empty(), d.of("spring", 9), "no receipt for recipient 9");
            assertEquals(5, d.ids().size(), "reported ids stay a while");
            assertFalse(d.ids().get("acme", "b3").orElseThrow().reported(), "b3 is still waiting for its receipt");
            assertTrue(d.ids().get("acme", "b1").orElseThrow().reported());
        }
    }

    @Test
    void aReceiptBeforeItsIdIsHeldThenMatched() throws Exception {
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            ExecutorService ex = Executors.newSingleThreadExecutor();
            try {
                Future<?> later = ex.submit(() -> {
                    Thread.sleep(200);
                    d.accepted("acme", "spring", 11, List.of("early-1"));
                    return null;
                });
                long t0 = System.nanoTime();
                assertEquals(Match.HELD, d.receipt("acme", receipt("early-1", DELIVERED, "")));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms < 150, "held without waiting (the caller is the connector's thread): " + ms + " ms");
                assertEquals(1, d.held());
                assertEquals(Optional.empty(), d.of("spring", 11).map(RecipientDelivery::untimed));
                later.get(5, TimeUnit.SECONDS);
                assertEquals(0, d.held(), "matched when its id came");
            } finally {
                ex.shutdownNow();
            }
            assertEquals("delivered", d.of("spring", 11).orElseThrow().result());
            assertTrue(d.ids().get("acme", "early-1").orElseThrow().reported());
            assertEquals(1, d.heldThenMatched());
            assertEquals(0, d.matched());
            assertEquals(0, d.unmatched());
        }
    }

    @Test
    void aReceiptWhoseIdNeverComesIsUnmatchedAfterTheEarlyWait() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(Match.HELD, d.receipt("acme", receipt("nobody", UNDELIVERABLE, "")));
            clock.set(clock.instant().plusMillis(50));
            assertEquals(Match.HELD, d.receipt("acme", receipt("nobody-2", DELIVERED, "")));
            clock.set(clock.instant().plusMillis(60));
            d.expireHeld();
            assertEquals(1, d.unmatched(), "the first waited its 100 ms, the second not yet");
            assertEquals(1, d.held());
            clock.set(clock.instant().plusMillis(60));
            d.expireHeld();
            assertEquals(2, d.unmatched());
            List<String> lines = unmatchedLines();
            assertEquals(2, lines.size());
            assertTrue(lines.get(0).contains("\tnobody\tUNDELIVERABLE\t-\tno message with this id (held PT0.1S)\t"),
                    lines.get(0));
            // an id of another connector does not match
            d.accepted("beta", "spring", 1, List.of("x"));
            assertEquals(Match.HELD, d.receipt("acme", receipt("x", DELIVERED, "")));
            clock.set(clock.instant().plusMillis(200));
            d.expireHeld();
            assertEquals(3, d.unmatched());
            assertEquals(Match.MATCHED, d.receipt("beta", receipt("x", DELIVERED, "")));
        }
    }

    @Test
    void aReceiptWhoseCampaignIsNotHereIsUnmatched() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            d.accepted("acme", "gone", 3, List.of("g1")); // numbered, but no campaigns/gone/
            assertEquals(Match.UNMATCHED, d.receipt("acme", receipt("g1", DELIVERED, "")));
            assertEquals(1, d.unmatched());
            assertEquals(0, d.matched());
            List<String> lines = unmatchedLines();
            assertEquals(1, lines.size());
            assertTrue(lines.get(0).contains("\tg1\tDELIVERED\t-\tits campaign is not here\t"), lines.get(0));
            assertEquals(Map.of(), d.counts("gone"));
            assertEquals(Optional.empty(), d.of("gone", 3));
            assertTrue(Files.notExists(data.resolve("campaigns").resolve("gone")), "no directory was made for it");
        }
    }

    @Test
    void aCampaignWithoutReceiptsHasNoCountsAndNoRecipientDeliveries() throws Exception {
        campaign("quiet");
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(Map.of(), d.counts("quiet"));
            assertEquals(Optional.empty(), d.of("quiet", 1));
            assertEquals(Map.of(), d.counts("no-such-campaign"));
            assertEquals(Optional.empty(), d.of("no-such-campaign", 1));
            d.accepted("acme", "quiet", 1, List.of("q"));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("q", ENROUTE, "")));
            assertEquals(Map.of(), d.counts("quiet"), "an intermediate receipt is no result");
            assertEquals(Optional.empty(), d.of("quiet", 1));
            assertTrue(Files.notExists(data.resolve("campaigns").resolve("no-such-campaign")));
        }
    }

    @Test
    void idsAcceptedBeforeARestartStillMatchAfterIt() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            d.accepted("acme", "spring", 1, List.of("r1"));
            d.accepted("acme", "spring", 2, List.of("r2a", "r2b"));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("r2a", DELIVERED, "")));
        }
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(3, d.ids().size());
            assertTrue(d.ids().get("acme", "r2a").orElseThrow().reported(), "its final receipt came before the restart");
            assertFalse(d.ids().get("acme", "r1").orElseThrow().reported());
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("r1", UNDELIVERABLE, "001")));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("r2b", DELIVERED, "")));
            assertEquals("undelivered:undeliverable-err-001", d.of("spring", 1).orElseThrow().result());
            assertEquals(new RecipientDelivery("delivered", List.of("r2a", "r2b")), d.of("spring", 2).orElseThrow().untimed(),
                    "the part delivered before the restart counts");
            assertEquals(Map.of("delivered", 1L, "undelivered:undeliverable-err-001", 1L), d.counts("spring"));
            assertEquals(3, d.ids().size(), "reported, kept for a repeat");
            assertEquals(2, d.matched(), "counters are per process");
        }
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(Map.of("delivered", 1L, "undelivered:undeliverable-err-001", 1L), d.counts("spring"));
        }
    }

    @Test
    void theSweepForgetsIdsOlderThanTheReceiptWait() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(50))) {
            d.accepted("acme", "spring", 1, List.of("old"));
            clock.set(clock.instant().plus(Duration.ofDays(6)));
            d.accepted("acme", "spring", 2, List.of("young"));
            clock.set(clock.instant().plus(Duration.ofDays(1)).plusSeconds(60));
            assertEquals(1, d.sweep());
            assertEquals(Optional.empty(), d.ids().get("acme", "old"));
            assertTrue(d.ids().get("acme", "young").isPresent());
            assertEquals(Match.HELD, d.receipt("acme", receipt("old", DELIVERED, "")), "forgotten: held, then unmatched");
            clock.set(clock.instant().plusSeconds(1));
            d.expireHeld();
            assertEquals(1, d.unmatched());
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("young", DELIVERED, "")));
        }
    }

    @Test
    void manyThreadsAcceptAndReceiveConcurrently() throws Exception {
        int threads = 8;
        int each = 2_000;
        campaign("autumn");
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            try {
                List<Future<int[]>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    results.add(ex.submit(() -> {
                        int[] how = new int[Match.values().length];
                        String campaign = thread % 2 == 0 ? "spring" : "autumn";
                        for (int i = 0; i < each; i++) {
                            int recipient = thread * each + i;
                            String key = "k" + recipient;
                            if (i % 2 == 0) {
                                d.accepted("acme", campaign, recipient, List.of(key));
                                how[d.receipt("acme", receipt(key, DELIVERED, "")).ordinal()]++;
                            } else {
                                d.accepted("acme", campaign, recipient, List.of(key + "a", key + "b"));
                                how[d.receipt("acme", receipt(key + "b", DELIVERED, "")).ordinal()]++;
                                how[d.receipt("acme", receipt(key + "a", i % 4 == 1 ? UNDELIVERABLE : DELIVERED,
                                        "")).ordinal()]++;
                            }
                        }
                        return how;
                    }));
                }
                int matchedHere = 0;
                for (Future<int[]> f : results) {
                    int[] how = f.get(120, TimeUnit.SECONDS);
                    assertEquals(0, how[Match.UNMATCHED.ordinal()]);
                    assertEquals(0, how[Match.HELD.ordinal()]);
                    matchedHere += how[Match.MATCHED.ordinal()];
                }
                int receipts = threads * (each / 2 + each / 2 * 2);
                assertEquals(receipts, matchedHere);
                assertEquals(receipts, d.matched());
            } finally {
                ex.shutdownNow();
            }
            assertEquals(0, d.unmatched());
            assertEquals(threads * (each / 2 + each / 2 * 2), d.ids().size(), "every id is there, reported");
            clock.set(clock.instant().plus(Deliveries.REPORTED_GRACE).plusSeconds(120));
            assertEquals(threads * (each / 2 + each / 2 * 2), d.sweep(), "every id had its final receipt");
            // per campaign: 4 threads x (1000 single-part delivered + 500 two-part delivered + 500 two-part failed)
            Map<String, Long> expected = Map.of("delivered", 4L * 1_500, "undelivered:undeliverable", 4L * 500);
            assertEquals(expected, d.counts("spring"));
            assertEquals(expected, d.counts("autumn"));
            assertEquals("delivered", d.of("autumn", each + 3).orElseThrow().result());
            assertEquals("undelivered:undeliverable", d.of("autumn", each + 1).orElseThrow().result());
        }
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(Map.of("delivered", 6_000L, "undelivered:undeliverable", 2_000L), d.counts("spring"));
        }
    }

    @Test
    void manyEarlyReceiptsAreEachHeldForTheirOwnId() throws Exception {
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            int n = 200;
            ExecutorService ex = Executors.newFixedThreadPool(8);
            try {
                List<Future<Match>> held = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String key = "e" + i;
                    held.add(ex.submit(() -> d.receipt("acme", receipt(key, DELIVERED, ""))));
                }
                for (int i = 0; i < n; i++) {
                    d.accepted("acme", "spring", i, List.of("e" + i));
                }
                for (Future<Match> f : held) {
                    Match m = f.get(60, TimeUnit.SECONDS);
                    assertTrue(m == Match.MATCHED || m == Match.HELD, m.toString());
                }
            } finally {
                ex.shutdownNow();
            }
            assertEquals(n, d.matched() + d.heldThenMatched());
            assertEquals(0, d.unmatched());
            assertEquals(Map.of("delivered", (long) n), d.counts("spring"));
        }
    }

    @Test
    void aReceiptHeldAtAStopIsHeldAgainAfterItAndMatchedOrUnmatched() throws Exception {
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            assertEquals(Match.HELD, d.receipt("acme", receipt("before-stop", DELIVERED, "")));
            assertEquals(Match.HELD, d.receipt("acme", receipt("never", DELIVERED, "")));
            d.accepted("acme", "spring", 4, List.of("resolved-before"));
            assertEquals(Match.HELD, d.receipt("acme", receipt("third", DELIVERED, "")));
            d.accepted("acme", "spring", 5, List.of("third"));
            assertEquals(2, d.held());
        }
        // the id of one came just before the stop (its map entry is there), the other's never will
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            assertEquals(2, d.held(), "held again");
            d.accepted("acme", "spring", 9, List.of("before-stop"));
            assertEquals(1, d.held());
            assertEquals("delivered", d.of("spring", 9).orElseThrow().result());
            assertEquals("delivered", d.of("spring", 5).orElseThrow().result(), "matched before the stop");
            clock.set(clock.instant().plusSeconds(6));
            d.expireHeld();
            assertEquals(0, d.held());
            assertEquals(1, d.unmatched());
        }
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            assertEquals(0, d.held(), "nothing held any more");
            assertEquals(Map.of("delivered", 2L), d.counts("spring"));
        }
    }

    @Test
    void aHeldReceiptWhoseIdCameBeforeARestartIsMatchedAtOpen() throws Exception {
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            assertEquals(Match.HELD, d.receipt("acme", receipt("h1", DELIVERED, "")));
        }
        // as if the id came in the last instant before a crash (the map has it, held.log still holds the receipt)
        try (MessageIdMap ids = MessageIdMap.open(data.resolve(Deliveries.DIR), CAPACITY)) {
            ids.put("acme", "h1", new MessageIdMap.Target(numbers.numberOf("spring"), 12, 1, 1, clock.instant().getEpochSecond()));
        }
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            assertEquals(0, d.held());
            assertEquals("delivered", d.of("spring", 12).orElseThrow().result());
            assertEquals(1, d.heldThenMatched());
        }
    }

    @Test
    void aFinalReceiptHeldAfterAnIntermediateOneForTheSameIdIsTheOneKept() throws Exception {
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            assertEquals(Match.HELD, d.receipt("acme", receipt("twice", ENROUTE, "")));
            assertEquals(Match.HELD, d.receipt("acme", receipt("twice", DELIVERED, "")));
            assertEquals(Match.HELD, d.receipt("acme", receipt("twice", ENROUTE, "")), "a later intermediate one is dropped");
            assertEquals(1, d.held());
        }
        try (Deliveries d = open(Duration.ofSeconds(5))) {
            assertEquals(1, d.held(), "held again after a restart: the final one");
            d.accepted("acme", "spring", 21, List.of("twice"));
            assertEquals("delivered", d.of("spring", 21).orElseThrow().result());
        }
    }

    @Test
    void receiptsOfAnUntrackedCampaignAreMatchedAndNotKept() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            d.untracked("inbound-reply");
            d.accepted("acme", "inbound-reply", 5, List.of("conf-1"));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("conf-1", DELIVERED, "")));
            assertEquals(0, d.unmatched());
            assertEquals(1, d.matched());
            assertTrue(Files.notExists(data.resolve("campaigns").resolve("inbound-reply")), "no ledger for it");
        }
    }

    @Test
    void aDamagedLedgerSendsItsReceiptsAsideInsteadOfRefusingThemForEver() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            d.accepted("acme", "spring", 1, List.of("d1"));
            d.accepted("acme", "spring", 2, List.of("d2"));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("d1", DELIVERED, "")));
        }
        Path file = data.resolve("campaigns").resolve("spring").resolve(DeliveryLedger.FILE);
        byte[] bytes = Files.readAllBytes(file);
        bytes[2] = (byte) (bytes[2] == '9' ? '8' : '9'); // a whole line whose checksum now fails
        Files.write(file, bytes);
        try (Deliveries d = open(Duration.ofMillis(100))) {
            assertEquals(Match.UNMATCHED, d.receipt("acme", receipt("d2", DELIVERED, "")), "acknowledged, kept aside");
            assertEquals(1, d.unmatched());
            assertTrue(unmatchedLines().get(0).contains("delivery ledger is damaged"), unmatchedLines().get(0));
            assertEquals(bytes.length, Files.size(file), "the damaged file is left as it was");
        }
    }

    @Test
    void idleLedgersAreClosedAndOpenedAgainWhenNeeded() throws Exception {
        try (Deliveries d = open(Duration.ofMillis(100))) {
            d.accepted("acme", "spring", 1, List.of("i1", "i2"));
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("i1", DELIVERED, "")));
            assertEquals(1, d.closeIdle(Duration.ZERO));
            assertEquals(0, d.closeIdle(Duration.ZERO), "nothing open any more");
            assertEquals(Match.MATCHED, d.receipt("acme", receipt("i2", DELIVERED, "")));
            assertEquals(Map.of("delivered", 1L), d.counts("spring"), "the reopened ledger kept part 1");
            assertEquals(0, d.closeIdle(Duration.ofMinutes(10)), "used just now");
        }
    }

    /** A clock the test moves. */
    static final class SettableClock extends Clock {
        private volatile Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
