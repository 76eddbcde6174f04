package dev.herald.suppression;

import java.util.List;

/**
 * What opening a {@link SuppressionIndex} found and did.
 *
 * @param baseSeq the log position the base image covers
 * @param baseIds ids in the base image, over all scopes
 * @param baseLoadNanos time to load and check the base image
 * @param replayedRecords log records replayed after the base
 * @param replayNanos time to replay them
 * @param droppedTornBytes bytes of an incomplete last record dropped from the log (0 normally)
 * @param warnings human-readable notes, e.g. which file a torn record was dropped from
 */
public record OpenReport(long baseSeq, long baseIds, long baseLoadNanos, long replayedRecords, long replayNanos,
                         long droppedTornBytes, List<String> warnings) {
}
