package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.sender.MarketingCompliance;
import dev.herald.dispatcher.sender.SenderProfiles;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A validated campaign's text checked against its sender's profile ({@link MarketingCompliance}):
 * the footer to store and the warnings, which a create refuses (422) where a preview only shows them.
 * The text is checked once per campaign, never per recipient.
 *
 * <pre>{@code
 * CampaignCompliance compliance = new CampaignCompliance(SenderProfiles.fromConfig(config));
 * MarketingCompliance.Result r = compliance.check(record);   // 400 for an unknown sender
 * CampaignCompliance.refuseIfNotCompliant(r);                  // a create: 422 missing_brand_prefix / flagged_words
 * List<Map<String, Object>> shown = CampaignCompliance.warnings(r);
 * }</pre>
 *
 * <p>Thread-safety: immutable; the profiles are read-only.
 */
public final class CampaignCompliance {

    private final SenderProfiles senders;

    /** @param senders the sender profiles marketing text is checked against */
    public CampaignCompliance(SenderProfiles senders) {
        this.senders = Objects.requireNonNull(senders, "senders");
    }

    /**
     * @param record a validated campaign ({@link CampaignValidation})
     * @return the footer to store and the warnings
     * @throws ApiError 400 {@code invalid_value} (field {@code sender}) when the sender's profile refuses the sender
     */
    public MarketingCompliance.Result check(CampaignRecord record) {
        SenderProfiles.Profile profile;
        try {
            profile = senders.profile(record.sender());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", "'sender': " + e.getMessage(), "sender");
        }
        return MarketingCompliance.check(profile, record.category(), record.template(), record.footer());
    }

    /**
     * Each variant's text checked against its own sender's profile (the campaign's when it has none).
     *
     * @param record a validated campaign with variants
     * @return per variant, its footer and warnings (empty for a campaign of one message)
     * @throws ApiError 400 naming {@code variants[i].sender} when its sender's profile refuses it
     */
    public List<MarketingCompliance.Result> checkVariants(CampaignRecord record) {
        if (record.variants() == null) {
            return List.of();
        }
        List<MarketingCompliance.Result> out = new java.util.ArrayList<>();
        for (int i = 0; i < record.variants().size(); i++) {
            dev.herald.dispatcher.experiment.CampaignVariant v = record.variants().get(i);
            SenderProfiles.Profile profile;
            try {
                profile = senders.profile(v.senderOr(record.sender()));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("invalid_value", "'variants[" + i + "].sender': " + e.getMessage(),
                        "variants[" + i + "].sender");
            }
            out.add(MarketingCompliance.check(profile, record.category(), v.text(), record.footer()));
        }
        return out;
    }

    /** As {@link #refuseIfNotCompliant(MarketingCompliance.Result)} for each variant, naming {@code variants[i].text}. */
    public static void refuseIfNotCompliant(List<MarketingCompliance.Result> variants) {
        for (int i = 0; i < variants.size(); i++) {
            try {
                refuseIfNotCompliant(variants.get(i));
            } catch (ApiError e) {
                throw new ApiError(e.status(), e.code(), "variants[" + i + "]: " + e.getMessage(), "variants[" + i + "].text");
            }
        }
    }

    /**
     * @throws ApiError 422 {@code missing_brand_prefix} (field {@code text}) when marketing text lacks its
     *     sender's prefix; 422 {@code flagged_words} naming the words when the sender's policy refuses them
     */
    public static void refuseIfNotCompliant(MarketingCompliance.Result r) {
        if (r.missingPrefix()) {
            throw new ApiError(422, "missing_brand_prefix", r.warnings().get(0).message(), "text");
        }
        if (r.refuseWords() && !r.flaggedWords().isEmpty()) {
            throw new ApiError(422, "flagged_words", "'text' has words the sender's policy refuses: "
                    + String.join(", ", r.flaggedWords()), "text");
        }
    }

    /** @return the warnings as the API shows them: code, message, word, and whether a create is refused for it */
    public static List<Map<String, Object>> warnings(MarketingCompliance.Result r) {
        return r.warnings().stream().map(w -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("code", w.code());
            m.put("message", w.message());
            m.put("word", w.word());
            m.put("blocking", w.code().equals(MarketingCompliance.MISSING_BRAND_PREFIX) || r.refuseWords());
            return m;
        }).toList();
    }
}
