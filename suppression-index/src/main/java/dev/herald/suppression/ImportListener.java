package dev.herald.suppression;

import java.util.List;

/**
 * Hears about each data line of a CSV import as it is applied, e.g. to write a rejects file for
 * the operator.
 *
 * <p>{@code directory.importCsv(file, new ImportListener() { public void onRejected(long line, String reason) { rejects.println(line + ": " + reason); } });}
 *
 * <p>Threading: called on the thread that runs the import: {@link #onHeader} once, then in line
 * order one call per data record. A listener that throws aborts the import; lines already applied
 * stay applied.
 */
public interface ImportListener {

    /** A listener that ignores everything. */
    ImportListener NONE = new ImportListener() { };

    /**
     * The header row was read and accepted, before any data record.
     *
     * @param columns the column names as the import names them (stripped, lower-cased; none blank,
     *                none twice), in file order, {@code phone}, {@code tz} and {@code locale} included
     */
    default void onHeader(List<String> columns) {
    }

    /**
     * A record was applied (registered, or already present and merged).
     *
     * @param lineNumber physical 1-based line on which the record starts (the header is line 1)
     * @param id         the recipient's id
     * @param created    true if the recipient was new, false for a duplicate
     */
    default void onAccepted(long lineNumber, int id, boolean created) {
    }

    /**
     * A record was rejected; nothing of it was applied.
     *
     * @param lineNumber physical 1-based line on which the record starts (the header is line 1)
     * @param reason     what is wrong, naming the offending value
     */
    default void onRejected(long lineNumber, String reason) {
    }
}
