package dev.herald.suppression;

import java.time.Instant;

/**
 * One entry of the consent ledger: a durable opt-out or opt-in with its evidence.
 *
 * @param seq position in the log, strictly increasing, never reused
 * @param time when it happened (millisecond precision)
 * @param action opt-out or opt-in
 * @param recipientId the recipient's dense id in the directory
 * @param phone the recipient's E.164 number when it was recorded, or null if not known
 * @param scope the scope it applies to
 * @param evidence source, channel, raw text, campaign
 */
public record ConsentRecord(long seq, Instant time, ConsentAction action, int recipientId, String phone,
                            Scope scope, ConsentEvidence evidence) {
}
