package dev.herald.suppression;

/**
 * A requested change of one recipient's suppression in one scope, not yet durable.
 *
 * <pre>{@code
 * index.apply(List.of(ConsentChange.optOut(id, "+447400123456", Scope.GLOBAL, evidence)));
 * }</pre>
 *
 * @param action opt-out (add to the scope) or opt-in (remove from it)
 * @param recipientId dense id, {@code >= 0}
 * @param phone the E.164 number, kept in the ledger as evidence; may be null
 * @param scope the scope
 * @param evidence how the change was made
 */
public record ConsentChange(ConsentAction action, int recipientId, String phone, Scope scope, ConsentEvidence evidence) {

    /** @throws IllegalArgumentException if a field is missing or the id is negative */
    public ConsentChange {
        if (action == null || scope == null || evidence == null) {
            throw new IllegalArgumentException("consent change needs an action, a scope and evidence");
        }
        if (recipientId < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + recipientId);
        }
        if (phone != null && phone.length() > 16) {
            throw new IllegalArgumentException("phone '" + phone + "' is longer than an E.164 number");
        }
    }

    public static ConsentChange optOut(int id, String phone, Scope scope, ConsentEvidence evidence) {
        return new ConsentChange(ConsentAction.OPT_OUT, id, phone, scope, evidence);
    }

    public static ConsentChange optIn(int id, String phone, Scope scope, ConsentEvidence evidence) {
        return new ConsentChange(ConsentAction.OPT_IN, id, phone, scope, evidence);
    }
}
