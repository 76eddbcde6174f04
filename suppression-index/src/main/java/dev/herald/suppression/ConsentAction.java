package dev.herald.suppression;

/** What a consent record says: the recipient left a scope, or came back to it. */
public enum ConsentAction {
    /** Opt-out: the recipient is added to the scope's suppression set. */
    OPT_OUT("opt-out"),
    /** Opt-in: the recipient is removed from the scope's suppression set. */
    OPT_IN("opt-in");

    private final String label;

    ConsentAction(String label) {
        this.label = label;
    }

    /** The word used in exports and the API, e.g. {@code opt-out}. */
    public String label() {
        return label;
    }
}
