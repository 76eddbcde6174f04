package dev.herald.suppression;

/**
 * Counts of one CSV import.
 *
 * <p>{@code ImportReport r = directory.importCsv(file, ImportListener.NONE); assert r.imported() + r.rejected() == r.lines();}
 *
 * <p>Immutable. Invariants: {@code imported == created + duplicates} and
 * {@code imported + rejected == lines}.
 *
 * @param imported   records applied: new recipients plus duplicates
 * @param created    records that registered a new recipient (a new id)
 * @param duplicates records whose number was already in the directory or earlier in the file;
 *                   applied idempotently (non-empty values update the attributes)
 * @param rejected   records not applied, each reported to {@link ImportListener#onRejected}
 * @param lines      data records read: the header and blank lines are not counted, and a record
 *                   whose quoted field spans several physical lines counts once
 */
public record ImportReport(long imported, long created, long duplicates, long rejected, long lines) {

    /** @throws IllegalArgumentException if the counts break the invariants above */
    public ImportReport {
        if (imported != created + duplicates || imported + rejected != lines
                || created < 0 || duplicates < 0 || rejected < 0) {
            throw new IllegalArgumentException("inconsistent import counts: imported=" + imported + " created="
                    + created + " duplicates=" + duplicates + " rejected=" + rejected + " lines=" + lines);
        }
    }
}
