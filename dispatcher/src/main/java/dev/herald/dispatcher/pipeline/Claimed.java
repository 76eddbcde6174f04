package dev.herald.dispatcher.pipeline;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A unit of reserved recipients on its way to the send stage, each with its cap reservation
 * stamp (one unit may span several reservations of a chunk, one per zone): claimed durably ahead
 * by {@link ClaimStage#claimAhead}, or by the send stage group by group, just in time
 * ({@link JustInTimeClaims}).
 *
 * @param ids    the recipients (do not modify)
 * @param stamps their reservation stamps, same positions (do not modify)
 */
public record Claimed(int[] ids, long[] stamps) {
    /** @throws IllegalArgumentException if the arrays differ in length or are empty */
    public Claimed {
        if (ids.length != stamps.length || ids.length == 0) {
            throw new IllegalArgumentException("claimed: " + ids.length + " ids, " + stamps.length + " stamps");
        }
    }

    /** @return the ids as a new bitmap */
    public MutableRoaringBitmap bitmap() {
        return MutableRoaringBitmap.bitmapOf(ids);
    }
}
