package dev.herald.dispatcher.outcome;

import java.util.List;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * What {@link OutcomeLedger#open} found and did.
 *
 * @param created whether the ledger was created by this open (no earlier state)
 * @param checkpointGeneration the generation of the checkpoint loaded
 * @param replayedRecords log records replayed after the checkpoint
 * @param droppedTornBytes bytes of an incomplete last log record dropped (0 normally)
 * @param unknown ids that were claimed without a final outcome and are now {@code unknown}:
 *     they may have reached the connector, so they are not resent by themselves
 * @param warnings human-readable notes, e.g. which file a torn record was dropped from
 */
public record RecoveryReport(boolean created, long checkpointGeneration, long replayedRecords, long droppedTornBytes,
                             ImmutableRoaringBitmap unknown, List<String> warnings) {

    /** How many ids became {@code unknown} on this open. */
    public long unknownCount() {
        return unknown.getLongCardinality();
    }
}
