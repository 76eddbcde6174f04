package dev.herald.suppression;

import java.time.Instant;

/**
 * How a consent change was made, stored with it in the consent ledger.
 *
 * <pre>{@code
 * ConsentEvidence e = ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms").rawText("STOP").campaign("42");
 * }</pre>
 *
 * @param source where it came from
 * @param channel the channel it came through (e.g. {@code sms}), or null
 * @param rawText the recipient's own words, as received (e.g. {@code "Stop."}), or null
 * @param campaignId the campaign it answered, or null
 * @param time when it happened; null means "when it is written"
 * @param sentAt when the campaign it answered sent its message to this recipient, or null (not
 *     attributed, or not known)
 */
public record ConsentEvidence(ConsentSource source, String channel, String rawText, String campaignId, Instant time,
                              Instant sentAt) {

    /** Longest raw text kept, in characters; longer text is cut (the ledger is evidence, not an archive of spam). */
    public static final int MAX_TEXT = 1024;

    /** Longest channel or campaign id, in characters. */
    public static final int MAX_ID = 128;

    /** @throws IllegalArgumentException if {@code source} is null or an id is longer than {@link #MAX_ID} */
    public ConsentEvidence {
        if (source == null) {
            throw new IllegalArgumentException("consent source is missing");
        }
        if (channel != null && channel.length() > MAX_ID) {
            throw new IllegalArgumentException("channel is longer than " + MAX_ID + " characters");
        }
        if (campaignId != null && campaignId.length() > MAX_ID) {
            throw new IllegalArgumentException("campaign id is longer than " + MAX_ID + " characters");
        }
        if (rawText != null && rawText.length() > MAX_TEXT) {
            rawText = rawText.substring(0, MAX_TEXT);
        }
    }

    /** Evidence without the campaign's send time. */
    public ConsentEvidence(ConsentSource source, String channel, String rawText, String campaignId, Instant time) {
        this(source, channel, rawText, campaignId, time, null);
    }

    public static ConsentEvidence of(ConsentSource source) {
        return new ConsentEvidence(source, null, null, null, null, null);
    }

    public ConsentEvidence channel(String c) {
        return new ConsentEvidence(source, c, rawText, campaignId, time, sentAt);
    }

    public ConsentEvidence rawText(String t) {
        return new ConsentEvidence(source, channel, t, campaignId, time, sentAt);
    }

    public ConsentEvidence campaign(String id) {
        return new ConsentEvidence(source, channel, rawText, id, time, sentAt);
    }

    public ConsentEvidence at(Instant t) {
        return new ConsentEvidence(source, channel, rawText, campaignId, t, sentAt);
    }

    /** The same evidence, attributed to a send of its campaign at {@code t}. */
    public ConsentEvidence sentAt(Instant t) {
        return new ConsentEvidence(source, channel, rawText, campaignId, time, t);
    }
}
