package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.CsvReader;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The opt-out upload's reading of a CSV body: Herald's one {@link CsvReader} with strict quotes,
 * in this endpoint's own wording (the reasons its answers have always given), into a real
 * {@link OptOutBatch} on a real index and directory.
 */
class CsvOptOutsTest {
    private static final String A = "+447400123456";
    private static final String B = "+447400123457";

    @TempDir
    Path dir;

    private RecipientDirectory directory;
    private SuppressionIndex index;

    @BeforeEach
    void open() throws IOException {
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults().withDefaultRegion("GB")
                .withCapacity(10_000));
        index = SuppressionIndex.open(dir.resolve("suppression"), IndexOptions.defaults());
    }

    @AfterEach
    void close() throws IOException {
        index.close();
        directory.close();
    }

    /** Reads the body with the upload's reader and wording: "line: a|b" or "line! reason". */
    private static List<String> wordedRows(byte[] body, int limit) throws IOException {
        List<String> out = new ArrayList<>();
        try (CsvReader csv = CsvReader.utf8(new ByteArrayInputStream(body), limit, CsvReader.Quotes.STRICT)) {
            for (CsvReader.Row r; (r = csv.next()) != null; ) {
                out.add(r.ok() ? r.line() + ": " + String.join("|", r.fields()) : r.line() + "! " + CsvOptOuts.reason(r.problem()));
            }
        }
        return out;
    }

    private Map<String, Object> upload(String body, Scope defaultScope) throws IOException {
        return upload(body.getBytes(StandardCharsets.UTF_8), defaultScope);
    }

    private Map<String, Object> upload(byte[] body, Scope defaultScope) throws IOException {
        OptOutBatch batch = new OptOutBatch(index, directory, "line");
        CsvOptOuts.read(new ByteArrayInputStream(body), directory.phoneNumbers(), defaultScope, null, batch);
        return batch.finish();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> errors(Map<String, Object> answer) {
        return (List<Map<String, Object>>) answer.get("errors");
    }

    @Test
    void shouldReadQuotedFieldsLineEndsAndPhysicalLineNumbers() throws IOException {
        assertEquals(List.of("1: phone|reason", "2: +447400123456|a, b", "4: +447400123457|two\nlines \"quoted\"",
                "6: +447400123458|"), wordedRows(("phone,reason\r\n+447400123456,\"a, b\"\r\n\r\n"
                + "+447400123457,\"two\nlines \"\"quoted\"\"\"\n+447400123458,\n").getBytes(StandardCharsets.UTF_8), 1000));
    }

    @Test
    void shouldRejectBadRecordsInTheUploadsWordingAndGoOn() throws IOException {
        String stray = "stray '\"' in a field: quote the whole field and write a quote inside it as \"\"";
        assertEquals(List.of(
                "1: phone",
                "2! " + stray,
                "3! " + stray,
                "4: ok",
                "5! a quoted field is not closed before the end of the body"),
                wordedRows("\uFEFFphone\nab\"c\n\"a\"b\nok\n\"open\n".getBytes(StandardCharsets.UTF_8), 1000),
                "byte-order mark skipped; a quote inside a field or after a closing quote is stray");
    }

    @Test
    void shouldRejectInvalidUtf8AndOverlongRecords() throws IOException {
        assertEquals(List.of("1: a", "2! invalid UTF-8", "3: c"), wordedRows(new byte[] {'a', '\n', (byte) 0xFF, 'b', '\n', 'c', '\n'}, 1000));
        assertEquals(List.of("1! record longer than 10 bytes", "2: ok"),
                wordedRows(("x".repeat(50) + "\nok\n").getBytes(StandardCharsets.UTF_8), 10));
    }

    @Test
    void shouldListEachRejectedLineWithItsReasonAndTakeTheOthers() throws IOException {
        byte[] head = ("phone,reason\n" + A + ",fine\n" + "+447400123459,x,y\n" + "+447400123460,say \"hi\"\n" + "+447400123461,caf")
                .getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\n" + B + ",\"two\nlines\"\n").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + 1 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        body[head.length] = (byte) 0xE9; // Latin-1 é: not UTF-8
        System.arraycopy(tail, 0, body, head.length + 1, tail.length);

        Map<String, Object> answer = upload(body, Scope.GLOBAL);

        assertEquals(2L, answer.get("suppressed"));
        assertEquals(3L, answer.get("rejected"));
        List<Map<String, Object>> errors = errors(answer);
        assertEquals(Map.of("line", 3L, "phone", "+*********459", "reason", "3 fields where the header has 2"), errors.get(0),
                "a record with the wrong number of fields names its phone");
        assertEquals(4L, errors.get(1).get("line"));
        assertTrue(((String) errors.get(1).get("reason")).startsWith("stray '\"'"), errors.get(1).toString());
        assertNull(errors.get(1).get("phone"));
        assertEquals(Map.of("line", 5L, "reason", "invalid UTF-8"), Map.of("line", errors.get(2).get("line"),
                "reason", errors.get(2).get("reason")));
        assertTrue(index.snapshot().isSuppressed(directory.idOf(A).orElseThrow(), Scope.GLOBAL));
        assertTrue(index.snapshot().isSuppressed(directory.idOf(B).orElseThrow(), Scope.GLOBAL));
        assertTrue(directory.idOf("+447400123459").isEmpty(), "a rejected line registers nothing");
    }

    @Test
    void shouldRefuseABadHeaderOrAnEmptyBodyNamingTheLine() {
        ApiError header = assertThrows(ApiError.class, () -> upload("phone,\"note\"x\n" + A + ",y\n", Scope.GLOBAL));
        assertEquals("invalid_csv", header.code());
        assertEquals("line 1 (header): stray '\"' in a field: quote the whole field and write a quote inside it as \"\"",
                header.getMessage());
        ApiError empty = assertThrows(ApiError.class, () -> upload("\uFEFF\r\n\r\n", Scope.GLOBAL));
        assertEquals("missing_body", empty.code());
        ApiError noPhone = assertThrows(ApiError.class, () -> upload("number,reason\n" + A + ",x\n", Scope.GLOBAL));
        assertEquals("the CSV header has no 'phone' column; it has: number, reason", noPhone.getMessage());
        assertEquals(0, index.snapshot().counts().size(), "nothing stored");
    }

    @Test
    void shouldTakeNothingFromAHeaderOnlyBody() throws IOException {
        Map<String, Object> answer = upload("phone,scope\r\n", Scope.GLOBAL);
        assertEquals(0L, answer.get("suppressed"));
        assertEquals(0L, answer.get("rejected"));
    }
}
