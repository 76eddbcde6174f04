package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.ConsentAction;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.OpenReport;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;

import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;

/**
 * Runs every benchmark once at a small size and checks its result against a brute-force
 * computation over the fixture's ids, so a benchmark that measures the wrong thing fails the build.
 * The fixture seed is {@link SuppressionFixture#SEED} (printed by each setup).
 */
class BenchmarksTest {
    private static final int AUDIENCE = 200_000;
    private static final int SUPPRESSED = 20_000;
    private static final int RECENT = 1_000;

    /** Brute force: one BitSet per scope, from the fixture's arrays. */
    private static BitSet[] scopeSets(SuppressionFixture f) {
        BitSet[] sets = new BitSet[SuppressionFixture.SCOPES.size()];
        for (int s = 0; s < sets.length; s++) {
            sets[s] = new BitSet();
        }
        for (int i = 0; i < f.ids.length; i++) {
            sets[f.scopes[i]].set(f.ids[i]);
        }
        return sets;
    }

    /** Brute force: the union of the scopes that apply to the benchmarked message. */
    private static BitSet messageUnion(SuppressionFixture f) {
        BitSet[] sets = scopeSets(f);
        BitSet union = new BitSet();
        for (int s = 0; s < sets.length; s++) {
            if (SuppressionFixture.MESSAGE_SCOPES.contains(SuppressionFixture.SCOPES.get(s))) {
                union.or(sets[s]);
            }
        }
        return union;
    }

    private static void assertScopeCounts(SuppressionFixture f, SuppressionSnapshot snapshot) {
        BitSet[] sets = scopeSets(f);
        for (int s = 0; s < sets.length; s++) {
            Scope scope = SuppressionFixture.SCOPES.get(s);
            assertEquals(sets[s].cardinality(), snapshot.count(scope), "ids suppressed in " + scope);
        }
    }

    @ParameterizedTest(name = "mode={0}, recentOptOuts={1}")
    @CsvSource({"mmap, 0", "heap, 0", "mmap, 1000", "heap, 1000"})
    void shouldKeepExactlyTheAudienceOutsideEveryMessageScope(String mode, int recent) throws Exception {
        SuppressionFilterBenchmark b = new SuppressionFilterBenchmark();
        b.audienceSize = AUDIENCE;
        b.suppressed = SUPPRESSED;
        b.recentOptOuts = recent;
        b.mode = mode;
        b.setUp();
        try {
            assertEquals(recent, b.index.snapshot().deltaSize(), "the recent opt-outs must stay in the delta");
            BitSet union = messageUnion(b.fixture);
            long expected = AUDIENCE - union.get(0, AUDIENCE).cardinality();
            assertEquals(AUDIENCE - SUPPRESSED - recent, expected, "fixture ids must be distinct and inside the audience");

            long kept = b.filterWholeAudience();

            assertEquals(expected, kept);
            assertScopeCounts(b.fixture, b.index.snapshot());
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldAnswerEveryProbeLikeTheBruteForceSet() throws Exception {
        IsSuppressedBenchmark b = new IsSuppressedBenchmark();
        b.audienceSize = AUDIENCE;
        b.suppressed = SUPPRESSED;
        b.mode = "mmap";
        b.probes = 4096;
        b.setUp();
        try {
            BitSet union = messageUnion(b.fixture);
            IsSuppressedBenchmark.Cursor cursor = new IsSuppressedBenchmark.Cursor();
            int hits = 0;
            for (int i = 0; i < b.probes; i++) {
                int id = b.probeIds[i];
                boolean suppressed = b.isSuppressed(cursor);
                assertEquals(union.get(id), suppressed, "probe " + i + ", id " + id);
                hits += suppressed ? 1 : 0;
            }
            assertTrue(hits > 0 && hits < b.probes, "probes must mix suppressed and kept ids, got " + hits + " hits");
            assertEquals(b.probes, cursor.next, "one probe per call");
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldOptOutAFreshIdDurablyOnEveryCall() throws Exception {
        OptOutBenchmark b = new OptOutBenchmark();
        b.audienceSize = AUDIENCE;
        b.baseSuppressed = SUPPRESSED;
        b.idOrder = "scattered";
        b.setUp();
        try {
            BitSet before = messageUnion(b.fixture);
            long countBefore = b.index.snapshot().counts().values().stream().mapToLong(Long::longValue).sum();

            ConsentRecord first = b.optOutThroughput();
            ConsentRecord second = b.optOutLatency();

            for (ConsentRecord r : List.of(first, second)) {
                assertEquals(ConsentAction.OPT_OUT, r.action());
                assertFalse(before.get(r.recipientId()), "id " + r.recipientId() + " was already suppressed");
                assertTrue(b.index.snapshot().isSuppressed(r.recipientId(), r.scope()), "acknowledged but not visible");
            }
            assertNotEquals(first.recipientId(), second.recipientId());
            assertTrue(second.seq() > first.seq());
            long countAfter = b.index.snapshot().counts().values().stream().mapToLong(Long::longValue).sum();
            assertEquals(countBefore + 2, countAfter);
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldHandOutDistinctFreshIds() throws Exception {
        OptOutBenchmark b = new OptOutBenchmark();
        b.audienceSize = AUDIENCE;
        for (String order : List.of("scattered", "sequential")) {
            b.idOrder = order;
            b.baseSuppressed = 0;
            b.setUp();
            b.tearDown();
            BitSet seen = new BitSet();
            for (int n = 0; n < 200_000; n++) {
                int id = b.freshId(n);
                assertTrue(id >= AUDIENCE, order + ": id " + id + " inside the audience");
                assertFalse(seen.get(id), order + ": id " + id + " repeated at call " + n);
                seen.set(id);
            }
        }
    }

    @Test
    void shouldOpenTheBaseAndReplayTheLogAfterIt() throws Exception {
        IndexOpenBenchmark b = new IndexOpenBenchmark();
        b.baseIds = SUPPRESSED;
        b.idSpace = AUDIENCE;
        b.replayRecords = RECENT;
        b.setUp();
        try {
            OpenReport report = b.open();

            assertEquals(SUPPRESSED, report.baseIds());
            assertEquals(RECENT, report.replayedRecords());
            assertTrue(report.baseLoadNanos() > 0 && report.replayNanos() > 0);
            assertScopeCounts(b.fixture, b.opened.snapshot());
            assertEquals(RECENT, b.opened.snapshot().deltaSize());
            b.closeOpened();
            assertEquals(1, b.reports.size());
        } finally {
            b.tearDown();
        }
    }

    @Test
    void shouldPrependTheFilteredChronicleFlagsToEveryFork() throws Exception {
        List<String> flags = BenchMain.forkFlags();
        assertTrue(flags.contains("--add-opens=java.base/java.nio=ALL-UNNAMED"), flags.toString());
        assertTrue(flags.contains("-Dchronicle.analytics.disable=true"), flags.toString());

        Options options = BenchMain.withForkFlags(new CommandLineOptions("-jvmArgsPrepend", "-Dmine=1", "Filter"), flags);

        List<String> prepend = List.copyOf(options.getJvmArgsPrepend().get());
        assertEquals(flags, prepend.subList(0, flags.size()));
        assertEquals(List.of("-Dmine=1"), prepend.subList(flags.size(), prepend.size()));
        assertEquals(List.of("Filter"), options.getIncludes());
    }
}
