package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.suppression.CsvReader;

import java.io.StringReader;

import org.junit.jupiter.api.Test;

/**
 * {@link ClusterUpload#newlines}: a record's inner line ends are counted as {@link CsvReader} counts
 * physical lines, or the line numbers a partition reports for the rows after it are shifted.
 */
class ClusterUploadTest {

    @Test
    void shouldCountLineEndsAsTheCsvReaderDoes() throws Exception {
        for (String field : new String[] {"plain", "a\nb", "a\r\nb", "a\rb", "a\r\rb", "a\n\rb", "a\r", "\r\n\r\n", "\n\n\n",
                "a\r\n\rb\n"}) {
            String record = "\"" + field + "\"";
            // the reader's line of the next record, after this one on line 2
            try (CsvReader r = new CsvReader(new StringReader("name\n" + record + "\nnext\n"), CsvReader.DEFAULT_MAX_RECORD_BYTES)) {
                r.next();
                long first = r.next().line();
                long next = r.next().line();
                assertEquals(next - first - 1, ClusterUpload.newlines(record), "field " + field.replace("\r", "\\r")
                        .replace("\n", "\\n"));
            }
        }
    }
}
