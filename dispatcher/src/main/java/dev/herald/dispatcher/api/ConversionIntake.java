package dev.herald.dispatcher.api;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.funnel.Attribution;
import dev.herald.dispatcher.funnel.Conversion;
import dev.herald.dispatcher.funnel.ConversionSettings;
import dev.herald.dispatcher.links.LinkTokens;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Currency;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one conversion of {@code POST /v1/conversions} (a JSON object, or one NDJSON line) into a
 * {@link Conversion}, attributed: every field checked, the recipient found, the campaign chosen.
 *
 * <pre>{@code
 * ConversionIntake intake = new ConversionIntake(directory, tokens, campaigns, attribution, settings, clock);
 * Conversion c = intake.read(lineBytes, new HashMap<>());   // or an ApiError naming the field
 * }</pre>
 *
 * <p><b>Fields.</b> Exactly one of {@code phone} (a number the recipient directory knows) and
 * {@code token} (a tracked-link token, which names the recipient and the campaign); {@code orderId}
 * 1-128 characters without control characters; {@code value} a JSON number &ge; 0 with at most 4
 * decimal places; {@code currency} an ISO 4217 code (any case); {@code occurredAt} optional, an
 * ISO-8601 instant, not more than {@code future-skew} ahead of now nor older than {@code max-age}
 * (default: now); {@code campaign} optional, an existing campaign's id. Unknown fields are refused.
 *
 * <p><b>Attribution.</b> An explicit {@code campaign} wins, then the token's campaign (the two must
 * agree when both are given), then the last touch ({@link Attribution}).
 *
 * <p>Thread-safe if the directory, tokens, campaigns and touches are (they are).
 */
public final class ConversionIntake {

    /** Whether a campaign exists (its record may be read from disk). */
    @FunctionalInterface
    public interface CampaignExists {
        /** @throws IOException if that cannot be told */
        boolean exists(String campaignId) throws IOException;
    }

    /**
     * One conversion as posted.
     *
     * @param phone      the recipient's number, E.164 (or national with the directory's default region)
     * @param token      a tracked-link token instead of the phone (it names the campaign too)
     * @param campaign   the campaign to attribute it to (optional)
     * @param orderId    the caller's order id: a retry with the same one changes nothing
     * @param value      the order's value, &ge; 0
     * @param currency   ISO 4217 code of the value
     * @param occurredAt when it occurred, ISO-8601 (optional: now)
     */
    public record ConversionJson(String phone, String token, String campaign, String orderId, BigDecimal value,
                                 String currency, String occurredAt) {
    }


    private final RecipientDirectory directory;
    private final LinkTokens tokens;
    private final CampaignExists campaigns;
    private final Attribution attribution;
    private final ConversionSettings settings;
    private final Clock clock;

    /**
     * @param directory   resolves phones
     * @param tokens      verifies tracked-link tokens
     * @param campaigns   tells which campaign ids exist
     * @param attribution the last-touch rule
     * @param settings    age and skew limits
     * @param clock       now
     */
    public ConversionIntake(RecipientDirectory directory, LinkTokens tokens, CampaignExists campaigns, Attribution attribution,
                            ConversionSettings settings, Clock clock) {
        this.directory = directory;
        this.tokens = tokens;
        this.campaigns = campaigns;
        this.attribution = attribution;
        this.settings = settings;
        this.clock = clock;
    }

    /** @return the settings this intake checks against */
    public ConversionSettings settings() {
        return settings;
    }

    /**
     * @param json  one JSON object
     * @param known campaign ids already looked up by this request (true: it exists), filled in here
     * @return the conversion, attributed, received now
     * @throws ApiError 400 naming the field for anything wrong
     * @throws UncheckedIOException if a campaign's existence cannot be read
     */
    public Conversion read(byte[] json, Map<String, Boolean> known) {
        return check(ApiDirectives.parse(json, ConversionJson.class), known);
    }

