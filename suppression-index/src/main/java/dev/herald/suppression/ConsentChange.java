package dev.herald.suppression;

/**
 * A requested change of one recipient's suppression in one scope, not yet durable.
 *
 * <pre>{@code
 * index.apply(List.of(ConsentChange.optOut(id, "+447400123456", Scope.GLOBAL, evidence)));
 * }</pre>
 *
 * <p>An erasure ({@link #erased}) changes no scope: it is always {@link Scope#GLOBAL}, carries the
 * number only as its keyed hash and no raw text.
 *
 * @param action opt-out (add to the scope), opt-in (remove from it) or erasure (no change of scope)
 * @param recipientId dense id, {@code >= 0}
 * @param phone the E.164 number, kept in the ledger as evidence; may be null. For an erasure, the
 *     number's keyed hash in the form {@link ConsentRecord#hashedPhone(long)}
 * @param scope the scope
 * @param evidence how the change was made
 */
public record ConsentChange(ConsentAction action, int recipientId, String phone, Scope scope, ConsentEvidence evidence) {

    /**
     * @throws IllegalArgumentException if a field is missing or the id is negative, or for an erasure
     *     if the phone is not a keyed hash, the scope not global or the evidence carries raw text
     */
    public ConsentChange {
        if (action == null || scope == null || evidence == null) {
            throw new IllegalArgumentException("consent change needs an action, a scope and evidence");
        }
        if (recipientId < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + recipientId);
        }
        if (action == ConsentAction.ERASED) {
            if (!ConsentRecord.isHashedPhone(phone)) {
                throw new IllegalArgumentException("an erasure keeps the number only as its keyed hash ("
                        + ConsentRecord.HASH_PREFIX + "<16 hex digits>), got " + (phone == null ? "none" : "'" + phone + "'"));
            }
            if (!scope.equals(Scope.GLOBAL)) {
                throw new IllegalArgumentException("an erasure concerns the person, not a scope: its scope must be global, got "
                        + scope);
            }
            if (evidence.rawText() != null) {
                throw new IllegalArgumentException("an erasure keeps no raw text (it records that the person's texts were deleted)");
            }
        } else if (phone != null && phone.length() > 16) {
            throw new IllegalArgumentException("phone '" + phone + "' is longer than an E.164 number");
        }
    }

    public static ConsentChange optOut(int id, String phone, Scope scope, ConsentEvidence evidence) {
        return new ConsentChange(ConsentAction.OPT_OUT, id, phone, scope, evidence);
    }

    /**
     * The erasure of recipient {@code id}, whose number's keyed hash is {@code phoneHash}.
     *
     * @throws IllegalArgumentException if the id is negative or the evidence carries raw text
     */
    public static ConsentChange erased(int id, long phoneHash, ConsentEvidence evidence) {
        return new ConsentChange(ConsentAction.ERASED, id, ConsentRecord.hashedPhone(phoneHash), Scope.GLOBAL, evidence);
    }

    public static ConsentChange optIn(int id, String phone, Scope scope, ConsentEvidence evidence) {
        return new ConsentChange(ConsentAction.OPT_IN, id, phone, scope, evidence);
    }
}
