package dev.herald.dispatcher.api;

import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.CsvProblem;
import dev.herald.suppression.CsvReader;
import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Scope;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * Reads an uploaded opt-out list: UTF-8 CSV with a header row, a {@code phone} column and
 * optional {@code scope} and {@code reason} columns (other columns are ignored), streamed record
 * by record into an {@link OptOutBatch}.
 *
 * <pre>{@code
 * CsvOptOuts.read(body, directory.phoneNumbers(), Scope.GLOBAL, "list from the call centre", batch);
 * }</pre>
 *
 * <p>Records are read by Herald's one {@link CsvReader}, with {@link CsvReader.Quotes#STRICT}
 * quotes: a quote inside an unquoted field rejects its record here, where a file import keeps it
 * as data. A record with an invalid number, scope or UTF-8, a stray quote, or the wrong number of
 * fields, is rejected with its line and the reason (in this endpoint's wording, {@link #reason});
 * the others go on. An empty {@code scope} or {@code reason} cell takes the default (the
 * {@code ?scope=} and {@code ?reason=} query parameters).
 *
 * <p>Stateless; one call per upload, on one thread.
 */
public final class CsvOptOuts {
    /** Longest record, in UTF-8 bytes (the reader's unit; the same as characters for ASCII). */
    public static final int MAX_RECORD_BYTES = 64 * 1024;

    private CsvOptOuts() {
    }

    /**
     * Where the header puts the columns an opt-out list uses (-1: absent).
     *
     * @param phone  the {@code phone} column
     * @param scope  the {@code scope} column
     * @param reason the {@code reason} column
     */
    public record Columns(int phone, int scope, int reason) {
    }

    /**
     * One record judged: either {@code refusal} (the reason, in this endpoint's words) or the
     * number, its scope and its reason text (empty: the default).
     *
     * @param line      the record's first line in the upload
     * @param phone     the phone cell as given (null if none), for a masked mention
     * @param refusal   why it is refused, or null
     * @param number    the number, if taken
     * @param scope     its scope, if taken
     * @param reasonText its {@code reason} cell, stripped ("" when empty or absent)
     */
    public record Judged(long line, String phone, String refusal, PhoneNumbers.Normalized number, Scope scope,
                         String reasonText) {
    }

    /**
     * @param defaultScope  scope of records without one, or null (then a {@code scope} column is required)
     * @param defaultReason reason of records without one, or null
     * @throws ApiError     400 for an empty body, a bad header, or no scope column and no default scope
     *                      (checked before any record is taken)
     * @throws IOException  if the body cannot be read (e.g. it passes its size limit)
     */
    static void read(InputStream in, PhoneNumbers numbers, Scope defaultScope, String defaultReason, OptOutBatch batch)
            throws IOException {
        // not closed here: the caller owns and closes the body
        CsvReader rows = reader(in);
        Columns c = header(rows, defaultScope);
        ConsentEvidence defaultEvidence = OptOutBatch.evidence(defaultReason);
        for (CsvReader.Row row = rows.next(); row != null; row = rows.next()) {
            Judged j = judge(row, c, numbers, defaultScope);
            if (j.refusal() != null) {
                batch.reject(j.line(), j.phone(), j.refusal());
                continue;
            }
            batch.optOut(j.number(), j.scope(), j.reasonText().isEmpty() ? defaultEvidence : OptOutBatch.evidence(j.reasonText()));
        }
    }

    /** @return the reader this endpoint reads an upload with (strict quotes, {@link #MAX_RECORD_BYTES}) */
    public static CsvReader reader(InputStream in) {
        return CsvReader.utf8(in, MAX_RECORD_BYTES, CsvReader.Quotes.STRICT);
    }

    /**
     * Reads and checks the header row.
     *
     * @param defaultScope the {@code ?scope=} default, or null
     * @return its columns
     * @throws ApiError    400 for an empty body, a bad header, no {@code phone} column, or no scope column and no default
     * @throws IOException if the body cannot be read
     */
    public static Columns header(CsvReader rows, Scope defaultScope) throws IOException {
        CsvReader.Row header = rows.next();
        if (header == null) {
            throw ApiError.badRequest("missing_body", "the CSV body is empty: a header row with a 'phone' column is expected", null);
        }
        if (!header.ok()) {
            throw ApiError.badRequest("invalid_csv", "line " + header.line() + " (header): " + reason(header.problem()), null);
        }
        int phoneCol = column(header.fields(), "phone");
        int scopeCol = column(header.fields(), "scope");
        int reasonCol = column(header.fields(), "reason");
        if (phoneCol < 0) {
            throw ApiError.badRequest("invalid_csv", "the CSV header has no 'phone' column; it has: "
                    + String.join(", ", header.fields()), "phone");
        }
        if (scopeCol < 0 && defaultScope == null) {
            throw ApiError.badRequest("missing_parameter", "the CSV has no 'scope' column, so query parameter 'scope' is required",
                    "scope");
        }
        return new Columns(phoneCol, scopeCol, reasonCol);
    }

    /**
     * Judges one record as this endpoint does: refused (with its reason) for a broken record, a
     * missing or invalid number, or a missing or invalid scope; else taken.
     */
    public static Judged judge(CsvReader.Row row, Columns c, PhoneNumbers numbers, Scope defaultScope) {
        String[] f = row.fields();
        if (!row.ok()) {
            // a record with the wrong number of fields keeps them: its phone is named in the answer
            return refused(row.line(), f == null ? null : cell(f, c.phone()), reason(row.problem()));
        }
        String raw = f[c.phone()].strip();
        if (raw.isEmpty()) {
            return refused(row.line(), null, "missing phone number");
        }
        Scope scope = defaultScope;
        String scopeText = c.scope() < 0 ? "" : f[c.scope()].strip();
        if (!scopeText.isEmpty()) {
            try {
                scope = Scope.parse(scopeText);
            } catch (IllegalArgumentException e) {
                return refused(row.line(), raw, e.getMessage());
            }
        } else if (scope == null) {
            return refused(row.line(), raw, "missing scope (no 'scope' value and no ?scope= default)");
        }
        PhoneNumbers.Normalized n;
        try {
            n = numbers.normalize(raw);
        } catch (InvalidPhoneNumberException e) {
            return refused(row.line(), raw, e.reason().text());
        }
        String reasonText = c.reason() < 0 ? "" : f[c.reason()].strip();
        return new Judged(row.line(), raw, null, n, scope, reasonText);
    }

    private static Judged refused(long line, String phone, String why) {
        return new Judged(line, phone, why, null, null, "");
    }

    /**
     * This endpoint's wording of a record the reader refused: the reasons its answers have always
     * given, which differ from the file import's ({@link CsvProblem#message()}).
     */
    public static String reason(CsvProblem problem) {
        if (problem instanceof CsvProblem.InvalidUtf8) {
            return "invalid UTF-8";
        }
        if (problem instanceof CsvProblem.UnterminatedQuote) {
            return "a quoted field is not closed before the end of the body";
        }
        if (problem instanceof CsvProblem.TooLong t) {
            return "record longer than " + t.limit() + " bytes";
        }
        if (problem instanceof CsvProblem.StrayQuote || problem instanceof CsvProblem.AfterClosingQuote) {
            return "stray '\"' in a field: quote the whole field and write a quote inside it as \"\"";
        }
        if (problem instanceof CsvProblem.WrongFieldCount w) {
            return w.found() + " fields where the header has " + w.expected();
        }
        return problem.message();
    }

    private static int column(String[] header, String name) {
        for (int i = 0; i < header.length; i++) {
            if (header[i].strip().toLowerCase(Locale.ROOT).equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String cell(String[] fields, int col) {
        return col < fields.length ? fields[col] : null;
    }
}
