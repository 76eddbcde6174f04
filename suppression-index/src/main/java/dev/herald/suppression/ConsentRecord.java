package dev.herald.suppression;

import java.time.Instant;

/**
 * One entry of the consent ledger: a durable opt-out, opt-in or erasure with its evidence.
 *
 * <p>Once a recipient is erased ({@link ConsentAction#ERASED}), its records up to the erasure keep
 * their action, time, scope, source, channel and campaign, but their number is replaced by the
 * erasure's keyed hash ({@link #hashedPhone(long)}) and their raw text by null — at the next
 * compaction. The erasure record itself holds only the hash.
 *
 * @param seq position in the log, strictly increasing, never reused
 * @param time when it happened (millisecond precision)
 * @param action opt-out, opt-in or erasure
 * @param recipientId the recipient's dense id in the directory
 * @param phone the recipient's E.164 number when it was recorded, its keyed hash
 *     {@code hash:<16 hex digits>} once erased, or null if not known
 * @param scope the scope it applies to ({@link Scope#GLOBAL} for an erasure: it concerns the person)
 * @param evidence source, channel, raw text, campaign
 */
public record ConsentRecord(long seq, Instant time, ConsentAction action, int recipientId, String phone,
                            Scope scope, ConsentEvidence evidence) {

    /** Prefix of a number kept only as its keyed hash. */
    public static final String HASH_PREFIX = "hash:";

    /** @return the form a number takes in the ledger once erased: {@code hash:} and 16 lower-case hex digits */
    public static String hashedPhone(long phoneHash) {
        return HASH_PREFIX + String.format("%016x", phoneHash);
    }

    /** @return whether {@code phone} is in the form {@link #hashedPhone(long)} writes */
    public static boolean isHashedPhone(String phone) {
        if (phone == null || phone.length() != HASH_PREFIX.length() + 16 || !phone.startsWith(HASH_PREFIX)) {
            return false;
        }
        for (int i = HASH_PREFIX.length(); i < phone.length(); i++) {
            char c = phone.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /**
     * This record as kept after an erasure: the number replaced by {@code hashedPhone} (a record
     * without a number keeps none), the raw text dropped; everything else as it was.
     */
    public ConsentRecord redacted(String hashedPhone) {
        return new ConsentRecord(seq, time, action, recipientId, phone == null ? null : hashedPhone, scope,
                evidence.rawText(null));
    }

    /** @return whether {@link #redacted} would change this record (it holds a plain number or a raw text) */
    public boolean holdsPersonalData() {
        return (phone != null && !isHashedPhone(phone)) || evidence.rawText() != null;
    }
}
