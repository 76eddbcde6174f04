package dev.herald.dispatcher.harness;

import dev.herald.dispatcher.connector.SimulatedConnector;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * An independent count of what a simulated connector accepted, read back from its accepted log:
 * the bench's check of the outcome ledgers and of the caps.
 *
 * <pre>{@code
 * AcceptedTally t = AcceptedTally.read(logFile, Set.of("bench-1", "bench-2"));
 * assert t.repeated() == 0; // nobody got two messages
 * }</pre>
 *
 * <p>Memory: a bitmap of the recipients seen (≤ 1 bit per id of the densest range), the log is
 * streamed. Immutable once read.
 *
 * @param accepted   lines of the given campaigns
 * @param repeated   lines of a recipient already seen in an earlier line (of any of the given
 *                   campaigns): with a cap of 1 per day, each is a cap violation
 * @param recipients the recipients with at least one line
 */
public record AcceptedTally(long accepted, long repeated, MutableRoaringBitmap recipients) {

    /**
     * @param logFile   a simulated connector's accepted log
     * @param campaigns the campaigns to count (lines of others are skipped)
     * @return the tally
     * @throws IOException if the log cannot be read or has a malformed line
     */
    public static AcceptedTally read(Path logFile, Set<String> campaigns) throws IOException {
        MutableRoaringBitmap seen = new MutableRoaringBitmap();
        long[] counts = new long[2];
        SimulatedConnector.scanLog(logFile, e -> {
            if (campaigns.contains(e.campaignId())) {
                counts[0]++;
                if (!seen.checkedAdd(e.recipientId())) {
                    counts[1]++;
                }
            }
        });
        return new AcceptedTally(counts[0], counts[1], seen);
    }
}