    /** As {@link #read}, for a body already parsed. */
    public Conversion check(ConversionJson j, Map<String, Boolean> known) {
        long now = clock.millis();
        String orderId = orderId(j.orderId());
        BigDecimal value = value(j.value());
        String currency = currency(j.currency());
        long occurred = occurredAt(j.occurredAt(), now);
        String campaign = j.campaign() == null ? null : campaign(j.campaign(), known);
        int recipient;
        Attribution.Result by;
        if (j.token() != null) {
            if (j.phone() != null) {
                throw ApiError.badRequest("ambiguous_recipient", "give either 'phone' or 'token', not both", "token");
            }
            LinkTokens.Link link = tokens.verify(j.token().strip()).orElseThrow(() -> ApiError.badRequest("unknown_token",
                    "'token' is not a tracked link of this server (forged, altered, truncated or of an unknown campaign)", "token"));
            if (campaign != null && !campaign.equals(link.campaignId())) {
                throw ApiError.badRequest("conflicting_campaign", "'campaign' is '" + campaign + "' but the token's link is of"
                        + " campaign '" + link.campaignId() + "'", "campaign");
            }
            recipient = link.recipientId();
            by = new Attribution.Result(link.campaignId(), campaign != null ? Attribution.Source.CAMPAIGN : Attribution.Source.TOKEN);
        } else {
            recipient = recipient(j.phone());
            by = campaign != null ? new Attribution.Result(campaign, Attribution.Source.CAMPAIGN) : attribution.lastTouch(recipient, occurred);
        }
        return new Conversion(orderId, recipient, by.campaignId(), by.source(), value, currency, occurred, now);
    }

    private static String orderId(String id) {
        if (id == null) {
            throw ApiError.badRequest("missing_field", "'orderId' is required: the order's id makes a retry change nothing",
                    "orderId");
        }
        if (!Conversion.validOrderId(id)) {
            throw ApiError.badRequest("invalid_value", "'orderId' must be 1-" + Conversion.MAX_ORDER_ID
                    + " characters without control characters", "orderId");
        }
        return id;
    }

    private static BigDecimal value(BigDecimal v) {
        if (v == null) {
            throw ApiError.badRequest("missing_field", "'value' is required: the order's value, a number >= 0", "value");
        }
        if (v.signum() < 0) {
            throw ApiError.badRequest("invalid_value", "'value' must be >= 0, got " + v, "value"); // not toPlainString: -1E+999999999
        }
        if (v.compareTo(Conversion.MAX_VALUE) >= 0) {
            throw ApiError.badRequest("invalid_value", "'value' must be below 1e15", "value");
        }
        if (v.signum() > 0 && v.stripTrailingZeros().scale() > Conversion.MAX_SCALE) {
            throw ApiError.badRequest("invalid_value", "'value' has more than " + Conversion.MAX_SCALE + " decimal places: "
                    + v, "value"); // not toPlainString: 1E-999999999 is a billion digits
        }
        return v;
    }

    private static String currency(String c) {
        if (c == null) {
            throw ApiError.badRequest("missing_field", "'currency' is required: an ISO 4217 code such as EUR", "currency");
        }
        String code = c.strip().toUpperCase(Locale.ROOT);
        try {
            if (code.matches("[A-Z]{3}") && !code.equals("XXX") && !code.equals("XTS")) {
                return Currency.getInstance(code).getCurrencyCode();
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw ApiError.badRequest("invalid_currency", "'currency' must be an ISO 4217 code such as EUR or USD, got '"
                + (c.length() > 16 ? c.substring(0, 16) + "…" : c) + "'", "currency");
    }

    private long occurredAt(String t, long now) {
        if (t == null) {
            return now;
        }
        Instant at;
        try {
            at = Instant.parse(t.strip());
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest("invalid_value", "'occurredAt' must be an ISO-8601 instant such as 2026-12-07T09:00:00Z, got '"
                    + (t.length() > 40 ? t.substring(0, 40) + "…" : t) + "'", "occurredAt");
        }
        if (at.toEpochMilli() > now + settings.futureSkew().toMillis()) {
            throw ApiError.badRequest("invalid_value", "'occurredAt' " + at + " is in the future (more than "
                    + settings.futureSkew() + " ahead of this server's clock)", "occurredAt");
        }
        if (at.toEpochMilli() < now - settings.maxAge().toMillis()) {
            throw ApiError.badRequest("invalid_value", "'occurredAt' " + at + " is older than " + settings.maxAge().toDays()
                    + " days (herald.funnel.conversions.max-age)", "occurredAt");
        }
        return at.toEpochMilli();
    }

    private String campaign(String id, Map<String, Boolean> known) {
        try {
            CampaignRecord.checkId(id);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", "'campaign': " + e.getMessage(), "campaign");
        }
        Boolean exists = known.get(id);
        if (exists == null) {
            try {
                exists = campaigns.exists(id);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            known.put(id, exists);
        }
        if (!exists) {
            throw ApiError.badRequest("unknown_campaign", "'campaign': there is no campaign '" + id + "'", "campaign");
        }
        return id;
    }

    private int recipient(String phone) {
        if (phone == null) {
            throw ApiError.badRequest("missing_field", "'phone' or 'token' is required: who converted", "phone");
        }
        return PhoneField.recipient(directory, phone, "who converted");
    }
}
