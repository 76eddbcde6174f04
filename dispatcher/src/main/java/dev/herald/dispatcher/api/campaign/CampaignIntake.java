package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.CampaignRoutes.CreateCampaign;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.experiment.CampaignVariant;
import dev.herald.dispatcher.sender.MarketingCompliance;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * What a create or preview body goes through before the campaign manager or the preview sees it,
 * in this order: {@link CampaignValidation} (400s), {@link CampaignCompliance} (a create refuses
 * with 422 where a preview only warns), then the {@link Audiences audience} (400s).
 *
 * <pre>{@code
 * CampaignIntake intake = new CampaignIntake(new CampaignValidation("sim", clock), new CampaignCompliance(senders), audiences);
 * CampaignIntake.Draft d = intake.create(body, idempotencyKey);   // d.record() sized to d.audience()
 * }</pre>
 *
 * <p>Thread-safety: immutable, as its parts.
 *
 * @param validation the body's checks and the record they make
 * @param compliance the sender's checks of the text
 * @param audiences  where recipients come from
 */
public record CampaignIntake(CampaignValidation validation, CampaignCompliance compliance, Audiences audiences) {

    /** @throws NullPointerException for a missing part */
    public CampaignIntake {
        Objects.requireNonNull(validation, "validation");
        Objects.requireNonNull(compliance, "compliance");
        Objects.requireNonNull(audiences, "audiences");
    }

    /**
     * A checked campaign, not yet stored.
     *
     * @param record     the campaign's record (for a create: with the compliance footer and the audience's size)
     * @param compliance the footer and warnings
     * @param audience   the recipients, never empty
     */
    public record Draft(CampaignRecord record, MarketingCompliance.Result compliance, ImmutableRoaringBitmap audience) {
    }

    /**
     * @return the campaign to create: its record carries the footer to store and the audience's size
     * @throws ApiError 400 for a bad body or audience, 422 for text its sender's policy refuses
     */
    public Draft create(CreateCampaign body, Optional<String> idempotencyKey) {
        return create(body, idempotencyKey, false);
    }

    /**
     * {@link #create(CreateCampaign, Optional)}; with {@code emptyAllowed}, an empty audience is a
     * campaign of no recipients (a cluster partition's slice), not 400 {@code empty_audience}.
     */
    public Draft create(CreateCampaign body, Optional<String> idempotencyKey, boolean emptyAllowed) {
        CampaignRecord record = validation.validate(body, idempotencyKey);
        MarketingCompliance.Result checked = compliance.check(record);
        List<MarketingCompliance.Result> perVariant = compliance.checkVariants(record);
        if (perVariant.isEmpty()) {
            CampaignCompliance.refuseIfNotCompliant(checked);
        }
        CampaignCompliance.refuseIfNotCompliant(perVariant);
        ImmutableRoaringBitmap audience = audiences.of(body, emptyAllowed);
        List<CampaignVariant> variants = null;
        if (record.variants() != null) {
            variants = new java.util.ArrayList<>();
            for (int i = 0; i < record.variants().size(); i++) {
                variants.add(record.variants().get(i).withFooter(perVariant.get(i).footer()));
            }
        }
        CampaignRecord sized = CampaignRecord.create(record.id(), record.name(), record.channel(), record.category(),
                record.sender(), record.template(), checked.footer(), audience.getLongCardinality(), record.createdAt(),
                record.startAt(), record.expiresAt()).withLocalTime(record.localTime()).withTps(record.tps())
                .withConnector(record.connector()).withTrackLinks(record.trackLinks())
                .withAttribution(record.attribution()).withVariants(variants, record.test());
        return new Draft(sized, perVariant.isEmpty() ? checked : perVariant.get(0), audience);
    }

    /**
     * @return the campaign to preview: its record as validated (audience size 0, the footer as
     *     asked); compliance warnings are not refused
     * @throws ApiError 400 for a bad body or audience
     */
    public Draft preview(CreateCampaign body, Optional<String> idempotencyKey) {
        CampaignRecord record = validation.validate(body, idempotencyKey);
        MarketingCompliance.Result checked = compliance.check(record);
        return new Draft(record, checked, audiences.of(body));
    }
}
