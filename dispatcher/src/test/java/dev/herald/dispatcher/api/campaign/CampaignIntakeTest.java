package dev.herald.dispatcher.api.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.CampaignRoutes.CreateCampaign;
import dev.herald.dispatcher.sender.SenderProfiles;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** A create and a preview go through the same checks, in the same order; only a create refuses non-compliant text. */
class CampaignIntakeTest {

    private final List<String> resolved = new ArrayList<>();
    private final Audiences fiveRecipients = (segment, expression) -> {
        resolved.add(segment);
        return MutableRoaringBitmap.bitmapOf(1, 2, 3, 4, 5);
    };
    private final CampaignIntake intake = new CampaignIntake(
            new CampaignValidation("sim", Clock.fixed(Instant.parse("2026-12-01T09:00:00Z"), ZoneOffset.UTC)),
            new CampaignCompliance(SenderProfiles.fromConfig(ConfigFactory.parseString(
                    "herald.senders.profiles { acme { brand = ACME, prefix = \"{brand}: \", footer = \"STOP to end\" } }")
                    .withFallback(ConfigFactory.defaultReference()).resolve())),
            fiveRecipients);

    private static CreateCampaign body(String text, String channel) {
        return new CreateCampaign("n", channel, "marketing", "acme", text, null, "vip", null, null, null, null, null, null, null, null, null);
    }

    @Test
    void shouldSizeACreatedCampaignToItsAudienceWithTheComplianceFooter() {
        CampaignIntake.Draft d = intake.create(body("ACME: sale", "sms"), Optional.of("k-1"));
        assertEquals(5, d.record().audienceSize());
        assertEquals("STOP to end", d.record().footer());
        assertEquals(CampaignIds.forKey("k-1"), d.record().id());
        assertEquals(5, d.audience().getCardinality());
        assertEquals(List.of(), d.compliance().warnings());
    }

    @Test
    void shouldRefuseACreateWithoutThePrefixButPreviewItWithAWarning() {
        ApiError e = assertThrows(ApiError.class, () -> intake.create(body("sale", "sms"), Optional.empty()));
        assertEquals(422, e.status());
        assertEquals("missing_brand_prefix", e.code());
        assertEquals(List.of(), resolved, "refused before the audience is resolved");
        CampaignIntake.Draft preview = intake.preview(body("sale", "sms"), Optional.empty());
        assertTrue(preview.compliance().missingPrefix());
        assertEquals(0, preview.record().audienceSize(), "a preview's record is as validated");
        ImmutableRoaringBitmap audience = preview.audience();
        assertEquals(5, audience.getCardinality());
    }

    @Test
    void shouldRefuseABadBodyBeforeLookingAtComplianceOrAudience() {
        ApiError create = assertThrows(ApiError.class, () -> intake.create(body("sale", "s m s"), Optional.empty()));
        ApiError preview = assertThrows(ApiError.class, () -> intake.preview(body("sale", "s m s"), Optional.empty()));
        assertEquals(List.of(400, "channel"), List.of(create.status(), create.field()));
        assertEquals(List.of(400, "channel"), List.of(preview.status(), preview.field()));
        assertEquals(List.of(), resolved);
    }
}
