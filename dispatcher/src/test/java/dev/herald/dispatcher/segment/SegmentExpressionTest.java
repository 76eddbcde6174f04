package dev.herald.dispatcher.segment;

import org.junit.jupiter.api.Test;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentExpressionTest {

    private static final long SEED = 20_261_122L;
    private static final int UNIVERSE = 2_000;
    private static final List<String> NAMES = List.of("vip", "bought_30d", "news-letter", "A1", "_x");

    private static ImmutableRoaringBitmap bitmap(Set<Integer> ids) {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        ids.forEach(b::add);
        return b;
    }

    private static Set<Integer> set(ImmutableRoaringBitmap b) {
        Set<Integer> s = new TreeSet<>();
        b.forEach((int i) -> s.add(i));
        return s;
    }

    private static SegmentExpression.Resolver resolver(Map<String, Set<Integer>> segments) {
        return name -> Optional.ofNullable(segments.get(name)).map(SegmentExpressionTest::bitmap);
    }

    @Test
    void shouldBindNotTighterThanAndAndAndTighterThanOr() {
        assertEquals("(a | (b & (!c)))", SegmentExpression.parse("a | b & !c").canonical());
        assertEquals("((a - b) & c)", SegmentExpression.parse("a - b & c").canonical());
        assertEquals("((a & b) | (c - d))", SegmentExpression.parse("a&b|c -d").canonical());
        assertEquals("((!(a | b)) & c)", SegmentExpression.parse(" ! ( a|b ) & c ").canonical());
        assertEquals("(!(!a))", SegmentExpression.parse("!!a").canonical());
        assertEquals("news-letter", SegmentExpression.parse("news-letter").canonical());
        assertEquals(Set.of("vip", "bought_30d"), SegmentExpression.parse("vip & !bought_30d | vip").names());
    }

    @Test
    void shouldNamePositionAndExpectationOfSyntaxErrors() {
        assertError("", 0, "expected a segment name");
        assertError("vip &", 5, "unexpected end at position 5: expected a segment name, '!' or '('");
        assertError("(vip | x", 8, "expected ')' to close the '(' at position 0");
        assertError("vip x", 4, "unexpected 'x' at position 4: expected '&', '|', '-' or the end");
        assertError("vip)", 3, "no '(' to close");
        assertError("vip & .x", 6, "unexpected '.' at position 6");
        assertError("a & " + "b".repeat(65), 4, "at most 64 characters");
        assertError("!".repeat(100) + "a", SegmentExpression.MAX_DEPTH, "nested too deeply");
        assertError("a".repeat(SegmentExpression.MAX_LENGTH + 1), SegmentExpression.MAX_LENGTH, "too long");
    }

    private static void assertError(String text, int position, String fragment) {
        SegmentExpression.ParseException e = assertThrows(SegmentExpression.ParseException.class,
                () -> SegmentExpression.parse(text));
        assertEquals(position, e.position(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void shouldReportEveryUnknownSegmentByName() {
        SegmentExpression e = SegmentExpression.parse("vip & (nope | gone-too) - nope");
        SegmentExpression.UnknownSegmentsException x = assertThrows(SegmentExpression.UnknownSegmentsException.class,
                () -> e.evaluate(resolver(Map.of("vip", Set.of(1))), bitmap(Set.of(1, 2))));
        assertEquals(List.of("nope", "gone-too"), x.names());
        assertTrue(x.getMessage().contains("'nope', 'gone-too'"), x.getMessage());
        assertTrue(x.getMessage().contains("write 'a - b'"), x.getMessage());
    }

    @Test
    void shouldEvaluateNotRelativeToTheUniverse() throws IOException {
        Map<String, Set<Integer>> s = Map.of("vip", Set.of(1, 3), "bought_30d", Set.of(3, 4));
        ImmutableRoaringBitmap universe = bitmap(Set.of(0, 1, 2, 3, 4));
        assertEquals(Set.of(1), set(SegmentExpression.parse("vip & !bought_30d").evaluate(resolver(s), universe)));
        assertEquals(Set.of(0, 2), set(SegmentExpression.parse("!(vip | bought_30d)").evaluate(resolver(s), universe)));
        assertEquals(Set.of(1), set(SegmentExpression.parse("vip - bought_30d").evaluate(resolver(s), universe)));
    }

    /** Random flat and nested expressions against a naive Set evaluation with the documented precedence. */
    @Test
    void shouldAgreeWithNaiveSetEvaluationOnRandomExpressions() throws IOException {
        System.out.println("SegmentExpressionTest seed " + SEED);
        Random random = new Random(SEED);
        for (int round = 0; round < 300; round++) {
            Map<String, Set<Integer>> segments = new HashMap<>();
            for (String name : NAMES) {
                Set<Integer> ids = new HashSet<>();
                double density = random.nextDouble();
                for (int i = 0; i < UNIVERSE; i++) {
                    if (random.nextDouble() < density) {
                        ids.add(i);
                    }
                }
                segments.put(name, ids);
            }
            Set<Integer> universe = new HashSet<>();
            for (int i = 0; i < UNIVERSE; i++) {
                universe.add(i);
            }
            StringBuilder text = new StringBuilder();
            Set<Integer> expected = expression(random, 0, segments, universe, text);
            Set<Integer> actual = set(SegmentExpression.parse(text.toString()).evaluate(resolver(segments), bitmap(universe)));
            assertEquals(expected, actual, "seed " + SEED + " round " + round + ": " + text);
        }
    }

    /** Writes a random expression without redundant parentheses and evaluates it naively: terms split on '|'. */
    private static Set<Integer> expression(Random r, int depth, Map<String, Set<Integer>> s, Set<Integer> universe,
                                           StringBuilder out) {
        Set<Integer> union = new HashSet<>();
        int terms = 1 + r.nextInt(3);
        for (int t = 0; t < terms; t++) {
            if (t > 0) {
                out.append(space(r)).append('|').append(space(r));
            }
            Set<Integer> term = factor(r, depth, s, universe, out);
            int more = r.nextInt(3);
            for (int f = 0; f < more; f++) {
                boolean and = r.nextBoolean();
                // '-' needs a space before it when it follows a name, or it would be part of the name
                out.append(and ? space(r) + "&" : " -").append(space(r));
                Set<Integer> next = factor(r, depth, s, universe, out);
                if (and) {
                    term.retainAll(next);
                } else {
                    term.removeAll(next);
                }
            }
            union.addAll(term);
        }
        return union;
    }

    private static Set<Integer> factor(Random r, int depth, Map<String, Set<Integer>> s, Set<Integer> universe,
                                       StringBuilder out) {
        int kind = depth >= 3 ? 0 : r.nextInt(4);
        if (kind == 1) {
            out.append('!').append(space(r));
            Set<Integer> inner = factor(r, depth + 1, s, universe, out);
            Set<Integer> not = new HashSet<>(universe);
            not.removeAll(inner);
            return not;
        }
        if (kind == 2) {
            out.append('(').append(space(r));
            Set<Integer> inner = expression(r, depth + 1, s, universe, out);
            out.append(space(r)).append(')');
            return inner;
        }
        String name = NAMES.get(r.nextInt(NAMES.size()));
        out.append(name);
        return new HashSet<>(s.get(name));
    }

    private static String space(Random r) {
        return List.of("", " ", "  ", "\t").get(r.nextInt(4));
    }

    @Test
    void shouldReturnTheSegmentItselfForABareName() throws IOException {
        List<String> asked = new ArrayList<>();
        ImmutableRoaringBitmap vip = bitmap(Set.of(7));
        ImmutableRoaringBitmap result = SegmentExpression.parse(" vip ").evaluate(n -> {
            asked.add(n);
            return Optional.of(vip);
        }, bitmap(Set.of()));
        assertEquals(Set.of(7), set(result));
        assertEquals(List.of("vip"), asked);
    }
}
