package dev.herald.dispatcher.connector;

import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.throttle.Priority;

import java.util.regex.Pattern;

/**
 * One rendered message on its way to a {@link Connector}.
 *
 * <pre>{@code
 * OutboundMessage m = OutboundMessage.of("42", 7, "+447400123456", "ACME", rendered, Priority.MARKETING, "sms");
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param campaignId  1–128 characters, no tab, CR or LF (it is a column of the connector logs)
 * @param recipientId dense directory id, ≥ 0
 * @param to          destination in E.164, e.g. {@code +447400123456}
 * @param from        sender id or number, not blank
 * @param text        final text, footer included
 * @param encoding    the data coding the text needs
 * @param segments    SMS parts, ≥ 1
 * @param priority    transactional or marketing
 * @param channel     channel name as in suppression scopes, e.g. {@code sms}, not blank
 */
public record OutboundMessage(String campaignId, int recipientId, String to, String from, String text,
                              Encoding encoding, int segments, Priority priority, String channel) {

    /** Longest campaign id, in characters (as {@code ConsentEvidence.MAX_ID}). */
    public static final int MAX_CAMPAIGN_ID = 128;

    private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{1,14}");

    /**
     * @throws IllegalArgumentException naming the first component that is missing or out of range
     */
    public OutboundMessage {
        if (campaignId == null || campaignId.isEmpty() || campaignId.length() > MAX_CAMPAIGN_ID
                || campaignId.chars().anyMatch(c -> c == '\t' || c == '\n' || c == '\r')) {
            throw new IllegalArgumentException("campaign id must be 1-" + MAX_CAMPAIGN_ID
                    + " characters without tab or line break, got '" + campaignId + "'");
        }
        if (recipientId < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + recipientId);
        }
        if (to == null || !E164.matcher(to).matches()) {
            throw new IllegalArgumentException("destination must be an E.164 number like +447400123456, got '" + to + "'");
        }
        require(from != null && !from.isBlank(), "sender is missing");
        require(text != null, "text is missing");
        require(encoding != null, "encoding is missing");
        require(segments >= 1, "segments must be >= 1, got " + segments);
        require(priority != null, "priority is missing");
        require(channel != null && !channel.isBlank(), "channel is missing");
    }

    /**
     * @param campaignId  the campaign
     * @param recipientId dense directory id
     * @param to          E.164 destination
     * @param from        sender id
     * @param rendered    text, encoding and part count from the render step
     * @param priority    transactional or marketing
     * @param channel     channel name
     * @return the message
     * @throws IllegalArgumentException as the canonical constructor
     */
    public static OutboundMessage of(String campaignId, int recipientId, String to, String from,
                                     RenderedMessage rendered, Priority priority, String channel) {
        return new OutboundMessage(campaignId, recipientId, to, from, rendered.text(), rendered.encoding(),
                rendered.segments(), priority, channel);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
