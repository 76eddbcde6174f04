package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.throttle.ReservationBatch;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the throttle benchmarks once at a small size and checks what they compute. */
class ThrottleBenchmarksTest {
    private static final int USERS = 3 * SendLedgerBenchmark.CHUNK + 1_000;

    @ParameterizedTest
    @ValueSource(strings = {"mmap", "chronicle"})
    void shouldDecideEveryIdOfTheChunkAndEnforceTheDailyCap(String store) throws Exception {
        SendLedgerBenchmark b = new SendLedgerBenchmark();
        b.store = store;
        b.users = USERS;
        b.clockStepHours = 6;
        b.setUp();
        try {
            // Passes at 10:00, 16:00, 22:00 Paris time on June 1st, then 04:00 on June 2nd.
            for (int call = 0; call < 4 * 4; call++) {
                int pass = call / 4;
                long chunkSize = b.chunks[call % 4].getLongCardinality();
                ReservationBatch r = b.reserveChunk();
                assertEquals(chunkSize, r.size(), "every id decided, call " + call);
                if (pass == 2) {
                    assertEquals(chunkSize, r.deferred().getLongCardinality(), "third send of the local day is deferred");
                    int first = r.deferred().first();
                    assertEquals(Instant.parse("2026-06-01T22:00:00Z"), r.deferredUntil(first), "to Paris midnight");
                } else {
                    assertEquals(chunkSize, r.reserved().getLongCardinality(), "pass " + pass + " within every cap");
                }
            }
            assertEquals(SendLedgerBenchmark.START.plus(Duration.ofHours(24)), b.now);
            assertEquals(4, b.ledger.recorded(0), "the send two days before, two on June 1st, one on June 2nd");
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldGrantFromAnOpenBucketAndRefuseFromADryOne() {
        RateLimiterBenchmark b = new RateLimiterBenchmark();
        b.setUp();
        for (int i = 0; i < 10_000; i++) {
            assertEquals(0, b.acquireGranted());
            assertTrue(b.acquireRefused() > 0);
        }
    }

    @Test
    void shouldReserveAndConfirmTheWholeAudienceOnAFreshLedgerEachInvocation() throws Exception {
        SendLedgerCampaignBenchmark b = new SendLedgerCampaignBenchmark();
        b.ids = 1_200_000; // two segments: the second is created during the invocation
        b.audience();
        assertTrue(b.audience > 1_200_000 * 0.4 && b.audience < 1_200_000 * 0.5, b.audience + " ids at 45 %");
        for (int i = 0; i < 2; i++) {
            b.freshLedger();
            try {
                // every id confirmed once (it throws otherwise): a fresh ledger each time, so the daily cap never bites
                assertEquals(b.audience, b.reserveAndConfirm());
            } finally {
                b.dropLedger();
            }
        }
    }
}
