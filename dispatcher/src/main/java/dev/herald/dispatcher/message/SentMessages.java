package dev.herald.dispatcher.message;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.links.LinkTokens;
import dev.herald.dispatcher.pipeline.CampaignGraph;
import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.dispatcher.unsubscribe.UnsubscribeLinks;
import dev.herald.suppression.RecipientFields;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * What a recipient was sent: each message of a campaign's {@link MessageLog} with its text rebuilt
 * from its variant's template and the stored fields exactly as the send rendered it (footer,
 * unsubscribe URL, tracked links: all deterministic per campaign and recipient), checked against the
 * stored CRC-32 of the text handed over. A text that does not match (a key or base URL changed since,
 * a value cut) is never answered: the message says so and keeps its fields.
 *
 * <pre>{@code
 * SentMessages sent = new SentMessages(unsubscribeLinks, linkTokens, deliveries::of, directory.cipher(MessageLog.PURPOSE));
 * List<SentMessages.Message> ms = sent.of(record, ledgerDir, 7, "+447400123456");
 * }</pre>
 *
 * <p>Thread-safety: immutable; reads files, so call it off the routing threads.
 */
public final class SentMessages {

    /** A campaign's receipts for one recipient, as {@link Deliveries#of} answers them. */
    @FunctionalInterface
    public interface DeliveryLookup {
        Optional<Deliveries.RecipientDelivery> of(String campaign, int recipient) throws IOException;
    }

    /**
     * One message as handed over.
     *
     * @param campaign   the campaign's id
     * @param variant    its variant's name, or null for a campaign of one message
     * @param handedAt   when it was handed to the connector
     * @param connector  the connector it went through
     * @param fields     the template's fields with the recipient's values (a field without a value
     *                   is absent: its fallback was used)
     * @param text       the exact text handed over, or null when it could not be rebuilt exactly
     * @param notRebuilt why the text could not be rebuilt, or null
     * @param encoding   its data coding (null when not rebuilt)
     * @param parts      its SMS parts (0 when not rebuilt)
     * @param delivery   its receipts' message ids, result and times, if any receipt came
     */
    public record Message(String campaign, String variant, Instant handedAt, String connector, Map<String, String> fields,
                          String text, String notRebuilt, Encoding encoding, int parts,
                          Optional<Deliveries.RecipientDelivery> delivery) {
    }

    private final UnsubscribeLinks unsubscribeLinks;
    private final LinkTokens linkTokens;
    private final DeliveryLookup deliveries;
    private final dev.herald.suppression.DataCipher cipher;

    /**
     * Reads plain message logs only (one with sealed frames is refused naming it).
     *
     * @param unsubscribeLinks the unsubscribe links the sends used, or null for none
     * @param linkTokens       the tracked links the sends used, or null for none
     * @param deliveries       the receipts, or null for none
     */
    public SentMessages(UnsubscribeLinks unsubscribeLinks, LinkTokens linkTokens, DeliveryLookup deliveries) {
        this(unsubscribeLinks, linkTokens, deliveries, null);
    }

    /**
     * @param unsubscribeLinks the unsubscribe links the sends used, or null for none
     * @param linkTokens       the tracked links the sends used, or null for none
     * @param deliveries       the receipts, or null for none
     * @param cipher           the recipient directory's cipher for {@link MessageLog#PURPOSE} (opens sealed
     *                         frames), or null for none
     */
    public SentMessages(UnsubscribeLinks unsubscribeLinks, LinkTokens linkTokens, DeliveryLookup deliveries,
                        dev.herald.suppression.DataCipher cipher) {
        this.unsubscribeLinks = unsubscribeLinks;
        this.linkTokens = linkTokens;
        this.deliveries = deliveries;
        this.cipher = cipher;
    }

    /**
     * @param campaign  a stored campaign
     * @param ledgerDir its outcome ledger's directory (the message log's)
     * @param recipient the recipient's id
     * @param e164      the recipient's number
     * @return the messages the log holds for them, newest first (none if none)
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file if the log is damaged
     * @throws dev.herald.dispatcher.store.SealedRecordsException naming the file if it is sealed and this has no cipher
     * @throws IOException if a file cannot be read
     */
    public List<Message> of(CampaignRecord campaign, Path ledgerDir, int recipient, String e164) throws IOException {
        MessageLogReader.Read read = MessageLogReader.read(ledgerDir.resolve(MessageLog.FILE), id -> id == recipient, cipher);
        if (read.entries().isEmpty()) {
            return List.of();
        }
        List<Renderer> renderers = CampaignGraph.renderers(campaign.spec(new MutableRoaringBitmap()), unsubscribeLinks, linkTokens);
        Optional<Deliveries.RecipientDelivery> delivery = deliveries == null ? Optional.empty()
                : deliveries.of(campaign.id(), recipient);
        List<Message> out = new ArrayList<>();
        for (MessageLogReader.Entry e : read.entries()) {
            String variant = campaign.variants() == null || e.variant() >= campaign.variants().size() ? null
                    : campaign.variants().get(e.variant()).name();
            Rebuilt r = rebuild(renderers, e, e164);
            out.add(new Message(campaign.id(), variant, Instant.ofEpochMilli(e.handedAtMillis()), e.connector(), e.fields(),
                    r.text(), r.why(), r.encoding(), r.parts(), delivery));
        }
        out.sort(Comparator.comparing(Message::handedAt).reversed());
        return out;
    }

    /** A rebuilt text with its encoding and parts, or why there is none. */
    record Rebuilt(String text, Encoding encoding, int parts, String why) {
    }

    /**
     * Renders {@code e}'s variant with its fields as the send did ({@code RenderStep}: the fields
     * read for the render, nothing extra) and keeps the text only if its CRC-32 is the stored one.
     */
    static Rebuilt rebuild(List<Renderer> renderers, MessageLogReader.Entry e, String e164) {
        if (e.variant() >= renderers.size()) {
            return new Rebuilt(null, null, 0, "the campaign has no variant " + e.variant() + " any more");
        }
        RenderedMessage m;
        try {
            m = renderers.get(e.variant()).render(new RecipientFields(e.recipient(), e164, e.fields()), Map.of());
        } catch (RuntimeException ex) {
            return new Rebuilt(null, null, 0, "the text could not be rebuilt: " + ex.getMessage());
        }
        if (MessageCodec.crc32(m.text()) != e.textCrc32()) {
            return new Rebuilt(null, null, 0, "the text could not be rebuilt exactly (its checksum differs from the one"
                    + " stored at the hand-over: a link or unsubscribe key or base URL changed since, or a value was too"
                    + " long to keep); the fields are as sent");
        }
        return new Rebuilt(m.text(), m.encoding(), m.segments(), null);
    }
}
