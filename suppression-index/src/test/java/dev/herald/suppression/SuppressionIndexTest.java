package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

class SuppressionIndexTest {
    private static final ConsentEvidence API = ConsentEvidence.of(ConsentSource.API);
    private static final Scope ACME = Scope.sender("acme");
    private static final Scope SMS = Scope.channel("sms");
    private static final Scope PROMO = Scope.category("promo");

    @TempDir
    Path dir;

    @Test
    void shouldMakeAnOptOutVisibleAsSoonAsItReturns() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertFalse(index.isSuppressed(7, List.of(Scope.GLOBAL, ACME)));
            ConsentRecord r = index.optOut(7, "+447700900007", ACME, API.rawText("STOP"));
            assertEquals(1, r.seq());
            assertTrue(index.isSuppressed(7, List.of(Scope.GLOBAL, ACME)));
            assertFalse(index.isSuppressed(7, List.of(Scope.GLOBAL, Scope.sender("other"))));
            assertEquals(List.of(ACME), index.snapshot().scopesOf(7));
            index.optIn(7, "+447700900007", ACME, API.rawText("START"));
            assertFalse(index.isSuppressed(7, List.of(ACME)));
        }
    }

    @Test
    void shouldFilterExactlyLikeABruteForceModelAcrossCompactionsAndReopens() throws IOException {
        long seed = 20261122L;
        System.out.println("seed " + seed);
        Random rnd = new Random(seed);
        List<Scope> scopes = List.of(Scope.GLOBAL, ACME, SMS, PROMO);
        BitSet[] model = new BitSet[scopes.size()];
        for (int i = 0; i < model.length; i++) {
            model[i] = new BitSet();
        }
        int universe = 200_000;
        SuppressionIndex index = SuppressionIndex.open(dir, IndexOptions.defaults().withMaxSegmentBytes(64 * 1024));
        try {
            for (int round = 0; round < 12; round++) {
                List<ConsentChange> batch = new ArrayList<>();
                for (int k = 0; k < 2_000; k++) {
                    int s = rnd.nextInt(scopes.size());
                    int id = rnd.nextInt(universe);
                    boolean out = rnd.nextInt(4) != 0;
                    batch.add(new ConsentChange(out ? ConsentAction.OPT_OUT : ConsentAction.OPT_IN, id, null, scopes.get(s), API));
                    model[s].set(id, out);
                }
                index.apply(batch);
                if (round % 3 == 1) {
                    index.compact();
                }
                if (round % 4 == 3) {
                    index.close();
                    index = SuppressionIndex.open(dir, IndexOptions.defaults().withMaxSegmentBytes(64 * 1024));
                }
                check(index.snapshot(), scopes, model, universe, rnd);
            }
        } finally {
            index.close();
        }
    }

    private static void check(SuppressionSnapshot snap, List<Scope> scopes, BitSet[] model, int universe, Random rnd) {
        for (int s = 0; s < scopes.size(); s++) {
            assertEquals(model[s].cardinality(), snap.count(scopes.get(s)), "count of " + scopes.get(s));
        }
        List<Scope> message = List.of(Scope.GLOBAL, ACME, PROMO);
        MutableRoaringBitmap chunk = new MutableRoaringBitmap();
        chunk.add(0L, universe);
        MutableRoaringBitmap kept = snap.filter(chunk, message);
        MutableRoaringBitmap reported = new MutableRoaringBitmap();
        MutableRoaringBitmap kept2 = snap.filter(chunk, message, (scope, hit) -> {
            assertTrue(MutableRoaringBitmap.andCardinality(reported, hit) == 0, "reported twice");
            reported.or(hit);
        });
        assertEquals(kept, kept2);
        for (int id = 0; id < universe; id++) {
            boolean suppressed = model[0].get(id) || model[1].get(id) || model[3].get(id);
            assertEquals(!suppressed, kept.contains(id), "id " + id);
            assertEquals(suppressed, snap.isSuppressed(id, message), "isSuppressed " + id);
            assertEquals(suppressed, snap.prepare(message).isSuppressed(id), "prepared " + id);
            assertEquals(suppressed, reported.contains(id), "reported id " + id);
        }
        for (int k = 0; k < 2_000; k++) {
            int id = rnd.nextInt(universe);
            assertEquals(model[2].get(id), snap.isSuppressed(id, SMS));
        }
    }

    @Test
    void shouldKeepEverythingAcrossCompactionAndReopenAndArchiveTheLog() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            for (int i = 0; i < 100; i++) {
                index.optOut(i, null, Scope.GLOBAL, API);
            }
            index.optIn(5, null, Scope.GLOBAL, API);
            CompactionReport report = index.compact();
            assertEquals(99, report.ids());
            assertEquals(101, report.baseSeq());
            assertEquals(1, report.archivedSegments());
            index.optOut(500, null, Scope.GLOBAL, API);
            index.optIn(6, null, Scope.GLOBAL, API);
            assertEquals(99, index.snapshot().count(Scope.GLOBAL));
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(99, index.openReport().baseIds());
            assertEquals(2, index.openReport().replayedRecords());
            assertEquals(99, index.snapshot().count(Scope.GLOBAL));
            assertTrue(index.isSuppressed(500, List.of(Scope.GLOBAL)));
            assertFalse(index.isSuppressed(6, List.of(Scope.GLOBAL)));
            assertFalse(index.isSuppressed(5, List.of(Scope.GLOBAL)));
            // the evidence outlives the compaction
            assertEquals(2, index.ledger().history(6).size());
            ConsentRecord next = index.optOut(501, null, Scope.GLOBAL, API);
            assertEquals(104, next.seq());
        }
    }

    @Test
    void shouldKeepTheEvidenceAndExportItAsJsonLines() throws IOException {
        Instant t = Instant.parse("2026-03-01T10:15:30Z");
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.optOut(42, "+447700900042", ACME, ConsentEvidence.of(ConsentSource.KEYWORD)
                    .channel("sms").rawText("Stop.").campaign("c-7").at(t));
            index.optOut(43, "+447700900043", Scope.GLOBAL, API.at(t.plusSeconds(5)));
            index.optIn(42, "+447700900042", ACME, ConsentEvidence.of(ConsentSource.LINK).at(t.plusSeconds(60)));
            List<ConsentRecord> h = index.ledger().history(42);
            assertEquals(2, h.size());
            assertEquals(ConsentAction.OPT_OUT, h.get(0).action());
            assertEquals("Stop.", h.get(0).evidence().rawText());
            assertEquals("c-7", h.get(0).evidence().campaignId());
            assertEquals(t, h.get(0).time());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long n = index.ledger().exportJsonLines(t, t.plusSeconds(10), -1, out);
            assertEquals(2, n);
            String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
            assertEquals(2, lines.length);
            assertEquals("{\"seq\":1,\"time\":\"2026-03-01T10:15:30Z\",\"action\":\"opt-out\",\"recipientId\":42,"
                    + "\"phone\":\"+447700900042\",\"scope\":\"sender:acme\",\"source\":\"keyword\",\"channel\":\"sms\","
                    + "\"text\":\"Stop.\",\"campaign\":\"c-7\"}", lines[0]);
            assertTrue(lines[1].startsWith("{\"seq\":2,"), "no separator before later lines: " + lines[1]);
        }
    }

    @Test
    void shouldPurgeArchivedEvidenceOnlyAfterTheRetentionPeriod() throws IOException {
        Instant start = Instant.parse("2020-01-01T00:00:00Z");
        MutableClock clock = new MutableClock(start);
        IndexOptions opts = IndexOptions.defaults().withClock(clock).withRetention(Duration.ofDays(1100));
        try (SuppressionIndex index = SuppressionIndex.open(dir, opts)) {
            index.optOut(1, null, Scope.GLOBAL, API);
            assertEquals(0, index.compact().purgedSegments());
            clock.now = start.plus(Duration.ofDays(1099));
            assertEquals(0, index.compact().purgedSegments());
            assertEquals(1, index.ledger().history(1).size());
            clock.now = start.plus(Duration.ofDays(1101));
            assertTrue(index.compact().purgedSegments() >= 1);
            assertEquals(0, index.ledger().history(1).size());
            // the suppression itself is in the base image and stays
            assertTrue(index.isSuppressed(1, List.of(Scope.GLOBAL)));
        }
    }

    @Test
    void shouldRefuseRetentionUnderThreeYears() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IndexOptions.defaults().withRetention(Duration.ofDays(365)));
        assertTrue(e.getMessage().contains("at least 3 years"));
    }

    @Test
    void shouldRefuseASecondProcessOrInstanceOnTheSameFolder() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            IOException e = assertThrows(IOException.class, () -> SuppressionIndex.open(dir));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        SuppressionIndex.open(dir).close();
    }

    @Test
    void shouldExportAndCountPerScope() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.apply(List.of(ConsentChange.optOut(1, null, ACME, API), ConsentChange.optOut(2, null, ACME, API),
                    ConsentChange.optOut(2, null, SMS, API)));
            assertEquals(2, index.snapshot().count(ACME));
            assertEquals(MutableRoaringBitmap.bitmapOf(1, 2), index.snapshot().export(ACME));
            assertEquals(List.of(ACME, SMS), List.copyOf(index.snapshot().counts().keySet()));
            assertTrue(Files.exists(dir.resolve("wal")));
        }
    }

    @Test
    void shouldNotPurgeASegmentHoldingEvidenceWithinRetentionWhateverItsOrder() throws IOException {
        Instant now = Instant.parse("2026-11-22T00:00:00Z");
        IndexOptions opts = IndexOptions.defaults().withClock(new MutableClock(now));
        try (SuppressionIndex index = SuppressionIndex.open(dir, opts)) {
            index.optOut(1, null, Scope.GLOBAL, API);
            index.optOut(2, null, Scope.GLOBAL, API.at(Instant.parse("2019-01-01T00:00:00Z"))); // back-dated import
            assertEquals(0, index.compact().purgedSegments());
            assertEquals(1, index.ledger().history(1).size());
        }
    }

    @Test
    void shouldLetAnAsyncContinuationWriteAgainWithoutDeadlock() throws Exception {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            ConsentRecord second = index.applyAsync(List.of(ConsentChange.optOut(1, null, Scope.GLOBAL, API)))
                    .thenApply(r -> {
                        try {
                            return index.optOut(2, null, Scope.GLOBAL, API);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(2, second.seq());
        }
    }

    @Test
    void shouldAcknowledgeEveryDurableChangeWhileClosingWithBackgroundCompaction() throws Exception {
        SuppressionIndex index = SuppressionIndex.open(dir, IndexOptions.defaults().withAutoCompactChanges(1));
        List<java.util.concurrent.CompletableFuture<List<ConsentRecord>>> pending = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pending.add(index.applyAsync(List.of(ConsentChange.optOut(i, null, Scope.GLOBAL, API))));
        }
        index.close();
        for (var f : pending) {
            assertEquals(1, f.get(20, java.util.concurrent.TimeUnit.SECONDS).size());
        }
        assertThrows(IllegalStateException.class, () -> index.optOut(99, null, Scope.GLOBAL, API));
        try (SuppressionIndex again = SuppressionIndex.open(dir)) {
            assertEquals(50, again.snapshot().count(Scope.GLOBAL));
        }
    }

    static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
