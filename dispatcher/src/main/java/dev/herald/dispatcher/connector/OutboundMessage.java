package dev.herald.dispatcher.connector;

import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.throttle.Priority;

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

    /**
     * @throws IllegalArgumentException naming the first component that is missing or out of range
     */
    public OutboundMessage {
        if (campaignId == null || campaignId.isEmpty() || campaignId.length() > MAX_CAMPAIGN_ID
                || hasTabOrLineBreak(campaignId)) {
            throw new IllegalArgumentException("campaign id must be 1-" + MAX_CAMPAIGN_ID
                    + " characters without tab or line break, got '" + campaignId + "'");
        }
        if (recipientId < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + recipientId);
        }
        if (to == null || !isE164(to)) {
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

    /**
     * The key a peer that supports it ({@link Connector#supportsIdempotencyKey()}) deduplicates by:
     * stable for a recipient of a campaign, whatever process or attempt sends it.
     *
     * @return {@code <campaignId>/<recipientId>}, e.g. {@code 42/7}
     */
    public String idempotencyKey() {
        return campaignId + "/" + recipientId;
    }

    /** As the pattern {@code \\+[1-9][0-9]{1,14}}, without a regex engine (this runs once per message). */
    static boolean isE164(String to) {
        int n = to.length();
        if (n < 3 || n > 16 || to.charAt(0) != '+' || to.charAt(1) < '1' || to.charAt(1) > '9') {
            return false;
        }
        for (int i = 2; i < n; i++) {
            char c = to.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean hasTabOrLineBreak(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c == '\t' || c == '\n' || c == '\r') {
                return true;
            }
        }
        return false;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
