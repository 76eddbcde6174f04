package dev.herald.suppression;

/**
 * What a compaction did.
 *
 * @param generation the new base image's generation
 * @param baseSeq the log position it covers
 * @param ids ids in the new base, over all scopes
 * @param foldedChanges ids that differed from the old base and were folded in
 * @param archivedSegments log segments moved to the ledger archive
 * @param purgedSegments archived segments deleted because they passed the retention period
 * @param redactedRecords ledger records of erased recipients that lost their plain number and raw text
 * @param redactedSegments log and ledger segments rewritten to redact them
 * @param unredactedSegments damaged ledger segments that could not be read, so not redacted (logged
 *     as errors, kept as they are for an operator; 0 normally)
 * @param nanos time taken
 */
public record CompactionReport(long generation, long baseSeq, long ids, long foldedChanges, int archivedSegments,
                               int purgedSegments, long redactedRecords, int redactedSegments, int unredactedSegments,
                               long nanos) {
}
