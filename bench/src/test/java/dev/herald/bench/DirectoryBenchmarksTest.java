package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;
import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Recipient;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Runs every recipient-directory benchmark once at a small size and checks its result, so a
 * benchmark that measures the wrong thing fails the build. The fixture seed is
 * {@link DirectoryFixture#SEED} (printed by each setup).
 */
class DirectoryBenchmarksTest {
    private static final int RECIPIENTS = 20_000;
    private static final int PROBES = 4096;
    private static final int LINES = 20_000;

    @Test
    void shouldResolveEveryHitToItsRegisteredIdAndFindNoMiss() throws Exception {
        DirectoryLookupBenchmark b = new DirectoryLookupBenchmark();
        b.recipients = RECIPIENTS;
        b.probes = PROBES;
        b.setUp();
        try {
            assertEquals(RECIPIENTS, b.directory.size());
            DirectoryLookupBenchmark.Cursor hits = new DirectoryLookupBenchmark.Cursor();
            DirectoryLookupBenchmark.Cursor misses = new DirectoryLookupBenchmark.Cursor();
            DirectoryLookupBenchmark.Cursor gets = new DirectoryLookupBenchmark.Cursor();
            for (int i = 0; i < PROBES; i++) {
                assertTrue(PhoneNumbers.isCanonicalE164(b.hitPhones[i]), "hits must take the fast path");
                assertTrue(PhoneNumbers.isCanonicalE164(b.missPhones[i]), "misses must take the fast path");

                assertEquals(OptionalInt.of(b.hitIds[i]), b.idOfHit(hits), "hit " + i + ", " + b.hitPhones[i]);
                assertEquals(OptionalInt.empty(), b.idOfMiss(misses), "miss " + i + ", " + b.missPhones[i]);
                Optional<Recipient> r = b.get(gets);
                assertTrue(r.isPresent(), "id " + b.getIds[i]);
                assertEquals(b.getIds[i], r.get().id());
                assertEquals(OptionalInt.of(b.getIds[i]), b.directory.idOf(r.get().e164()), "record and index agree");
                assertEquals(DirectoryFixture.ZONE, r.get().zone());
                assertTrue(r.get().fields().containsKey("first_name"));
            }
            assertEquals(PROBES, hits.next, "one probe per call");
            Set<String> hitSet = new HashSet<>(List.of(b.hitPhones));
            for (String miss : b.missPhones) {
                assertFalse(hitSet.contains(miss));
                // Misses are valid numbers that were simply never registered, not garbage.
                assertEquals(PhoneNumbers.toKey(miss), b.directory.phoneNumbers().normalize(miss).key());
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldImportEveryValidLineAndRejectExactlyTheInvalidOnes() throws Exception {
        DirectoryImportBenchmark b = new DirectoryImportBenchmark();
        b.lines = LINES;
        b.writeCsv();
        List<Long> rejectedLines = new ArrayList<>();
        b.listener = new ImportListener() {
            @Override
            public void onRejected(long lineNumber, String reason) {
                rejectedLines.add(lineNumber);
            }
        };
        try {
            DirectoryFixture.Csv csv = b.csv;
            assertEquals(LINES, csv.created() + csv.duplicates() + csv.rejected());
            assertTrue(csv.rejected() >= 50 && csv.rejected() <= 150, "~0.5 % invalid, got " + csv.rejected());
            assertTrue(csv.duplicates() >= 100, "~1 % duplicates, got " + csv.duplicates());
            List<String> text = Files.readAllLines(csv.file());
            assertEquals(DirectoryFixture.HEADER, text.get(0));
            // "07400 123456,": national format; the one-digit-short invalid lines have 11 characters.
            List<String> nationalLines = text.stream().filter(l -> l.startsWith("07") && l.indexOf(',') == 12).toList();
            long national = nationalLines.size();
            assertTrue(national > LINES / 10, "national-format lines: " + national);

            b.openFreshDirectory();
            ImportReport report = b.importCsv();

            assertEquals(LINES, report.lines());
            assertEquals(LINES, report.imported() + report.rejected());
            assertEquals(csv.rejected(), report.rejected());
            assertEquals(csv.created(), report.created());
            assertEquals(csv.duplicates(), report.duplicates());
            assertArrayEquals(csv.invalidLines(), rejectedLines.stream().mapToLong(Long::longValue).toArray());
            assertEquals(csv.created(), b.directory.size());
            // Spot-check: a national-format line and its E.164 form resolve to the same recipient.
            String phone = nationalLines.get(0).substring(0, 12);
            Recipient r = b.directory.find(phone).orElseThrow();
            assertEquals(OptionalInt.of(r.id()), b.directory.idOf(r.e164()));
            b.closeDirectory();
        } finally {
            b.deleteCsv();
        }
    }

    @Test
    void shouldDrawOnlyDistinctValidNumbers() {
        PhoneNumbers gb = PhoneNumbers.withDefaultRegion(DirectoryFixture.REGION);
        DirectoryFixture.Keys keys = new DirectoryFixture.Keys(DirectoryFixture.SEED);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            long key = keys.next();
            assertTrue(seen.add(key), "key " + key + " repeated at draw " + i);
            assertEquals(key, gb.normalize(DirectoryFixture.e164(key)).key());
            assertEquals(key, gb.normalize(DirectoryFixture.national(key)).key());
        }
        assertThrows(InvalidPhoneNumberException.class, () -> gb.normalize("+447700900123"));
    }
}
