package dev.herald.dispatcher.campaign;

import java.io.IOException;

/**
 * A campaign's stored state (its record or its outcome ledger) failed its checks: that campaign is
 * {@link CampaignStatus#DAMAGED} and is neither run nor changed, while the others carry on. The
 * message names the campaign, the file and what is wrong (from the cause, e.g. a
 * {@link dev.herald.suppression.CorruptIndexException} naming the file and offset).
 *
 * <p>{@code throw new CampaignDamagedException("spring-sale", e);}
 */
public final class CampaignDamagedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String campaignId;

    /**
     * @param campaignId the damaged campaign
     * @param cause      why: its message names the file and what is wrong
     */
    public CampaignDamagedException(String campaignId, Throwable cause) {
        super("campaign " + campaignId + " is damaged: " + cause.getMessage(), cause);
        this.campaignId = campaignId;
    }

    /** @return the damaged campaign's id */
    public String campaignId() {
        return campaignId;
    }

    /** @return what is damaged: the file and what is wrong, without the campaign prefix */
    public String damage() {
        return String.valueOf(getCause().getMessage());
    }
}
