package dev.herald.dispatcher.segment;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * Segment algebra: an audience written as an expression over segment names, parsed once and
 * evaluated to a bitmap of recipient ids.
 *
 * <pre>{@code
 * SegmentExpression e = SegmentExpression.parse("vip & !bought_30d | (newsletter - bounced)");
 * ImmutableRoaringBitmap audience = e.evaluate(name -> segments.get(name).map(SegmentStore.Segment::ids), allIds);
 * }</pre>
 *
 * <p>Grammar, from loosest to tightest binding:
 * <pre>
 * expression := term ( '|' term )*                  union
 * term       := factor ( ( '&amp;' | '-' ) factor )*    intersection, and-not; left to right
 * factor     := '!' factor | '(' expression ')' | name
 * name       := [A-Za-z0-9_] [A-Za-z0-9_:-]*        (see {@link SegmentStore#isValidName}; with a ':',
 *                                                   a computed segment such as rfm:at-risk)
 * </pre>
 * So {@code !} binds tighter than {@code &} and {@code -}, which bind tighter than {@code |}:
 * {@code a | b & !c} is {@code a | (b & (!c))}, and {@code a - b & c} is {@code (a - b) & c}.
 * {@code !x} is relative to the universe given to {@link #evaluate} (e.g. every id of the
 * directory). Whitespace is free between tokens. Because {@code -} may occur inside a name, a name
 * is read as far as it goes: {@code a-b} is the segment named {@code a-b}; write {@code a - b} (or
 * {@code a -b}) for "a and not b".
 *
 * <p>Limits: at most {@link #MAX_LENGTH} characters and {@link #MAX_DEPTH} nested operators, so
 * a hostile expression cannot exhaust the stack. Immutable and thread-safe.
 */
public final class SegmentExpression {

    /** Longest expression accepted, in characters. */
    public static final int MAX_LENGTH = 4096;
    /** Deepest nesting of parentheses and {@code !} accepted. */
    public static final int MAX_DEPTH = 64;

    /** Looks a segment's ids up by name. */
    @FunctionalInterface
    public interface Resolver {
        /**
         * @return the ids of the segment {@code name}, or empty if there is no such segment
         * @throws IOException if it cannot be read
         */
        Optional<ImmutableRoaringBitmap> ids(String name) throws IOException;
    }

    /** The expression does not parse; {@link #position()} is 0-based in the text. */
    public static final class ParseException extends IllegalArgumentException {
        private final int position;

        ParseException(int position, String message) {
            super(message);
            this.position = position;
        }

        /** @return 0-based character position of the problem in the expression */
        public int position() {
            return position;
        }
    }

    /** The expression names segments that do not exist. */
    public static final class UnknownSegmentsException extends IllegalArgumentException {
        private final List<String> names;

        /**
         * @param names   the unknown names
         * @param message what is wrong, naming them (e.g. the tiers there are)
         */
        public UnknownSegmentsException(List<String> names, String message) {
            super(message);
            this.names = List.copyOf(names);
        }

        UnknownSegmentsException(List<String> names) {
            super((names.size() == 1 ? "unknown segment '" + names.get(0) + "'"
                    : "unknown segments " + String.join(", ", names.stream().map(n -> "'" + n + "'").toList()))
                    + hint(names));
            this.names = List.copyOf(names);
        }

        private static String hint(List<String> names) {
            return names.stream().anyMatch(n -> n.indexOf('-') > 0)
                    ? " ('-' inside a name is part of the name; write 'a - b' for a and not b)" : "";
        }

        /** @return the unknown names, in order of first use */
        public List<String> names() {
            return names;
        }
    }

    private sealed interface Node permits Ref, Not, Binary {
    }

    private record Ref(String name) implements Node {
    }

    private record Not(Node operand) implements Node {
    }

    private record Binary(char op, Node left, Node right) implements Node {
    }

    private final String text;
    private final Node root;
    private final Set<String> names;

    private SegmentExpression(String text, Node root, Set<String> names) {
        this.text = text;
        this.root = root;
        this.names = Collections.unmodifiableSet(names);
    }

    /**
     * @param text the expression, e.g. {@code "vip & !bought_30d"}
     * @return the parsed expression
     * @throws ParseException naming the position and what was expected there
     */
    public static SegmentExpression parse(String text) {
        if (text == null || text.isBlank()) {
            throw new ParseException(0, "empty expression: expected a segment name, '!' or '('");
        }
        if (text.length() > MAX_LENGTH) {
            throw new ParseException(MAX_LENGTH, "expression too long: " + text.length() + " characters, at most "
                    + MAX_LENGTH + " allowed");
        }
        Parser p = new Parser(text);
        Node root = p.expression(0);
        p.skipSpace();
        if (p.pos < text.length()) {
            char c = text.charAt(p.pos);
            throw new ParseException(p.pos, "unexpected " + describe(c) + " at position " + p.pos
                    + (c == ')' ? ": no '(' to close" : ": expected '&', '|', '-' or the end"));
        }
        return new SegmentExpression(text, root, p.names);
    }

    /** @return the segment names used, in order of first use */
    public Set<String> names() {
        return names;
    }

    /**
     * Evaluates the expression. Every name is resolved first, so all unknown names are reported together.
     *
     * @param segments looks segments up by name
     * @param universe the ids {@code !x} is relative to (e.g. ids {@code 0 .. directory.size() - 1})
     * @return the ids of the audience (a new bitmap, or a resolved one unchanged for a bare name)
     * @throws UnknownSegmentsException naming every segment that does not exist
     * @throws IOException              if a segment cannot be read
     */
    public ImmutableRoaringBitmap evaluate(Resolver segments, ImmutableRoaringBitmap universe) throws IOException {
        Objects.requireNonNull(segments, "segments");
        Objects.requireNonNull(universe, "universe");
        Map<String, ImmutableRoaringBitmap> resolved = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (String name : names) {
            Optional<ImmutableRoaringBitmap> ids = segments.ids(name);
            if (ids.isPresent()) {
                resolved.put(name, ids.get());
            } else {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new UnknownSegmentsException(unknown);
        }
        return eval(root, resolved, universe);
    }

    private static ImmutableRoaringBitmap eval(Node n, Map<String, ImmutableRoaringBitmap> segments,
                                               ImmutableRoaringBitmap universe) {
        if (n instanceof Ref r) {
            return segments.get(r.name());
        }
        if (n instanceof Not not) {
            return ImmutableRoaringBitmap.andNot(universe, eval(not.operand(), segments, universe));
        }
        Binary b = (Binary) n;
        // (a - b) is computed directly rather than as a & !b: no universe-sized intermediate
        ImmutableRoaringBitmap l = eval(b.left(), segments, universe);
        ImmutableRoaringBitmap r = eval(b.right(), segments, universe);
        return switch (b.op()) {
            case '&' -> ImmutableRoaringBitmap.and(l, r);
            case '|' -> ImmutableRoaringBitmap.or(l, r);
            case '-' -> ImmutableRoaringBitmap.andNot(l, r);
            default -> throw new IllegalStateException("operator " + b.op());
        };
    }

    /** @return the expression fully parenthesised, e.g. {@code ((vip & (!bought_30d)) | x)} */
    public String canonical() {
        return canonical(root);
    }

    private static String canonical(Node n) {
        if (n instanceof Ref r) {
            return r.name();
        }
        if (n instanceof Not not) {
            return "(!" + canonical(not.operand()) + ")";
        }
        Binary b = (Binary) n;
        return "(" + canonical(b.left()) + " " + b.op() + " " + canonical(b.right()) + ")";
    }

    /** @return the expression as written */
    @Override
    public String toString() {
        return text;
    }

    private static String describe(char c) {
        return Character.isISOControl(c) || Character.isWhitespace(c)
                ? String.format("character U+%04X", (int) c) : "'" + c + "'";
    }

    /** Recursive descent over the grammar in the class comment; {@code depth} bounds the recursion. */
    private static final class Parser {
        final String s;
        int pos;
        final Set<String> names = new LinkedHashSet<>();

        Parser(String s) {
            this.s = s;
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        /** @return the next non-space character without consuming it, or -1 at the end */
        int peek() {
            skipSpace();
            return pos < s.length() ? s.charAt(pos) : -1;
        }

        Node expression(int depth) {
            Node left = term(depth);
            while (peek() == '|') {
                pos++;
                left = new Binary('|', left, term(depth));
            }
            return left;
        }

        Node term(int depth) {
            Node left = factor(depth);
            for (int c = peek(); c == '&' || c == '-'; c = peek()) {
                pos++;
                left = new Binary((char) c, left, factor(depth));
            }
            return left;
        }

        Node factor(int depth) {
            int c = peek();
            if (c == '!' || c == '(') {
                if (depth >= MAX_DEPTH) {
                    throw new ParseException(pos, "expression nested too deeply at position " + pos + ": at most "
                            + MAX_DEPTH + " levels of '(' and '!'");
                }
                int open = pos++;
                if (c == '!') {
                    return new Not(factor(depth + 1));
                }
                Node inner = expression(depth + 1);
                if (peek() != ')') {
                    throw new ParseException(pos, (pos < s.length() ? "unexpected " + describe(s.charAt(pos))
                            : "unexpected end") + " at position " + pos + ": expected ')' to close the '(' at position " + open);
                }
                pos++;
                return inner;
            }
            if (c == -1) {
                throw new ParseException(pos, "unexpected end at position " + pos + ": expected a segment name, '!' or '('");
            }
            if (!nameStart((char) c)) {
                throw new ParseException(pos, "unexpected " + describe((char) c) + " at position " + pos
                        + ": expected a segment name, '!' or '('");
            }
            int start = pos;
            while (pos < s.length() && namePart(s.charAt(pos))) {
                pos++;
            }
            String name = s.substring(start, pos);
            if (!SegmentStore.isValidName(name)) {
                throw new ParseException(start, "invalid segment name '" + name + "' at position " + start + ": at most "
                        + SegmentStore.MAX_NAME_LENGTH + " characters" + (name.indexOf(':') >= 0
                        ? ", and a computed segment is <namespace>:<name> such as rfm:at-risk or lifecycle:dormant" : ""));
            }
            names.add(name);
            return new Ref(name);
        }

        static boolean nameStart(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        }

        static boolean namePart(char c) {
            return nameStart(c) || c == '-' || c == ':';
        }
    }
}
