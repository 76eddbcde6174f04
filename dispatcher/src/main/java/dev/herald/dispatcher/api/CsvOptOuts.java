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
final class CsvOptOuts {
    /** Longest record, in UTF-8 bytes (the reader's unit; the same as characters for ASCII). */
    static final int MAX_RECORD_BYTES = 64 * 1024;

    private CsvOptOuts() {
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
        CsvReader rows = CsvReader.utf8(in, MAX_RECORD_BYTES, CsvReader.Quotes.STRICT);
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
        ConsentEvidence defaultEvidence = OptOutBatch.evidence(defaultReason);
        for (CsvReader.Row row = rows.next(); row != null; row = rows.next()) {
            String[] f = row.fields();
            if (!row.ok()) {
                // a record with the wrong number of fields keeps them: its phone is named in the answer
                batch.reject(row.line(), f == null ? null : cell(f, phoneCol), reason(row.problem()));
                continue;
            }
            String raw = f[phoneCol].strip();
            if (raw.isEmpty()) {
                batch.reject(row.line(), null, "missing phone number");
                continue;
            }
            Scope scope = defaultScope;
            String scopeText = scopeCol < 0 ? "" : f[scopeCol].strip();
            if (!scopeText.isEmpty()) {
                try {
                    scope = Scope.parse(scopeText);
                } catch (IllegalArgumentException e) {
                    batch.reject(row.line(), raw, e.getMessage());
                    continue;
                }
            } else if (scope == null) {
                batch.reject(row.line(), raw, "missing scope (no 'scope' value and no ?scope= default)");
                continue;
            }
            PhoneNumbers.Normalized n;
            try {
                n = numbers.normalize(raw);
            } catch (InvalidPhoneNumberException e) {
                batch.reject(row.line(), raw, e.reason().text());
                continue;
            }
            String reasonText = reasonCol < 0 ? "" : f[reasonCol].strip();
            batch.optOut(n, scope, reasonText.isEmpty() ? defaultEvidence : OptOutBatch.evidence(reasonText));
        }
    }

    /**
     * This endpoint's wording of a record the reader refused: the reasons its answers have always
     * given, which differ from the file import's ({@link CsvProblem#message()}).
     */
    static String reason(CsvProblem problem) {
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
