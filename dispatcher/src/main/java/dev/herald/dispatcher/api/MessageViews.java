package dev.herald.dispatcher.api;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.message.SentMessages;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code message} of a recipient as the API shows it, shared by {@code GET
 * /v1/campaigns/{id}/recipients/{phone}} and {@code GET /v1/recipients/{phone}/messages}: text,
 * encoding, parts, connector, hand-over time, the peer's message ids and the receipt. The text (and
 * the fields it was made of, which are the text in other words) only for a key that may send
 * ({@code sender}, {@code admin}); a {@code viewer} gets the rest and {@code text} withheld.
 *
 * <pre>{@code
 * MessageViews views = new MessageViews(sentMessages, campaignStore);
 * List<Map<String, Object>> shown = views.of(record, id, "+447400123456", key.role().allows(Role.SENDER));
 * }</pre>
 *
 * <p>Thread-safety: immutable; reads files, so call it on the blocking-I/O pool.
 */
public final class MessageViews {

    private final SentMessages sent;
    private final CampaignStore store;

    /**
     * @param sent  rebuilds the texts
     * @param store where each campaign's ledger (and message log) lives
     */
    public MessageViews(SentMessages sent, CampaignStore store) {
        this.sent = sent;
        this.store = store;
    }

    /**
     * @param campaign  a stored campaign
     * @param recipient the recipient's id
     * @param e164      the recipient's number
     * @param withText  whether the key may see the text
     * @return the recipient's messages in the campaign, newest first
     * @throws IOException if the message log cannot be read (a damaged one is named)
     */
    public List<Map<String, Object>> of(CampaignRecord campaign, int recipient, String e164, boolean withText) throws IOException {
        return sent.of(campaign, store.ledgerDir(campaign.id()), recipient, e164).stream().map(m -> view(m, withText)).toList();
    }

    /** @return the raw messages, newest first (for a caller that filters by time first) */
    public List<SentMessages.Message> messages(CampaignRecord campaign, int recipient, String e164) throws IOException {
        return sent.of(campaign, store.ledgerDir(campaign.id()), recipient, e164);
    }

    /** One message as the API shows it. */
    public static Map<String, Object> view(SentMessages.Message m, boolean withText) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (withText) {
            out.put("text", m.text());
            if (m.text() == null) {
                out.put("textNote", m.notRebuilt());
            }
            out.put("fields", m.fields());
        } else {
            out.put("textNote", "withheld: the text is shown to sender and admin keys only");
        }
        out.put("encoding", m.encoding() == null ? null : m.encoding().name());
        out.put("parts", m.encoding() == null ? null : m.parts());
        out.put("connector", m.connector());
        out.put("handedAt", m.handedAt());
        if (m.variant() != null) {
            out.put("variant", m.variant());
        }
        out.put("messageIds", m.delivery().map(d -> d.messageIds()).orElse(List.of()));
        Map<String, Object> receipt = new LinkedHashMap<>();
        receipt.put("status", m.delivery().map(d -> d.result() == null ? "partly reported" : d.result()).orElse("no receipt yet"));
        receipt.put("at", m.delivery().map(d -> (Object) d.at()).orElse(null));
        receipt.put("acceptedAt", m.delivery().map(d -> (Object) d.acceptedAt()).orElse(null));
        out.put("receipt", receipt);
        return out;
    }

    /** Whether campaign {@code c} may have handed a message over within [from, to): it started before {@code to} and had not finished before {@code from}. */
    static boolean mayHaveSent(CampaignRecord c, Instant from, Instant to) {
        return c.startedAt() != null && c.startedAt().isBefore(to) && (c.finishedAt() == null || !c.finishedAt().isBefore(from));
    }
}
