package dev.herald.suppression;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The CSV reader of Herald: every CSV Herald reads (directory and suppression imports, segment
 * uploads, opt-out uploads) goes through it. A streaming RFC 4180 reader that reports bad records
 * instead of failing on them, so one bad line never costs the rest of a file.
 *
 * <p>{@code try (CsvReader csv = CsvReader.utf8(in, CsvReader.DEFAULT_MAX_RECORD_BYTES)) { for (CsvReader.Row r; (r = csv.next()) != null; ) { ... } }}
 *
 * <ul>
 *   <li>Comma-separated; a field that starts with {@code "} is quoted and may hold commas, line
 *       breaks and {@code ""} for a quote. A quote inside an unquoted field is kept as data
 *       ({@link Quotes#LENIENT}) or refused ({@link Quotes#STRICT}).</li>
 *   <li>Line ends may be CRLF, LF or CR; a UTF-8 byte-order mark at the start is skipped; empty
 *       lines are skipped.</li>
 *   <li>The first record is the header; a later record with a different number of fields is
 *       returned as an error row ({@link CsvProblem.WrongFieldCount}, which keeps its fields).</li>
 *   <li>Each row carries the physical 1-based line on which it starts, so an operator can open
 *       the file there.</li>
 *   <li>Malformed records become error rows, each with a typed {@link CsvProblem}, and reading
 *       resumes at the next line end: a record longer than the limit ({@code line too long (N bytes
 *       > limit)}, counted in UTF-8 bytes and never buffered past the limit), a character after a
 *       closing quote, a stray quote under {@link Quotes#STRICT}, a quote still open at end of
 *       input.</li>
 *   <li>Invalid UTF-8: {@link #utf8} decodes with replacement, and any record containing U+FFFD
 *       is rejected as invalid UTF-8. This keeps decoding streaming and resynchronising; the cost
 *       is that a genuine, correctly encoded U+FFFD is rejected too, which no phone list needs.</li>
 * </ul>
 *
 * <p>Why not Jackson's CSV data format: its parser stops for good at the first undecodable byte,
 * cannot resume after a malformed record (so one bad line would cost the rest of an upload),
 * buffers a field up to {@code StreamReadConstraints} (20 M characters) instead of a per-record
 * byte limit, and its token locations are not the physical lines records start on.
 *
 * <p>Memory is bounded by the record limit. Not thread-safe: one reader per thread.
 */
public final class CsvReader implements Closeable {

    /** Default limit on one record, in UTF-8 bytes. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 64 * 1024;

    private static final int FIELD_START = 0;
    private static final int UNQUOTED = 1;
    private static final int QUOTED = 2;
    private static final int QUOTE_SEEN = 3;

    /** What a quote inside an unquoted field (as in {@code ab"c}) is. */
    public enum Quotes {
        /** Data: {@code ab"c} is the field {@code ab"c} (what the file imports always did). */
        LENIENT,
        /** A {@link CsvProblem.StrayQuote}: the record is refused (what the HTTP opt-out upload does). */
        STRICT
    }

    /**
     * One record, or why it was rejected.
     *
     * @param line    physical 1-based line on which the record starts
     * @param fields  the fields; null for an error row, except a {@link CsvProblem.WrongFieldCount} row
     * @param problem what is wrong, or null for a good row
     */
    public record Row(long line, String[] fields, CsvProblem problem) {
        /** @return whether the record was read without error */
        public boolean ok() {
            return problem == null;
        }

        /** @return what is wrong in the reader's wording ({@link CsvProblem#message()}), or null for a good row */
        public String error() {
            return problem == null ? null : problem.message();
        }
    }

    private final Reader in;
    private final int maxRecordBytes;
    private final boolean strictQuotes;
    private final char[] buf = new char[1 << 16];
    private int pos;
    private int lim;
    private boolean eof;
    private boolean started;
    /** Physical line of the next character. */
    private long line = 1;
    /** The last character consumed was CR, so an LF now completes the same line end. */
    private boolean afterCr;
    private int expectedFields = -1;

    private char[] rec = new char[256];
    private int recLen;
    private int[] ends = new int[16];
    private int fieldCount;

    /**
     * As {@link #CsvReader(Reader, int, Quotes)} with {@link Quotes#LENIENT}.
     *
     * @throws IllegalArgumentException if {@code maxRecordBytes < 1}
     */
    public CsvReader(Reader in, int maxRecordBytes) {
        this(in, maxRecordBytes, Quotes.LENIENT);
    }

    /**
     * @param in             characters to read; closed by {@link #close()}
     * @param maxRecordBytes limit on one record in UTF-8 bytes, excluding its line end
     * @param quotes         what a quote inside an unquoted field is
     * @throws IllegalArgumentException if {@code maxRecordBytes < 1}
     * @throws NullPointerException     if {@code in} or {@code quotes} is null
     */
    public CsvReader(Reader in, int maxRecordBytes, Quotes quotes) {
        if (maxRecordBytes < 1) {
            throw new IllegalArgumentException("maxRecordBytes must be >= 1, got " + maxRecordBytes);
        }
        this.in = Objects.requireNonNull(in, "in");
        this.maxRecordBytes = maxRecordBytes;
        this.strictQuotes = Objects.requireNonNull(quotes, "quotes") == Quotes.STRICT;
    }

    /**
     * As {@link #utf8(InputStream, int, Quotes)} with {@link Quotes#LENIENT}.
     *
     * @throws IllegalArgumentException if {@code maxRecordBytes < 1}
     */
    public static CsvReader utf8(InputStream in, int maxRecordBytes) {
        return utf8(in, maxRecordBytes, Quotes.LENIENT);
    }

    /**
     * @param in             UTF-8 bytes, with or without a byte-order mark; closed by {@link #close()}
     * @param maxRecordBytes limit on one record in bytes
     * @param quotes         what a quote inside an unquoted field is
     * @return a reader that marks undecodable bytes with U+FFFD (and so rejects their records)
     * @throws IllegalArgumentException if {@code maxRecordBytes < 1}
     */
    public static CsvReader utf8(InputStream in, int maxRecordBytes, Quotes quotes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        return new CsvReader(new InputStreamReader(Objects.requireNonNull(in, "in"), decoder), maxRecordBytes, quotes);
    }

    /**
     * @return the next record (good or rejected), or null at end of input
     * @throws IOException if reading fails
     */
    public Row next() throws IOException {
        if (!started) {
            started = true;
            if (fill() && buf[pos] == '\uFEFF') {
                pos++;
            }
        }
        while (true) {
            if (pos >= lim && !fill()) {
                return null;
            }
            char c = buf[pos];
            if (c != '\n' && c != '\r') {
                return readRecord();
            }
            pos++;
            track(c);
        }
    }

    private Row readRecord() throws IOException {
        long start = line;
        long quoteLine = 0;
        recLen = 0;
        fieldCount = 0;
        long bytes = 0;
        boolean badUtf8 = false;
        int state = FIELD_START;
        while (true) {
            if (pos >= lim && !fill()) {
                if (state == QUOTED) {
                    return new Row(start, null, new CsvProblem.UnterminatedQuote(quoteLine));
                }
                endField();
                break;
            }
            char c = buf[pos++];
            track(c);
            if (state == QUOTED) {
                if (c == '"') {
                    state = QUOTE_SEEN;
                    bytes++;
                    continue;
                }
            } else if (c == '\n' || c == '\r') {
                endField();
                break;
            } else if (c == ',') {
                bytes++;
                endField();
                state = FIELD_START;
                continue;
            } else if (c == '"' && state == FIELD_START) {
                state = QUOTED;
                quoteLine = line;
                bytes++;
                continue;
            } else if (state == QUOTE_SEEN) {
                if (c != '"') {
                    CsvProblem what = new CsvProblem.AfterClosingQuote(c, fieldCount + 1);
                    skipLine();
                    return new Row(start, null, what);
                }
                state = QUOTED;
            } else if (c == '"' && strictQuotes) {
                skipLine();
                return new Row(start, null, new CsvProblem.StrayQuote(fieldCount + 1));
            } else {
                state = UNQUOTED;
            }
            bytes += utf8Length(c);
            if (bytes > maxRecordBytes) {
                long total = bytes + skipLine();
                return new Row(start, null, new CsvProblem.TooLong(total, maxRecordBytes, state == QUOTED ? quoteLine : 0));
            }
            badUtf8 |= c == '\uFFFD';
            append(c);
        }
        if (badUtf8) {
            return new Row(start, null, new CsvProblem.InvalidUtf8());
        }
        String[] fields = new String[fieldCount];
        int from = 0;
        for (int i = 0; i < fieldCount; i++) {
            fields[i] = new String(rec, from, ends[i] - from);
            from = ends[i];
        }
        if (expectedFields < 0) {
            expectedFields = fieldCount;
        } else if (fieldCount != expectedFields) {
            return new Row(start, fields, new CsvProblem.WrongFieldCount(expectedFields, fieldCount));
        }
        return new Row(start, fields, null);
    }

    /** Consumes the rest of the physical line and its line end; returns its length in UTF-8 bytes. */
    private long skipLine() throws IOException {
        long bytes = 0;
        while (pos < lim || fill()) {
            char c = buf[pos++];
            boolean crLfTail = c == '\n' && afterCr;
            track(c);
            if ((c == '\n' || c == '\r') && !crLfTail) {
                return bytes;
            }
            bytes += crLfTail ? 1 : utf8Length(c);
        }
        return bytes;
    }

    /** Advances the physical line count past {@code c}: CRLF, LF and CR each end one line. */
    private void track(char c) {
        if (c == '\n') {
            if (!afterCr) {
                line++;
            }
            afterCr = false;
        } else if (c == '\r') {
            line++;
            afterCr = true;
        } else {
            afterCr = false;
        }
    }

    private void append(char c) {
        if (recLen == rec.length) {
            rec = Arrays.copyOf(rec, rec.length * 2);
        }
        rec[recLen++] = c;
    }

    private void endField() {
        if (fieldCount == ends.length) {
            ends = Arrays.copyOf(ends, ends.length * 2);
        }
        ends[fieldCount++] = recLen;
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        if (n < 0) {
            eof = true;
            return false;
        }
        pos = 0;
        lim = n;
        return true;
    }

    /** UTF-8 length of one UTF-16 unit; each half of a surrogate pair counts 2 (4 for the pair). */
    private static int utf8Length(char c) {
        if (c < 0x80) {
            return 1;
        }
        if (c < 0x800 || Character.isSurrogate(c)) {
            return 2;
        }
        return 3;
    }

    /** Closes the underlying reader. */
    @Override
    public void close() throws IOException {
        in.close();
    }
}
