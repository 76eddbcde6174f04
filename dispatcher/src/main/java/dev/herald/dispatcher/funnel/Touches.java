package dev.herald.dispatcher.funnel;

import java.io.IOException;
import java.util.Optional;

/**
 * Each recipient's latest touches across campaigns: the last message delivered to them and their
 * last human click on a tracked link, each with its campaign (by number, {@link
 * dev.herald.dispatcher.campaign.CampaignNumbers}) and time. A conversion is attributed from
 * these (last touch: a human click within its window, else a delivery within its window); a click
 * is timed from its campaign's delivery with them.
 *
 * <pre>{@code
 * touches.delivered(42, 7, receiptMillis);      // a receipt made recipient 42 delivered in campaign 7
 * touches.clicked(42, 7, clickMillis);          // a human click on campaign 7's link
 * touches.lastClicked(42);                      // Optional[Touch[campaignNumber=7, atMillis=...]]
 * }</pre>
 *
 * <p>Durable: what a call recorded survives a killed process. A later touch replaces an earlier
 * one; an older one (a receipt that arrives late) changes nothing. Implementations are
 * thread-safe.
 */
public interface Touches {

    /**
     * A touch.
     *
     * @param campaignNumber the campaign's number
     * @param atMillis       when, epoch milliseconds
     */
    record Touch(int campaignNumber, long atMillis) {
    }

    /** Records that campaign {@code campaignNumber}'s message was delivered to {@code recipient} at {@code atMillis}. */
    void delivered(int recipient, int campaignNumber, long atMillis) throws IOException;

    /** Records a human click by {@code recipient} on a link of campaign {@code campaignNumber} at {@code atMillis}. */
    void clicked(int recipient, int campaignNumber, long atMillis) throws IOException;

    /** @return the recipient's latest delivery, if any */
    Optional<Touch> lastDelivered(int recipient);

    /** @return the recipient's latest human click, if any */
    Optional<Touch> lastClicked(int recipient);
}
