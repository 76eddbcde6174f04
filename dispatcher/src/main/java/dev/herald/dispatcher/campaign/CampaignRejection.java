package dev.herald.dispatcher.campaign;

/**
 * Why the {@link CampaignManager} or a {@link Campaign} refused a request, as the error of a
 * {@code StatusReply}: the reason maps to an HTTP status (404, 409, 400) and the message names
 * what is wrong.
 *
 * <pre>{@code
 * if (reply.getError() instanceof CampaignRejection r && r.reason() == CampaignRejection.Reason.NOT_FOUND) { ... }
 * }</pre>
 *
 * <p>Immutable.
 */
public final class CampaignRejection extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The kind of refusal. */
    public enum Reason {
        /** No campaign with that id. */
        NOT_FOUND,
        /** The campaign's status (or an existing id) does not allow the request. */
        CONFLICT,
        /** The request itself is invalid (bad template, empty audience, bad names). */
        INVALID,
        /** The campaign did not answer in time (a busy machine): retrying is safe. */
        BUSY,
        /** The campaign's stored state is damaged (the message names the file): it cannot be changed. */
        DAMAGED
    }

    private final Reason reason;

    /** @param reason the kind of refusal @param message what is wrong, for the caller */
    public CampaignRejection(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    /** @return the kind of refusal */
    public Reason reason() {
        return reason;
    }
}
