package dev.herald.dispatcher.experiment;

import java.util.Objects;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One version of a campaign's message in an A/B test: its own text, and optionally its own sender or
 * local send time; what it does not set is the campaign's.
 *
 * <pre>{@code
 * CampaignVariant b = new CampaignVariant("B", "Acme: 20% off today only {{url}}", null, "18:00", "Reply STOP to opt out");
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param name      1–32 of {@code [A-Za-z0-9_-]}, unique in the campaign ({@code A}, {@code B}, … when not given)
 * @param text      the template ({@code {{field}}} placeholders, as the campaign's text)
 * @param sender    its own sender / brand (its suppression scope, footer and source), or null for the campaign's
 * @param localTime {@code HH:mm}: its recipients are sent at this time in their own zone (a send-time test),
 *                  or null for the campaign's schedule
 * @param footer    the compliance footer of its sender, as stored at creation (may be empty)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CampaignVariant(String name, String text, String sender, String localTime, String footer) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,32}");

    /** @throws IllegalArgumentException naming what is wrong */
    public CampaignVariant {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("variant name must be 1-32 of A-Z a-z 0-9 _ -, got "
                    + (name == null ? "nothing" : "'" + name + "'"));
        }
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("variant " + name + " has no text");
        }
        footer = Objects.requireNonNullElse(footer, "");
    }

    /** @return the default name of the variant at {@code index}: A, B, … H */
    public static String defaultName(int index) {
        return String.valueOf((char) ('A' + index));
    }

    /** @return this variant with its sender's compliance footer */
    public CampaignVariant withFooter(String f) {
        return new CampaignVariant(name, text, sender, localTime, f);
    }

    /** @return its sender, or {@code campaignSender} when it has none of its own */
    public String senderOr(String campaignSender) {
        return sender == null ? campaignSender : sender;
    }
}
