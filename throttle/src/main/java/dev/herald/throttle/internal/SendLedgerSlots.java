package dev.herald.throttle.internal;

/**
 * The 8-byte slot that records one send in a recipient's ledger record (K slots per record).
 *
 * <pre>
 *  63                    24 23      16 15       8 7   3  2  1 0
 * +------------------------+----------+----------+-----+---+---+
 * | epoch second (40 bits) | channel  | category | 0   | M | S |
 * +------------------------+----------+----------+-----+---+---+
 * </pre>
 * S (2 bits): 0 empty, 1 reserved, 2 confirmed. M: marketing. Channel and category are codes
 * from {@link SendLedgerCodes} (1–255). A slot is always written as one aligned 8-byte store,
 * so a killed process leaves every slot either old or new, never torn.
 *
 * <p>{@code long slot = SendLedgerSlots.reserved(now, ch, cat, true);}
 *
 * <p>Stateless and thread-safe.
 */
public final class SendLedgerSlots {

    /** State bits of an empty slot. */
    public static final long EMPTY = 0;
    /** State: counted, not yet handed to the connector. */
    public static final int RESERVED = 1;
    /** State: handed to the connector. */
    public static final int CONFIRMED = 2;
    /** Mask of the state bits. */
    public static final long STATE_MASK = 3;
    /** The marketing bit. */
    public static final long MARKETING = 4;
    /** Mask of the channel code. */
    public static final long CHANNEL_MASK = 0xFFL << 16;
    /** Mask of the category code. */
    public static final long CATEGORY_MASK = 0xFFL << 8;
    /**
     * The largest epoch second a slot holds (year 6325): 37 bits, so that a slot fits in the 7
     * bytes beside its check byte on disk ({@link SendLedgerSlotCodec}).
     */
    public static final long MAX_SECOND = (1L << 37) - 1;

    private SendLedgerSlots() {
    }

    /**
     * @param second    epoch second of the send, in {@code [0, MAX_SECOND]}
     * @param channel   channel code, 1–255
     * @param category  category code, 1–255
     * @param marketing whether the send is marketing
     * @return a reserved slot
     */
    public static long reserved(long second, int channel, int category, boolean marketing) {
        return second << 24 | (long) channel << 16 | (long) category << 8 | (marketing ? MARKETING : 0) | RESERVED;
    }

    /** @return the epoch second of a slot */
    public static long second(long slot) {
        return slot >>> 24;
    }

    /** @return the state bits of a slot */
    public static int state(long slot) {
        return (int) (slot & STATE_MASK);
    }

    /** @return the slot with the confirmed state */
    public static long confirmed(long slot) {
        return (slot & ~STATE_MASK) | CONFIRMED;
    }
}
