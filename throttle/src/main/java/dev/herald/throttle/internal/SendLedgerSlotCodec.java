package dev.herald.throttle.internal;

/**
 * How a {@link SendLedgerSlots slot} is written in a memory-mapped segment file: with a check
 * byte, so a flipped byte or a zero-filled page is found instead of read as "no send".
 *
 * <pre>
 *  63                     27 26     19 18     11 10  9 8  7        0
 * +------------------------+---------+---------+---+---+----------+
 * | epoch second (37 bits) | channel | category| M | S | check    |
 * +------------------------+---------+---------+---+---+----------+
 * </pre>
 * The upper 7 bytes are the slot's content packed without its unused bits; the check byte is
 * the XOR of those 7 bytes, XOR {@code 0xA5}. Every error confined to one byte changes the
 * XOR by a non-zero value, so it is always detected; a zeroed word (check {@code 0}, content
 * {@code 0}, expected check {@code 0xA5}) is never valid, so a zero-filled page is damage, not
 * an empty record. An empty slot is written as {@link #EMPTY_WORD} ({@code 0xA5}).
 *
 * <p>{@code long word = SendLedgerSlotCodec.encode(slot); long slot = SendLedgerSlotCodec.decode(word);}
 *
 * <p>A slot is still one aligned 8-byte store, so a killed process leaves every word old or
 * new, each valid. Stateless and thread-safe.
 */
public final class SendLedgerSlotCodec {

    private static final long SALT = 0xA5;
    /** The stored word of an empty slot. */
    public static final long EMPTY_WORD = SALT;

    private SendLedgerSlotCodec() {
    }

    /**
     * @param slot a slot ({@link SendLedgerSlots}), second at most {@link SendLedgerSlots#MAX_SECOND}
     * @return the word to store
     */
    public static long encode(long slot) {
        long packed = (slot >>> 24) << 19 | ((slot >>> 8) & 0xFFFFL) << 3 | (slot & 7L);
        return packed << 8 | check(packed);
    }

    /**
     * @param word a stored word that passed {@link #valid(long)}
     * @return the slot it holds
     */
    public static long decode(long word) {
        long packed = word >>> 8;
        return (packed >>> 19) << 24 | ((packed >>> 3) & 0xFFFFL) << 8 | (packed & 7L);
    }

    /** @return whether {@code word}'s check byte matches its content */
    public static boolean valid(long word) {
        return (word & 0xFF) == check(word >>> 8);
    }

    /**
     * @param slot a slot as stored by a ledger of format 1 (no check byte)
     * @return whether it is a slot a format-1 ledger could have written (unused bits clear,
     *         second in range): what migration accepts
     */
    public static boolean plausibleUnchecked(long slot) {
        long state = slot & SendLedgerSlots.STATE_MASK;
        return (slot & 0xF8L) == 0 && (slot >>> 24) <= SendLedgerSlots.MAX_SECOND && state != 3
                && (state != 0 || slot == SendLedgerSlots.EMPTY);
    }

    private static long check(long packed) {
        long x = packed ^ (packed >>> 32);
        x ^= x >>> 16;
        x ^= x >>> 8;
        return (x & 0xFF) ^ SALT;
    }
}
