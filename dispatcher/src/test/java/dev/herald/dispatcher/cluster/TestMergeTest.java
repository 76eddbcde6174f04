package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.experiment.VariantCounts;
import dev.herald.dispatcher.experiment.WinnerDecision;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The whole campaign's A/B decision from the partitions' slices: the test's rule on the summed
 * figures equals one node's decision over every recipient (checked against figures counted
 * recipient by recipient, not by adding up), including ties, too-small samples and a variant no
 * slice exposed; it never decides from a part, and completes a decision that reached only some.
 */
class TestMergeTest {

    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final long DUE = NOW.minusSeconds(5).toEpochMilli();
    private static final List<String> ABC = List.of("A", "B", "C");

    private static TestFigures slice(int p, long decideAt, List<String> names, long[] exposed, long[] successes,
                                     WinnerDecision rule) {
        List<Long> e = new ArrayList<>();
        List<Long> s = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            e.add(exposed[i]);
            s.add(successes[i]);
        }
        return new TestFigures(p, null, "running", true, decideAt, false, null, null, names, e, s, rule.alpha(),
                rule.minPerVariant(), rule.noWinner().wire());
    }

    private static TestFigures decided(TestFigures f, String send, String by) {
        return new TestFigures(f.partition(), null, f.status(), true, f.decideAt(), true, send, by, f.variants(), f.exposed(),
                f.successes(), f.alpha(), f.minPerVariant(), f.noWinner());
    }

    @Test
    void theSummedDecisionIsOneNodesDecisionOverEveryRecipient() {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            int partitions = 3 + random.nextInt(6);
            int variants = 2 + random.nextInt(3);
            WinnerDecision rule = new WinnerDecision(List.of(0.01, 0.05, 0.2).get(random.nextInt(3)), 1 + random.nextInt(150),
                    WinnerDecision.NoWinnerPolicy.values()[random.nextInt(3)]);
            double[] rates = new double[variants];
            for (int v = 0; v < variants; v++) {
                rates[v] = 0.02 + random.nextDouble() * 0.2;
            }
            long[][] exposed = new long[partitions][variants];
            long[][] successes = new long[partitions][variants];
            long[] oneNodeExposed = new long[variants];
            long[] oneNodeSuccesses = new long[variants];
            int recipients = 200 + random.nextInt(3000);
            for (int r = 0; r < recipients; r++) { // one recipient: its partition, variant and whether it succeeded
                int p = random.nextInt(partitions);
                int v = random.nextInt(variants);
                boolean success = random.nextDouble() < rates[v];
                exposed[p][v]++;
                oneNodeExposed[v]++;
                if (success) {
                    successes[p][v]++;
                    oneNodeSuccesses[v]++;
                }
            }
            List<String> names = ABC.subList(0, Math.min(variants, 3));
            if (variants == 4) {
                names = List.of("A", "B", "C", "D");
            }
            List<TestFigures> answers = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                answers.add(slice(p, DUE, names, exposed[p], successes[p], rule));
            }
            List<VariantCounts> oneNode = new ArrayList<>();
            for (int v = 0; v < variants; v++) {
                oneNode.add(new VariantCounts(names.get(v), oneNodeExposed[v], oneNodeSuccesses[v]));
            }
            TestMerge.Plan plan = TestMerge.plan(answers, NOW);
            assertTrue(plan.apply(), plan.reason());
            WinnerDecision.Decision single = rule.decide(oneNode);
            assertEquals(single, plan.decision(), "round " + round);
            assertEquals(single.send(), plan.send());
            assertEquals(oneNode, plan.counts());
            assertEquals("rule", plan.by());
            assertEquals(partitions, plan.targets().size());
        }
    }

    @Test
    void partitionsThatWouldPickDifferentWinnersAloneGetTheWholeSamplesWinner() {
        WinnerDecision rule = new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.SEND_BEST);
        List<String> ab = List.of("A", "B");
        List<TestFigures> answers = List.of(
                slice(0, DUE, ab, new long[] {10, 10}, new long[] {4, 1}, rule),  // alone: A
                slice(1, DUE, ab, new long[] {10, 10}, new long[] {1, 3}, rule),  // alone: B
                slice(2, DUE, ab, new long[] {10, 10}, new long[] {1, 3}, rule)); // alone: B
        assertEquals("A", rule.decide(answers.get(0).counts()).send());
        assertEquals("B", rule.decide(answers.get(1).counts()).send());
        TestMerge.Plan plan = TestMerge.plan(answers, NOW);
        assertEquals("B", plan.send(), "6 of 30 against 7 of 30");
        assertEquals(rule.decide(List.of(new VariantCounts("A", 30, 6), new VariantCounts("B", 30, 7))), plan.decision());
        assertEquals(List.of(0, 1, 2), plan.targets());
    }

    @Test
    void aTieOverTheWholeSampleGoesToTheEarlierVariantAsOnOneNode() {
        WinnerDecision rule = new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.SEND_BEST);
        List<String> ab = List.of("A", "B");
        // alone: partition 0 prefers B, partition 1 prefers A; summed, 4 of 20 each: a tie
        List<TestFigures> answers = List.of(
                slice(0, DUE, ab, new long[] {10, 10}, new long[] {1, 3}, rule),
                slice(1, DUE, ab, new long[] {10, 10}, new long[] {3, 1}, rule));
        TestMerge.Plan plan = TestMerge.plan(answers, NOW);
        assertEquals("B", rule.decide(answers.get(0).counts()).send());
        assertEquals("A", plan.decision().best());
        assertEquals("A", plan.send());
        assertEquals(WinnerDecision.Reason.NOT_SIGNIFICANT, plan.decision().reason());
        assertEquals(rule.decide(List.of(new VariantCounts("A", 20, 4), new VariantCounts("B", 20, 4))), plan.decision());
    }

    @Test
    void tooSmallIsJudgedOnTheWholeSampleNotOnASlice() {
        WinnerDecision rule = new WinnerDecision(0.05, 300, WinnerDecision.NoWinnerPolicy.STOP);
        List<String> ab = List.of("A", "B");
        // every slice under 300 a variant, the sum over: significant (B 30 % against A 5 %)
        List<TestFigures> enough = List.of(
                slice(0, DUE, ab, new long[] {200, 200}, new long[] {10, 60}, rule),
                slice(1, DUE, ab, new long[] {200, 200}, new long[] {10, 60}, rule));
        assertEquals(WinnerDecision.Reason.TOO_SMALL, rule.decide(enough.get(0).counts()).reason());
        TestMerge.Plan plan = TestMerge.plan(enough, NOW);
        assertEquals(WinnerDecision.Reason.SIGNIFICANT, plan.decision().reason());
        assertEquals("B", plan.send());
        // the sum under 300: too small, and "stop" sends nothing
        List<TestFigures> small = List.of(
                slice(0, DUE, ab, new long[] {100, 100}, new long[] {5, 30}, rule),
                slice(1, DUE, ab, new long[] {100, 100}, new long[] {5, 30}, rule));
        TestMerge.Plan none = TestMerge.plan(small, NOW);
        assertTrue(none.apply());
        assertEquals(WinnerDecision.Reason.TOO_SMALL, none.decision().reason());
        assertNull(none.send());
        assertEquals(rule.decide(List.of(new VariantCounts("A", 200, 10), new VariantCounts("B", 200, 60))), none.decision());
    }

    @Test
    void aVariantOneSliceNeverExposedCountsOnlyAsTheSumSays() {
        WinnerDecision rule = new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.SEND_FIRST);
        List<TestFigures> answers = List.of(
                slice(0, DUE, ABC, new long[] {5, 0, 5}, new long[] {1, 0, 1}, rule),
                slice(1, DUE, ABC, new long[] {5, 9, 5}, new long[] {1, 7, 1}, rule));
        assertEquals(WinnerDecision.Reason.TOO_SMALL, rule.decide(answers.get(0).counts()).reason(), "alone: unexposed");
        TestMerge.Plan plan = TestMerge.plan(answers, NOW);
        assertNotEquals(WinnerDecision.Reason.TOO_SMALL, plan.decision().reason());
        assertEquals(rule.decide(List.of(new VariantCounts("A", 10, 2), new VariantCounts("B", 9, 7),
                new VariantCounts("C", 10, 2))), plan.decision());
        // nobody exposed to B anywhere: too small, as one node says
        List<TestFigures> unexposed = List.of(
                slice(0, DUE, ABC, new long[] {5, 0, 5}, new long[] {1, 0, 1}, rule),
                slice(1, DUE, ABC, new long[] {5, 0, 5}, new long[] {1, 0, 2}, rule));
        TestMerge.Plan u = TestMerge.plan(unexposed, NOW);
        assertEquals(rule.decide(List.of(new VariantCounts("A", 10, 2), new VariantCounts("B", 0, 0),
                new VariantCounts("C", 10, 3))), u.decision());
        assertEquals("A", u.send());
    }

    @Test
    void neverDecidesFromAPart() {
        WinnerDecision rule = new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.SEND_BEST);
        TestFigures p0 = slice(0, DUE, ABC, new long[] {5, 5, 5}, new long[] {1, 2, 3}, rule);
        TestFigures p2 = slice(2, DUE, ABC, new long[] {5, 5, 5}, new long[] {1, 2, 3}, rule);
        TestMerge.Plan silent = TestMerge.plan(List.of(p0, TestFigures.failed(1, "moving"), p2), NOW);
        assertFalse(silent.apply());
        assertTrue(silent.waits());
        assertTrue(silent.reason().contains("[1]") && silent.reason().contains("moving"), silent.reason());
        TestMerge.Plan early = TestMerge.plan(List.of(p0, slice(1, NOW.plusSeconds(60).toEpochMilli(), ABC, new long[] {5, 5, 5},
                new long[] {1, 2, 3}, rule), p2), NOW);
        assertFalse(early.apply());
        assertTrue(early.waits() && early.reason().contains("partition 1"), early.reason());
        TestMerge.Plan notDrawn = TestMerge.plan(List.of(p0, slice(1, -1, List.of(), new long[0], new long[0], rule), p2), NOW);
        assertFalse(notDrawn.apply());
        assertTrue(notDrawn.waits() && notDrawn.reason().contains("sample"), notDrawn.reason());
        TestMerge.Plan mismatch = TestMerge.plan(List.of(p0, slice(1, DUE, List.of("A", "B"), new long[] {5, 5},
                new long[] {1, 2}, rule), p2), NOW);
        assertFalse(mismatch.apply());
        assertTrue(mismatch.waits() && mismatch.reason().contains("partition 1"), mismatch.reason());
    }

    @Test
    void completesADecisionThatReachedOnlySomePartitionsWithTheSameFigures() {
        WinnerDecision rule = new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.SEND_BEST);
        TestFigures whole = slice(1, DUE, ABC, new long[] {30, 30, 30}, new long[] {3, 9, 4}, rule);
        List<TestFigures> answers = List.of(
                slice(0, DUE, ABC, new long[] {10, 10, 10}, new long[] {9, 1, 1}, rule),
                decided(whole, "B", "rule"),
                slice(2, DUE, ABC, new long[] {10, 10, 10}, new long[] {1, 1, 1}, rule));
        TestMerge.Plan plan = TestMerge.plan(answers, NOW);
        assertTrue(plan.apply(), plan.reason());
        assertEquals(List.of(0, 2), plan.targets());
        assertEquals(whole.counts(), plan.counts(), "the figures the decision was made on, not partition 0's now");
        assertEquals("B", plan.send());
        assertEquals("rule", plan.by());
        TestMerge.Plan operator = TestMerge.plan(List.of(answers.get(0), decided(whole, "C", "operator"), answers.get(2)), NOW);
        assertNull(operator.counts());
        assertEquals("C", operator.send());
        assertEquals("operator", operator.by());
        TestMerge.Plan done = TestMerge.plan(List.of(decided(answers.get(0), "B", "rule"), decided(whole, "B", "rule")), NOW);
        assertFalse(done.apply());
        assertFalse(done.waits());
    }

    @Test
    void aCancelledSliceCountsInTheFiguresButIsGivenNothing() {
        WinnerDecision rule = new WinnerDecision(0.05, 1, WinnerDecision.NoWinnerPolicy.SEND_BEST);
        TestFigures c = slice(1, DUE, ABC, new long[] {10, 10, 10}, new long[] {0, 0, 9}, rule);
        TestFigures cancelled = new TestFigures(1, null, "cancelled", true, c.decideAt(), false, null, null, c.variants(),
                c.exposed(), c.successes(), c.alpha(), c.minPerVariant(), c.noWinner());
        TestMerge.Plan plan = TestMerge.plan(List.of(slice(0, DUE, ABC, new long[] {10, 10, 10}, new long[] {1, 1, 1}, rule),
                cancelled), NOW);
        assertEquals(List.of(0), plan.targets());
        assertEquals(20, plan.counts().get(2).exposed());
        assertEquals("C", plan.send());
    }
}
