package dev.herald.dispatcher.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A streaming reader of CSV records (RFC 4180: comma-separated, fields optionally in double
 * quotes, {@code ""} for a quote inside quotes, line breaks inside quotes kept) from an uploaded
 * request body.
 *
 * <pre>{@code
 * CsvRows rows = CsvRows.utf8(in, 64 * 1024);
 * for (CsvRows.Row r = rows.next(); r != null; r = rows.next()) { ... }
 * }</pre>
 *
 * <p>Memory is bounded by {@code maxRecordChars}: a longer record is skipped up to its line end
 * and reported as an error row, so a hostile upload cannot make one record grow without limit.
 * Bytes that are not UTF-8 are decoded as U+FFFD and their record is reported as an error row:
 * the upload goes on with the next record, each record is taken or refused as a whole.
 *
 * <p>Not thread-safe: one reader per upload.
 */
final class CsvRows {

    /**
     * One record.
     *
     * @param line   physical 1-based line on which the record starts
     * @param fields the fields, or null for an error row
     * @param error  what is wrong, or null
     */
    record Row(long line, List<String> fields, String error) {
    }

    private final Reader in;
    private final int maxRecordChars;
    private final char[] buf = new char[1 << 14];
    private int pos;
    private int lim;
    private boolean eof;
    private boolean started;
    private long line = 1;

    CsvRows(Reader in, int maxRecordChars) {
        this.in = in;
        this.maxRecordChars = maxRecordChars;
    }

    /** UTF-8 bytes (a byte-order mark is skipped); undecodable bytes reject their record. */
    static CsvRows utf8(InputStream in, int maxRecordChars) {
        return new CsvRows(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)), maxRecordChars);
    }

    private int read() throws IOException {
        if (pos >= lim) {
            if (eof) {
                return -1;
            }
            lim = in.read(buf, 0, buf.length);
            pos = 0;
            if (lim <= 0) {
                lim = 0;
                eof = true;
                return -1;
            }
        }
        return buf[pos++];
    }

    private int peek() throws IOException {
        int c = read();
        if (c >= 0) {
            pos--;
        }
        return c;
    }

    /**
     * @return the next record, or null at end of input; blank lines are skipped
     * @throws IOException if reading the body fails (e.g. it exceeds the size limit)
     */
    Row next() throws IOException {
        if (!started) {
            started = true;
            if (peek() == '\uFEFF') {
                read();
            }
        }
        while (true) {
            int first = peek();
            if (first < 0) {
                return null;
            }
            if (first == '\r' || first == '\n') {
                endOfLine(read());
                continue;
            }
            return record();
        }
    }

    private void endOfLine(int c) throws IOException {
        if (c == '\r' && peek() == '\n') {
            read();
        }
        line++;
    }

    private Row record() throws IOException {
        long start = line;
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int chars = 0;
        boolean quoted = false;
        boolean wasQuoted = false;
        String error = null;
        while (true) {
            int c = read();
            if (c < 0) {
                if (quoted && error == null) {
                    error = "a quoted field is not closed before the end of the body";
                }
                break;
            }
            if (++chars > maxRecordChars && error == null) {
                error = "record longer than " + maxRecordChars + " characters";
            }
            if (c == '\uFFFD' && error == null) {
                error = "invalid UTF-8";
            }
            if (quoted) {
                if (c == '"') {
                    if (peek() == '"') {
                        read();
                        append(field, '"', error);
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n' || (c == '\r' && peek() != '\n')) {
                        line++;
                    }
                    append(field, (char) c, error);
                }
                continue;
            }
            if (c == ',') {
                if (error == null) {
                    fields.add(field.toString());
                }
                field.setLength(0);
                wasQuoted = false;
            } else if (c == '\r' || c == '\n') {
                endOfLine(c);
                break;
            } else if (c == '"' && field.length() == 0 && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
            } else if (c == '"' || wasQuoted) {
                if (error == null) {
                    error = "stray '\"' in a field: quote the whole field and write a quote inside it as \"\"";
                }
            } else {
                append(field, (char) c, error);
            }
        }
        if (error != null) {
            return new Row(start, null, error);
        }
        fields.add(field.toString());
        return new Row(start, fields, null);
    }

    private static void append(StringBuilder field, char c, String error) {
        if (error == null) { // an error row keeps nothing: bounded memory whatever its length
            field.append(c);
        }
    }
}
