package dev.herald.dispatcher.api;

import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Scope;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
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
 * <p>A record with an invalid number, scope or UTF-8, or the wrong number of fields, is rejected
 * with its line and the reason; the others go on. An empty {@code scope} or {@code reason} cell
 * takes the default (the {@code ?scope=} and {@code ?reason=} query parameters).
 *
 * <p>Stateless; one call per upload, on one thread.
 */
final class CsvOptOuts {
    /** Longest record, in characters. */
    static final int MAX_RECORD_CHARS = 64 * 1024;

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
        CsvRows rows = CsvRows.utf8(in, MAX_RECORD_CHARS);
        CsvRows.Row header = rows.next();
        if (header == null) {
            throw ApiError.badRequest("missing_body", "the CSV body is empty: a header row with a 'phone' column is expected", null);
        }
        if (header.fields() == null) {
            throw ApiError.badRequest("invalid_csv", "line " + header.line() + " (header): " + header.error(), null);
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
        for (CsvRows.Row row = rows.next(); row != null; row = rows.next()) {
            List<String> f = row.fields();
            if (f == null) {
                batch.reject(row.line(), null, row.error());
                continue;
            }
            if (f.size() != header.fields().size()) {
                batch.reject(row.line(), cell(f, phoneCol), f.size() + " fields where the header has "
                        + header.fields().size());
                continue;
            }
            String raw = f.get(phoneCol).strip();
            if (raw.isEmpty()) {
                batch.reject(row.line(), null, "missing phone number");
                continue;
            }
            Scope scope = defaultScope;
            String scopeText = scopeCol < 0 ? "" : f.get(scopeCol).strip();
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
            String reasonText = reasonCol < 0 ? "" : f.get(reasonCol).strip();
            batch.optOut(n, scope, reasonText.isEmpty() ? defaultEvidence : OptOutBatch.evidence(reasonText));
        }
    }

    private static int column(List<String> header, String name) {
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).strip().toLowerCase(Locale.ROOT).equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String cell(List<String> fields, int col) {
        return col < fields.size() ? fields.get(col) : null;
    }
}
