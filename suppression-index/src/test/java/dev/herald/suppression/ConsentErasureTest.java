package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Erasure that keeps the opt-out: after {@link SuppressionIndex#recordErasure} and the next
 * compaction no byte under the index's folder holds the person's number or words, while the
 * suppression and the evidence that (and when, how) they opted out remain.
 */
class ConsentErasureTest {
    private static final String PHONE = "+447700900917";
    private static final String DIGITS = "447700900917";
    private static final String NAME = "Jane Doe";
    private static final long HASH = 0x5eed0123456789abL;
    private static final String HASHED = "hash:5eed0123456789ab";
    private static final Instant T = Instant.parse("2026-03-01T10:15:30Z");
    private static final ConsentEvidence STOP = ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms")
            .rawText("STOP please " + NAME).campaign("c-7");
    private static final ConsentEvidence ERASE = ConsentEvidence.of(ConsentSource.OPERATOR).channel("api");

    @TempDir
    Path dir;

    /** The files under the index folder (every one: base, wal, ledger, lock, leftovers) that contain {@code text} in UTF-8. */
    private List<Path> filesHolding(String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        List<Path> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p) && indexOf(Files.readAllBytes(p), needle) >= 0) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void assertNoPersonalData() throws IOException {
        assertEquals(List.of(), filesHolding(PHONE), "the number is still stored");
        assertEquals(List.of(), filesHolding(DIGITS), "the number's digits are still stored");
        assertEquals(List.of(), filesHolding(NAME), "the raw text is still stored");
    }

    @Test
    void shouldKeepTheOptOutAndItsEvidenceButNoNumberNorTextAfterErasureAndCompaction() throws IOException {
        long erasedSeq;
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.optOut(42, PHONE, Scope.GLOBAL, STOP.at(T));
            index.optOut(43, "+447700900043", Scope.GLOBAL, STOP.rawText("STOP from Bob Roe").at(T));
            index.compact(); // the first opt-out goes to the archived ledger
            index.optOut(42, PHONE, Scope.sender("acme"), STOP.at(T.plusSeconds(60))); // stays in the active log

            erasedSeq = index.recordErasure(42, HASH, ERASE.at(T.plusSeconds(120)));
            assertEquals(4, erasedSeq);
            assertFalse(filesHolding(NAME).isEmpty(), "an erasure alone is cheap: redaction waits for the compaction");

            CompactionReport report = index.compact();
            assertEquals(2, report.redactedRecords());
            assertEquals(2, report.redactedSegments());
            assertEquals(0, report.unredactedSegments());

            assertNoPersonalData();
            assertFalse(filesHolding("Bob Roe").isEmpty(), "another recipient's evidence is untouched");
            assertTrue(index.isSuppressed(42, List.of(Scope.GLOBAL)));
            assertTrue(index.isSuppressed(42, List.of(Scope.sender("acme"))));

            List<ConsentRecord> h = index.ledger().history(42);
            assertEquals(3, h.size(), h.toString());
            ConsentRecord out = h.get(0);
            assertEquals(new ConsentRecord(1, T, ConsentAction.OPT_OUT, 42, HASHED, Scope.GLOBAL,
                    ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms").campaign("c-7").at(T)), out);
            assertEquals(HASHED, h.get(1).phone());
            assertNull(h.get(1).evidence().rawText());
            assertEquals(Scope.sender("acme"), h.get(1).scope());
            assertEquals(new ConsentRecord(erasedSeq, T.plusSeconds(120), ConsentAction.ERASED, 42, HASHED, Scope.GLOBAL,
                    ERASE.at(T.plusSeconds(120))), h.get(2));

            ByteArrayOutputStream json = new ByteArrayOutputStream();
            index.ledger().exportJsonLines(Instant.MIN, Instant.MAX, 42, json);
            String[] lines = json.toString(StandardCharsets.UTF_8).split("\n");
            assertEquals("{\"seq\":4,\"time\":\"2026-03-01T10:17:30Z\",\"action\":\"erased\",\"recipientId\":42,"
                    + "\"phone\":\"" + HASHED + "\",\"scope\":\"global\",\"source\":\"operator\",\"channel\":\"api\","
                    + "\"text\":null,\"campaign\":null}", lines[2]);

            // the number registered again: what comes after the erasure is kept as it is
            index.optIn(42, PHONE, Scope.GLOBAL, ConsentEvidence.of(ConsentSource.KEYWORD).rawText("START " + NAME));
            assertEquals(0, index.compact().redactedRecords());
            List<ConsentRecord> after = index.ledger().history(42);
            ConsentRecord in = after.get(after.size() - 1);
            assertEquals(ConsentAction.OPT_IN, in.action());
            assertEquals(PHONE, in.phone());
            assertEquals("START " + NAME, in.evidence().rawText());
            assertFalse(index.isSuppressed(42, List.of(Scope.GLOBAL)));
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(4, index.ledger().history(42).size());
            assertEquals(List.of(), index.openReport().warnings());
            for (dev.herald.suppression.store.VerifyResult r : SuppressionIndex.verifyLogs(dir)) {
                assertTrue(r.ok(), r.toString());
            }
        }
    }

    @Test
    void shouldRedactAfterARestartBetweenErasureAndCompaction() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.optOut(42, PHONE, Scope.GLOBAL, STOP);
            index.compact();
            index.optOut(42, PHONE, Scope.channel("sms"), STOP);
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.recordErasure(42, HASH, ERASE);
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(2, index.compact().redactedRecords());
            assertNoPersonalData();
            assertTrue(index.isSuppressed(42, List.of(Scope.GLOBAL)));
            assertEquals(3, index.ledger().history(42).size());
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(0, index.compact().redactedRecords(), "done once: a later compaction has nothing to redact");
        }
    }

    @Test
    void shouldRemoveAPartialRedactionLeftByACrashAtOpenAndRedactAgain() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.optOut(42, PHONE, Scope.GLOBAL, STOP);
            index.compact();
            index.recordErasure(42, HASH, ERASE);
        }
        Path archived;
        try (Stream<Path> files = Files.list(dir.resolve("ledger"))) {
            archived = files.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        byte[] whole = Files.readAllBytes(archived);
        // a crash mid-rewrite: half of a temp file, its last bytes garbage
        Path tmp = archived.resolveSibling(archived.getFileName() + ".redact.tmp");
        byte[] half = java.util.Arrays.copyOf(whole, whole.length / 2 + 3);
        half[half.length - 1] ^= 0x33;
        Files.write(tmp, half);
        Path walTmp = dir.resolve("wal").resolve("00000000000000000001.log.redact.tmp");
        Files.write(walTmp, new byte[] {1, 2, 3});

        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertFalse(Files.exists(tmp), "the temp file is removed at open");
            assertFalse(Files.exists(walTmp));
            assertTrue(index.openReport().warnings().stream().anyMatch(w -> w.contains(tmp.toString())),
                    index.openReport().warnings().toString());
            assertTrue(java.util.Arrays.equals(whole, Files.readAllBytes(archived)), "the segment itself is untouched");
            assertEquals(1, index.compact().redactedRecords());
            assertNoPersonalData();
            assertTrue(index.isSuppressed(42, List.of(Scope.GLOBAL)));
        }
    }

    @Test
    void shouldRecordTheErasureOfAnIdTheLedgerNeverSawWithoutError() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            long seq = index.recordErasure(999, HASH, ERASE);
            assertEquals(1, seq);
            assertFalse(index.isSuppressed(999, List.of(Scope.GLOBAL)), "an erasure changes no suppression");
            CompactionReport r = index.compact();
            assertEquals(0, r.redactedRecords());
            List<ConsentRecord> h = index.ledger().history(999);
            assertEquals(1, h.size());
            assertEquals(ConsentAction.ERASED, h.get(0).action());
            assertEquals(HASHED, h.get(0).phone());
        }
    }

    @Test
    void shouldRefuseAnErasureThatWouldKeepPersonalDataOrHasNoValidId() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                    () -> index.recordErasure(42, HASH, ERASE.rawText("erase me, " + NAME)));
            assertTrue(text.getMessage().contains("raw text"), text.getMessage());
            IllegalArgumentException id = assertThrows(IllegalArgumentException.class,
                    () -> index.recordErasure(-1, HASH, ERASE));
            assertTrue(id.getMessage().contains("-1"), id.getMessage());
            IllegalArgumentException plain = assertThrows(IllegalArgumentException.class,
                    () -> index.apply(List.of(new ConsentChange(ConsentAction.ERASED, 42, PHONE, Scope.GLOBAL, ERASE))));
            assertTrue(plain.getMessage().contains("keyed hash") && plain.getMessage().contains(PHONE), plain.getMessage());
            IllegalArgumentException scoped = assertThrows(IllegalArgumentException.class, () -> index.apply(List.of(
                    new ConsentChange(ConsentAction.ERASED, 42, HASHED, Scope.sender("acme"), ERASE))));
            assertTrue(scoped.getMessage().contains("global"), scoped.getMessage());
            assertThrows(IllegalArgumentException.class, () -> index.recordErasure(42, HASH, null));
            assertEquals(List.of(), index.ledger().history(42), "nothing refused was written");
        }
    }

    @Test
    void shouldRedactEveryEarlierRecordOfAnIdErasedTwiceAndKeepTheLaterOnes() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.optOut(42, PHONE, Scope.GLOBAL, STOP);
            index.recordErasure(42, HASH, ERASE);
            index.optIn(42, "+447700900918", Scope.GLOBAL, STOP.rawText("START Jane Roe"));
            index.recordErasure(42, HASH + 1, ERASE);
            index.optOut(42, "+447700900919", Scope.GLOBAL, STOP.rawText("STOP Jane Poe"));
            assertEquals(2, index.compact().redactedRecords());
            List<ConsentRecord> h = index.ledger().history(42);
            assertEquals(HASHED, h.get(0).phone());
            assertEquals("hash:5eed0123456789ac", h.get(2).phone(), "redacted with the erasure that covers it");
            assertNull(h.get(2).evidence().rawText());
            assertEquals("+447700900919", h.get(4).phone());
            assertEquals("STOP Jane Poe", h.get(4).evidence().rawText());
            assertTrue(filesHolding("Jane Roe").isEmpty());
            assertFalse(filesHolding("Jane Poe").isEmpty());
            assertTrue(index.isSuppressed(42, List.of(Scope.GLOBAL)));
        }
    }

    @Test
    void shouldLeaveADamagedArchivedSegmentAsItIsAndReportItNotRedacted() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            for (int i = 0; i < 50; i++) {
                index.optOut(i, null, Scope.GLOBAL, STOP.rawText("STOP " + i));
            }
            index.compact();
            index.optOut(42, PHONE, Scope.channel("sms"), STOP);
            index.compact();
        }
        Path damaged;
        try (Stream<Path> files = Files.list(dir.resolve("ledger"))) {
            damaged = files.filter(p -> p.toString().endsWith(".log")).sorted().findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(damaged);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(damaged, bytes);
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.recordErasure(42, HASH, ERASE);
            CompactionReport r = index.compact();
            assertEquals(1, r.unredactedSegments());
            assertEquals(1, r.redactedRecords(), "the readable segment is redacted all the same");
            assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(damaged)), "the damaged segment is kept as it was");
            assertNoPersonalData();
        }
    }

    @Test
    void shouldPurgeErasedEvidenceNoEarlierThanAnyOther() throws IOException {
        Path d = dir;
        try (SuppressionIndex index = SuppressionIndex.open(d, IndexOptions.defaults().withClock(Clock.fixed(T, ZoneOffset.UTC)))) {
            index.optOut(42, PHONE, Scope.GLOBAL, STOP.at(T));
            index.compact();
            index.recordErasure(42, HASH, ERASE.at(T.plusSeconds(86_400)));
            index.compact(); // redacts the first segment, keeping its record's time
        }
        Instant later = T.plus(IndexOptions.defaults().retention()).plusSeconds(3600);
        try (SuppressionIndex index = SuppressionIndex.open(d, IndexOptions.defaults().withClock(Clock.fixed(later, ZoneOffset.UTC)))) {
            CompactionReport r = index.compact();
            assertEquals(1, r.purgedSegments(), "the opt-out's segment is past retention, the erasure's a day younger is not");
            List<ConsentRecord> h = index.ledger().history(42);
            assertEquals(1, h.size());
            assertEquals(ConsentAction.ERASED, h.get(0).action());
            assertTrue(index.isSuppressed(42, List.of(Scope.GLOBAL)), "the base keeps the opt-out");
        }
    }
}
