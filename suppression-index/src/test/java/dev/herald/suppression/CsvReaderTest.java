package dev.herald.suppression;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Herald's one CSV reader; the opt-out upload's wording of its problems is tested in dispatcher's CsvOptOutsTest. */
class CsvReaderTest {

    /** A row as "line: a|b" or "line! error", for compact assertions. */
    static List<String> read(CsvReader csv) throws IOException {
        List<String> rows = new ArrayList<>();
        for (CsvReader.Row r; (r = csv.next()) != null; ) {
            rows.add(r.ok() ? r.line() + ": " + String.join("|", r.fields()) : r.line() + "! " + r.error());
        }
        return rows;
    }

    static List<String> resource(String name) throws IOException {
        InputStream in = CsvReaderTest.class.getResourceAsStream("/csv/" + name);
        assertNotNull(in, name);
        try (CsvReader csv = CsvReader.utf8(in, CsvReader.DEFAULT_MAX_RECORD_BYTES)) {
            return read(csv);
        }
    }

    @Test
    void shouldSkipByteOrderMarkAndReadCrlfLines() throws IOException {
        assertEquals(List.of("1: phone|first_name", "2: +447400123456|Ann", "3: +33612345678|Zoë"), resource("bom-crlf.csv"));
    }

    @Test
    void shouldReadCrOnlyLineEnds() throws IOException {
        assertEquals(List.of("1: phone|first_name", "2: +447400123456|Ann", "4: +33612345678|Bob"), resource("cr-only.csv"));
    }

    @Test
    void shouldReadQuotedFieldsWithCommasNewlinesAndEscapedQuotes() throws IOException {
        assertEquals(List.of(
                "1: phone|note|first_name",
                "2: +447400123456|Hello, world|Ann",
                "3: +33612345678|two\nlines|Bob",
                "5: +14155552671|she said \"hi\"|Cy",
                "6: +4915123456789||Dee",
                "7: +61491570006|a\r\nb\r\nc|Eve",
                "10: +390612345678|x|Fay"), resource("quoted.csv"));
    }

    @Test
    void shouldSkipEmptyLinesAndKeepPhysicalLineNumbers() throws IOException {
        assertEquals(List.of("2: phone|first_name", "4: +447400123456|Ann", "7: +33612345678|Bob"), resource("empty-lines.csv"));
    }

    @Test
    void shouldRejectRecordsWithAnotherFieldCountThanTheHeader() throws IOException {
        assertEquals(List.of(
                "1: phone|first_name",
                "2: +447400123456|Ann",
                "3! expected 2 fields as in the header, found 3",
                "4! expected 2 fields as in the header, found 1",
                "5: +4915123456789|Dee"), resource("wrong-field-count.csv"));
    }

    @Test
    void shouldRejectAnUnterminatedQuoteAtEndOfInput() throws IOException {
        assertEquals(List.of(
                "1: phone|first_name",
                "2: +447400123456|Ann",
                "3! unterminated quoted field (opened on line 3)"), resource("unterminated-quote.csv"));
    }

    @Test
    void shouldRejectACharacterAfterTheClosingQuoteAndResynchronise() throws IOException {
        assertEquals(List.of(
                "1: phone|first_name",
                "2! unexpected character 'x' after the closing quote of field 2",
                "3: +33612345678|Bob"), resource("after-quote.csv"));
    }

    @Test
    void shouldRejectInvalidUtf8AndResynchronise() throws IOException {
        String invalid = "! invalid UTF-8 (undecodable bytes, shown as U+FFFD)";
        assertEquals(List.of(
                "1: phone|first_name",
                "2: +447400123456|Ann",
                "3" + invalid,
                "4: +14155552671|Café",
                "5" + invalid), resource("invalid-utf8.csv"));
    }

