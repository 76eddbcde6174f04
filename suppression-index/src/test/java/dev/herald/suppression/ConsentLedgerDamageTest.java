package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged archived ledger segment never takes every consent history down: what can be read is
 * answered, with the damaged segment named and the history marked incomplete.
 */
class ConsentLedgerDamageTest {
    private static final ConsentEvidence API = ConsentEvidence.of(ConsentSource.API);

    @TempDir
    Path dir;

    private List<Path> archived() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("ledger"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
        }
    }

    @Test
    void shouldAnswerEveryHistoryFromWhatCanBeReadNamingTheDamagedArchivedSegment() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            for (int i = 0; i < 100; i++) {
                index.optOut(i, null, Scope.GLOBAL, API); // archived segment 1
            }
            index.compact();
            for (int i = 0; i < 100; i++) {
                index.optIn(i, null, Scope.GLOBAL, API); // archived segment 2
            }
            index.compact();
            index.optOut(7, null, Scope.sender("acme"), API); // active
            assertTrue(index.ledger().historyOf(7).complete());
        }
        List<Path> segments = archived();
        assertEquals(2, segments.size(), segments.toString());
        Path damaged = segments.get(1);
        byte[] bytes = Files.readAllBytes(damaged);
        bytes[bytes.length / 2] ^= 0x5A; // a complete record in the middle fails its checksum
        Files.write(damaged, bytes);

        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            // the strict read keeps refusing by name
            IOException e = assertThrows(IOException.class, () -> index.ledger().history(7));
            assertTrue(e.getMessage().contains(damaged.toString()), e.getMessage());

            ConsentLedger.History h = index.ledger().historyOf(7);
            assertFalse(h.complete());
            assertEquals(1, h.damaged().size());
            ConsentLedger.DamagedSegment d = h.damaged().get(0);
            assertEquals(damaged, d.file());
            assertEquals(101, d.firstSeq());
            assertEquals(200, d.lastSeq());
            assertTrue(d.error().contains(damaged.toString()) && d.error().contains("offset"), d.error());
            // the first archived segment and the active one are read
            assertEquals(ConsentAction.OPT_OUT, h.records().get(0).action());
            assertEquals(Scope.GLOBAL, h.records().get(0).scope());
            assertEquals(Scope.sender("acme"), h.records().get(h.records().size() - 1).scope());
            // records before the damage in the damaged segment are read too
            assertEquals(2, index.ledger().historyOf(2).records().size(), "recipient 2's opt-in is before the damage: read");
            assertEquals(1, index.ledger().historyOf(99).records().size(), "recipient 99's opt-in is after it: missing");
            // the index itself is unaffected
            assertTrue(index.isSuppressed(7, List.of(Scope.sender("acme"))));
            assertFalse(index.isSuppressed(2, List.of(Scope.GLOBAL)));
        }
        assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(damaged)), "the damaged segment is kept as it was");
    }
}
