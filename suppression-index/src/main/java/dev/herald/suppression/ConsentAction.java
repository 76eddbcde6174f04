package dev.herald.suppression;

/**
 * What a consent record says: the recipient left a scope, came back to it, or was erased.
 *
 * <p>{@link #ERASED} changes no suppression: it records that the person's data was erased (their
 * number is kept only as a keyed hash, see {@link ConsentRecord#hashedPhone(long)}), and makes the
 * next compaction redact every earlier record of that recipient id.
 */
public enum ConsentAction {
    /** Opt-out: the recipient is added to the scope's suppression set. */
    OPT_OUT("opt-out"),
    /** Opt-in: the recipient is removed from the scope's suppression set. */
    OPT_IN("opt-in"),
    /**
     * Erasure of the person's data: suppression is unchanged (an opt-out stays in force), earlier
     * ledger records of the id lose the plain number and the raw text at the next compaction.
     */
    ERASED("erased");

    private final String label;

    ConsentAction(String label) {
        this.label = label;
    }

    /** The word used in exports and the API, e.g. {@code opt-out}. */
    public String label() {
        return label;
    }

    /** @return whether this action changes a scope's suppression (opt-out and opt-in do; an erasure does not) */
    public boolean changesSuppression() {
        return this != ERASED;
    }
}
