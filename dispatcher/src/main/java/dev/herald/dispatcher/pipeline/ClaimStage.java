package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.throttle.ReservationBatch;

import java.util.ArrayList;
import java.util.List;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * Stage 4: claims. A chunk's reservations become {@link Claimed} units of at most a window that
 * span the chunk's zones ({@link #units}), so that units are full but the chunk's last. A
 * campaign's graph claims them just in time, group by group inside the send stage
 * ({@link JustInTimeClaims}: a crash leaves at most one window {@code unknown}); {@link #claimAhead}
 * is the earlier mode that claims whole units durably before the send stage.
 *
 * <pre>{@code
 * reservations.mapConcat(r -> ClaimStage.units(r, connector.window())).via(SendStage.flow(system, settings))
 * }</pre>
 */
public final class ClaimStage {

    private ClaimStage() {
    }

    /**
     * Claims each chunk's reservations in units of at most {@code unit} ids, each fsynced before it
     * is emitted: nothing reaches the connector unclaimed, so a crash can never make the campaign
     * send it again. What a crash turns {@code unknown} is then every unit claimed ahead of the
     * connector (this stage's output buffer plus the one being handed over).
     *
     * @param unit most ids per claim, ≥ 1
     * @throws IllegalArgumentException if {@code unit < 1}
     */
    public static Flow<List<ReservationBatch>, Claimed, NotUsed> claimAhead(OutcomeLedger ledger, int unit) {
        if (unit < 1) {
            throw new IllegalArgumentException("claim unit must be >= 1, got " + unit);
        }
        return Flow.<List<ReservationBatch>>create()
                .mapConcat(chunk -> units(chunk, unit))
                .map(c -> {
                    ledger.claim(c.bitmap());
                    return c;
                })
                .named("campaign-claim");
    }

    /** The reservations' ids, in their order, in units of at most {@code unit}, with their stamps. */
    public static List<Claimed> units(List<ReservationBatch> reservations, int unit) {
        long total = 0;
        for (ReservationBatch b : reservations) {
            total += b.reserved().getLongCardinality();
        }
        List<Claimed> out = new ArrayList<>((int) ((total + unit - 1) / unit));
        int size = (int) Math.min(unit, total);
        int[] ids = new int[size];
        long[] stamps = new long[size];
        int filled = 0;
        int[] step = new int[4096];
        for (ReservationBatch b : reservations) {
            org.roaringbitmap.BatchIterator it = b.reserved().getBatchIterator();
            while (it.hasNext()) {
                int got = it.nextBatch(step);
                int at = 0;
                while (at < got) {
                    int take = Math.min(got - at, ids.length - filled);
                    System.arraycopy(step, at, ids, filled, take);
                    java.util.Arrays.fill(stamps, filled, filled + take, b.stamp());
                    filled += take;
                    at += take;
                    total -= take;
                    if (filled == ids.length) {
                        out.add(new Claimed(ids, stamps));
                        size = (int) Math.min(unit, total);
                        ids = new int[size];
                        stamps = new long[size];
                        filled = 0;
                    }
                }
            }
        }
        return out;
    }

}