    @Test
    void shouldRejectAMegabyteGarbageLineWithoutBufferingItAndResynchronise() throws IOException {
        byte[] garbage = new byte[1 << 20];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = (byte) ('!' + i % 90); // printable ASCII, including quotes and commas
        }
        InputStream in = new SequenceInputStream(java.util.Collections.enumeration(List.of(
                new ByteArrayInputStream("phone,first_name\n+447400123456,Ann\n".getBytes(StandardCharsets.UTF_8)),
                new ByteArrayInputStream(garbage),
                new ByteArrayInputStream("\r\n+33612345678,Bob\n".getBytes(StandardCharsets.UTF_8)))));
        try (CsvReader csv = CsvReader.utf8(in, CsvReader.DEFAULT_MAX_RECORD_BYTES)) {
            assertEquals(List.of(
                    "1: phone|first_name",
                    "2: +447400123456|Ann",
                    "3! line too long (1048576 bytes > 65536)",
                    "4: +33612345678|Bob"), read(csv));
        }
    }

    @Test
    void shouldCountTheLimitInUtf8Bytes() throws IOException {
        String tooLong = "é".repeat(6); // 12 bytes, 6 chars
        try (CsvReader csv = new CsvReader(new StringReader("a\n" + tooLong + "\nok\n"), 10)) {
            assertEquals(List.of("1: a", "2! line too long (12 bytes > 10)", "3: ok"), read(csv));
        }
    }

    @Test
    void shouldPointAtAnUnclosedQuoteThatRunsPastTheLimit() throws IOException {
        String text = "a,b\n1,\"open\n" + "2,x\n".repeat(10) + "3,y\n";
        try (CsvReader csv = new CsvReader(new StringReader(text), 32)) {
            assertEquals(List.of("1: a|b",
                    "2! line too long (35 bytes > 32), inside a quoted field opened on line 2",
                    "10: 2|x", "11: 2|x", "12: 2|x", "13: 3|y"), read(csv));
        }
    }

    @Test
    void shouldReadAnEmptyInputAsNoRecords() throws IOException {
        try (CsvReader csv = new CsvReader(new StringReader(""), 100)) {
            assertEquals(List.of(), read(csv));
        }
        try (CsvReader csv = new CsvReader(new StringReader("\uFEFF\r\n\n"), 100)) {
            assertEquals(List.of(), read(csv));
        }
    }

    @Test
    void shouldReadTrailingEmptyFields() throws IOException {
        try (CsvReader csv = new CsvReader(new StringReader("a,b,c\n1,,\n,,3"), 100)) {
            List<CsvReader.Row> rows = new ArrayList<>();
            for (CsvReader.Row r; (r = csv.next()) != null; ) {
                rows.add(r);
            }
            assertEquals(List.of("1", "", ""), Arrays.asList(rows.get(1).fields()));
            assertEquals(List.of("", "", "3"), Arrays.asList(rows.get(2).fields()));
        }
    }

    private static List<CsvReader.Row> rows(CsvReader csv) throws IOException {
        List<CsvReader.Row> out = new ArrayList<>();
        for (CsvReader.Row r; (r = csv.next()) != null; ) {
            out.add(r);
        }
        return out;
    }

    private static CsvReader utf8(byte[] bytes, int limit, CsvReader.Quotes quotes) {
        return CsvReader.utf8(new ByteArrayInputStream(bytes), limit, quotes);
    }

    @Test
    void shouldReadAHeaderOnlyFileAsOneRecord() throws IOException {
        try (CsvReader csv = utf8("phone,first_name\r\n\r\n".getBytes(StandardCharsets.UTF_8), 100, CsvReader.Quotes.LENIENT)) {
            assertEquals(List.of("1: phone|first_name"), read(csv));
        }
    }

    @Test
    void shouldNameEachBadRecordsLineWithATypedProblemAndGoOn() throws IOException {
        // one file with every kind of bad record, each followed by a good one
        byte[] head = ("phone,note\n"            // 1
                + "+1,ok\n"                       // 2
                + "+2,a,b\n"                      // 3 wrong field count
                + "+3,\"x\"y\n"                   // 4 after the closing quote
                + "+4,").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\n"                        // 5 invalid UTF-8
                + "+5," + "z".repeat(40) + "\n"    // 6 too long
                + "+6,\"two\nlines\"\n"             // 7-8 good, quoted over two lines
                + "+7,\"open\n").getBytes(StandardCharsets.UTF_8); // 9 unterminated at end of input
        byte[] bytes = new byte[head.length + 2 + tail.length];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
        bytes[head.length + 1] = (byte) 0x28;
        System.arraycopy(tail, 0, bytes, head.length + 2, tail.length);
        try (CsvReader csv = utf8(bytes, 32, CsvReader.Quotes.LENIENT)) {
            List<CsvReader.Row> rows = rows(csv);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 9L), rows.stream().map(CsvReader.Row::line).toList());
            assertEquals(new CsvProblem.WrongFieldCount(2, 3), rows.get(2).problem());
            assertArrayEquals(new String[] {"+2", "a", "b"}, rows.get(2).fields(), "a wrong field count keeps the fields");
            assertEquals(new CsvProblem.AfterClosingQuote('y', 2), rows.get(3).problem());
            assertNull(rows.get(3).fields());
            assertEquals(new CsvProblem.InvalidUtf8(), rows.get(4).problem());
            assertEquals(new CsvProblem.TooLong(43, 32, 0), rows.get(5).problem());
            assertEquals("line too long (43 bytes > 32)", rows.get(5).error());
            assertArrayEquals(new String[] {"+6", "two\nlines"}, rows.get(6).fields());
            assertEquals(new CsvProblem.UnterminatedQuote(9), rows.get(7).problem());
        }
    }

    @Test
    void shouldKeepAQuoteInsideAnUnquotedFieldAsDataWhenLenient() throws IOException {
        try (CsvReader csv = new CsvReader(new StringReader("phone,name\n+1,O\"Brien \"Bob\"\n"), 100)) {
            assertEquals(List.of("1: phone|name", "2: +1|O\"Brien \"Bob\""), read(csv));
        }
    }

    @Test
    void shouldRejectAStrayQuoteWhenStrictAndResynchronise() throws IOException {
        byte[] bytes = "\uFEFFphone\nab\"c\n+1\n\"open\n".getBytes(StandardCharsets.UTF_8);
        try (CsvReader csv = utf8(bytes, 1000, CsvReader.Quotes.STRICT)) {
            assertEquals(List.of(
                    "1: phone",
                    "2! stray '\"' in field 1: quote the whole field and write a quote inside it as \"\"",
                    "3: +1",
                    "4! unterminated quoted field (opened on line 4)"), read(csv), "byte-order mark skipped, then");
        }
        try (CsvReader csv = new CsvReader(new StringReader("a,b\n1,x\"\n2,y\n"), 100, CsvReader.Quotes.STRICT)) {
            List<CsvReader.Row> rows = rows(csv);
            assertEquals(new CsvProblem.StrayQuote(2), rows.get(1).problem());
            assertEquals(List.of("2", "y"), List.of(rows.get(2).fields()));
            assertEquals(3, rows.get(2).line());
        }
    }

    @Test
    void shouldReadWellFormedRecordsTheSameWhenStrict() throws IOException {
        try (CsvReader csv = new CsvReader(new StringReader(
                "phone,reason\r\n+447400123456,\"a, b\"\r\n\r\n+447400123457,\"two\nlines \"\"quoted\"\"\"\n+447400123458,\n"),
                1000, CsvReader.Quotes.STRICT)) {
            assertEquals(List.of(
                    "1: phone|reason",
                    "2: +447400123456|a, b",
                    "4: +447400123457|two\nlines \"quoted\"",
                    "6: +447400123458|"), read(csv));
        }
    }

    @Test
    void shouldRefuseANonPositiveLimit() {
        assertThrows(IllegalArgumentException.class, () -> new CsvReader(new StringReader(""), 0));
    }

    /** Whatever the content and line ends, writing records per RFC 4180 and reading them back is lossless. */
    @Property(seed = "42", tries = 300)
    void shouldReadBackWhatWasWritten(@ForAll("tables") List<List<String>> table, @ForAll("lineEnds") String eol)
            throws IOException {
        StringBuilder text = new StringBuilder();
        List<Long> lines = new ArrayList<>();
        long line = 1;
        for (List<String> record : table) {
            lines.add(line);
            for (int i = 0; i < record.size(); i++) {
                String field = record.get(i);
                if (i > 0) {
                    text.append(',');
                }
                boolean quote = field.isEmpty() && record.size() == 1 || field.matches("(?s).*[,\"\r\n].*");
                text.append(quote ? '"' + field.replace("\"", "\"\"") + '"' : field);
                line += field.chars().filter(c -> c == '\n').count() + field.replace("\r\n", "\n").chars().filter(c -> c == '\r').count();
            }
            text.append(eol);
            line++;
        }
        try (CsvReader csv = new CsvReader(new StringReader(text.toString()), 1 << 16)) {
            for (int i = 0; i < table.size(); i++) {
                CsvReader.Row row = csv.next();
                assertNotNull(row);
                assertTrue(row.ok(), row.error());
                assertEquals(table.get(i), List.of(row.fields()));
                assertEquals(lines.get(i), row.line());
            }
            assertEquals(null, csv.next());
        }
    }

    @Provide
    Arbitrary<List<List<String>>> tables() {
        Arbitrary<String> field = Arbitraries.strings().withChars("ab,\"\r\n é").ofMaxLength(8);
        return Arbitraries.integers().between(1, 4).flatMap(columns ->
                field.list().ofSize(columns).list().ofMinSize(1).ofMaxSize(6));
    }

    @Provide
    Arbitrary<String> lineEnds() {
        return Arbitraries.of("\n", "\r\n", "\r");
    }
}
