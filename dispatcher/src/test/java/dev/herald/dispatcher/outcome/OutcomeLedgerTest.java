package dev.herald.dispatcher.outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.CorruptIndexException;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.TornTails;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

class OutcomeLedgerTest {
    @TempDir
    Path dir;

    private static MutableRoaringBitmap ids(int... ids) {
        return MutableRoaringBitmap.bitmapOf(ids);
    }

    private static MutableRoaringBitmap range(int from, int to) {
        MutableRoaringBitmap bm = new MutableRoaringBitmap();
        bm.add((long) from, (long) to);
        return bm;
    }

    @Test
    void shouldTrackEveryOutcomeAndReportCountsThatAddUpToTheAudience() throws IOException {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 100))) {
            assertTrue(ledger.recovery().created());
            ledger.record(Outcomes.suppressed("global"), range(0, 10));
            ledger.record(Outcomes.capped("daily-1"), range(10, 20));
            Instant until = Instant.parse("2026-11-23T07:00:00Z");
            ledger.defer(until, range(20, 30));
            ledger.claim(range(30, 60));
            ledger.record(Outcomes.SENT, range(30, 50));
            ledger.record(Outcomes.failed("timeout"), range(50, 55));
            ledger.release(range(55, 60));
            ledger.record(Outcomes.EXPIRED, range(90, 100));

            assertEquals(Optional.of(new RecipientOutcome("suppressed:global", null)), ledger.outcomeOf(3));
            assertEquals(Optional.of(new RecipientOutcome("deferred", until)), ledger.outcomeOf(25));
            assertEquals("deferred until 2026-11-23T07:00:00Z", ledger.outcomeOf(25).orElseThrow().toString());
            assertEquals(Optional.empty(), ledger.outcomeOf(57));
            assertEquals(Map.of("suppressed:global", 10L, "capped:daily-1", 10L, "deferred", 10L, "sent", 20L,
                    "failed:timeout", 5L, "expired", 10L, "claimed", 0L, "pending", 35L), ledger.counts());
            assertEquals(range(55, 90), ledger.pending());
            assertEquals(range(20, 30), ledger.deferredDue(until));
            assertTrue(ledger.deferredDue(until.minusMillis(1)).isEmpty());
            assertFalse(ledger.isComplete());

            ledger.claim(range(20, 30));            // a released deferral is claimed and sent
            ledger.record(Outcomes.SENT, range(20, 30));
            ledger.record(Outcomes.EXPIRED, range(55, 90));
            assertTrue(ledger.isComplete());
            assertEquals(range(20, 50), ledger.ids(Outcomes.SENT));
        }
    }

    @Test
    void shouldRefuseASecondWriterWhileOpenAndAllowItAfterClose() throws IOException {
        OutcomeLedger first = OutcomeLedger.open(dir, range(0, 100));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> OutcomeLedger.openExisting(dir));
        assertTrue(e.getMessage().contains("already open"), e.getMessage());
        first.claim(range(0, 10));
        first.close();
        try (OutcomeLedger second = OutcomeLedger.openExisting(dir)) {
            assertEquals(range(0, 100), second.audience());
            assertEquals(range(0, 10), second.ids(Outcomes.UNKNOWN));
        }
    }

    @Test
    void shouldTurnClaimedButUnconfirmedIdsIntoUnknownOnReopen() throws IOException {
        OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 1000));
        ledger.claim(range(0, 500));
        ledger.record(Outcomes.SENT, range(0, 400));
        ledger.checkpoint();
        ledger.claim(range(500, 600));
        ledger.record(Outcomes.SENT, range(500, 550));
        // no close: as after a crash (the log was written, the checkpoint is older)
        ledger.releaseLockAsIfKilled();
        try (OutcomeLedger reopened = OutcomeLedger.open(dir, range(0, 1000))) {
            MutableRoaringBitmap unknown = range(400, 500);
            unknown.or(range(550, 600));
            assertEquals(unknown, reopened.recovery().unknown());
            assertEquals(150, reopened.recovery().unknownCount());
            assertEquals(Optional.of(new RecipientOutcome("unknown", null)), reopened.outcomeOf(420));
            assertEquals(range(600, 1000), reopened.pending());
            assertEquals(450L, reopened.counts().get("sent"));
        }
        ledger.close();
    }

    @Test
    void shouldHoldIdsUntilUnheldAndKeepThemHeldAcrossCheckpointAndReplay() throws IOException {
        Path held = dir.resolve("held");
        try (OutcomeLedger ledger = OutcomeLedger.open(held, range(0, 100))) {
            ledger.hold(range(10, 100));
            assertEquals(range(0, 10), ledger.pending());
            assertEquals(90L, ledger.counts().get("held"));
            assertEquals(10L, ledger.counts().get("pending"));
            assertEquals("held", ledger.outcomeOf(50).orElseThrow().outcome());
            assertFalse(ledger.isComplete());
            assertTrue(ledger.unsettled().contains(range(10, 100)));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ledger.unhold(range(5, 20)));
            assertTrue(e.getMessage().contains("not held"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ledger.record("held", ids(1)));
            ledger.checkpoint(); // the held bitmap goes into the checkpoint
            ledger.unhold(range(10, 40));
            ledger.record(Outcomes.NO_WINNER, range(90, 100));
        }
        try (OutcomeLedger ledger = OutcomeLedger.open(held, range(0, 100))) {
            assertEquals(range(0, 40), ledger.pending());
            assertEquals(50L, ledger.counts().get("held"));
            assertEquals(10L, ledger.counts().get(Outcomes.NO_WINNER));
            ledger.defer(Instant.parse("2030-01-01T00:00:00Z"), range(40, 90)); // a winner sent at a local time
            assertEquals(null, ledger.counts().get("held"));
            ledger.checkpoint();
        }
        try (OutcomeLedger ledger = OutcomeLedger.open(held, range(0, 100))) {
            assertEquals(50L, ledger.counts().get("deferred"));
            assertEquals(range(0, 40), ledger.pending());
        }
    }

    @Test
    void shouldRefuseASecondFinalOutcomeNamingTheIdAndBothOutcomes() throws IOException {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 100))) {
            ledger.record(Outcomes.suppressed("brand-a"), ids(7));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ledger.record(Outcomes.capped("weekly"), ids(5, 6, 7)));
            assertTrue(e.getMessage().contains("recipient 7") && e.getMessage().contains("suppressed:brand-a")
                    && e.getMessage().contains("capped:weekly"), e.getMessage());
            assertEquals(Optional.empty(), ledger.outcomeOf(5), "a refused batch changes nothing");
            assertThrows(IllegalStateException.class, () -> ledger.claim(ids(7)));
        }
    }

    @Test
    void shouldRefuseSentForUnclaimedIdsAndSuppressionForClaimedIds() throws IOException {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 100))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ledger.record(Outcomes.SENT, ids(3)));
            assertTrue(e.getMessage().contains("recipient 3"), e.getMessage());
            ledger.claim(ids(4));
            assertThrows(IllegalStateException.class, () -> ledger.claim(ids(4)));
            assertThrows(IllegalStateException.class, () -> ledger.record(Outcomes.suppressed("global"), ids(4)));
            assertThrows(IllegalStateException.class, () -> ledger.defer(Instant.EPOCH, ids(4)));
            assertThrows(IllegalStateException.class, () -> ledger.release(ids(5)));
            assertThrows(IllegalArgumentException.class, () -> ledger.record(Outcomes.DEFERRED, ids(5)));
            assertThrows(IllegalArgumentException.class, () -> ledger.record("delivered", ids(5)));
            assertThrows(IllegalArgumentException.class, () -> ledger.record("failed:", ids(5)));
            assertThrows(IllegalArgumentException.class, () -> ledger.record("failed:a b", ids(5)));
        }
    }

    @Test
    void shouldRefuseIdsOutsideTheAudienceNamingHowManyAndAnExample() throws IOException {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 100))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ledger.claim(ids(1, 100, 101, -1)));
            assertTrue(e.getMessage().startsWith("3 id(s) are not in the campaign audience (e.g. id 100)"), e.getMessage());
            assertEquals(100L, ledger.counts().get("pending"));
        }
    }

    @Test
    void shouldRefuseReopeningWithADifferentAudience() throws IOException {
        OutcomeLedger.open(dir, range(0, 100)).close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutcomeLedger.open(dir, range(0, 101)));
        assertTrue(e.getMessage().contains("stored 100 ids, given 101"), e.getMessage());
    }

    /** A crash tore the last (not yet fsynced) record: dropped, logged, counted; the next append lands cleanly. */
    @Test
    void shouldDropATornLastLogRecordAndReportIt() throws IOException {
        OutcomeLedger killed = OutcomeLedger.open(dir, range(0, 100));
        killed.record(Outcomes.suppressed("global"), range(0, 10));
        killed.sync();
        killed.record(Outcomes.EXPIRED, range(10, 20)); // written, not fsynced
        killed.releaseLockAsIfKilled();
        Path log = onlyLog();
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 3);
        }
        long counted = TornTails.count();
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 100))) {
            assertEquals(counted + 1, TornTails.count());
            assertTrue(ledger.recovery().droppedTornBytes() > 0);
            assertTrue(ledger.recovery().warnings().get(0).contains(log.toString()), ledger.recovery().warnings().toString());
            assertEquals(10L, ledger.counts().get("suppressed:global"));
            assertEquals(90L, ledger.counts().get("pending"), "the torn batch is pending again");
            ledger.record(Outcomes.EXPIRED, range(10, 20));
        }
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 100))) {
            assertEquals(0, ledger.recovery().droppedTornBytes());
            assertEquals(10L, ledger.counts().get("expired"));
        }
    }

    @Test
    void shouldRefuseALogDamagedBeforeAWholeRecord() throws IOException {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 100))) {
            ledger.record(Outcomes.suppressed("global"), range(0, 10));
            ledger.record(Outcomes.EXPIRED, range(10, 20));
        }
        Path log = onlyLog();
        flipByte(log, 16 + 12);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> OutcomeLedger.open(dir, range(0, 100)));
        assertEquals(log, e.file());
        assertTrue(e.getMessage().contains("damaged at offset 16"), e.getMessage());
    }

    private Path ledgerWithSyncedRecords(int batches) throws IOException {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 1000), 100_000)) {
            for (int i = 0; i < batches; i++) {
                ledger.claim(range(i * 10, i * 10 + 10));
                ledger.record(Outcomes.SENT, range(i * 10, i * 10 + 10));
            }
        }
        return onlyLog();
    }

    /**
     * Half of the log cut away was accepted and appended to with no word: recipients that were sent
     * answered pending (and would be sent again). The log is compared against its sync mark and refused.
     */
    @Test
    void shouldRefuseALogWithHalfOfItCutAway() throws IOException {
        Path log = ledgerWithSyncedRecords(40);
        long size = Files.size(log);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(size / 2);
        }
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> OutcomeLedger.open(dir, range(0, 1000)));
        assertEquals(log, e.file());
        assertTrue(e.getMessage().contains("was cut") && e.getMessage().contains(log.toString()), e.getMessage());
        assertEquals(size / 2, Files.size(log), "the log is left as it is");
        assertTrue(OutcomeLedger.verify(dir).get(2).isDamaged());
    }

    /** Cut exactly at a record boundary: no torn frame at all, still refused by the comparison with the mark. */
    @Test
    void shouldRefuseALogCutAtARecordBoundary() throws IOException {
        Path log = ledgerWithSyncedRecords(10);
        byte[] b = Files.readAllBytes(log);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
        int pos = 16;
        for (int i = 0; i < 7; i++) {
            pos += 8 + buf.getInt(pos);
        }
        Files.write(log, java.util.Arrays.copyOf(b, pos));
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> OutcomeLedger.open(dir, range(0, 1000)));
        assertTrue(e.getMessage().contains("records up to #20"), e.getMessage());
    }

    @Test
    void shouldRefuseADamagedLastCompleteRecordAndZeroFilledBytes() throws IOException {
        Path log = ledgerWithSyncedRecords(3);
        long size = Files.size(log);
        flipByte(log, size - 2);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> OutcomeLedger.open(dir, range(0, 1000)));
        assertEquals(log, e.file());
        assertTrue(e.offset() > 16 && e.offset() < size - 2, e.getMessage());
        assertEquals(size, Files.size(log));
        flipByte(log, size - 2);
        Files.write(log, new byte[100], StandardOpenOption.APPEND);
        e = assertThrows(DamagedStoreException.class, () -> OutcomeLedger.open(dir, range(0, 1000)));
        assertEquals(size, e.offset());
        assertEquals(size + 100, Files.size(log));
    }

    /** A ledger written by the version before sync marks (same log format, no mark) opens and gets its mark. */
    @Test
    void shouldOpenALedgerOfTheEarlierVersionAndAddItsSyncMark() throws IOException {
        Path log = ledgerWithSyncedRecords(5);
        Path mark = log.resolveSibling(log.getFileName().toString().replace(".log", ".mark"));
        Files.delete(mark); // exactly the files the earlier version left
        byte[] before = Files.readAllBytes(log);
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 1000))) {
            assertEquals(50L, ledger.counts().get(Outcomes.SENT));
        }
        assertTrue(Files.exists(mark));
        assertTrue(java.util.Arrays.equals(before, java.util.Arrays.copyOf(Files.readAllBytes(log), before.length)),
                "the log is read in place");
        OutcomeLedger.verify(dir).forEach(r -> assertTrue(r.ok(), r.describe()));
    }

    @Test
    void shouldRefuseACheckpointWithFlippedBytesNamingTheFile() throws IOException {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 100))) {
            ledger.record(Outcomes.suppressed("global"), range(0, 10));
            ledger.checkpoint();
        }
        Path checkpoint = dir.resolve("checkpoint");
        flipByte(checkpoint, Files.size(checkpoint) - 5);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> OutcomeLedger.open(dir, range(0, 100)));
        assertEquals(checkpoint, e.file());
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        Path audience = dir.resolve("audience.rbm");
        flipByte(checkpoint, Files.size(checkpoint) - 5);
        flipByte(audience, 40);
        e = assertThrows(CorruptIndexException.class, () -> OutcomeLedger.open(dir, range(0, 100)));
        assertEquals(audience, e.file());
    }

    @Test
    void shouldCheckpointAutomaticallyAndRecoverFromCheckpointPlusLog() throws IOException {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 1000), 3)) {
            for (int i = 0; i < 10; i++) {
                ledger.claim(range(i * 100, i * 100 + 100));
                ledger.record(Outcomes.SENT, range(i * 100, i * 100 + 90));
            }
        }
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 1000), 3)) {
            assertTrue(ledger.recovery().checkpointGeneration() > 5, "checkpoints were written");
            assertTrue(ledger.recovery().replayedRecords() < 3);
            assertEquals(100, ledger.recovery().unknownCount(), "claimed but never confirmed, even across a clean close");
            assertEquals(900L, ledger.counts().get("sent"));
        }
    }

    @Test
    void shouldGiveReadersOnOtherThreadsConsistentCountsWhileTheWriterWorks() throws Exception {
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, 200_000), 50)) {
            java.util.concurrent.atomic.AtomicReference<String> broken = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            Thread reader = new Thread(() -> {
                while (!done.get()) {
                    long sum = ledger.counts().values().stream().mapToLong(Long::longValue).sum();
                    if (sum != 200_000) {
                        broken.set("counts summed to " + sum);
                    }
                }
            });
            reader.start();
            for (int from = 0; from < 200_000; from += 1000) {
                ledger.record(Outcomes.suppressed("global"), range(from, from + 100));
                ledger.claim(range(from + 100, from + 1000));
                ledger.record(Outcomes.SENT, range(from + 100, from + 1000));
            }
            done.set(true);
            reader.join();
            assertEquals(null, broken.get());
            assertTrue(ledger.isComplete());
        }
    }

    private Path onlyLog() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("log-\\d+\\.log")).findFirst().orElseThrow();
        }
    }

    private static void flipByte(Path file, long at) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[(int) at] ^= 0x5A;
        Files.write(file, b);
    }

    /**
     * Claims fsync outside the write lock while other threads record, defer and checkpoint (every
     * 7 records, so the log is replaced under running syncs): nothing fails, and a reopen finds
     * exactly what was written.
     */
    @Test
    void shouldKeepClaimsDurableAndTheLogWholeWhileOtherWritersAndCheckpointsRunDuringTheirSyncs() throws Exception {
        int n = 20_000;
        java.util.concurrent.atomic.AtomicReference<Throwable> error = new java.util.concurrent.atomic.AtomicReference<>();
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, range(0, n), 7)) {
            Thread claimer = new Thread(() -> {
                try {
                    for (int from = 0; from < n / 2; from += 50) {
                        ledger.claim(range(from, from + 50));
                        ledger.record(Outcomes.SENT, range(from, from + 25));
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }, "claimer");
            Thread other = new Thread(() -> {
                try {
                    for (int from = n / 2; from < n; from += 20) {
                        if (from % 40 == 0) {
                            ledger.record(Outcomes.suppressed("global"), range(from, from + 20));
                        } else {
                            ledger.defer(Instant.ofEpochMilli(1_000_000L + from), range(from, from + 20));
                        }
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }, "other");
            Thread syncer = new Thread(() -> {
                try {
                    for (int i = 0; i < 200; i++) {
                        ledger.sync();
                    }
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                }
            }, "syncer");
            claimer.start();
            other.start();
            syncer.start();
            claimer.join();
            other.join();
            syncer.join();
            if (error.get() != null) {
                throw new AssertionError("a writer failed", error.get());
            }
        }
        try (OutcomeLedger reopened = OutcomeLedger.open(dir, range(0, n))) {
            Map<String, Long> counts = reopened.counts();
            assertEquals(n / 4, counts.get(Outcomes.SENT));
            assertEquals(n / 4, counts.get(Outcomes.UNKNOWN), "claimed but unconfirmed: unknown on reopen");
            assertEquals(n / 4, counts.get(Outcomes.suppressed("global")));
            assertEquals(n / 4, counts.get(Outcomes.DEFERRED));
            assertEquals(0L, counts.get("pending"));
        }
    }
}
