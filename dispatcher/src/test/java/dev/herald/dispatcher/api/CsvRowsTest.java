package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class CsvRowsTest {

    private static List<CsvRows.Row> all(CsvRows rows) throws IOException {
        List<CsvRows.Row> out = new ArrayList<>();
        for (CsvRows.Row r = rows.next(); r != null; r = rows.next()) {
            out.add(r);
        }
        return out;
    }

    @Test
    void shouldReadQuotedFieldsLineEndsAndPhysicalLineNumbers() throws IOException {
        List<CsvRows.Row> rows = all(new CsvRows(new StringReader(
                "phone,reason\r\n+447400123456,\"a, b\"\r\n\r\n+447400123457,\"two\nlines \"\"quoted\"\"\"\n+447400123458,\n"), 1000));
        assertEquals(4, rows.size());
        assertEquals(List.of("phone", "reason"), rows.get(0).fields());
        assertEquals(List.of("+447400123456", "a, b"), rows.get(1).fields());
        assertEquals(2, rows.get(1).line());
        assertEquals(List.of("+447400123457", "two\nlines \"quoted\""), rows.get(2).fields());
        assertEquals(4, rows.get(2).line());
        assertEquals(List.of("+447400123458", ""), rows.get(3).fields());
        assertEquals(6, rows.get(3).line());
    }

    @Test
    void shouldRejectBadRecordsAndGoOn() throws IOException {
        byte[] bytes = "\uFEFFphone\nab\"c\n\"open\n".getBytes(StandardCharsets.UTF_8);
        List<CsvRows.Row> rows = all(CsvRows.utf8(new ByteArrayInputStream(bytes), 1000));
        assertEquals(List.of("phone"), rows.get(0).fields(), "byte-order mark skipped");
        assertNull(rows.get(1).fields());
        assertEquals(2, rows.get(1).line());
        assertNull(rows.get(2).fields(), "unclosed quote");
    }

    @Test
    void shouldRejectInvalidUtf8AndOverlongRecords() throws IOException {
        byte[] bytes = {'a', '\n', (byte) 0xFF, 'b', '\n', 'c', '\n'};
        List<CsvRows.Row> rows = all(CsvRows.utf8(new ByteArrayInputStream(bytes), 1000));
        assertEquals(3, rows.size());
        assertEquals("invalid UTF-8", rows.get(1).error());
        assertEquals(List.of("c"), rows.get(2).fields());

        List<CsvRows.Row> longRows = all(new CsvRows(new StringReader("x".repeat(50) + "\nok\n"), 10));
        assertNull(longRows.get(0).fields());
        assertEquals(List.of("ok"), longRows.get(1).fields());
        assertEquals(2, longRows.get(1).line());
    }
}
